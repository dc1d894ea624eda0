#pragma once
// Credited class time of many subjects over whole months, as the compliance report and the
// programme report both count it: every class whose scheduled start falls in one of the
// months, the subjects enrolled in it (by unit, tag or name), each one's summary under the
// configured credit policy.

#include <map>
#include <string>
#include <vector>

#include "vigil/common/Config.hpp"
#include "vigil/common/Task.hpp"
#include "vigil/signaling/AttendanceStore.hpp"
#include "vigil/signaling/AttendanceSummary.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/UnitTree.hpp"

namespace vigil::signaling {

// One subject's classes in one month.
struct MonthCredits {
    std::vector<SessionCredit> sessions;
    int spotChecksFailed{0};  // Spot checks failed or missed.
};

// The subjects (role subject, not disabled) of `unit` and every unit below it.
common::Task<std::vector<User>> subjectsWithin(Directory& directory, const UnitTree& tree,
                                               std::string unit);

// Keyed by subject id (every one of `subjects`), one entry per month of `months` ("YYYY-MM",
// in order). Cost: one read of the attendance stream of every class in the months that
// enrols at least one of the subjects.
common::Task<std::map<std::string, std::vector<MonthCredits>>> creditsByMonth(
    Directory& directory, AttendanceStore& attendance, const common::Config& config,
    const UnitTree& tree, const std::vector<User>& subjects, const std::vector<std::string>& months,
    common::Millis now);

}  // namespace vigil::signaling
