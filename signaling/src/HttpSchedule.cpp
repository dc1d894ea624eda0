// Scheduling classes, enrolling subjects, and the presence timeline of a class: the raw
// attendance stream (intervals, presence samples, spot checks, alerts) per subject, as a
// chart of who was there and verified needs it. Officers and administrators schedule and
// enrol within their org unit and below; every change and every read of the timeline is
// audited.

#include <algorithm>

#include "vigil/common/Error.hpp"
#include "vigil/common/RedisValue.hpp"
#include "vigil/signaling/Access.hpp"
#include "vigil/signaling/HttpApi.hpp"
#include "vigil/signaling/Keys.hpp"
#include "vigil/signaling/SupervisionStore.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Millis;
using common::Task;
using nlohmann::json;

namespace {

constexpr size_t kMaxTitleChars = 200;
constexpr size_t kMaxTitleBytes = 256;  // Directory's limit for a class title.
constexpr Millis kMaxClassMs = Millis{12} * 3600 * 1000;
constexpr size_t kMaxSubjectsPerRequest = 1000;
// Times as numbers: between 2000-01-01 and 2100-01-01, so that seconds sent for
// milliseconds are refused rather than scheduled in 1970.
constexpr Millis kEarliestMs = 946684800000;
constexpr Millis kLatestMs = 4102444800000;

size_t utf8Length(const std::string& s) {
    return static_cast<size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// An optional string field: "" when absent or null; bad_request when of another type.
std::string optionalString(const json& body, const char* name) {
    if (!body.contains(name) || body[name].is_null()) return "";
    if (!body[name].is_string())
        throw ApiError("bad_request", std::string("'") + name + "' must be a string");
    return body[name].get<std::string>();
}

// "enrol_tags": special-group tags from [supervision] tags; absent or null: none.
std::vector<std::string> enrolTagsField(const json& body, const std::vector<std::string>& allowed) {
    std::vector<std::string> tags;
    if (!body.contains("enrol_tags") || body["enrol_tags"].is_null()) return tags;
    const json& v = body["enrol_tags"];
    if (!v.is_array()) throw ApiError("bad_request", "'enrol_tags' must be an array of tags");
    for (const auto& t : v) {
        if (!t.is_string()) throw ApiError("bad_request", "'enrol_tags' must be an array of tags");
        tags.push_back(t.get<std::string>());
    }
    SupervisionStore::validateTags(tags, allowed);
    std::sort(tags.begin(), tags.end());
    tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
    return tags;
}

// "start" / "end": ISO 8601 text (the configured offset when it names none) or Unix
// milliseconds as a whole number.
Millis timeField(const json& body, const char* name, int offset) {
    if (!body.contains(name))
        throw ApiError("bad_request", std::string("'") + name + "' is required");
    const json& v = body[name];
    std::optional<Millis> t;
    if (v.is_number_integer()) {
        t = v.get<Millis>();
    } else if (v.is_string()) {
        t = common::parseIso8601(v.get<std::string>(), offset);
    }
    if (!t || *t < kEarliestMs || *t > kLatestMs) {
        throw ApiError("bad_request", std::string("'") + name +
                                          "' must be ISO 8601 (2026-12-01T09:00+08:00) or Unix "
                                          "milliseconds");
    }
    return *t;
}

Millis millisOf(const std::string& text) {
    return std::strtoll(text.c_str(), nullptr, 10);
}

// Every entry of a stream, oldest first, as field maps (with "_id" the entry id).
Task<std::vector<std::map<std::string, std::string>>> readStream(common::RedisClient& redis,
                                                                 std::string key) {
    std::vector<std::map<std::string, std::string>> out;
    std::string start = "-";
    for (;;) {
        auto page = co_await redis.cmd("XRANGE", key, start, "+", "COUNT", "5000");
        for (const auto& entry : page.elements) {
            if (entry.elements.size() != 2) continue;
            auto f = entry.elements[1].asMap();
            f["_id"] = entry.elements[0].str;
            out.push_back(std::move(f));
        }
        if (page.elements.size() < 5000) break;
        start = "(" + page.elements.back().elements[0].str;
    }
    co_return out;
}

// One subject's row of the timeline, built up from the stream.
struct TimelineRow {
    json samples = json::array();
    json spotChecks = json::array();
    json alerts = json::array();
    std::map<std::string, size_t> checkIndex;  // Spot check id -> index in spotChecks.
};

void sortByTime(json& list) {
    std::stable_sort(list.begin(), list.end(), [](const json& a, const json& b) {
        return a.value("t", Millis{0}) < b.value("t", Millis{0});
    });
}

}  // namespace

Task<std::vector<std::string>> HttpApi::scopedSubjects(const User& user, const json& list,
                                                       const UnitTree& tree) {
    if (!list.is_array())
        throw ApiError("bad_request", "'subjects' must be an array of subject ids");
    if (list.size() > kMaxSubjectsPerRequest)
        throw ApiError("bad_request", "at most 1000 subjects at a time");
    std::vector<std::string> ids;
    for (const auto& v : list) {
        if (!v.is_string() || !Directory::validId(v.get<std::string>()))
            throw ApiError("bad_request", "'subjects' must be an array of subject ids");
        std::string id = v.get<std::string>();
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
    for (const auto& id : ids) {
        auto found = co_await deps_.directory.findUser(id);
        const User subject = access::visibleSubject(user, found, tree, id);
        if (subject.disabled) throw ApiError("bad_request", "subject '" + id + "' is disabled");
    }
    co_return ids;
}

Task<HttpResponse> HttpApi::scheduleClass(const User& user, const HttpRequest& request) {
    if (!access::isStaff(user))
        throw ApiError("forbidden", "only officers and administrators schedule classes");
    const json body = jsonBody(request);
    const int offset = deps_.config.utcOffsetMinutes();

    ClassSession c;
    if (!body.contains("title") || !body["title"].is_string())
        throw ApiError("bad_request", "'title' is required (1 to 200 characters)");
    c.title = body["title"].get<std::string>();
    if (c.title.find_first_not_of(" \t") == std::string::npos ||
        utf8Length(c.title) > kMaxTitleChars || c.title.size() > kMaxTitleBytes) {
        throw ApiError("bad_request", "'title' must be 1 to 200 characters (256 bytes of UTF-8)");
    }
    c.start = timeField(body, "start", offset);
    c.end = timeField(body, "end", offset);
    if (c.end <= c.start) throw ApiError("bad_request", "'end' must come after 'start'");
    if (c.end - c.start > kMaxClassMs) throw ApiError("bad_request", "a class lasts at most 12 h");
    if (c.end <= common::nowMillis())
        throw ApiError("bad_request", "'end' is in the past: a class must end in the future");
    c.required = true;
    if (body.contains("required") && !body["required"].is_null()) {
        if (!body["required"].is_boolean())
            throw ApiError("bad_request", "'required' must be true or false");
        c.required = body["required"].get<bool>();
    }

    auto tree = co_await deps_.directory.unitTree();
    c.unit = optionalString(body, "unit");
    if (c.unit.empty()) c.unit = user.unit;
    if (!tree.contains(c.unit)) throw ApiError("not_found", "no unit '" + c.unit + "'");
    if (!access::canSeeUnit(user, c.unit, tree))
        throw ApiError("forbidden", "'unit' is outside your scope");
    c.enrolUnit = optionalString(body, "enrol_unit");
    if (!c.enrolUnit.empty()) {
        if (!tree.contains(c.enrolUnit))
            throw ApiError("not_found", "no unit '" + c.enrolUnit + "'");
        if (!access::canSeeUnit(user, c.enrolUnit, tree))
            throw ApiError("forbidden", "'enrol_unit' is outside your scope");
    }
    c.enrolTags = enrolTagsField(body, deps_.config.supervision.tags);

    const std::string officerId = optionalString(body, "officer");
    if (user.role == Role::Officer) {
        // An officer schedules only his own classes.
        if (!officerId.empty() && officerId != user.id)
            throw ApiError("forbidden", "an officer schedules classes only for himself");
        c.officer = user.id;
    } else {
        if (officerId.empty())
            throw ApiError("bad_request", "'officer' is required: name the teaching officer");
        auto officer = co_await deps_.directory.findUser(officerId);
        if (!officer || officer->role != Role::Officer || officer->disabled)
            throw ApiError("not_found", "no officer '" + officerId + "'");
        if (!tree.isWithin(officer->unit, user.unit)) access::refuseOutOfScope(user, "officer");
        c.officer = officer->id;
    }

    std::vector<std::string> subjects;
    if (body.contains("subjects") && !body["subjects"].is_null()) {
        subjects = co_await scopedSubjects(user, body["subjects"], tree);
    }

    auto created = co_await deps_.directory.addClass(c);
    if (!subjects.empty()) co_await deps_.directory.enrol(created.id, subjects);
    json detail = created.toJson(offset);
    detail["subjects"] = subjects;
    const std::string detailText = detail.dump();
    co_await deps_.audit.append(user.id, "schedule_class", created.id, detailText);
    json out = co_await classJson(user, created);
    co_return jsonResponse(201, out);
}

Task<HttpResponse> HttpApi::enrolSubjects(const User& user, const std::string& classId,
                                          const HttpRequest& request) {
    if (!access::isStaff(user))
        throw ApiError("forbidden", "only officers and administrators enrol subjects");
    auto cls = co_await visibleClass(user, classId);
    const json body = jsonBody(request);
    if (!body.contains("subjects") || !body["subjects"].is_array() || body["subjects"].empty())
        throw ApiError("bad_request", "send {\"subjects\": [subject ids]}");
    auto tree = co_await deps_.directory.unitTree();
    auto subjects = co_await scopedSubjects(user, body["subjects"], tree);
    if (cls->state == ClassState::Ended || cls->end <= common::nowMillis())
        throw ApiError("class_ended", "class '" + classId + "' has ended");
    co_await deps_.directory.enrol(cls->id, subjects);
    const std::string detail = json{{"subjects", subjects}}.dump();
    co_await deps_.audit.append(user.id, "enrol", cls->id, detail);
    json out = co_await classJson(user, *cls);
    co_return jsonResponse(200, out);
}

// Cost: one read of the class's stream (every event of the session) per request; a two-hour
// class sampled every 10 s holds about 720 samples per subject.
Task<HttpResponse> HttpApi::classTimeline(const User& user, const std::string& classId,
                                          const HttpRequest& request) {
    auto cls = co_await visibleClass(user, classId);
    const int offset = deps_.config.utcOffsetMinutes();
    const Millis now = common::nowMillis();
    std::string only = queryValue(request, "subject");
    if (user.role == Role::Subject) only = user.id;

    auto entries = co_await readStream(deps_.redis, keys::attendance(cls->id));
    std::vector<AttendanceEvent> events;
    std::map<std::string, TimelineRow> rows;
    auto iso = [offset](Millis t) { return common::formatIso8601(t, offset); };
    for (const auto& f : entries) {
        AttendanceEvent e;
        e.streamId = common::fieldOf(f, "_id");
        e.kind = common::fieldOf(f, "kind");
        e.subject = common::fieldOf(f, "subject");
        e.ts = millisOf(common::fieldOf(f, "ts"));
        e.reason = common::fieldOf(f, "reason");
        e.conn = common::fieldOf(f, "conn");
        e.outcome = common::fieldOf(f, "outcome");
        if (e.subject.empty() || (!only.empty() && e.subject != only)) continue;
        TimelineRow& row = rows[e.subject];
        if (e.kind == "presence") {
            json sample{{"ts", iso(e.ts)},
                        {"t", e.ts},
                        {"state", common::fieldOf(f, "state")},
                        {"outcome", e.outcome},
                        {"score", nullptr},
                        {"faces", std::atoi(common::fieldOf(f, "faces").c_str())}};
            if (!common::fieldOf(f, "score").empty())
                sample["score"] = std::atof(common::fieldOf(f, "score").c_str());
            row.samples.push_back(std::move(sample));
        } else if (e.kind == "spot_check") {
            const std::string check = common::fieldOf(f, "check");
            const Millis deadline = millisOf(common::fieldOf(f, "deadline"));
            row.checkIndex[check] = row.spotChecks.size();
            row.spotChecks.push_back({{"check", check},
                                      {"ts", iso(e.ts)},
                                      {"t", e.ts},
                                      {"deadline", deadline > 0 ? json(iso(deadline)) : json()},
                                      {"outcome", "pending"},
                                      {"resolved", nullptr}});
        } else if (e.kind == "spot_check_result") {
            // answered | passed | failed | missed.
            auto it = row.checkIndex.find(common::fieldOf(f, "check"));
            if (it != row.checkIndex.end()) {
                row.spotChecks[it->second]["outcome"] = e.reason;
                row.spotChecks[it->second]["resolved"] = iso(e.ts);
            } else {
                row.spotChecks.push_back({{"check", common::fieldOf(f, "check")},
                                          {"ts", iso(e.ts)},
                                          {"t", e.ts},
                                          {"deadline", nullptr},
                                          {"outcome", e.reason},
                                          {"resolved", iso(e.ts)}});
            }
        } else if (e.kind == "alert") {
            row.alerts.push_back({{"ts", iso(e.ts)},
                                  {"t", e.ts},
                                  {"kind", common::fieldOf(f, "alert")},
                                  {"message", e.reason}});
        }
        events.push_back(std::move(e));
    }
    auto summaries = summarize(events, ClassWindow{cls->start, cls->creditEnd(now)}, now,
                               creditPolicyFrom(deps_.config));

    // Enrolled subjects first (staff), in the directory's order, then anyone else recorded.
    std::vector<std::pair<std::string, std::string>> listed;  // id, name
    if (user.role == Role::Subject) {
        listed.emplace_back(user.id, user.name);
    } else {
        for (const auto& s : co_await deps_.directory.enrolledSubjects(*cls)) {
            if (only.empty() || s.id == only) listed.emplace_back(s.id, s.name);
        }
        for (const auto& [id, row] : rows) {
            bool known = std::any_of(listed.begin(), listed.end(),
                                     [&id = id](const auto& l) { return l.first == id; });
            if (known) continue;
            auto u = co_await deps_.directory.findUser(id);
            listed.emplace_back(id, u ? u->name : std::string());
        }
    }
    json subjects = json::array();
    for (const auto& [id, name] : listed) {
        TimelineRow& row = rows[id];
        json intervals = json::array();
        if (auto it = summaries.find(id); it != summaries.end()) {
            for (const auto& i : it->second.intervals) {
                intervals.push_back({{"join", iso(i.join)},
                                     {"join_t", i.join},
                                     {"leave", i.open ? json() : json(iso(i.leave))},
                                     {"leave_t", i.open ? json() : json(i.leave)},
                                     {"open", i.open},
                                     {"reason", i.reason}});
            }
        }
        sortByTime(row.samples);
        sortByTime(row.spotChecks);
        sortByTime(row.alerts);
        subjects.push_back({{"subject", id},
                            {"name", name},
                            {"intervals", intervals},
                            {"samples", row.samples},
                            {"spot_checks", row.spotChecks},
                            {"alerts", row.alerts}});
    }
    const std::string detail = json{{"class", cls->id}, {"view", "timeline"}}.dump();
    co_await deps_.audit.append(user.id, "view_attendance", cls->id, detail);
    co_return jsonResponse(200, json{{"class", cls->toJson(offset)},
                                     {"now", iso(now)},
                                     {"now_t", now},
                                     {"subjects", subjects}});
}

}  // namespace vigil::signaling
