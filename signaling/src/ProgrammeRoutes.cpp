#include "vigil/signaling/ProgrammeRoutes.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "vigil/common/Error.hpp"
#include "vigil/signaling/Access.hpp"
#include "vigil/signaling/CsvReport.hpp"
#include "vigil/signaling/HttpApi.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Millis;
using common::Task;
using nlohmann::json;

namespace {

constexpr int kAlertsRead = 10000;
constexpr Level kLevels[] = {Level::Strict, Level::Ordinary, Level::Lenient};

double hundredths(double v) {
    return std::round(v * 100) / 100;
}

// What every route here starts from: the caller, the unit asked for (inside the caller's
// scope), the agency's offset and the time now.
struct Scope {
    const User& user;
    UnitTree tree;
    std::string unit;
    int tz;
    Millis now;
};

Task<Scope> scopeOf(const ProgrammeRoutesDeps& d, const RouteContext& c) {
    auto tree = co_await d.directory.unitTree();
    std::string unit = access::requestedUnit(c.caller(), queryValue(c.request, "unit"), tree);
    co_return Scope{c.caller(), std::move(tree), std::move(unit), d.config.utcOffsetMinutes(),
                    common::nowMillis()};
}

// Open and acknowledged alerts the caller may see.
Task<std::vector<Alert>> unresolvedAlerts(AlertBook& alerts, const User& user) {
    auto out = co_await alerts.list(user, "open", false, "", kAlertsRead);
    for (auto& a : co_await alerts.list(user, "acknowledged", false, "", kAlertsRead))
        out.push_back(std::move(a));
    co_return out;
}

json periodJson(const std::optional<DuePeriod>& p) {
    if (!p) return nullptr;
    return json{{"first", formatDay(p->first)}, {"last", formatDay(p->last)}};
}

// The check-in period the subject owes next: today's, unless a check-in was verified in it.
Task<std::optional<DuePeriod>> nextCheckin(const ProgrammeRoutesDeps& d, const Supervision& s,
                                           Day today, int tz) {
    auto period = d.policy.checkinPeriod(s, today);
    if (!period) co_return period;
    auto done = co_await d.monitor.checkins(s.subject, startOfDay(period->first, tz),
                                            startOfDay(period->last + 1, tz));
    if (done.verified > 0) co_return d.policy.checkinPeriod(s, period->last + 1);
    co_return period;
}

json overdueJson(const OverdueRow& row, const std::optional<DuePeriod>& next, int openAlerts,
                 int tz) {
    const auto& st = row.status;
    json contact = nullptr;
    if (st.lastContact) {
        contact = {{"ts", common::formatIso8601(st.lastContact->ts, tz)},
                   {"kind", st.lastContact->kind},
                   {"ref", st.lastContact->ref}};
    }
    return {{"subject", row.subject.id},        {"name", row.subject.name},
            {"unit", row.subject.unit},         {"level", toString(st.level)},
            {"last_contact", contact},          {"due_by", formatDay(st.dueBy)},
            {"days_late", st.daysLate},         {"overdue", st.overdue},
            {"next_checkin", periodJson(next)}, {"open_alerts", openAlerts}};
}

Task<HttpResponse> overdueList(ProgrammeRoutesDeps d, const RouteContext& c) {
    const Scope sc = co_await scopeOf(d, c);
    const auto& [user, tree, unit, tz, now] = sc;
    const Day today = dayOf(now, tz);
    std::map<std::string, int> openAlerts;
    for (const auto& a : co_await unresolvedAlerts(d.alerts, user)) ++openAlerts[a.subject];
    json list = json::array();
    for (const auto& row : co_await d.monitor.overdue(tree, unit, now)) {
        const auto next = co_await nextCheckin(d, row.supervision, today, tz);
        list.push_back(overdueJson(row, next, openAlerts[row.subject.id], tz));
    }
    const std::string detail = json{{"view", "subjects"}, {"subjects", list.size()}}.dump();
    co_await d.audit.append(user.id, "overdue_view", unit, detail);
    co_return jsonResponse(200, json{{"unit", unit}, {"subjects", list}});
}

// The units of the caller's scope at or below `unit`, by id.
Task<std::vector<OrgUnit>> unitsWithin(Directory& directory, const UnitTree& tree,
                                       const std::string& unit) {
    std::vector<OrgUnit> units;
    for (const auto& u : co_await directory.listUnits()) {
        if (tree.isWithin(u.id, unit)) units.push_back(u);
    }
    std::sort(units.begin(), units.end(),
              [](const OrgUnit& a, const OrgUnit& b) { return a.id < b.id; });
    co_return units;
}

Task<HttpResponse> unitRollUp(ProgrammeRoutesDeps d, const RouteContext& c) {
    const Scope sc = co_await scopeOf(d, c);
    const auto& [user, tree, unit, tz, now] = sc;
    const Day today = dayOf(now, tz);
    const auto programmes = co_await d.monitor.programmes(tree, unit);
    const auto alerts = co_await unresolvedAlerts(d.alerts, user);
    json rows = json::array();
    for (const auto& u : co_await unitsWithin(d.directory, tree, unit)) {
        std::map<Level, int> levels;
        int released = 0;
        int overdue = 0;
        for (const auto& p : programmes) {
            if (!tree.isWithin(p.subject.unit, u.id)) continue;
            if (p.supervision.releasedOn(today)) ++released;
            auto st = contactStatus(p.supervision, p.lastContact, d.policy, today, tz);
            if (!st) continue;
            ++levels[st->level];
            if (st->overdue) ++overdue;
        }
        int open = 0;
        int escalated = 0;
        for (const auto& a : alerts) {
            if (!tree.isWithin(a.unit, u.id)) continue;
            ++open;
            if (!a.escalatedTo.empty()) ++escalated;
        }
        json byLevel = json::object();
        for (Level l : kLevels) byLevel[toString(l)] = levels[l];
        rows.push_back({{"unit", u.id},
                        {"name", u.name},
                        {"parent", u.parent},
                        {"levels", byLevel},
                        {"released", released},
                        {"overdue", overdue},
                        {"open_alerts", open},
                        {"escalated_alerts", escalated}});
    }
    const std::string detail = json{{"view", "units"}, {"units", rows.size()}}.dump();
    co_await d.audit.append(user.id, "overdue_view", unit, detail);
    co_return jsonResponse(200, json{{"unit", unit}, {"units", rows}});
}

json lineJson(const ProgrammeLine& l) {
    json spans = json::array();
    for (const auto& s : l.levels) {
        spans.push_back(
            {{"from", formatDay(s.from)}, {"to", formatDay(s.to)}, {"level", toString(s.level)}});
    }
    return {{"subject", l.subject.id},
            {"name", l.subject.name},
            {"username", l.subject.username},
            {"unit", l.subject.unit},
            {"status", l.status},
            {"level", toString(l.level)},
            {"levels", spans},
            {"required_hours", l.requiredHours},
            {"credited_hours", l.creditedHours},
            {"required_credited_hours", l.requiredCreditedHours},
            {"checkins_due", l.checkinsDue},
            {"checkins_verified", l.checkinsVerified},
            {"checkins_missed", l.checkinsMissed},
            {"calls_due", l.callsDue},
            {"calls_made", l.callsMade},
            {"compliant", l.compliant ? json(*l.compliant) : json(nullptr)}};
}

// Totals by level (the level on the month's last day inside the term) of the active lines
// of `unit` and below.
json unitTotals(const std::vector<ProgrammeLine>& lines, const UnitTree& tree,
                const std::string& unit) {
    json out = json::object();
    for (Level level : kLevels) {
        int subjects = 0;
        int compliant = 0;
        double required = 0;
        double credited = 0;
        int counts[5] = {0, 0, 0, 0, 0};
        for (const auto& l : lines) {
            if (!l.compliant || l.level != level || !tree.isWithin(l.subject.unit, unit)) continue;
            ++subjects;
            if (*l.compliant) ++compliant;
            required += l.requiredHours;
            credited += l.creditedHours;
            counts[0] += l.checkinsDue;
            counts[1] += l.checkinsVerified;
            counts[2] += l.checkinsMissed;
            counts[3] += l.callsDue;
            counts[4] += l.callsMade;
        }
        out[toString(level)] = {{"subjects", subjects},
                                {"compliant", compliant},
                                {"required_hours", hundredths(required)},
                                {"credited_hours", hundredths(credited)},
                                {"checkins_due", counts[0]},
                                {"checkins_verified", counts[1]},
                                {"checkins_missed", counts[2]},
                                {"calls_due", counts[3]},
                                {"calls_made", counts[4]}};
    }
    return out;
}

HttpResponse programmeCsv(const std::vector<ProgrammeLine>& lines, const std::string& month,
                          const std::map<std::string, std::string>& unitNames,
                          const std::string& unit, CsvHeaders headers) {
    std::vector<ProgrammeCsvRow> rows;
    for (const auto& l : lines) {
        ProgrammeCsvRow row;
        row.unitId = l.subject.unit;
        if (auto it = unitNames.find(l.subject.unit); it != unitNames.end())
            row.unitName = it->second;
        row.subjectId = l.subject.id;
        row.username = l.subject.username;
        row.subjectName = l.subject.name;
        row.month = month;
        row.status = l.status;
        for (const auto& s : l.levels) {
            const std::string name = toString(s.level);
            if (std::find(row.levels.begin(), row.levels.end(), name) == row.levels.end())
                row.levels.push_back(name);
        }
        row.requiredHours = l.requiredHours;
        row.creditedHours = l.creditedHours;
        row.checkinsDue = l.checkinsDue;
        row.checkinsVerified = l.checkinsVerified;
        row.checkinsMissed = l.checkinsMissed;
        row.callsDue = l.callsDue;
        row.callsMade = l.callsMade;
        row.compliant = l.compliant;
        rows.push_back(std::move(row));
    }
    HttpResponse r;
    r.contentType = "text/csv; charset=utf-8";
    r.body = buildProgrammeCsv(rows, headers);
    r.headers.emplace_back("content-disposition",
                           "attachment; filename=\"programme-" + unit + "-" + month + ".csv\"");
    return r;
}

Task<HttpResponse> programmeReport(ProgrammeRoutesDeps d, const RouteContext& c) {
    const Scope sc = co_await scopeOf(d, c);
    const auto& [user, tree, unit, tz, now] = sc;
    std::string month = queryValue(c.request, "month");
    if (month.empty()) month = common::monthOf(now, tz);
    if (!common::monthRange(month, tz))
        throw ApiError("bad_request", "'month' must look like 2026-11");
    const std::string format = queryValue(c.request, "format");
    if (!format.empty() && format != "json" && format != "csv")
        throw ApiError("bad_request", "'format' must be json or csv");
    std::optional<CsvHeaders> headers;
    if (format == "csv") {
        headers = csvHeadersFor(queryValue(c.request, "lang"), queryValue(c.request, "headers"));
        if (!headers)
            throw ApiError("bad_request",
                           "'lang' must be zh-CN or en, 'headers' labels or machine");
    }
    const auto lines = co_await d.report.lines(tree, unit, month, now);
    const auto units = co_await unitsWithin(d.directory, tree, unit);
    const std::string detail =
        json{{"unit", unit}, {"month", month}, {"subjects", lines.size()}}.dump();
    if (headers) {
        std::map<std::string, std::string> names;
        for (const auto& u : units) names[u.id] = u.name;
        co_await d.audit.append(user.id, "programme_export", unit, detail);
        co_return programmeCsv(lines, month, names, unit, *headers);
    }
    json subjects = json::array();
    for (const auto& l : lines) subjects.push_back(lineJson(l));
    json unitRows = json::array();
    for (const auto& u : units) {
        unitRows.push_back({{"unit", u.id},
                            {"name", u.name},
                            {"parent", u.parent},
                            {"levels", unitTotals(lines, tree, u.id)}});
    }
    co_await d.audit.append(user.id, "programme_report", unit, detail);
    co_return jsonResponse(
        200, json{{"unit", unit}, {"month", month}, {"subjects", subjects}, {"units", unitRows}});
}

}  // namespace

void addProgrammeRoutes(RestRouter& router, ProgrammeRoutesDeps deps) {
    router.add(Route{"GET", "/api/supervision/overdue", Caller::Staff,
                     [deps](const RouteContext& c) { return overdueList(deps, c); }});
    router.add(Route{"GET", "/api/supervision/units", Caller::Staff,
                     [deps](const RouteContext& c) { return unitRollUp(deps, c); }});
    router.add(Route{"GET", "/api/reports/programme", Caller::Staff,
                     [deps](const RouteContext& c) { return programmeReport(deps, c); }});
}

}  // namespace vigil::signaling
