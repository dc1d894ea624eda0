#pragma once
// Accounts, org units, classes and enrolment in Redis. Validates what it is given and
// throws common::ApiError (bad_request, not_found) with a message a person can act on.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "vigil/common/RedisClient.hpp"
#include "vigil/common/Task.hpp"
#include "vigil/signaling/Model.hpp"
#include "vigil/signaling/UnitTree.hpp"

namespace vigil::signaling {

struct NewUser {
    std::string username;
    std::string name;
    Role role{Role::Subject};
    std::string unit;
    std::string officer;
    std::string passwordHash;
};

class Directory {
public:
    explicit Directory(common::RedisClient& redis) : redis_(redis) {}

    common::Task<OrgUnit> addUnit(std::string id, std::string name, std::string parent);
    common::Task<std::vector<OrgUnit>> listUnits();
    common::Task<std::optional<OrgUnit>> findUnit(std::string id);
    common::Task<UnitTree> unitTree();
    // For hot paths (every join): a tree at most a few seconds old, fetched again at once
    // if it lacks one of `units`, so that a unit just added elsewhere is never missed.
    common::Task<UnitTree> recentUnitTree(std::vector<std::string> units);

    common::Task<User> addUser(NewUser user);
    common::Task<std::optional<User>> findUser(std::string id);
    common::Task<std::optional<User>> findUserByUsername(std::string username);
    common::Task<std::vector<User>> listUsers();
    common::Task<std::string> passwordHash(std::string userId);
    common::Task<void> setPasswordHash(std::string userId, std::string hash);
    common::Task<void> setDisabled(std::string userId, bool disabled);

    common::Task<ClassSession> addClass(ClassSession cls);
    common::Task<std::optional<ClassSession>> findClass(std::string id);
    // Classes whose start lies in [from, to).
    common::Task<std::vector<ClassSession>> listClasses(common::Millis from, common::Millis to);
    common::Task<void> setClassState(std::string classId, ClassState state, common::Millis at);
    common::Task<void> enrol(std::string classId, std::vector<std::string> subjectIds);
    // Subjects enrolled by id, and, for a class with enrol_tags, the subjects with one of its
    // tags whose unit is the class's unit or below it (access::isEnrolled takes this set).
    common::Task<std::set<std::string>> explicitlyEnrolled(std::string classId);
    // Every subject enrolled in the class, explicitly or through its enrolment unit.
    common::Task<std::vector<User>> enrolledSubjects(const ClassSession& cls);

    static bool validId(const std::string& id);
    static bool validUsername(const std::string& name);

private:
    common::Task<std::string> nextId(std::string kind, std::string prefix);
    common::Task<User> requireUser(const std::string& id);

    common::RedisClient& redis_;  // Passed by argument.
    UnitTree cachedTree_;
    common::Millis cachedTreeAt_{0};
};

User userFromHash(const std::map<std::string, std::string>& h);
ClassSession classFromHash(const std::map<std::string, std::string>& h);

}  // namespace vigil::signaling
