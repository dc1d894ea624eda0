#include "vigil/signaling/LevelPolicy.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace vigil::signaling {

namespace {

// Monday 1970-01-05 (1970-01-01 was a Thursday): day 4. Weeks and pairs of weeks count from it.
constexpr Day kFirstMonday = 4;

Day floorDiv(Day a, Day b) {
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

struct Bounds {
    Day first;
    Day last;
};

// The natural period of `f` that contains `day`, before any cutting.
Bounds naturalPeriod(Frequency f, Day day) {
    switch (f) {
        case Frequency::Daily:
            return {day, day};
        case Frequency::Weekly: {
            const Day first = kFirstMonday + floorDiv(day - kFirstMonday, 7) * 7;
            return {first, first + 6};
        }
        case Frequency::Biweekly: {
            const Day first = kFirstMonday + floorDiv(day - kFirstMonday, 14) * 14;
            return {first, first + 13};
        }
        case Frequency::Monthly:
            break;
    }
    return {monthStart(day), monthEnd(day)};
}

Frequency frequencyOf(const std::string& text) {
    auto f = parseFrequency(text);
    if (!f) throw std::invalid_argument("unknown frequency: " + text);
    return *f;
}

LevelRule ruleOf(const common::Config::LevelRule& r) {
    return LevelRule{r.hoursPerMonth, frequencyOf(r.checkin), frequencyOf(r.call), r.maxGapDays};
}

}  // namespace

std::string toString(Frequency f) {
    switch (f) {
        case Frequency::Daily:
            return "daily";
        case Frequency::Weekly:
            return "weekly";
        case Frequency::Biweekly:
            return "biweekly";
        case Frequency::Monthly:
            break;
    }
    return "monthly";
}

std::optional<Frequency> parseFrequency(const std::string& text) {
    if (text == "daily") return Frequency::Daily;
    if (text == "weekly") return Frequency::Weekly;
    if (text == "biweekly") return Frequency::Biweekly;
    if (text == "monthly") return Frequency::Monthly;
    return std::nullopt;
}

LevelPolicy::LevelPolicy(const common::Config& config)
    : LevelPolicy(ruleOf(config.levels.strict), ruleOf(config.levels.ordinary),
                  ruleOf(config.levels.lenient),
                  parseLevel(config.levels.defaultLevel).value_or(Level::Ordinary)) {}

LevelPolicy::LevelPolicy(LevelRule strict, LevelRule ordinary, LevelRule lenient, Level fallback)
    : rules_{strict, ordinary, lenient}, fallback_(fallback) {}

const LevelRule& LevelPolicy::rule(Level level) const {
    return rules_[static_cast<int>(level)];
}

Frequency LevelPolicy::frequency(Level level, bool calls) const {
    return calls ? rule(level).call : rule(level).checkin;
}

std::optional<DuePeriod> LevelPolicy::periodAt(const Supervision& s, Day day, bool calls) const {
    if (!s.activeOn(day)) return std::nullopt;
    const Day termEnd = s.termEnd.value_or(std::numeric_limits<Day>::max());
    Day cursor = *s.termStart;
    // Between two level changes the periods are the natural ones of one frequency, so the
    // walk takes one step per level change, not one per period.
    for (;;) {
        const Level level = s.levelOn(cursor, fallback_);
        std::optional<Day> nextChange;
        for (const auto& change : s.levels) {
            if (change.from > cursor) {
                nextChange = change.from;
                break;
            }
        }
        const Day probe = nextChange && *nextChange <= day ? *nextChange - 1 : day;
        const Bounds natural = naturalPeriod(frequency(level, calls), probe);
        DuePeriod period{std::max(natural.first, cursor), std::min(natural.last, termEnd), level};
        if (day <= period.last) return period;
        cursor = period.last + 1;
    }
}

std::optional<DuePeriod> LevelPolicy::checkinPeriod(const Supervision& s, Day day) const {
    return periodAt(s, day, false);
}

std::optional<DuePeriod> LevelPolicy::callPeriod(const Supervision& s, Day day) const {
    return periodAt(s, day, true);
}

std::vector<DuePeriod> LevelPolicy::periods(const Supervision& s, Day from, Day to,
                                            bool calls) const {
    std::vector<DuePeriod> out;
    if (!s.termStart) return out;
    for (Day day = std::max(from, *s.termStart); day <= to;) {
        auto period = periodAt(s, day, calls);
        if (!period || period->last > to) break;
        out.push_back(*period);
        day = period->last + 1;
    }
    return out;
}

std::vector<DuePeriod> LevelPolicy::checkinPeriods(const Supervision& s, Day from, Day to) const {
    return periods(s, from, to, false);
}

std::vector<DuePeriod> LevelPolicy::callPeriods(const Supervision& s, Day from, Day to) const {
    return periods(s, from, to, true);
}

double LevelPolicy::requiredHours(const Supervision& s, Day dayInMonth) const {
    const Day first = monthStart(dayInMonth);
    const Day last = monthEnd(dayInMonth);
    const double days = last - first + 1;
    double hours = 0;
    for (Day day = first; day <= last; ++day) {
        if (s.activeOn(day)) hours += rule(s.levelOn(day, fallback_)).hoursPerMonth / days;
    }
    return hours;
}

int LevelPolicy::maxGapDays(const Supervision& s, Day day) const {
    return rule(s.levelOn(day, fallback_)).maxGapDays;
}

}  // namespace vigil::signaling
