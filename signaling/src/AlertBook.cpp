#include "vigil/signaling/AlertBook.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "vigil/common/Error.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/common/RedisValue.hpp"
#include "vigil/signaling/Access.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Millis;
using common::Task;
using nlohmann::json;

namespace {

VIGIL_LOG_CATEGORY(alertBookLog, "alerts")

// How many of the newest alerts of one unit a list looks at: an agency's unit raises far
// fewer than this in the weeks anyone pages through.
constexpr int kScanPerUnit = 5000;
constexpr size_t kMaxNoteCharacters = 2000;

// KEYS: alert hash, unresolved zset, unit zset, stream, dedupe key.
// ARGV: id, raised ms, dedupe ('1' | '0'), hash prefix, then the hash's field/value pairs.
// Appends the occurrence to the stream; records the alert unless an unresolved one holds
// the dedupe key. Returns {'raised', id} or {'duplicate', existing id}.
const char* const kRaiseScript = R"lua(
local h = {}
local fields = {}
for i = 5, #ARGV, 2 do
  h[ARGV[i]] = ARGV[i + 1]
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
end
local target = ARGV[1]
local duplicate = false
if ARGV[3] == '1' then
  local existing = redis.call('GET', KEYS[5])
  if existing then
    local state = redis.call('HGET', ARGV[4] .. existing, 'state')
    if state and state ~= 'resolved' then
      target = existing
      duplicate = true
    end
  end
end
redis.call('XADD', KEYS[4], '*', 'class', h['class'], 'call', h['call'], 'checkin', h['checkin'],
           'subject', h['subject'], 'unit', h['unit'], 'kind', h['kind'], 'message', h['message'],
           'ts', ARGV[2], 'alert', target)
if duplicate then return {'duplicate', target} end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
if ARGV[3] == '1' then redis.call('SET', KEYS[5], ARGV[1]) end
return {'raised', ARGV[1]}
)lua";

// KEYS: alert hash. ARGV: now, by. Returns 'ok' or the state that does not allow it.
const char* const kAcknowledgeScript = R"lua(
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 'missing' end
if state ~= 'open' then return state end
redis.call('HSET', KEYS[1], 'state', 'acknowledged', 'acknowledged_at', ARGV[1],
           'acknowledged_by', ARGV[2])
return 'ok'
)lua";

// KEYS: alert hash, unresolved zset. ARGV: now, by, note, dedupe key prefix.
// Resolves once and frees the dedupe key if it still names this alert.
const char* const kResolveScript = R"lua(
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 'missing' end
if state == 'resolved' then return state end
redis.call('HSET', KEYS[1], 'state', 'resolved', 'resolved_at', ARGV[1], 'resolved_by', ARGV[2],
           'note', ARGV[3])
local id = redis.call('HGET', KEYS[1], 'id')
redis.call('ZREM', KEYS[2], id)
local dedupe = redis.call('HGET', KEYS[1], 'dedupe')
if dedupe and dedupe ~= '' then
  local key = ARGV[4] .. dedupe
  if redis.call('GET', key) == id then redis.call('DEL', key) end
end
return 'ok'
)lua";

// KEYS: unresolved zset. ARGV: now, period ms, hash prefix.
// The ids still `open` whose last raise or escalation is at least a period ago.
const char* const kDueScript = R"lua(
local now = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local due = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - period)) do
  local v = redis.call('HMGET', ARGV[3] .. id, 'state', 'raised_at', 'escalated_at')
  if v[1] == 'open' then
    local last = math.max(tonumber(v[2]) or 0, tonumber(v[3]) or 0)
    if now - last >= period then due[#due + 1] = id end
  end
end
return due
)lua";

// KEYS: alert hash, zset of the unit escalated to. ARGV: escalated_at as read, new unit, now,
// raised ms, id. Escalates only if nobody (another node's sweep) did since it was read.
const char* const kEscalateScript = R"lua(
local v = redis.call('HMGET', KEYS[1], 'state', 'escalated_at')
if v[1] ~= 'open' or (v[2] or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'escalated_to', ARGV[2], 'escalated_at', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
return 1
)lua";

Millis millisField(const std::map<std::string, std::string>& h, const char* name) {
    return std::strtoll(common::fieldOf(h, name).c_str(), nullptr, 10);
}

Alert alertFromHash(const std::map<std::string, std::string>& h) {
    Alert a;
    a.id = common::fieldOf(h, "id");
    a.kind = common::fieldOf(h, "kind");
    a.subject = common::fieldOf(h, "subject");
    a.unit = common::fieldOf(h, "unit");
    a.escalatedTo = common::fieldOf(h, "escalated_to");
    a.classId = common::fieldOf(h, "class");
    a.call = common::fieldOf(h, "call");
    a.checkin = common::fieldOf(h, "checkin");
    a.message = common::fieldOf(h, "message");
    a.state = parseAlertState(common::fieldOf(h, "state")).value_or(AlertState::Open);
    a.raisedAt = millisField(h, "raised_at");
    a.acknowledgedAt = millisField(h, "acknowledged_at");
    a.acknowledgedBy = common::fieldOf(h, "acknowledged_by");
    a.resolvedAt = millisField(h, "resolved_at");
    a.resolvedBy = common::fieldOf(h, "resolved_by");
    a.note = common::fieldOf(h, "note");
    a.escalatedAt = millisField(h, "escalated_at");
    a.dedupeKey = common::fieldOf(h, "dedupe");
    return a;
}

// Unicode code points of valid UTF-8 (continuation bytes are not counted).
size_t characters(const std::string& text) {
    return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

bool blank(const std::string& text) {
    return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

// EVAL of kRaiseScript for `alert` (built outside the coroutine: GCC 12 cannot compile
// a braced list of strings in one).
std::vector<std::string> raiseCommand(const Alert& alert) {
    const std::string& dedupeKey = alert.dedupeKey;
    std::vector<std::string> args{"EVAL",
                                  kRaiseScript,
                                  "5",
                                  keys::alert(alert.id),
                                  keys::kOpenAlerts,
                                  keys::alertsOfUnit(alert.unit),
                                  keys::kAlerts,
                                  keys::alertDedupe(dedupeKey),
                                  alert.id,
                                  std::to_string(alert.raisedAt),
                                  dedupeKey.empty() ? "0" : "1",
                                  keys::alert("")};
    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"id", alert.id},
             {"kind", alert.kind},
             {"subject", alert.subject},
             {"unit", alert.unit},
             {"escalated_to", ""},
             {"class", alert.classId},
             {"call", alert.call},
             {"checkin", alert.checkin},
             {"message", alert.message},
             {"state", "open"},
             {"raised_at", std::to_string(alert.raisedAt)},
             {"escalated_at", "0"},
             {"dedupe", dedupeKey}}) {
        args.push_back(name);
        args.push_back(value);
    }
    return args;
}

}  // namespace

std::string toString(AlertState state) {
    switch (state) {
        case AlertState::Open:
            return "open";
        case AlertState::Acknowledged:
            return "acknowledged";
        case AlertState::Resolved:
            return "resolved";
    }
    return "open";
}

std::optional<AlertState> parseAlertState(const std::string& text) {
    if (text == "open") return AlertState::Open;
    if (text == "acknowledged") return AlertState::Acknowledged;
    if (text == "resolved") return AlertState::Resolved;
    return std::nullopt;
}

json Alert::toJson(int utcOffsetMinutes) const {
    auto time = [&](Millis t) -> json {
        return t > 0 ? json(common::formatIso8601(t, utcOffsetMinutes)) : json(nullptr);
    };
    // Text fields are "" when they do not apply (as in the first alert list); times null.
    return json{{"id", id},
                {"kind", kind},
                {"subject", subject},
                {"unit", unit},
                {"escalated_to", escalatedTo},
                {"class", classId},
                {"call", call},
                {"checkin", checkin},
                {"message", message},
                {"state", toString(state)},
                {"raised_at", time(raisedAt)},
                {"acknowledged_at", time(acknowledgedAt)},
                {"acknowledged_by", acknowledgedBy},
                {"resolved_at", time(resolvedAt)},
                {"resolved_by", resolvedBy},
                {"note", note},
                {"escalated_at", time(escalatedAt)}};
}

bool canSeeAlert(const User& viewer, const Alert& alert, const UnitTree& tree) {
    return access::canSeeUnit(viewer, alert.unit, tree) ||
           (!alert.escalatedTo.empty() && access::canSeeUnit(viewer, alert.escalatedTo, tree));
}

Task<std::optional<Alert>> AlertBook::raise(Alert alert, std::string dedupeKey) {
    if (alert.unit.empty()) {
        auto subject = co_await directory_.findUser(alert.subject);
        if (subject) alert.unit = subject->unit;
    }
    if (alert.raisedAt <= 0) alert.raisedAt = common::nowMillis();
    alert.state = AlertState::Open;
    alert.escalatedTo.clear();
    alert.escalatedAt = 0;
    alert.dedupeKey = dedupeKey;
    auto n = co_await redis_.cmd("INCR", keys::seq("alert"));
    alert.id = "al" + std::to_string(n.asInteger());

    auto reply = co_await redis_.command(raiseCommand(alert));
    if (reply.elements.size() < 2 || reply.elements[0].str != "raised") co_return std::nullopt;
    alertBookLog()->info("alert {} raised: {} for {} at {}", alert.id, alert.kind, alert.subject,
                         alert.unit);
    tell(alert, false);
    co_return alert;
}

Task<std::optional<Alert>> AlertBook::find(std::string id) {
    if (id.empty() || id.size() > 64) co_return std::nullopt;
    auto h = (co_await redis_.cmd("HGETALL", keys::alert(id))).asMap();
    if (h.empty()) co_return std::nullopt;
    co_return alertFromHash(h);
}

Task<Alert> AlertBook::requireVisible(const User& viewer, const std::string& id) {
    auto alert = co_await find(id);
    if (!alert) throw ApiError("not_found", "no alert '" + id + "'");
    std::vector<std::string> units(1, alert->unit);
    if (!alert->escalatedTo.empty()) units.push_back(alert->escalatedTo);
    auto tree = co_await directory_.recentUnitTree(std::move(units));
    if (!canSeeAlert(viewer, *alert, tree)) access::refuseOutOfScope(viewer, "alert");
    co_return *alert;
}

Task<std::vector<std::string>> AlertBook::candidateIds(const User& viewer, bool unresolvedOnly) {
    std::vector<std::pair<Millis, std::string>> scored;
    auto collect = [&scored](const common::RedisValue& reply) {
        for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
            scored.emplace_back(std::strtoll(reply.elements[i + 1].str.c_str(), nullptr, 10),
                                reply.elements[i].str);
        }
    };
    if (unresolvedOnly) {
        collect(co_await redis_.cmd("ZREVRANGE", keys::kOpenAlerts, "0", "-1", "WITHSCORES"));
    } else {
        auto tree = co_await directory_.unitTree();
        for (const auto& unit : tree.subtree(viewer.unit)) {
            collect(co_await redis_.cmd("ZREVRANGE", keys::alertsOfUnit(unit), "0",
                                        std::to_string(kScanPerUnit - 1), "WITHSCORES"));
        }
    }
    // Newest first; an escalated alert is in two units' sets but is listed once.
    std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second > b.second;
    });
    std::vector<std::string> ids;
    std::set<std::string> seen;
    for (auto& [score, id] : scored) {
        if (seen.insert(id).second) ids.push_back(std::move(id));
    }
    co_return ids;
}

Task<std::vector<Alert>> AlertBook::list(const User& viewer, std::string state, bool escalatedOnly,
                                         std::string subject, int limit) {
    std::vector<Alert> out;
    if (!access::isStaff(viewer) || limit <= 0) co_return out;
    std::optional<AlertState> wanted;
    if (!state.empty()) {
        wanted = parseAlertState(state);
        if (!wanted) throw ApiError("bad_request", "state must be open, acknowledged or resolved");
    }
    bool unresolvedOnly = wanted && *wanted != AlertState::Resolved;
    auto ids = co_await candidateIds(viewer, unresolvedOnly);
    auto tree = co_await directory_.unitTree();
    for (const auto& id : ids) {
        if (out.size() >= static_cast<size_t>(limit)) break;
        auto alert = co_await find(id);
        if (!alert || !canSeeAlert(viewer, *alert, tree)) continue;
        if (wanted && alert->state != *wanted) continue;
        if (escalatedOnly && alert->escalatedTo.empty()) continue;
        if (!subject.empty() && alert->subject != subject) continue;
        out.push_back(std::move(*alert));
    }
    co_return out;
}

Task<Alert> AlertBook::acknowledge(const User& viewer, std::string id) {
    auto alert = co_await requireVisible(viewer, id);
    Millis now = common::nowMillis();
    auto reply = co_await redis_.cmd("EVAL", kAcknowledgeScript, "1", keys::alert(id),
                                     std::to_string(now), viewer.id);
    if (reply.str == "missing") throw ApiError("not_found", "no alert '" + id + "'");
    if (reply.str != "ok") throw ApiError("conflict", "the alert is " + reply.str + " already");
    json detail{{"subject", alert.subject}, {"kind", alert.kind}};
    co_await audit_.append(viewer.id, "alert_acknowledge", id, detail.dump());
    alert.state = AlertState::Acknowledged;
    alert.acknowledgedAt = now;
    alert.acknowledgedBy = viewer.id;
    co_return alert;
}

Task<Alert> AlertBook::resolve(const User& viewer, std::string id, std::string note) {
    if (blank(note) || characters(note) > kMaxNoteCharacters)
        throw ApiError("bad_request", "resolving an alert needs a note of 1 to 2000 characters");
    auto alert = co_await requireVisible(viewer, id);
    Millis now = common::nowMillis();
    auto reply =
        co_await redis_.cmd("EVAL", kResolveScript, "2", keys::alert(id), keys::kOpenAlerts,
                            std::to_string(now), viewer.id, note, keys::alertDedupe(""));
    if (reply.str == "missing") throw ApiError("not_found", "no alert '" + id + "'");
    if (reply.str != "ok") throw ApiError("conflict", "the alert is " + reply.str + " already");
    json detail{{"subject", alert.subject}, {"kind", alert.kind}, {"note", note}};
    co_await audit_.append(viewer.id, "alert_resolve", id, detail.dump());
    alert.state = AlertState::Resolved;
    alert.resolvedAt = now;
    alert.resolvedBy = viewer.id;
    alert.note = note;
    co_return alert;
}

Task<int> AlertBook::escalateOverdue(Millis now) {
    const Millis period = Millis{config_.alerts.escalateAfterMinutes} * 60'000;
    if (period <= 0) co_return 0;
    auto due = (co_await redis_.cmd("EVAL", kDueScript, "1", keys::kOpenAlerts, std::to_string(now),
                                    std::to_string(period), keys::alert("")))
                   .asStrings();
    if (due.empty()) co_return 0;
    auto tree = co_await directory_.unitTree();
    int escalated = 0;
    for (const auto& id : due) {
        auto alert = co_await find(id);
        if (!alert) continue;
        const std::string& from = alert->escalatedTo.empty() ? alert->unit : alert->escalatedTo;
        const std::string& to = tree.parentOf(from);
        if (to.empty()) continue;  // At the top of the tree: it stays there.
        auto done =
            co_await redis_.cmd("EVAL", kEscalateScript, "2", keys::alert(id),
                                keys::alertsOfUnit(to), std::to_string(alert->escalatedAt), to,
                                std::to_string(now), std::to_string(alert->raisedAt), id);
        if (done.asInteger() != 1) continue;
        json detail{{"from", from}, {"to", to}, {"subject", alert->subject}, {"kind", alert->kind}};
        co_await audit_.append("system", "alert_escalated", id, detail.dump());
        alertBookLog()->warn("alert {} ({} for {}) left open: escalated from {} to {}", id,
                             alert->kind, alert->subject, from, to);
        alert->escalatedTo = to;
        alert->escalatedAt = now;
        tell(*alert, true);
        ++escalated;
    }
    co_return escalated;
}

void AlertBook::tell(const Alert& alert, bool escalated) {
    if (listener_ == nullptr) return;
    try {
        listener_->onAlert(alert, escalated);
    } catch (const std::exception& e) {
        alertBookLog()->error("alert {}: the listener failed: {}", alert.id, e.what());
    }
}

}  // namespace vigil::signaling
