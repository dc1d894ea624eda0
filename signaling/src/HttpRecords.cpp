// HttpApi's record endpoints: org units, users, classes, attendance, monthly hours, the CSV
// export and the audit log. Each checks scope with access:: before reading, and audits reads
// of attendance records.

#include <algorithm>
#include <climits>

#include "vigil/common/Error.hpp"
#include "vigil/signaling/Access.hpp"
#include "vigil/signaling/AuditQuery.hpp"
#include "vigil/signaling/CsvReport.hpp"
#include "vigil/signaling/HttpApi.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Millis;
using common::Task;
using nlohmann::json;

// A raw '+' in a query string arrives as a space (form encoding): in a time it can only
// have been the sign of the zone offset.
std::optional<Millis> parseQueryTime(std::string text, int offset) {
    if (text.size() > 16) {
        for (size_t i = 16; i < text.size(); ++i) {
            if (text[i] == ' ') text[i] = '+';
        }
    }
    return common::parseIso8601(text, offset);
}

namespace {

// from/to query parameters (ISO 8601, or a date at the configured offset).
std::pair<Millis, Millis> rangeOf(const HttpRequest& request, int offset, Millis defaultBack,
                                  Millis defaultAhead) {
    Millis now = common::nowMillis();
    Millis from = now - defaultBack;
    Millis to = now + defaultAhead;
    if (auto it = request.query.find("from"); it != request.query.end() && !it->second.empty()) {
        auto t = parseQueryTime(it->second, offset);
        if (!t) throw ApiError("bad_request", "'from' must be an ISO 8601 date or time");
        from = *t;
    }
    if (auto it = request.query.find("to"); it != request.query.end() && !it->second.empty()) {
        auto t = parseQueryTime(it->second, offset);
        if (!t) throw ApiError("bad_request", "'to' must be an ISO 8601 date or time");
        to = *t;
        if (it->second.size() == 10) to += common::kDayMs;  // A date includes that whole day.
    }
    if (to <= from) throw ApiError("bad_request", "'to' must come after 'from'");
    if (to - from > 400 * common::kDayMs)
        throw ApiError("bad_request", "a range covers at most 400 days");
    return {from, to};
}

// The presence columns: samples and spot checks count even without a join (a result
// written after the subject left still belongs to the row).
void csvPresence(CsvRow& row, const SubjectSummary& s) {
    row.minutesVerified = s.minutesVerified;
    row.minutesUnenrolled = s.minutesUnenrolled;
    row.samples = s.samples;
    row.samplesNotMatched = s.samplesNotMatched;
    row.samplesUnenrolled = s.samplesUnenrolled;
    row.spotChecks = s.spotChecks;
    row.spotChecksPassed = static_cast<int>(std::min<long long>(
        INT_MAX, static_cast<long long>(s.spotChecksPassed) + s.spotChecksAnswered));
    row.spotChecksFailed = s.spotChecksFailed;
    row.spotChecksMissed = s.spotChecksMissed;
}

// GET /api/audit's filters: actor, action (names separated by commas), target, from, to.
AuditFilter auditFilterOf(const HttpRequest& request, int offset) {
    AuditFilter filter;
    filter.actor = queryValue(request, "actor");
    filter.target = queryValue(request, "target");
    if (filter.actor.size() > 128 || filter.target.size() > 128)
        throw ApiError("bad_request", "'actor' and 'target' are at most 128 bytes");
    const std::string actions = queryValue(request, "action");
    for (size_t pos = 0; pos < actions.size();) {
        size_t comma = actions.find(',', pos);
        if (comma == std::string::npos) comma = actions.size();
        std::string name = actions.substr(pos, comma - pos);
        if (name.empty() || name.size() > 64 ||
            name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos ||
            filter.actions.size() >= 32) {
            throw ApiError("bad_request", "'action' must be action names separated by commas");
        }
        filter.actions.push_back(std::move(name));
        pos = comma + 1;
    }
    if (!queryValue(request, "from").empty()) filter.from = timeParam(request, "from", offset, 0);
    if (!queryValue(request, "to").empty()) filter.to = timeParam(request, "to", offset, 0);
    if (filter.from && filter.to && *filter.to <= *filter.from)
        throw ApiError("bad_request", "'to' must come after 'from'");
    return filter;
}

// The filters a read of the audit log used, for its own audit entry: `{}` when none.
json auditFilterJson(const AuditFilter& filter) {
    json out = json::object();
    if (!filter.actor.empty()) out["actor"] = filter.actor;
    if (!filter.actions.empty()) out["action"] = filter.actions;
    if (!filter.target.empty()) out["target"] = filter.target;
    if (filter.from) out["from"] = *filter.from;
    if (filter.to) out["to"] = *filter.to;
    return out;
}

}  // namespace

json summaryJson(const SubjectSummary& s, int offset) {
    json intervals = json::array();
    for (const auto& i : s.intervals) {
        json iv{{"join", common::formatIso8601(i.join, offset)},
                {"open", i.open},
                {"reason", i.reason}};
        iv["leave"] = i.open ? json(nullptr) : json(common::formatIso8601(i.leave, offset));
        intervals.push_back(iv);
    }
    return {{"subject", s.subject},
            {"intervals", intervals},
            {"minutes_connected", s.minutesConnected},
            {"minutes_credited", s.minutesCredited},
            {"seconds_credited", s.creditedMs / 1000},
            {"samples", s.samples},
            {"samples_verified", s.samplesVerified},
            {"samples_not_matched", s.samplesNotMatched},
            {"samples_unenrolled", s.samplesUnenrolled},
            {"minutes_verified", s.minutesVerified},
            {"minutes_unenrolled", s.minutesUnenrolled},
            {"last_outcome", s.lastOutcome},
            {"reconnects", s.reconnects},
            {"spot_checks", s.spotChecks},
            {"spot_checks_answered", s.spotChecksAnswered},
            {"spot_checks_passed", s.spotChecksPassed},
            {"spot_checks_failed", s.spotChecksFailed},
            {"spot_checks_missed", s.spotChecksMissed}};
}
SessionCredit sessionCredit(const ClassSession& cls, const SubjectSummary& summary, Millis now) {
    return {cls.id,
            cls.required,
            cls.start,
            summary.creditedMs,
            summary.connectedMs,
            cls.state == ClassState::Ended || cls.end <= now};
}

Task<std::map<std::string, SubjectSummary>> HttpApi::classSummaries(const ClassSession& cls) {
    auto events = co_await deps_.attendance.events(cls.id);
    Millis now = common::nowMillis();
    co_return summarize(events, ClassWindow{cls.start, cls.creditEnd(now)}, now,
                        creditPolicyFrom(deps_.config));
}

Task<HttpResponse> HttpApi::units(const User& user) {
    auto tree = co_await deps_.directory.unitTree();
    json out = json::array();
    for (const auto& unit : co_await deps_.directory.listUnits()) {
        bool visible =
            access::isStaff(user) ? tree.isWithin(unit.id, user.unit) : unit.id == user.unit;
        if (visible) out.push_back({{"id", unit.id}, {"name", unit.name}, {"parent", unit.parent}});
    }
    co_return jsonResponse(200, json{{"units", out}});
}

Task<HttpResponse> HttpApi::users(const User& user, const HttpRequest& request) {
    if (!access::isStaff(user))
        throw ApiError("forbidden", "only officers and administrators list users");
    auto tree = co_await deps_.directory.unitTree();
    std::string role = request.query.count("role") ? request.query.at("role") : "";
    json out = json::array();
    for (const auto& u : co_await deps_.directory.listUsers()) {
        if (!tree.isWithin(u.unit, user.unit)) continue;
        if (!role.empty() && toString(u.role) != role) continue;
        out.push_back(u.publicJson());
    }
    co_return jsonResponse(200, json{{"users", out}});
}

Task<HttpResponse> HttpApi::classes(const User& user, const HttpRequest& request) {
    int offset = deps_.config.utcOffsetMinutes();
    auto [from, to] = rangeOf(request, offset, 30 * common::kDayMs, 30 * common::kDayMs);
    auto tree = co_await deps_.directory.unitTree();
    json out = json::array();
    for (const auto& cls : co_await deps_.directory.listClasses(from, to)) {
        bool enrolled = false;
        if (user.role == Role::Subject) {
            auto explicitIds = co_await deps_.directory.explicitlyEnrolled(cls.id);
            enrolled = access::isEnrolled(user, cls, explicitIds, tree);
        }
        if (access::canSeeClass(user, cls, enrolled, tree)) out.push_back(cls.toJson(offset));
    }
    co_return jsonResponse(200, json{{"classes", out}});
}

Task<std::optional<ClassSession>> HttpApi::visibleClass(const User& user,
                                                        const std::string& classId) {
    auto cls = co_await deps_.directory.findClass(classId);
    if (!cls) throw ApiError("not_found", "no class '" + classId + "'");
    auto tree = co_await deps_.directory.unitTree();
    auto explicitIds = co_await deps_.directory.explicitlyEnrolled(classId);
    bool enrolled = access::isEnrolled(user, *cls, explicitIds, tree);
    if (!access::canSeeClass(user, *cls, enrolled, tree)) access::refuseOutOfScope(user, "class");
    co_return cls;
}

Task<json> HttpApi::classJson(const User& user, const ClassSession& cls) {
    json j = cls.toJson(deps_.config.utcOffsetMinutes());
    if (access::isStaff(user)) {
        json subjects = json::array();
        for (const auto& s : co_await deps_.directory.enrolledSubjects(cls)) {
            subjects.push_back({{"id", s.id}, {"name", s.name}, {"username", s.username}});
        }
        j["enrolled"] = subjects;
    }
    co_return j;
}

Task<HttpResponse> HttpApi::classDetail(const User& user, const std::string& classId) {
    auto cls = co_await visibleClass(user, classId);
    json j = co_await classJson(user, *cls);
    co_return jsonResponse(200, j);
}

Task<HttpResponse> HttpApi::classAttendance(const User& user, const std::string& classId) {
    auto cls = co_await visibleClass(user, classId);
    auto summaries = co_await classSummaries(*cls);
    int offset = deps_.config.utcOffsetMinutes();
    json rows = json::array();
    if (user.role == Role::Subject) {
        auto it = summaries.find(user.id);
        rows.push_back(it != summaries.end() ? summaryJson(it->second, offset)
                                             : summaryJson({user.id}, offset));
    } else {
        std::set<std::string> listed;
        for (const auto& s : co_await deps_.directory.enrolledSubjects(*cls)) {
            auto it = summaries.find(s.id);
            json row = it != summaries.end() ? summaryJson(it->second, offset)
                                             : summaryJson({s.id}, offset);
            row["name"] = s.name;
            rows.push_back(row);
            listed.insert(s.id);
        }
        for (const auto& [id, s] : summaries) {
            if (!listed.count(id)) rows.push_back(summaryJson(s, offset));
        }
    }
    const std::string detail = json{{"class", classId}}.dump();
    co_await deps_.audit.append(user.id, "view_attendance", classId, detail);
    co_return jsonResponse(200, json{{"class", cls->toJson(offset)}, {"attendance", rows}});
}

Task<std::vector<HttpApi::SubjectSession>> HttpApi::subjectSessions(const User& viewer,
                                                                    const std::string& subjectId,
                                                                    common::Millis from,
                                                                    common::Millis to) {
    auto found = co_await deps_.directory.findUser(subjectId);
    auto tree = co_await deps_.directory.unitTree();
    const User subject = access::visibleSubject(viewer, found, tree, subjectId);
    std::vector<SubjectSession> out;
    for (const auto& cls : co_await deps_.directory.listClasses(from, to)) {
        auto explicitIds = co_await deps_.directory.explicitlyEnrolled(cls.id);
        if (!access::isEnrolled(subject, cls, explicitIds, tree)) continue;
        auto summaries = co_await classSummaries(cls);
        auto it = summaries.find(subjectId);
        SubjectSummary summary;
        summary.subject = subjectId;
        if (it != summaries.end()) summary = it->second;
        out.push_back({cls, std::move(summary), subject});
    }
    co_return out;
}

Task<HttpResponse> HttpApi::subjectAttendance(const User& user, const std::string& subjectId,
                                              const HttpRequest& request) {
    int offset = deps_.config.utcOffsetMinutes();
    auto [from, to] = rangeOf(request, offset, 90 * common::kDayMs, common::kDayMs);
    auto sessions = co_await subjectSessions(user, subjectId, from, to);
    json rows = json::array();
    for (const auto& s : sessions) {
        json row = summaryJson(s.summary, offset);
        row["class"] = s.cls.toJson(offset);
        rows.push_back(row);
    }
    json subject = json::object();
    if (!sessions.empty()) {
        subject = sessions.front().subject.publicJson();
    } else {
        auto u = co_await deps_.directory.findUser(subjectId);  // Seen by subjectSessions.
        if (u) subject = u->publicJson();
    }
    const std::string detail = json{{"from", from}, {"to", to}}.dump();
    co_await deps_.audit.append(user.id, "view_attendance", subjectId, detail);
    co_return jsonResponse(200, json{{"subject", subject}, {"attendance", rows}});
}

Task<HttpResponse> HttpApi::subjectHours(const User& user, const std::string& subjectId,
                                         const HttpRequest& request) {
    int offset = deps_.config.utcOffsetMinutes();
    std::string month = request.query.count("month") ? request.query.at("month")
                                                     : common::monthOf(common::nowMillis(), offset);
    auto range = common::monthRange(month, offset);
    if (!range) throw ApiError("bad_request", "'month' must look like 2026-11");
    common::Millis now = common::nowMillis();
    std::vector<SessionCredit> credits;
    for (const auto& s : co_await subjectSessions(user, subjectId, range->first, range->second)) {
        credits.push_back(sessionCredit(s.cls, s.summary, now));
    }
    auto h = rollUpMonth(month, credits, deps_.config.attendance.requiredHoursPerMonth, offset);
    const std::string detail = json{{"month", month}}.dump();
    co_await deps_.audit.append(user.id, "view_hours", subjectId, detail);
    co_return jsonResponse(200, json{{"subject", subjectId},
                                     {"month", h.month},
                                     {"credited_hours", h.creditedHours},
                                     {"required_credited_hours", h.requiredCreditedHours},
                                     {"required_hours", h.requiredHours},
                                     {"sessions", h.sessions},
                                     {"required_sessions", h.requiredSessions},
                                     {"missed_required_sessions", h.missedRequiredSessions},
                                     {"met", h.met}});
}

std::string HttpApi::scopedUnit(const User& user, const HttpRequest& request, const UnitTree& tree,
                                const char* what) const {
    if (!access::isStaff(user))
        throw ApiError("forbidden", std::string("only officers and administrators ") + what);
    return access::requestedUnit(user, queryValue(request, "unit"), tree);
}

Task<std::vector<HttpApi::AttendanceRow>> HttpApi::unitAttendance(const UnitTree& tree,
                                                                  const std::string& unit,
                                                                  Millis from, Millis to,
                                                                  const std::string& classId,
                                                                  const std::string& subjectId) {
    auto allUsers = co_await deps_.directory.listUsers();
    std::vector<AttendanceRow> rows;
    for (const auto& cls : co_await deps_.directory.listClasses(from, to)) {
        if (!tree.isWithin(cls.unit, unit)) continue;
        if (!classId.empty() && cls.id != classId) continue;
        auto explicitIds = co_await deps_.directory.explicitlyEnrolled(cls.id);
        auto summaries = co_await classSummaries(cls);
        for (const auto& s : allUsers) {
            if (!subjectId.empty() && s.id != subjectId) continue;
            if (!access::isEnrolled(s, cls, explicitIds, tree) && !summaries.count(s.id)) continue;
            AttendanceRow row{cls, s, {}};
            row.summary.subject = s.id;
            if (auto it = summaries.find(s.id); it != summaries.end()) row.summary = it->second;
            rows.push_back(std::move(row));
        }
    }
    co_return rows;
}

Task<HttpResponse> HttpApi::attendanceCsv(const User& user, const HttpRequest& request) {
    auto tree = co_await deps_.directory.unitTree();
    const std::string unit = scopedUnit(user, request, tree, "export reports");
    int offset = deps_.config.utcOffsetMinutes();
    auto [from, to] = rangeOf(request, offset, 31 * common::kDayMs, common::kDayMs);
    const auto headers = csvHeadersFor(queryValue(request, "lang"), queryValue(request, "headers"));
    if (!headers)
        throw ApiError("bad_request", "'lang' must be zh-CN or en, 'headers' labels or machine");
    std::map<std::string, std::string> unitNames;
    for (const auto& u : co_await deps_.directory.listUnits()) unitNames[u.id] = u.name;
    std::vector<CsvRow> rows;
    for (const auto& r : co_await unitAttendance(tree, unit, from, to, "", "")) {
        CsvRow row;
        row.unitId = r.cls.unit;
        row.unitName = unitNames[r.cls.unit];
        row.classId = r.cls.id;
        row.classTitle = r.cls.title;
        row.classStart = r.cls.start;
        row.classEnd = r.cls.end;
        row.required = r.cls.required;
        row.subjectId = r.subject.id;
        row.username = r.subject.username;
        row.subjectName = r.subject.name;
        if (const auto& sum = r.summary; !sum.intervals.empty()) {
            row.firstJoin = sum.intervals.front().join;
            row.lastLeave = sum.intervals.back().open ? 0 : sum.intervals.back().leave;
            row.minutesConnected = sum.minutesConnected;
            row.minutesCredited = sum.minutesCredited;
            row.reconnects = sum.reconnects;
        }
        csvPresence(row, r.summary);
        rows.push_back(row);
    }
    const std::string detail =
        json{{"unit", unit}, {"from", from}, {"to", to}, {"rows", rows.size()}}.dump();
    co_await deps_.audit.append(user.id, "export_attendance", unit, detail);
    HttpResponse r;
    r.contentType = "text/csv; charset=utf-8";
    r.body = buildAttendanceCsv(rows, offset, *headers);
    r.headers.emplace_back("content-disposition",
                           "attachment; filename=\"attendance-" + unit + ".csv\"");
    co_return r;
}

Task<HttpResponse> HttpApi::auditLog(const User& user, const HttpRequest& request) {
    auto tree = co_await deps_.directory.unitTree();
    if (!access::canAdminister(user, user.unit, tree))
        throw ApiError("forbidden", "only administrators read the audit log");
    const auto limit = static_cast<size_t>(intParam(request, "limit", 100, 1, 1000));
    const std::string before = queryValue(request, "before");
    const std::string after = queryValue(request, "after");
    if (!before.empty() && !after.empty())
        throw ApiError("bad_request", "give 'before' or 'after', not both");
    for (const auto& cursor : {before, after}) {
        if (!cursor.empty() && !AuditQuery::validEntryId(cursor))
            throw ApiError("bad_request", "'before' and 'after' must be entry ids");
    }
    std::string order = queryValue(request, "order");
    // Oldest first unless asked otherwise, as scripts that replay the chain expect.
    if (order.empty()) order = before.empty() ? "oldest" : "newest";
    if (order != "newest" && order != "oldest")
        throw ApiError("bad_request", "'order' must be newest or oldest");
    if ((order == "newest" && !after.empty()) || (order == "oldest" && !before.empty()))
        throw ApiError("bad_request", "'before' pages newest first, 'after' oldest first");
    const AuditFilter filter = auditFilterOf(request, deps_.config.utcOffsetMinutes());
    // Administrators read their branch's entries only; naming someone outside it is refused.
    AuditScope scope(deps_.redis, tree, user.unit);
    const std::vector<std::string> namedIds{filter.actor, filter.target};
    for (const auto& named : namedIds) {
        if (named.empty() || scope.everything()) continue;
        const std::string unit = co_await scope.unitOf(named);
        if (!unit.empty() && !tree.isWithin(unit, user.unit))
            throw ApiError("forbidden", "'" + named + "' is outside your branch");
    }

    AuditQuery query(deps_.redis, &scope);
    AuditPage page;
    if (order == "newest") {
        page = co_await query.newestFirst(filter, before, limit);
    } else {
        page = co_await query.oldestFirst(filter, after, limit);
    }
    json entries = json::array();
    for (const auto& e : page.entries) {
        json fields = json::object();
        for (const auto& [k, v] : e.fields) fields[k] = v;
        entries.push_back({{"id", e.id}, {"fields", fields}, {"prev", e.prev}, {"hash", e.hash}});
    }
    co_await deps_.audit.append(user.id, "view_audit", "", auditFilterJson(filter).dump());
    co_return jsonResponse(200, json{{"entries", entries},
                                     {"order", order},
                                     {"next", page.next.empty() ? json() : json(page.next)}});
}

Task<HttpResponse> HttpApi::auditVerify(const User& user) {
    auto tree = co_await deps_.directory.unitTree();
    if (!access::canAdminister(user, user.unit, tree))
        throw ApiError("forbidden", "only administrators verify the audit log");
    auto broken = co_await deps_.audit.verify();
    if (!broken) co_return jsonResponse(200, json{{"intact", true}});
    co_return jsonResponse(
        200, json{{"intact", false},
                  {"first_broken",
                   {{"index", broken->index}, {"id", broken->id}, {"reason", broken->reason}}}});
}

}  // namespace vigil::signaling
