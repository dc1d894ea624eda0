#include "vigil/signaling/ProgrammeReport.hpp"

#include <algorithm>
#include <cmath>

#include "vigil/signaling/ClassCredits.hpp"

namespace vigil::signaling {

using common::Millis;
using common::Task;

std::vector<LevelSpan> levelSpans(const Supervision& s, Day first, Day last, Level fallback) {
    std::vector<LevelSpan> spans;
    for (Day d = first; d <= last; ++d) {
        if (!s.activeOn(d)) continue;
        const Level level = s.levelOn(d, fallback);
        if (!spans.empty() && spans.back().to == d - 1 && spans.back().level == level) {
            spans.back().to = d;
        } else {
            spans.push_back({d, d, level});
        }
    }
    return spans;
}

Task<std::vector<ProgrammeLine>> ProgrammeReport::lines(const UnitTree& tree, std::string unit,
                                                        std::string month, Millis now) {
    const int tz = deps_.config.utcOffsetMinutes();
    const auto range = common::monthRange(month, tz);
    if (!range) co_return std::vector<ProgrammeLine>{};
    const Day first = dayOf(range->first, tz);
    const Day last = dayOf(range->second - 1, tz);
    const Day today = dayOf(now, tz);
    // Periods still running today are not missed yet.
    const Day ended = std::min(last, today - 1);

    auto programmes = co_await deps_.monitor.programmes(tree, unit);
    std::vector<User> subjects;
    subjects.reserve(programmes.size());
    for (const auto& p : programmes) subjects.push_back(p.subject);
    const std::vector<std::string> months{month};
    auto credits = co_await creditsByMonth(deps_.directory, deps_.attendance, deps_.config, tree,
                                           subjects, months, now);
    auto calls = co_await deps_.monitor.acceptedCallDays(range->first, range->second);

    std::vector<ProgrammeLine> out;
    for (const auto& p : programmes) {
        const Supervision& s = p.supervision;
        ProgrammeLine line;
        line.subject = p.subject;
        line.levels = levelSpans(s, first, last, deps_.policy.defaultLevel());
        if (!line.levels.empty()) {
            line.status = "active";
        } else if (s.releasedOn(first)) {
            line.status = "released";
        } else {
            line.status = s.termStart ? "pending" : "no_term";
        }
        line.level = line.levels.empty() ? s.levelOn(last, deps_.policy.defaultLevel())
                                         : line.levels.back().level;
        line.requiredHours = std::round(deps_.policy.requiredHours(s, first) * 100) / 100;
        const MonthlyHours hours =
            rollUpMonth(month, credits[p.subject.id].front().sessions, line.requiredHours, tz);
        line.creditedHours = hours.creditedHours;
        line.requiredCreditedHours = hours.requiredCreditedHours;

        const auto counts =
            co_await deps_.monitor.checkins(p.subject.id, range->first, range->second);
        line.checkinsVerified = counts.verified;
        line.checkinsMissed = counts.missed;
        line.checkinsDue = static_cast<int>(deps_.policy.checkinPeriods(s, first, last).size());
        const auto& callDays = calls[p.subject.id];
        line.callsMade = static_cast<int>(callDays.size());
        line.callsDue = static_cast<int>(deps_.policy.callPeriods(s, first, last).size());
        if (line.status == "active") {
            const bool checkinsMet =
                periodsWithout(deps_.policy.checkinPeriods(s, first, ended), counts.verifiedDays)
                    .empty();
            const bool callsMet =
                periodsWithout(deps_.policy.callPeriods(s, first, ended), callDays).empty();
            line.compliant = hours.met && checkinsMet && callsMet;
        }
        out.push_back(std::move(line));
    }
    std::sort(out.begin(), out.end(), [](const ProgrammeLine& a, const ProgrammeLine& b) {
        if (a.subject.unit != b.subject.unit) return a.subject.unit < b.subject.unit;
        if (a.subject.name != b.subject.name) return a.subject.name < b.subject.name;
        return a.subject.id < b.subject.id;
    });
    co_return out;
}

}  // namespace vigil::signaling
