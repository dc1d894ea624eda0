#pragma once
// Who may see or do what. Officers and administrators see their own org unit and everything
// below it; a subject sees only their own records. Pure functions, tested on their own.

#include <optional>
#include <set>
#include <string>

#include "vigil/signaling/Model.hpp"
#include "vigil/signaling/UnitTree.hpp"

namespace vigil::signaling::access {

bool isStaff(const User& viewer);
bool canSeeUnit(const User& viewer, const std::string& unit, const UnitTree& tree);
bool canSeeSubject(const User& viewer, const User& subject, const UnitTree& tree);
bool isEnrolled(const User& subject, const ClassSession& cls,
                const std::set<std::string>& explicitlyEnrolled, const UnitTree& tree);
bool canSeeClass(const User& viewer, const ClassSession& cls, bool viewerEnrolled,
                 const UnitTree& tree);
// Teach (start, end, roster, spot checks): the class's officer, or staff over its unit.
bool canTeach(const User& viewer, const ClassSession& cls, const UnitTree& tree);
// The unit a staff request names (`unit`, or the viewer's own when empty): throws not_found
// when no such unit exists, forbidden when it is outside the viewer's scope.
std::string requestedUnit(const User& viewer, std::string unit, const UnitTree& tree);
// Every refusal is `forbidden`: a record that exists but lies outside the viewer's scope is
// refused with this, while one that does not exist at all stays `not_found`. `what` names the
// record in the message ("class", "check-in"); subjects are told they see only their own.
[[noreturn]] void refuseOutOfScope(const User& viewer, const std::string& what);
// The subject `found` (looked up by `id`) when `viewer` may see it. A subject asking about
// anyone else is forbidden whether or not that one exists; for staff an unknown id, or one
// that is not a subject, is not_found, and a subject outside their units forbidden.
User visibleSubject(const User& viewer, const std::optional<User>& found, const UnitTree& tree,
                    const std::string& id);
// Accounts, org units, audit log: administrators over the unit.
bool canAdminister(const User& viewer, const std::string& unit, const UnitTree& tree);

}  // namespace vigil::signaling::access
