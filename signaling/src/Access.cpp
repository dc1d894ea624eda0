#include "vigil/signaling/Access.hpp"

#include "vigil/common/Error.hpp"

namespace vigil::signaling::access {

bool isStaff(const User& viewer) {
    return !viewer.disabled && (viewer.role == Role::Officer || viewer.role == Role::Administrator);
}

bool canSeeUnit(const User& viewer, const std::string& unit, const UnitTree& tree) {
    return isStaff(viewer) && tree.isWithin(unit, viewer.unit);
}

std::string requestedUnit(const User& viewer, std::string unit, const UnitTree& tree) {
    if (unit.empty()) unit = viewer.unit;
    if (!tree.contains(unit)) throw common::ApiError("not_found", "no unit '" + unit + "'");
    if (!canSeeUnit(viewer, unit, tree))
        throw common::ApiError("forbidden", "that unit is outside your scope");
    return unit;
}

bool canSeeSubject(const User& viewer, const User& subject, const UnitTree& tree) {
    if (viewer.disabled) return false;
    if (viewer.role == Role::Subject) return viewer.id == subject.id;
    return subject.role == Role::Subject && tree.isWithin(subject.unit, viewer.unit);
}

void refuseOutOfScope(const User& viewer, const std::string& what) {
    if (viewer.role == Role::Subject)
        throw common::ApiError("forbidden", "you may see only your own records");
    throw common::ApiError("forbidden", "that " + what + " is outside your scope");
}

User visibleSubject(const User& viewer, const std::optional<User>& found, const UnitTree& tree,
                    const std::string& id) {
    if (viewer.role == Role::Subject && (!found || found->id != viewer.id))
        refuseOutOfScope(viewer, "subject");
    if (!found || found->role != Role::Subject)
        throw common::ApiError("not_found", "no subject '" + id + "'");
    if (!canSeeSubject(viewer, *found, tree)) refuseOutOfScope(viewer, "subject");
    return *found;
}

bool isEnrolled(const User& subject, const ClassSession& cls,
                const std::set<std::string>& explicitlyEnrolled, const UnitTree& tree) {
    if (subject.role != Role::Subject || subject.disabled) return false;
    if (explicitlyEnrolled.count(subject.id) != 0) return true;
    return !cls.enrolUnit.empty() && tree.isWithin(subject.unit, cls.enrolUnit);
}

bool canSeeClass(const User& viewer, const ClassSession& cls, bool viewerEnrolled,
                 const UnitTree& tree) {
    if (viewer.disabled) return false;
    if (viewer.role == Role::Subject) return viewerEnrolled;
    return viewer.id == cls.officer || tree.isWithin(cls.unit, viewer.unit);
}

bool canTeach(const User& viewer, const ClassSession& cls, const UnitTree& tree) {
    if (!isStaff(viewer)) return false;
    return viewer.id == cls.officer || tree.isWithin(cls.unit, viewer.unit);
}

bool canAdminister(const User& viewer, const std::string& unit, const UnitTree& tree) {
    return !viewer.disabled && viewer.role == Role::Administrator &&
           tree.isWithin(unit, viewer.unit);
}

}  // namespace vigil::signaling::access
