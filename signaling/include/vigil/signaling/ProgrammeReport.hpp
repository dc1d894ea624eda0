#pragma once
// The monthly programme report: per subject, the level(s) in force that month, the class
// hours it required (prorated day by day by level) and credited, the check-ins due, verified
// and missed, the supervision calls due and made, and whether the month was compliant; plus
// totals by level per unit.

#include <optional>
#include <string>
#include <vector>

#include "vigil/common/Config.hpp"
#include "vigil/common/Task.hpp"
#include "vigil/signaling/AttendanceStore.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/LevelPolicy.hpp"
#include "vigil/signaling/ProgrammeMonitor.hpp"

namespace vigil::signaling {

// Days of the month in force at one level, [from, to] inclusive.
struct LevelSpan {
    Day from{0};
    Day to{0};
    Level level{Level::Ordinary};
};

// One subject's month.
struct ProgrammeLine {
    User subject;
    // active (inside the term on some day of the month) | released | pending | no_term
    std::string status;
    std::vector<LevelSpan> levels;  // over the days inside the term
    Level level{Level::Ordinary};   // on the last day inside the term
    double requiredHours{0};
    double creditedHours{0};
    double requiredCreditedHours{0};  // from required classes: what the hours are judged on
    int checkinsDue{0};               // check-in periods ending in the month
    int checkinsVerified{0};          // verified check-ins started in the month
    int checkinsMissed{0};            // missed ones
    int callsDue{0};                  // call periods ending in the month
    int callsMade{0};                 // accepted calls in the month
    // Hours met, and every check-in and call period that has ended has its check-in and call.
    // nullopt unless active.
    std::optional<bool> compliant;
};

class ProgrammeReport {
public:
    struct Deps {
        Directory& directory;
        AttendanceStore& attendance;
        const LevelPolicy& policy;
        ProgrammeMonitor& monitor;
        const common::Config& config;
    };

    explicit ProgrammeReport(const Deps& deps) : deps_(deps) {}

    // Every subject of `unit` and below for `month` ("YYYY-MM", valid), sorted by unit, name.
    common::Task<std::vector<ProgrammeLine>> lines(const UnitTree& tree, std::string unit,
                                                   std::string month, common::Millis now);

private:
    Deps deps_;
};

// The level spans of `s` over [first, last], only days inside the term.
std::vector<LevelSpan> levelSpans(const Supervision& s, Day first, Day last, Level fallback);

}  // namespace vigil::signaling
