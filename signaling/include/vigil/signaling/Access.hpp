#pragma once
// Who may see or do what. Officers and administrators see their own org unit and everything
// below it; a subject sees only their own records. Pure functions, tested on their own.

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
// Accounts, org units, audit log: administrators over the unit.
bool canAdminister(const User& viewer, const std::string& unit, const UnitTree& tree);

}  // namespace vigil::signaling::access
