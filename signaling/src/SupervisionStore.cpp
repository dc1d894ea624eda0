#include "vigil/signaling/SupervisionStore.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "vigil/common/Error.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/common/RedisValue.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Task;
using nlohmann::json;

namespace {

VIGIL_LOG_CATEGORY(supervisionStoreLog, "supervision")

constexpr size_t kMaxDecisionChars = 500;
constexpr size_t kMaxReasonChars = 500;
constexpr size_t kMaxAreaNameChars = 100;
constexpr double kMinRadiusM = 1;
constexpr double kMaxRadiusM = 200'000;
constexpr size_t kMinPolygonPoints = 3;
constexpr size_t kMaxPolygonPoints = 200;

// Moves the subject from the sets of its old tags to those of the new ones and stores the
// list, in one step so that a concurrent edit never leaves a set and the record apart.
// KEYS[1] record; ARGV subject, tags JSON, tag set key prefix.
const char* const kSetTagsScript = R"lua(
local old = redis.call('HGET', KEYS[1], 'tags')
if old then
  for _, t in ipairs(cjson.decode(old)) do redis.call('SREM', ARGV[3] .. t, ARGV[1]) end
end
for _, t in ipairs(cjson.decode(ARGV[2])) do redis.call('SADD', ARGV[3] .. t, ARGV[1]) end
redis.call('HSET', KEYS[1], 'tags', ARGV[2])
return 1
)lua";

// Keeps the newest contact: a writer with an older one (a late check-in decision, another
// node) never moves it back. KEYS[1] contact hash; ARGV ts, kind, ref.
const char* const kNoteContactScript = R"lua(
local kept = tonumber(redis.call('HGET', KEYS[1], 'ts') or '-1') or -1
if kept >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'ts', ARGV[1], 'kind', ARGV[2], 'ref', ARGV[3])
return 1
)lua";

// Characters as a person counts them (UTF-8 code points), not bytes.
size_t charCount(const std::string& text) {
    return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

bool validLatLon(double lat, double lon) {
    return std::isfinite(lat) && std::isfinite(lon) && lat >= -90 && lat <= 90 && lon >= -180 &&
           lon <= 180;
}

void checkArea(const Area& area) {
    if (charCount(area.name) > kMaxAreaNameChars) {
        throw ApiError("bad_request", "area name: at most 100 characters");
    }
    if (!area.polygon.empty()) {
        if (area.polygon.size() < kMinPolygonPoints || area.polygon.size() > kMaxPolygonPoints) {
            throw ApiError("bad_request", "area polygon: 3 to 200 points of [lat, lon]");
        }
        for (const auto& [lat, lon] : area.polygon) {
            if (!validLatLon(lat, lon)) {
                throw ApiError("bad_request",
                               "area polygon: lat must be in -90..90 and lon in -180..180");
            }
        }
        return;
    }
    if (!validLatLon(area.lat, area.lon)) {
        throw ApiError("bad_request", "area: lat must be in -90..90 and lon in -180..180");
    }
    if (!(area.radiusM >= kMinRadiusM && area.radiusM <= kMaxRadiusM)) {
        throw ApiError("bad_request", "area radius_m: 1 to 200000 metres");
    }
}

json toJson(const LevelChange& c) {
    return json{{"from", formatDay(c.from)},
                {"level", toString(c.level)},
                {"reason", c.reason},
                {"by", c.by},
                {"at", c.at}};
}

std::optional<LevelChange> levelChangeFromJson(const std::string& text) {
    auto j = json::parse(text, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    auto from = parseDay(j.value("from", ""));
    auto level = parseLevel(j.value("level", ""));
    if (!from || !level) return std::nullopt;
    return LevelChange{*from, *level, j.value("reason", ""), j.value("by", ""),
                       j.value("at", common::Millis{0})};
}

std::vector<std::string> tagsFromJson(const std::string& text) {
    auto j = json::parse(text, nullptr, false);
    std::vector<std::string> out;
    if (!j.is_array()) return out;
    for (const auto& t : j) {
        if (t.is_string()) out.push_back(t.get<std::string>());
    }
    return out;
}

}  // namespace

void SupervisionStore::validateTerm(std::optional<Day> start, std::optional<Day> end,
                                    const std::string& decision) {
    if (end && !start) throw ApiError("bad_request", "term_end needs a term_start");
    if (start && end && *end < *start) {
        throw ApiError("bad_request", "term_end must not be before term_start");
    }
    if (charCount(decision) > kMaxDecisionChars) {
        throw ApiError("bad_request", "decision: at most 500 characters");
    }
}

void SupervisionStore::validateTags(const std::vector<std::string>& tags,
                                    const std::vector<std::string>& allowedTags) {
    for (const auto& tag : tags) {
        if (std::find(allowedTags.begin(), allowedTags.end(), tag) == allowedTags.end()) {
            throw ApiError("bad_request", "unknown tag \"" + tag +
                                              "\": tags come from [supervision] tags "
                                              "(GET /api/supervision/tags)");
        }
    }
}

void SupervisionStore::validateArea(const Area& area) {
    checkArea(area);
}

void SupervisionStore::validateLevelChange(const LevelChange& change) {
    if (change.reason.empty()) throw ApiError("bad_request", "reason: say why the level changes");
    if (charCount(change.reason) > kMaxReasonChars) {
        throw ApiError("bad_request", "reason: at most 500 characters");
    }
}

Task<Supervision> SupervisionStore::get(std::string subject) {
    Supervision s;
    s.subject = subject;
    auto record = (co_await redis_.cmd("HGETALL", keys::supervision(subject))).asMap();
    s.termStart = parseDay(common::fieldOf(record, "term_start"));
    s.termEnd = parseDay(common::fieldOf(record, "term_end"));
    s.decision = common::fieldOf(record, "decision");
    s.tags = tagsFromJson(common::fieldOf(record, "tags"));
    if (auto area = common::fieldOf(record, "area"); !area.empty()) {
        auto j = json::parse(area, nullptr, false);
        s.area = areaFromJson(j);
    }
    auto history = co_await redis_.cmd("LRANGE", keys::levelHistory(subject), "0", "-1");
    for (const auto& text : history.asStrings()) {
        if (auto change = levelChangeFromJson(text)) s.levels.push_back(std::move(*change));
    }
    // Oldest recorded first in the list, so a stable sort keeps the later of two same-day
    // changes after the earlier one: it is the one in force.
    std::stable_sort(s.levels.begin(), s.levels.end(),
                     [](const LevelChange& a, const LevelChange& b) { return a.from < b.from; });
    co_return s;
}

Task<void> SupervisionStore::setTerm(std::string subject, std::optional<Day> start,
                                     std::optional<Day> end, std::string decision) {
    validateTerm(start, end, decision);
    const auto key = keys::supervision(subject);
    co_await redis_.cmd("HSET", key, "subject", subject, "decision", decision);
    if (start) {
        co_await redis_.cmd("HSET", key, "term_start", formatDay(*start));
    } else {
        co_await redis_.cmd("HDEL", key, "term_start");
    }
    if (end) {
        co_await redis_.cmd("HSET", key, "term_end", formatDay(*end));
    } else {
        co_await redis_.cmd("HDEL", key, "term_end");
    }
}

Task<void> SupervisionStore::setTags(std::string subject, std::vector<std::string> tags,
                                     const std::vector<std::string>& allowedTags) {
    validateTags(tags, allowedTags);
    std::sort(tags.begin(), tags.end());
    tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
    co_await redis_.cmd("EVAL", kSetTagsScript, "1", keys::supervision(subject), subject,
                        json(tags).dump(), keys::tagged(""));
}

Task<void> SupervisionStore::setArea(std::string subject, std::optional<Area> area) {
    if (!area) {
        co_await redis_.cmd("HDEL", keys::supervision(subject), "area");
        co_return;
    }
    validateArea(*area);
    co_await redis_.cmd("HSET", keys::supervision(subject), "area", toJson(*area).dump());
}

Task<void> SupervisionStore::changeLevel(std::string subject, LevelChange change) {
    validateLevelChange(change);
    if (change.at == 0) change.at = common::nowMillis();
    co_await redis_.cmd("RPUSH", keys::levelHistory(subject), toJson(change).dump());
    supervisionStoreLog()->info("subject {}: level {} from {} by {}", subject,
                                toString(change.level), formatDay(change.from), change.by);
}

Task<std::set<std::string>> SupervisionStore::tagged(std::string tag) {
    auto members = co_await redis_.cmd("SMEMBERS", keys::tagged(tag));
    auto list = members.asStrings();
    co_return std::set<std::string>(list.begin(), list.end());
}

Task<void> SupervisionStore::noteContact(std::string subject, Contact contact) {
    co_await redis_.cmd("EVAL", kNoteContactScript, "1", keys::contact(subject),
                        std::to_string(contact.ts), contact.kind, contact.ref);
}

Task<std::optional<Contact>> SupervisionStore::lastContact(std::string subject) {
    auto h = (co_await redis_.cmd("HGETALL", keys::contact(subject))).asMap();
    if (h.empty()) co_return std::nullopt;
    Contact c;
    try {
        c.ts = std::stoll(common::fieldOf(h, "ts"));
    } catch (const std::exception&) {
        co_return std::nullopt;
    }
    c.kind = common::fieldOf(h, "kind");
    c.ref = common::fieldOf(h, "ref");
    co_return c;
}

}  // namespace vigil::signaling
