#include "vigil/signaling/ClassCredits.hpp"

#include "vigil/signaling/Access.hpp"
#include "vigil/signaling/HttpApi.hpp"

namespace vigil::signaling {

using common::Millis;
using common::Task;

Task<std::vector<User>> subjectsWithin(Directory& directory, const UnitTree& tree,
                                       std::string unit) {
    std::vector<User> subjects;
    for (const auto& u : co_await directory.listUsers()) {
        if (u.role == Role::Subject && !u.disabled && tree.isWithin(u.unit, unit))
            subjects.push_back(u);
    }
    co_return subjects;
}

Task<std::map<std::string, std::vector<MonthCredits>>> creditsByMonth(
    Directory& directory, AttendanceStore& attendance, const common::Config& config,
    const UnitTree& tree, const std::vector<User>& subjects, const std::vector<std::string>& months,
    Millis now) {
    std::map<std::string, std::vector<MonthCredits>> out;
    for (const auto& s : subjects) out[s.id].resize(months.size());
    if (months.empty()) co_return out;
    const int tz = config.utcOffsetMinutes();
    std::map<std::string, size_t> monthIndex;
    for (size_t i = 0; i < months.size(); ++i) monthIndex[months[i]] = i;
    const auto first = common::monthRange(months.front(), tz);
    const auto last = common::monthRange(months.back(), tz);
    if (!first || !last) co_return out;

    const CreditPolicy policy = creditPolicyFrom(config);
    for (const auto& cls : co_await directory.listClasses(first->first, last->second)) {
        auto m = monthIndex.find(common::monthOf(cls.start, tz));
        if (m == monthIndex.end()) continue;
        auto explicitIds = co_await directory.explicitlyEnrolled(cls.id);
        std::vector<const User*> enrolled;
        for (const auto& s : subjects) {
            if (access::isEnrolled(s, cls, explicitIds, tree)) enrolled.push_back(&s);
        }
        if (enrolled.empty()) continue;
        auto events = co_await attendance.events(cls.id);
        auto summaries = summarize(events, ClassWindow{cls.start, cls.creditEnd(now)}, now, policy);
        std::map<std::string, int> failedChecks;
        for (const auto& e : events) {
            if (e.kind == "spot_check_result" && (e.reason == "failed" || e.reason == "missed"))
                ++failedChecks[e.subject];
        }
        for (const User* s : enrolled) {
            SubjectSummary summary;
            summary.subject = s->id;
            if (auto it = summaries.find(s->id); it != summaries.end()) summary = it->second;
            MonthCredits& f = out[s->id][m->second];
            f.sessions.push_back(sessionCredit(cls, summary, now));
            f.spotChecksFailed += failedChecks[s->id];
        }
    }
    co_return out;
}

}  // namespace vigil::signaling
