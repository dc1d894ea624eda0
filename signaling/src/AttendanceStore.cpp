#include "vigil/signaling/AttendanceStore.hpp"

#include <nlohmann/json.hpp>

#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::Task;

namespace {
// KEYS: open hash, stream, open-classes set, hands set.
// ARGV: subject, conn, node, ts, class id.
const char* kJoinScript = R"lua(
local prev = redis.call('HGET', KEYS[1], ARGV[1])
local replaced = ''
if prev then
  local p = cjson.decode(prev)
  if p.conn == ARGV[2] then return {'', 'same'} end
  -- Dated at the old connection's last heartbeat: if that tab died silently, nothing proves
  -- presence after it.
  redis.call('XADD', KEYS[2], '*', 'kind', 'leave', 'subject', ARGV[1], 'ts', p.hb,
             'reason', 'replaced', 'conn', p.conn, 'node', p.node)
  replaced = prev
end
local id = redis.call('XADD', KEYS[2], '*', 'kind', 'join', 'subject', ARGV[1], 'ts', ARGV[4],
                      'conn', ARGV[2], 'node', ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1],
           cjson.encode({conn = ARGV[2], node = ARGV[3], since = ARGV[4], hb = ARGV[4]}))
redis.call('SADD', KEYS[3], ARGV[5])
redis.call('SREM', KEYS[4], ARGV[1])
return {id, replaced}
)lua";

// KEYS: as join. ARGV: subject, conn ('' = any), ts ('' = last heartbeat), reason, class id.
const char* kLeaveScript = R"lua(
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local p = cjson.decode(cur)
if ARGV[2] ~= '' and p.conn ~= ARGV[2] then return 0 end
local ts = ARGV[3]
if ts == '' then ts = p.hb end
redis.call('XADD', KEYS[2], '*', 'kind', 'leave', 'subject', ARGV[1], 'ts', ts,
           'reason', ARGV[4], 'conn', p.conn, 'node', p.node)
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[4], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[3], ARGV[5]) end
return 1
)lua";

// KEYS: open hash. ARGV: subject, conn, ts.
const char* kHeartbeatScript = R"lua(
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local p = cjson.decode(cur)
if p.conn ~= ARGV[2] then return 0 end
p.hb = ARGV[3]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(p))
return 1
)lua";

common::Millis toMillis(const std::string& s) {
    try {
        return std::stoll(s);
    } catch (const std::exception&) {
        return 0;
    }
}

std::optional<OpenInterval> parseOpen(const std::string& subject, const std::string& text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    OpenInterval o;
    o.subject = subject;
    o.conn = j.value("conn", "");
    o.node = j.value("node", "");
    o.since = toMillis(j.value("since", "0"));
    o.lastHeartbeat = toMillis(j.value("hb", "0"));
    return o;
}
}  // namespace

Task<JoinOutcome> AttendanceStore::join(std::string classId, std::string subject, std::string conn,
                                        std::string node, common::Millis ts) {
    auto reply = co_await redis_.cmd(
        "EVAL", kJoinScript, "4", keys::openIntervals(classId), keys::attendance(classId),
        keys::kOpenClasses, keys::hands(classId), subject, conn, node, std::to_string(ts), classId);
    JoinOutcome out;
    if (reply.elements.size() == 2) {
        out.eventId = reply.elements[0].str;
        const std::string& second = reply.elements[1].str;
        if (second == "same") {
            out.alreadyJoined = true;
        } else if (!second.empty()) {
            out.replaced = parseOpen(subject, second);
        }
    }
    co_return out;
}

Task<bool> AttendanceStore::leave(std::string classId, std::string subject, std::string conn,
                                  common::Millis ts, std::string reason) {
    // Named: GCC 12 destroys a temporary of a conditional expression inside a co_await
    // expression twice.
    const std::string tsArg = ts > 0 ? std::to_string(ts) : std::string();
    auto reply = co_await redis_.cmd("EVAL", kLeaveScript, "4", keys::openIntervals(classId),
                                     keys::attendance(classId), keys::kOpenClasses,
                                     keys::hands(classId), subject, conn, tsArg, reason, classId);
    co_return reply.asInteger() == 1;
}

Task<bool> AttendanceStore::heartbeat(std::string classId, std::string subject, std::string conn,
                                      common::Millis ts) {
    auto reply = co_await redis_.cmd("EVAL", kHeartbeatScript, "1", keys::openIntervals(classId),
                                     subject, conn, std::to_string(ts));
    co_return reply.asInteger() == 1;
}

Task<std::string> AttendanceStore::appendEvent(
    std::string classId, std::vector<std::pair<std::string, std::string>> fields) {
    std::vector<std::string> args{"XADD", keys::attendance(classId), "*"};
    for (auto& [k, v] : fields) {
        args.push_back(std::move(k));
        args.push_back(std::move(v));
    }
    auto id = co_await redis_.command(std::move(args));
    co_return id.asString();
}

Task<std::map<std::string, OpenInterval>> AttendanceStore::openIntervals(std::string classId) {
    auto h = (co_await redis_.cmd("HGETALL", keys::openIntervals(classId))).asMap();
    std::map<std::string, OpenInterval> out;
    for (const auto& [subject, text] : h) {
        if (auto o = parseOpen(subject, text)) out.emplace(subject, *o);
    }
    co_return out;
}

Task<std::vector<std::string>> AttendanceStore::classesWithOpenIntervals() {
    co_return (co_await redis_.cmd("SMEMBERS", keys::kOpenClasses)).asStrings();
}

Task<std::vector<AttendanceEvent>> AttendanceStore::events(std::string classId) {
    std::vector<AttendanceEvent> out;
    std::string start = "-";
    for (;;) {
        auto page =
            co_await redis_.cmd("XRANGE", keys::attendance(classId), start, "+", "COUNT", "5000");
        for (const auto& entry : page.elements) {
            if (entry.elements.size() != 2) continue;
            AttendanceEvent e;
            e.streamId = entry.elements[0].str;
            auto f = entry.elements[1].asMap();
            e.kind = f["kind"];
            e.subject = f["subject"];
            e.ts = toMillis(f["ts"]);
            e.reason = f["reason"];
            e.conn = f["conn"];
            e.outcome = f["outcome"];
            out.push_back(std::move(e));
        }
        if (page.elements.size() < 5000) break;
        start = "(" + page.elements.back().elements[0].str;
    }
    co_return out;
}

}  // namespace vigil::signaling
