#include <gtest/gtest.h>

#include <set>
#include <string>

#include "vigil/signaling/Access.hpp"

namespace vigil::signaling {
namespace {

using namespace access;

class AccessTest : public ::testing::Test {
protected:
    // province > city1 > county1 > town1, and a sibling branch city2 > county2.
    UnitTree tree{{{"prov", ""},
                   {"city1", "prov"},
                   {"county1", "city1"},
                   {"town1", "county1"},
                   {"city2", "prov"},
                   {"county2", "city2"}}};

    static User make(const std::string& id, Role role, const std::string& unit,
                     bool disabled = false) {
        User u;
        u.id = id;
        u.username = id;
        u.name = id;
        u.role = role;
        u.unit = unit;
        u.disabled = disabled;
        return u;
    }

    static ClassSession classIn(const std::string& unit, const std::string& officer,
                                const std::string& enrolUnit = "") {
        ClassSession c;
        c.id = "c1";
        c.title = "Class";
        c.unit = unit;
        c.officer = officer;
        c.start = 1'000'000;
        c.end = 4'600'000;
        c.enrolUnit = enrolUnit;
        return c;
    }

    User subjectTown1 = make("s1", Role::Subject, "town1");
    User subjectTown1b = make("s2", Role::Subject, "town1");
    User subjectCounty2 = make("s3", Role::Subject, "county2");
    User officerCity1 = make("o1", Role::Officer, "city1");
    User officerCounty1 = make("o2", Role::Officer, "county1");
    User officerCity2 = make("o3", Role::Officer, "city2");
    User adminCity1 = make("a1", Role::Administrator, "city1");
    User adminProv = make("a2", Role::Administrator, "prov");
};

TEST_F(AccessTest, SubjectSeesOnlyItself) {
    EXPECT_TRUE(canSeeSubject(subjectTown1, subjectTown1, tree));
    EXPECT_FALSE(canSeeSubject(subjectTown1, subjectTown1b, tree));
    EXPECT_FALSE(canSeeSubject(subjectTown1, subjectCounty2, tree));
    EXPECT_FALSE(canSeeUnit(subjectTown1, "town1", tree));
    EXPECT_FALSE(isStaff(subjectTown1));
}

TEST_F(AccessTest, OfficerSeesOwnSubtreeOnly) {
    EXPECT_TRUE(isStaff(officerCity1));
    EXPECT_TRUE(canSeeUnit(officerCity1, "city1", tree));
    EXPECT_TRUE(canSeeUnit(officerCity1, "county1", tree));
    EXPECT_TRUE(canSeeUnit(officerCity1, "town1", tree));
    EXPECT_FALSE(canSeeUnit(officerCity1, "city2", tree));
    EXPECT_FALSE(canSeeUnit(officerCity1, "county2", tree));
    EXPECT_FALSE(canSeeUnit(officerCity1, "prov", tree));
    EXPECT_FALSE(canSeeUnit(officerCounty1, "city1", tree));

    EXPECT_TRUE(canSeeSubject(officerCity1, subjectTown1, tree));
    EXPECT_TRUE(canSeeSubject(officerCounty1, subjectTown1, tree));
    EXPECT_FALSE(canSeeSubject(officerCity1, subjectCounty2, tree));
    EXPECT_FALSE(canSeeSubject(officerCity2, subjectTown1, tree));
}

TEST_F(AccessTest, OfficerDoesNotSeeOtherStaffAsSubjects) {
    EXPECT_FALSE(canSeeSubject(officerCity1, officerCounty1, tree));
    EXPECT_FALSE(canSeeSubject(adminProv, officerCity1, tree));
}

TEST_F(AccessTest, AdministratorSeesOwnSubtreeOnly) {
    EXPECT_TRUE(isStaff(adminCity1));
    EXPECT_TRUE(canSeeUnit(adminCity1, "town1", tree));
    EXPECT_FALSE(canSeeUnit(adminCity1, "city2", tree));
    EXPECT_FALSE(canSeeUnit(adminCity1, "prov", tree));
    EXPECT_TRUE(canSeeSubject(adminCity1, subjectTown1, tree));
    EXPECT_FALSE(canSeeSubject(adminCity1, subjectCounty2, tree));

    EXPECT_TRUE(canSeeUnit(adminProv, "county2", tree));
    EXPECT_TRUE(canSeeSubject(adminProv, subjectCounty2, tree));
}

TEST_F(AccessTest, UnknownUnitIsSeenByNobody) {
    EXPECT_FALSE(canSeeUnit(adminProv, "nowhere", tree));
    User lost = make("s9", Role::Subject, "nowhere");
    EXPECT_FALSE(canSeeSubject(adminProv, lost, tree));
}

TEST_F(AccessTest, DisabledUsersSeeNothing) {
    User subject = make("s1", Role::Subject, "town1", true);
    User officer = make("o1", Role::Officer, "city1", true);
    User admin = make("a2", Role::Administrator, "prov", true);
    auto cls = classIn("county1", "o1");

    EXPECT_FALSE(canSeeSubject(subject, subject, tree));
    EXPECT_FALSE(canSeeClass(subject, cls, true, tree));

    EXPECT_FALSE(isStaff(officer));
    EXPECT_FALSE(canSeeUnit(officer, "city1", tree));
    EXPECT_FALSE(canSeeSubject(officer, subjectTown1, tree));
    EXPECT_FALSE(canSeeClass(officer, cls, false, tree));
    EXPECT_FALSE(canTeach(officer, cls, tree));

    EXPECT_FALSE(isStaff(admin));
    EXPECT_FALSE(canSeeUnit(admin, "prov", tree));
    EXPECT_FALSE(canSeeSubject(admin, subjectTown1, tree));
    EXPECT_FALSE(canSeeClass(admin, cls, false, tree));
    EXPECT_FALSE(canTeach(admin, cls, tree));
    EXPECT_FALSE(canAdminister(admin, "prov", tree));
}

TEST_F(AccessTest, ExplicitEnrolment) {
    auto cls = classIn("county1", "o2");
    std::set<std::string> enrolled{"s1", "s3"};
    EXPECT_TRUE(isEnrolled(subjectTown1, cls, enrolled, tree));
    EXPECT_TRUE(isEnrolled(subjectCounty2, cls, enrolled, tree));
    EXPECT_FALSE(isEnrolled(subjectTown1b, cls, enrolled, tree));
    EXPECT_FALSE(isEnrolled(subjectTown1, cls, {}, tree));
}

TEST_F(AccessTest, EnrolmentThroughEnrolUnitIncludesSubUnits) {
    auto atCounty = classIn("county1", "o2", "county1");
    EXPECT_TRUE(isEnrolled(subjectTown1, atCounty, {}, tree));  // town1 lies below county1
    EXPECT_TRUE(isEnrolled(subjectTown1b, atCounty, {}, tree));
    EXPECT_FALSE(isEnrolled(subjectCounty2, atCounty, {}, tree));

    auto atTown = classIn("county1", "o2", "town1");
    EXPECT_TRUE(isEnrolled(subjectTown1, atTown, {}, tree));
    User countySubject = make("s4", Role::Subject, "county1");
    EXPECT_FALSE(isEnrolled(countySubject, atTown, {}, tree));  // a parent unit is not enrolled

    auto none = classIn("county1", "o2");
    EXPECT_FALSE(isEnrolled(subjectTown1, none, {}, tree));
}

TEST_F(AccessTest, StaffAndDisabledSubjectsAreNeverEnrolled) {
    auto cls = classIn("county1", "o2", "prov");
    std::set<std::string> enrolled{"o1", "a1", "s1"};
    EXPECT_FALSE(isEnrolled(officerCity1, cls, enrolled, tree));
    EXPECT_FALSE(isEnrolled(officerCounty1, cls, enrolled, tree));
    EXPECT_FALSE(isEnrolled(adminCity1, cls, enrolled, tree));
    User disabled = make("s1", Role::Subject, "town1", true);
    EXPECT_FALSE(isEnrolled(disabled, cls, enrolled, tree));
}

TEST_F(AccessTest, SeeClass) {
    auto cls = classIn("county1", "o2");
    EXPECT_TRUE(canSeeClass(subjectTown1, cls, true, tree));
    EXPECT_FALSE(canSeeClass(subjectTown1, cls, false, tree));
    EXPECT_TRUE(canSeeClass(officerCounty1, cls, false, tree));
    EXPECT_TRUE(canSeeClass(officerCity1, cls, false, tree));
    EXPECT_TRUE(canSeeClass(adminProv, cls, false, tree));
    EXPECT_FALSE(canSeeClass(officerCity2, cls, false, tree));
}

TEST_F(AccessTest, TeachTheClassOfficerAndStaffOverTheUnit) {
    auto cls = classIn("county1", "o2");
    EXPECT_TRUE(canTeach(officerCounty1, cls, tree));  // the class's officer
    EXPECT_TRUE(canTeach(officerCity1, cls, tree));    // staff over county1
    EXPECT_TRUE(canTeach(adminCity1, cls, tree));
    EXPECT_TRUE(canTeach(adminProv, cls, tree));
    EXPECT_FALSE(canTeach(officerCity2, cls, tree));  // sibling unit
    EXPECT_FALSE(canTeach(subjectTown1, cls, tree));

    // An officer named on a class outside their unit still teaches it.
    auto elsewhere = classIn("county2", "o2");
    EXPECT_TRUE(canTeach(officerCounty1, elsewhere, tree));
    EXPECT_FALSE(canTeach(officerCity1, elsewhere, tree));
    EXPECT_TRUE(canTeach(officerCity2, elsewhere, tree));
}

TEST_F(AccessTest, SubjectWithOfficerIdCannotTeach) {
    User impostor = make("o2", Role::Subject, "town1");
    EXPECT_FALSE(canTeach(impostor, classIn("county1", "o2"), tree));
}

TEST_F(AccessTest, AdministerOnlyAdministratorsOverTheUnit) {
    EXPECT_TRUE(canAdminister(adminCity1, "city1", tree));
    EXPECT_TRUE(canAdminister(adminCity1, "town1", tree));
    EXPECT_FALSE(canAdminister(adminCity1, "city2", tree));
    EXPECT_FALSE(canAdminister(adminCity1, "prov", tree));
    EXPECT_TRUE(canAdminister(adminProv, "county2", tree));
    EXPECT_FALSE(canAdminister(officerCity1, "city1", tree));
    EXPECT_FALSE(canAdminister(officerCity1, "town1", tree));
    EXPECT_FALSE(canAdminister(subjectTown1, "town1", tree));
}

}  // namespace
}  // namespace vigil::signaling
