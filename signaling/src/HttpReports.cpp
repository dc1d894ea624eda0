// Reports for officers and administrators: the paged attendance table (one row per subject
// per class, the rows of the CSV export) and the monthly compliance report with its risk
// flags. Both are limited to the caller's org unit and below, and audited.

#include <algorithm>
#include <cmath>

#include "vigil/common/Error.hpp"
#include "vigil/signaling/Access.hpp"
#include "vigil/signaling/ClassCredits.hpp"
#include "vigil/signaling/HttpApi.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Millis;
using common::Task;
using nlohmann::json;

namespace {

// Risk flags of the last month of a compliance report, and their thresholds.
constexpr int kMissedRequiredClassesFlag = 3;
constexpr int kRepeatedMismatchFlag = 2;
constexpr int kSpotChecksFailedFlag = 2;

// "YYYY-MM" moved by `delta` months; "" for a malformed month.
std::string shiftMonth(const std::string& month, int delta) {
    if (!common::monthRange(month, 0)) return "";
    int y = std::stoi(month.substr(0, 4));
    int m = std::stoi(month.substr(5, 2)) - 1 + delta;
    y += m >= 0 ? m / 12 : (m - 11) / 12;
    m = ((m % 12) + 12) % 12;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d", y, m + 1);
    return buf;
}

double rounded(double v, int places) {
    const double scale = std::pow(10.0, places);
    return std::round(v * scale) / scale;
}

// Per subject and month of the window.
struct MonthFigures {
    std::vector<SessionCredit> sessions;
    int mismatches{0};        // `not_matched` alerts.
    int spotChecksFailed{0};  // Spot checks failed or missed.
    MonthlyHours hours;
};

}  // namespace

Task<HttpResponse> HttpApi::attendanceTable(const User& user, const HttpRequest& request) {
    auto tree = co_await deps_.directory.unitTree();
    const std::string unit = scopedUnit(user, request, tree, "read attendance tables");
    const int tz = deps_.config.utcOffsetMinutes();
    const Millis now = common::nowMillis();
    const Millis from = timeParam(request, "from", tz, now - 31 * common::kDayMs);
    const Millis to = timeParam(request, "to", tz, now + common::kDayMs);
    if (to <= from) throw ApiError("bad_request", "'to' must come after 'from'");
    if (to - from > 400 * common::kDayMs)
        throw ApiError("bad_request", "a range covers at most 400 days");
    const long long limit = intParam(request, "limit", 50, 1, 500);
    const long long offset = intParam(request, "offset", 0, 0, 1000000000);
    const std::string classId = queryValue(request, "class");
    const std::string subjectId = queryValue(request, "subject");
    if (!classId.empty() && !Directory::validId(classId))
        throw ApiError("bad_request", "'class' must be a class id");
    if (!subjectId.empty() && !Directory::validId(subjectId))
        throw ApiError("bad_request", "'subject' must be a subject id");

    auto rows = co_await unitAttendance(tree, unit, from, to, classId, subjectId);
    std::stable_sort(rows.begin(), rows.end(), [](const AttendanceRow& a, const AttendanceRow& b) {
        if (a.cls.start != b.cls.start) return a.cls.start > b.cls.start;
        if (a.cls.id != b.cls.id) return a.cls.id < b.cls.id;
        if (a.subject.name != b.subject.name) return a.subject.name < b.subject.name;
        return a.subject.id < b.subject.id;
    });
    json out = json::array();
    const size_t first = std::min(rows.size(), static_cast<size_t>(offset));
    const size_t last = std::min(rows.size(), first + static_cast<size_t>(limit));
    for (size_t i = first; i < last; ++i) {
        const auto& r = rows[i];
        json row = summaryJson(r.summary, tz);
        row["class"] = r.cls.toJson(tz);
        row["subject"] = {
            {"id", r.subject.id}, {"name", r.subject.name}, {"username", r.subject.username}};
        out.push_back(std::move(row));
    }
    const std::string detail =
        json{{"unit", unit},     {"from", from},         {"to", to},
             {"class", classId}, {"subject", subjectId}, {"rows", last - first}}
            .dump();
    co_await deps_.audit.append(user.id, "view_attendance", unit, detail);
    co_return jsonResponse(
        200, json{{"total", rows.size()}, {"offset", offset}, {"limit", limit}, {"rows", out}});
}

// Cost: one read of the attendance stream of every class whose scheduled start lies in the
// window (any unit: a subject may be enrolled one by one in another unit's class), one pass
// over the in-scope subjects per class (enrolment is checked in memory), and one XRANGE of
// the alert stream bounded by the window. A unit of a few hundred subjects over 6 months of
// classes is a few hundred stream reads.
Task<HttpResponse> HttpApi::complianceReport(const User& user, const HttpRequest& request) {
    auto tree = co_await deps_.directory.unitTree();
    const std::string unit = scopedUnit(user, request, tree, "read compliance reports");
    const int tz = deps_.config.utcOffsetMinutes();
    const Millis now = common::nowMillis();
    const auto monthCount = static_cast<int>(intParam(request, "months", 6, 1, 24));
    std::string lastMonth = queryValue(request, "month");
    if (lastMonth.empty()) lastMonth = common::monthOf(now, tz);
    if (!common::monthRange(lastMonth, tz))
        throw ApiError("bad_request", "'month' must look like 2026-11");
    std::vector<std::string> months;
    for (int i = monthCount - 1; i >= 0; --i) months.push_back(shiftMonth(lastMonth, -i));
    std::map<std::string, size_t> monthIndex;
    for (size_t i = 0; i < months.size(); ++i) monthIndex[months[i]] = i;
    const Millis windowStart = common::monthRange(months.front(), tz)->first;
    const Millis windowEnd = common::monthRange(months.back(), tz)->second;

    // The subjects in scope, and their figures per month.
    std::vector<User> subjects = co_await subjectsWithin(deps_.directory, tree, unit);
    std::map<std::string, std::vector<MonthFigures>> figures;
    auto credits = co_await creditsByMonth(deps_.directory, deps_.attendance, deps_.config, tree,
                                           subjects, months, now);
    for (const auto& s : subjects) {
        auto& perMonth = figures[s.id];
        perMonth.resize(months.size());
        for (size_t i = 0; i < months.size(); ++i) {
            perMonth[i].sessions = std::move(credits[s.id][i].sessions);
            perMonth[i].spotChecksFailed = credits[s.id][i].spotChecksFailed;
        }
    }

    // `not_matched` alerts; the stream is ordered by when an alert was written, which is at
    // or shortly after its `ts`: read a day either side and keep those whose `ts` is inside.
    std::string start = std::to_string(windowStart - common::kDayMs);
    const std::string end = std::to_string(windowEnd + common::kDayMs);
    for (;;) {
        auto page = co_await deps_.redis.cmd("XRANGE", keys::kAlerts, start, end, "COUNT", "5000");
        for (const auto& entry : page.elements) {
            if (entry.elements.size() < 2) continue;
            auto f = entry.elements[1].asMap();
            if (f["kind"] != "not_matched") continue;
            auto subject = figures.find(f["subject"]);
            if (subject == figures.end()) continue;
            Millis ts = std::strtoll(f["ts"].c_str(), nullptr, 10);
            if (ts <= 0) ts = std::strtoll(entry.elements[0].str.c_str(), nullptr, 10);
            auto m = monthIndex.find(common::monthOf(ts, tz));
            if (m != monthIndex.end()) ++subject->second[m->second].mismatches;
        }
        if (page.elements.size() < 5000) break;
        start = "(" + page.elements.back().elements[0].str;
    }

    const double required = deps_.config.attendance.requiredHoursPerMonth;
    const bool lastFinished = common::monthRange(lastMonth, tz)->second <= now;
    std::sort(subjects.begin(), subjects.end(), [](const User& a, const User& b) {
        return a.name != b.name ? a.name < b.name : a.id < b.id;
    });
    json subjectRows = json::array();
    for (const auto& s : subjects) {
        auto& perMonth = figures[s.id];
        json trend = json::array();
        for (size_t i = 0; i < months.size(); ++i) {
            MonthFigures& f = perMonth[i];
            f.hours = rollUpMonth(months[i], f.sessions, required, tz);
            trend.push_back({{"month", months[i]},
                             {"credited_hours", f.hours.creditedHours},
                             {"required_credited_hours", f.hours.requiredCreditedHours},
                             {"required_hours", f.hours.requiredHours},
                             {"sessions", f.hours.sessions},
                             {"required_sessions", f.hours.requiredSessions},
                             {"missed_required_sessions", f.hours.missedRequiredSessions},
                             {"mismatches", f.mismatches},
                             {"spot_checks_failed", f.spotChecksFailed},
                             {"met", f.hours.met}});
        }
        const MonthFigures& last = perMonth.back();
        json flags = json::array();
        if (last.hours.missedRequiredSessions >= kMissedRequiredClassesFlag)
            flags.push_back("missed_required_classes");
        if (last.mismatches >= kRepeatedMismatchFlag) flags.push_back("repeated_mismatch");
        if (last.spotChecksFailed >= kSpotChecksFailedFlag) flags.push_back("spot_checks_failed");
        if (lastFinished && !last.hours.met) flags.push_back("hours_short");
        subjectRows.push_back({{"id", s.id},
                               {"name", s.name},
                               {"username", s.username},
                               {"unit", s.unit},
                               {"officer", s.officer},
                               {"trend", trend},
                               {"flags", flags}});
    }

    // Each unit in scope counts the subjects of that unit and every unit below it.
    std::vector<OrgUnit> units;
    for (const auto& u : co_await deps_.directory.listUnits()) {
        if (tree.isWithin(u.id, unit)) units.push_back(u);
    }
    std::sort(units.begin(), units.end(),
              [](const OrgUnit& a, const OrgUnit& b) { return a.id < b.id; });
    json unitRows = json::array();
    for (const auto& u : units) {
        json trend = json::array();
        for (size_t i = 0; i < months.size(); ++i) {
            int count = 0;
            int met = 0;
            for (const auto& s : subjects) {
                if (!tree.isWithin(s.unit, u.id)) continue;
                ++count;
                if (figures[s.id][i].hours.met) ++met;
            }
            trend.push_back({{"month", months[i]},
                             {"subjects", count},
                             {"met", met},
                             {"rate", count > 0 ? json(rounded(1.0 * met / count, 4)) : json()}});
        }
        unitRows.push_back(
            {{"unit", u.id}, {"name", u.name}, {"parent", u.parent}, {"trend", trend}});
    }

    const std::string detail =
        json{{"unit", unit}, {"month", lastMonth}, {"months", monthCount}}.dump();
    co_await deps_.audit.append(user.id, "view_compliance", unit, detail);
    co_return jsonResponse(200, json{{"unit", unit},
                                     {"month", lastMonth},
                                     {"months", months},
                                     {"required_hours", required},
                                     {"units", unitRows},
                                     {"subjects", subjectRows}});
}

}  // namespace vigil::signaling
