#include "vigil/signaling/ProgrammeMonitor.hpp"

#include <algorithm>

#include "vigil/common/Log.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::Millis;
using common::Task;

namespace {

VIGIL_LOG_CATEGORY(programmeMonitorLog, "programme")

constexpr Millis kSweepEveryMs = 60'000;
// Call periods that ended this many days before today are still looked at, so that a node
// that was down for a few days raises what it missed.
constexpr Day kMissedCallLookbackDays = 7;
constexpr int kClaimTtlSeconds = 400 * 86400;

std::string claimKey(const std::string& key) {
    return "vigil:progalert:" + key;
}

}  // namespace

std::optional<ContactStatus> contactStatus(const Supervision& supervision,
                                           const std::optional<Contact>& lastContact,
                                           const LevelPolicy& policy, Day today,
                                           int utcOffsetMinutes) {
    if (!supervision.activeOn(today) || !supervision.termStart) return std::nullopt;
    ContactStatus status;
    status.level = supervision.levelOn(today, policy.defaultLevel());
    status.lastContact = lastContact;
    Day since = *supervision.termStart;
    if (lastContact) since = std::max(since, dayOf(lastContact->ts, utcOffsetMinutes));
    status.dueBy = since + policy.maxGapDays(supervision, today);
    status.daysLate = today - status.dueBy;
    status.overdue = status.daysLate > 0;
    return status;
}

void sortByLateness(std::vector<OverdueRow>& rows) {
    std::sort(rows.begin(), rows.end(), [](const OverdueRow& a, const OverdueRow& b) {
        if (a.status.daysLate != b.status.daysLate) return a.status.daysLate > b.status.daysLate;
        if (a.subject.name != b.subject.name) return a.subject.name < b.subject.name;
        return a.subject.id < b.subject.id;
    });
}

std::vector<DuePeriod> periodsWithout(const std::vector<DuePeriod>& periods,
                                      const std::vector<Day>& days) {
    std::vector<DuePeriod> out;
    for (const auto& p : periods) {
        const bool met = std::any_of(days.begin(), days.end(),
                                     [&p](Day d) { return d >= p.first && d <= p.last; });
        if (!met) out.push_back(p);
    }
    return out;
}

Task<std::vector<SubjectProgramme>> ProgrammeMonitor::programmes(const UnitTree& tree,
                                                                 std::string unit) {
    std::vector<SubjectProgramme> out;
    for (const auto& u : co_await deps_.directory.listUsers()) {
        if (u.role != Role::Subject || u.disabled || !tree.isWithin(u.unit, unit)) continue;
        // Awaited one by one, not inside a braced initializer (GCC 12 miscompiles that).
        SubjectProgramme p;
        p.subject = u;
        p.supervision = co_await deps_.supervision.get(u.id);
        p.lastContact = co_await deps_.supervision.lastContact(u.id);
        out.push_back(std::move(p));
    }
    co_return out;
}

Task<std::vector<OverdueRow>> ProgrammeMonitor::overdue(const UnitTree& tree, std::string unit,
                                                        Millis now) {
    const int tz = deps_.config.utcOffsetMinutes();
    const Day today = dayOf(now, tz);
    std::vector<OverdueRow> rows;
    for (auto& p : co_await programmes(tree, unit)) {
        auto status = contactStatus(p.supervision, p.lastContact, deps_.policy, today, tz);
        if (status) rows.push_back({std::move(p.subject), std::move(p.supervision), *status});
    }
    sortByLateness(rows);
    co_return rows;
}

Task<std::map<std::string, std::vector<Day>>> ProgrammeMonitor::acceptedCallDays(Millis from,
                                                                                 Millis to) {
    const int tz = deps_.config.utcOffsetMinutes();
    std::map<std::string, std::vector<Day>> out;
    auto ids = co_await deps_.redis.cmd("ZRANGEBYSCORE", keys::kCalls, std::to_string(from),
                                        "(" + std::to_string(to));
    for (const auto& id : ids.asStrings()) {
        auto fields = co_await deps_.redis.cmd("HMGET", keys::call(id), "subject", "accepted");
        if (fields.elements.size() < 2 || fields.elements[1].isNil()) continue;
        const Millis accepted = std::strtoll(fields.elements[1].str.c_str(), nullptr, 10);
        if (accepted <= 0) continue;
        out[fields.elements[0].str].push_back(dayOf(accepted, tz));
    }
    co_return out;
}

Task<CheckinCounts> ProgrammeMonitor::checkins(std::string subject, Millis from, Millis to) {
    const int tz = deps_.config.utcOffsetMinutes();
    CheckinCounts counts;
    auto ids =
        co_await deps_.redis.cmd("ZRANGEBYSCORE", keys::checkinsOf(subject), std::to_string(from),
                                 "(" + std::to_string(to), "WITHSCORES");
    const auto& e = ids.elements;
    for (size_t i = 0; i + 1 < e.size(); i += 2) {
        auto outcome = co_await deps_.redis.cmd("HGET", keys::checkin(e[i].str), "outcome");
        if (outcome.str == "verified") {
            ++counts.verified;
            counts.verifiedDays.push_back(
                dayOf(std::strtoll(e[i + 1].str.c_str(), nullptr, 10), tz));
        } else if (outcome.str == "missed") {
            ++counts.missed;
        }
    }
    co_return counts;
}

Task<bool> ProgrammeMonitor::raiseOnce(Alert alert, const std::string& key) {
    auto claimed = co_await deps_.redis.cmd("SET", claimKey(key), std::to_string(alert.raisedAt),
                                            "NX", "EX", std::to_string(kClaimTtlSeconds));
    if (claimed.isNil()) co_return false;
    try {
        auto raised = co_await deps_.alerts.raise(alert, key);
        co_return raised.has_value();
    } catch (...) {
        // Not raised: let the next sweep try again.
        deps_.redis.send({"DEL", claimKey(key)});
        throw;
    }
}

Task<int> ProgrammeMonitor::sweep(Millis now) {
    if (lastSweep_ != 0 && now - lastSweep_ < kSweepEveryMs) co_return 0;
    lastSweep_ = now;
    const int tz = deps_.config.utcOffsetMinutes();
    const Day today = dayOf(now, tz);
    const Day lookback = today - kMissedCallLookbackDays;
    // A monthly call period that ended at the lookback began up to 31 days before it.
    auto calls = co_await acceptedCallDays(startOfDay(lookback - 31, tz), now);
    int raised = 0;
    for (const auto& u : co_await deps_.directory.listUsers()) {
        if (u.role != Role::Subject || u.disabled) continue;
        const Supervision s = co_await deps_.supervision.get(u.id);
        if (!s.termStart) continue;
        const auto contact = co_await deps_.supervision.lastContact(u.id);
        if (auto status = contactStatus(s, contact, deps_.policy, today, tz);
            status && status->overdue) {
            Alert alert;
            alert.kind = "overdue";
            alert.subject = u.id;
            alert.unit = u.unit;
            alert.raisedAt = now;
            alert.message = "no verified contact since " +
                            formatDay(status->dueBy - deps_.policy.maxGapDays(s, today)) +
                            "; due by " + formatDay(status->dueBy);
            const std::string since =
                contact ? std::to_string(contact->ts) : "term" + std::to_string(*s.termStart);
            if (co_await raiseOnce(alert, "overdue:" + u.id + ":" + since)) ++raised;
        }
        const auto& days = calls[u.id];
        for (const auto& p :
             periodsWithout(deps_.policy.callPeriods(s, lookback, today - 1), days)) {
            Alert alert;
            alert.kind = "missed_call";
            alert.subject = u.id;
            alert.unit = u.unit;
            alert.raisedAt = now;
            alert.message = "no supervision call was taken between " + formatDay(p.first) +
                            " and " + formatDay(p.last);
            if (co_await raiseOnce(alert, "missed_call:" + u.id + ":" + std::to_string(p.first)))
                ++raised;
        }
    }
    if (raised > 0) programmeMonitorLog()->info("programme sweep raised {} alerts", raised);
    co_return raised;
}

}  // namespace vigil::signaling
