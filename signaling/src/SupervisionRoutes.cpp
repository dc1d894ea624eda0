#include "vigil/signaling/SupervisionRoutes.hpp"

#include <algorithm>
#include <map>

#include "vigil/common/Error.hpp"
#include "vigil/signaling/Access.hpp"
#include "vigil/signaling/HttpApi.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Task;
using nlohmann::json;

namespace {

// The subject a route names, if the caller may see it: a subject only itself, staff only
// subjects in scope (forbidden otherwise; not_found for an id that names no subject).
Task<User> visibleSubject(SupervisionRoutesDeps& d, const User& viewer, const std::string& id) {
    std::optional<User> subject;
    if (Directory::validId(id)) subject = co_await d.directory.findUser(id);
    auto tree = co_await d.directory.unitTree();
    co_return access::visibleSubject(viewer, subject, tree, id);
}

std::string status(const Supervision& s, Day today) {
    if (!s.termStart) return "no_term";
    if (today < *s.termStart) return "pending";
    if (s.releasedOn(today)) return "released";
    return "active";
}

json dayOrNull(const std::optional<Day>& day) {
    return day ? json(formatDay(*day)) : json(nullptr);
}

json periodJson(const std::optional<DuePeriod>& p) {
    if (!p) return nullptr;
    return json{{"first", formatDay(p->first)}, {"last", formatDay(p->last)}};
}

// What is due now, or, before the term, what will be due on its first day.
std::optional<DuePeriod> upcoming(const LevelPolicy& policy, const Supervision& s, Day today,
                                  bool calls) {
    const Day day = s.termStart && today < *s.termStart ? *s.termStart : today;
    return calls ? policy.callPeriod(s, day) : policy.checkinPeriod(s, day);
}

Task<json> recordJson(SupervisionRoutesDeps& d, const User& subject) {
    const int tz = d.config.utcOffsetMinutes();
    const Day today = dayOf(common::nowMillis(), tz);
    const Supervision s = co_await d.store.get(subject.id);
    const Level level = s.levelOn(today, d.policy.defaultLevel());
    const LevelRule& rule = d.policy.rule(level);

    std::map<std::string, std::string> names;
    json levels = json::array();
    for (const auto& change : s.levels) {
        if (names.count(change.by) == 0) {
            auto by = co_await d.directory.findUser(change.by);
            names[change.by] = by ? by->name : std::string();
        }
        levels.push_back({{"from", formatDay(change.from)},
                          {"level", toString(change.level)},
                          {"reason", change.reason},
                          {"by", change.by},
                          {"by_name", names[change.by]},
                          {"at", common::formatIso8601(change.at, tz)}});
    }
    json contact = nullptr;
    if (auto c = co_await d.store.lastContact(subject.id)) {
        contact = {{"ts", common::formatIso8601(c->ts, tz)}, {"kind", c->kind}, {"ref", c->ref}};
    }
    co_return json{
        {"subject", subject.id},
        {"name", subject.name},
        {"unit", subject.unit},
        {"term_start", dayOrNull(s.termStart)},
        {"term_end", dayOrNull(s.termEnd)},
        {"decision", s.decision},
        {"status", status(s, today)},
        {"level", toString(level)},
        {"levels", levels},
        {"tags", s.tags},
        {"area", s.area ? toJson(*s.area) : json(nullptr)},
        {"rule",
         {{"hours_per_month", rule.hoursPerMonth},
          {"checkin", toString(rule.checkin)},
          {"call", toString(rule.call)},
          {"max_gap_days", rule.maxGapDays}}},
        {"last_contact", contact},
        {"next_checkin", periodJson(upcoming(d.policy, s, today, false))},
        {"next_call", periodJson(upcoming(d.policy, s, today, true))},
    };
}

// A date field of a body: absent keeps `current`, null clears it, "YYYY-MM-DD" sets it.
std::optional<Day> dateField(const json& body, const char* name, std::optional<Day> current) {
    if (!body.contains(name)) return current;
    const json& v = body[name];
    if (v.is_null()) return std::nullopt;
    auto day = v.is_string() ? parseDay(v.get<std::string>()) : std::nullopt;
    if (!day) throw ApiError("bad_request", std::string(name) + ": a date YYYY-MM-DD or null");
    return day;
}

std::vector<std::string> tagsField(const json& body) {
    const json& v = body["tags"];
    if (!v.is_array()) throw ApiError("bad_request", "tags: an array of tag names");
    std::vector<std::string> tags;
    for (const auto& t : v) {
        if (!t.is_string()) throw ApiError("bad_request", "tags: an array of tag names");
        tags.push_back(t.get<std::string>());
    }
    return tags;
}

std::optional<Area> areaField(const json& body) {
    const json& v = body["area"];
    if (v.is_null()) return std::nullopt;
    auto area = areaFromJson(v);
    if (!area) {
        throw ApiError("bad_request",
                       "area: {name, lat, lon, radius_m} or {name, polygon: [[lat, lon], ...]}, "
                       "or null");
    }
    return area;
}

json objectBody(const RouteContext& c) {
    json body = jsonBody(c.request);
    if (!body.is_object()) throw ApiError("bad_request", "expected a JSON object");
    return body;
}

Task<HttpResponse> getSupervision(SupervisionRoutesDeps d, const RouteContext& c) {
    const User viewer = c.caller();
    const User subject = co_await visibleSubject(d, viewer, c.params.at(0));
    json record = co_await recordJson(d, subject);
    if (viewer.id != subject.id) {
        co_await d.audit.append(viewer.id, "supervision_view", subject.id, "{}");
    }
    co_return jsonResponse(200, record);
}

Task<HttpResponse> putSupervision(SupervisionRoutesDeps d, const RouteContext& c) {
    const User viewer = c.caller();
    const User subject = co_await visibleSubject(d, viewer, c.params.at(0));
    const json body = objectBody(c);
    const bool termChange =
        body.contains("term_start") || body.contains("term_end") || body.contains("decision");
    if (!termChange && !body.contains("tags") && !body.contains("area")) {
        throw ApiError("bad_request",
                       "nothing to change: give term_start, term_end, decision, tags or area");
    }
    const Supervision current = co_await d.store.get(subject.id);
    // Everything is checked before anything is written: a bad field changes nothing.
    const auto start = dateField(body, "term_start", current.termStart);
    const auto end = dateField(body, "term_end", current.termEnd);
    std::string decision = current.decision;
    if (body.contains("decision")) {
        if (!body["decision"].is_string()) throw ApiError("bad_request", "decision: text");
        decision = body["decision"].get<std::string>();
    }
    SupervisionStore::validateTerm(start, end, decision);
    std::vector<std::string> tags;
    if (body.contains("tags")) {
        tags = tagsField(body);
        SupervisionStore::validateTags(tags, d.config.supervision.tags);
        // As the record keeps them (and the audit shows them): sorted, each once.
        std::sort(tags.begin(), tags.end());
        tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
    }
    std::optional<Area> area;
    if (body.contains("area")) {
        area = areaField(body);
        if (area) SupervisionStore::validateArea(*area);
    }

    json detail = json::object();
    if (termChange) {
        co_await d.store.setTerm(subject.id, start, end, decision);
        detail["term_start"] = dayOrNull(start);
        detail["term_end"] = dayOrNull(end);
        detail["decision"] = decision;
    }
    if (body.contains("tags")) {
        co_await d.store.setTags(subject.id, tags, d.config.supervision.tags);
        detail["tags"] = tags;
    }
    if (body.contains("area")) {
        co_await d.store.setArea(subject.id, area);
        detail["area"] = area ? toJson(*area) : json(nullptr);
    }
    co_await d.audit.append(viewer.id, "supervision_update", subject.id, detail.dump());
    const json record = co_await recordJson(d, subject);
    co_return jsonResponse(200, record);
}

Task<HttpResponse> postLevel(SupervisionRoutesDeps d, const RouteContext& c) {
    const User viewer = c.caller();
    const User subject = co_await visibleSubject(d, viewer, c.params.at(0));
    const json body = objectBody(c);
    auto level = body.contains("level") && body["level"].is_string()
                     ? parseLevel(body["level"].get<std::string>())
                     : std::nullopt;
    if (!level) throw ApiError("bad_request", "level: strict, ordinary or lenient");
    const Day today = dayOf(common::nowMillis(), d.config.utcOffsetMinutes());
    const auto from = dateField(body, "from", today);
    if (!from) throw ApiError("bad_request", "from: a date YYYY-MM-DD");
    if (body.contains("reason") && !body["reason"].is_string())
        throw ApiError("bad_request", "reason: text");
    LevelChange change{*from, *level, body.value("reason", ""), viewer.id, common::nowMillis()};
    SupervisionStore::validateLevelChange(change);

    const Supervision current = co_await d.store.get(subject.id);
    const Level old = current.levelOn(*from, d.policy.defaultLevel());
    co_await d.store.changeLevel(subject.id, change);
    const json detail{{"old", toString(old)},
                      {"new", toString(*level)},
                      {"from", formatDay(*from)},
                      {"reason", change.reason}};
    co_await d.audit.append(viewer.id, "level_change", subject.id, detail.dump());
    const json record = co_await recordJson(d, subject);
    co_return jsonResponse(200, record);
}

Task<HttpResponse> tagList(SupervisionRoutesDeps d, const RouteContext&) {
    co_return jsonResponse(200, json{{"tags", d.config.supervision.tags}});
}

}  // namespace

void addSupervisionRoutes(RestRouter& router, SupervisionRoutesDeps deps) {
    router.add(Route{"GET", "/api/subjects/{}/supervision", Caller::Anyone,
                     [deps](const RouteContext& c) { return getSupervision(deps, c); }});
    router.add(Route{"PUT", "/api/subjects/{}/supervision", Caller::Staff,
                     [deps](const RouteContext& c) { return putSupervision(deps, c); }});
    router.add(Route{"POST", "/api/subjects/{}/level", Caller::Staff,
                     [deps](const RouteContext& c) { return postLevel(deps, c); }});
    router.add(Route{"GET", "/api/supervision/tags", Caller::Anyone,
                     [deps](const RouteContext& c) { return tagList(deps, c); }});
}

}  // namespace vigil::signaling
