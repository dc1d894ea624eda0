#pragma once
// What each management level requires ([levels.*] in config/vigil.toml), and the due dates
// that follow for one subject: check-in periods, call periods, the required class hours of a
// month (prorated day by day by the level in force), and the longest gap allowed without a
// verified contact. Pure functions of the configuration and a Supervision; no Redis.

#include <optional>
#include <string>
#include <vector>

#include "vigil/common/Config.hpp"
#include "vigil/signaling/Supervision.hpp"

namespace vigil::signaling {

// How often something is due: one per calendar day, ISO week (Monday first), pair of ISO
// weeks (counted from Monday 1970-01-05), or calendar month.
enum class Frequency { Daily, Weekly, Biweekly, Monthly };
std::string toString(Frequency f);
std::optional<Frequency> parseFrequency(const std::string& text);

struct LevelRule {
    double hoursPerMonth{8};
    Frequency checkin{Frequency::Weekly};
    Frequency call{Frequency::Biweekly};
    int maxGapDays{10};  // longest allowed time without a verified contact
};

// One period in which one check-in (or call) is due: [first, last] days inclusive, already
// cut to the term. `level` is the level in force on `first`.
struct DuePeriod {
    Day first{0};
    Day last{0};
    Level level{Level::Ordinary};
};

class LevelPolicy {
public:
    explicit LevelPolicy(const common::Config& config);
    LevelPolicy(LevelRule strict, LevelRule ordinary, LevelRule lenient, Level fallback);

    const LevelRule& rule(Level level) const;
    Level defaultLevel() const { return fallback_; }

    // The check-in period containing `day`, cut to the term; nullopt when nothing is due that
    // day (outside the term, or no term). The frequency is the one of the level in force on
    // the period's first day.
    std::optional<DuePeriod> checkinPeriod(const Supervision& s, Day day) const;
    std::optional<DuePeriod> callPeriod(const Supervision& s, Day day) const;
    // Every check-in (or call) period that ends in [from, to], in order.
    std::vector<DuePeriod> checkinPeriods(const Supervision& s, Day from, Day to) const;
    std::vector<DuePeriod> callPeriods(const Supervision& s, Day from, Day to) const;
    // Required class hours of the calendar month containing `day`: each day of the month inside
    // the term adds hoursPerMonth(level on that day) / days in month.
    double requiredHours(const Supervision& s, Day dayInMonth) const;
    // The longest allowed gap without verified contact on `day` (the level in force then).
    int maxGapDays(const Supervision& s, Day day) const;

private:
    // Periods tile the term from its first day: each starts the day after the previous one
    // ends and runs to the end of its natural day/week/pair/month, with the frequency of the
    // level in force on its first day; a level change inside a period applies from the next.
    std::optional<DuePeriod> periodAt(const Supervision& s, Day day, bool calls) const;
    std::vector<DuePeriod> periods(const Supervision& s, Day from, Day to, bool calls) const;
    Frequency frequency(Level level, bool calls) const;
    LevelRule rules_[3];
    Level fallback_{Level::Ordinary};
};

}  // namespace vigil::signaling
