#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "RedisFixture.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::testing {
namespace {

using common::ApiError;
using common::Millis;
using common::Task;
using signaling::ClassSession;
using signaling::NewUser;
using signaling::Role;
using signaling::User;

constexpr Millis kStart = 1'795'950'000'000;

class DirectoryTest : public RedisFixture {
protected:
    void SetUp() override {
        RedisFixture::SetUp();
        directory = std::make_unique<signaling::Directory>(*redis);
        loop.runUntilDone([&]() -> Task<void> {
            co_await directory->addUnit("prov", "Province", "");
            co_await directory->addUnit("city1", "City 1", "prov");
            co_await directory->addUnit("county1", "County 1", "city1");
            co_await directory->addUnit("city2", "City 2", "prov");
            officer = co_await directory->addUser(newUser("officer1", Role::Officer, "city1"));
            inCounty = co_await directory->addUser(newUser("subject01", Role::Subject, "county1"));
            inCity = co_await directory->addUser(newUser("subject02", Role::Subject, "city1"));
            elsewhere = co_await directory->addUser(newUser("subject03", Role::Subject, "city2"));
        }());
    }
    void TearDown() override {
        directory.reset();
        RedisFixture::TearDown();
    }

    static NewUser newUser(const std::string& username, Role role, const std::string& unit) {
        NewUser u;
        u.username = username;
        u.name = username;
        u.role = role;
        u.unit = unit;
        u.passwordHash = "$argon2id$not-a-usable-hash";  // Never verified here.
        return u;
    }

    ClassSession addClass(const std::string& enrolUnit, std::vector<std::string> enrolTags = {}) {
        ClassSession c;
        c.title = "Law and life";
        c.unit = "city1";
        c.officer = officer.id;
        c.start = kStart;
        c.end = kStart + 3'600'000;
        c.enrolUnit = enrolUnit;
        c.enrolTags = std::move(enrolTags);
        ClassSession out;
        loop.runUntilDone([&]() -> Task<void> { out = co_await directory->addClass(c); }());
        return out;
    }

    static std::set<std::string> ids(const std::vector<User>& users) {
        std::set<std::string> out;
        for (const auto& u : users) out.insert(u.id);
        return out;
    }

    std::unique_ptr<signaling::Directory> directory;
    User officer, inCounty, inCity, elsewhere;
};

TEST_F(DirectoryTest, UnitTreeMatchesTheUnitsAdded) {
    signaling::UnitTree tree;
    loop.runUntilDone([&]() -> Task<void> { tree = co_await directory->unitTree(); }());
    EXPECT_TRUE(tree.isWithin("county1", "prov"));
    EXPECT_FALSE(tree.isWithin("county1", "city2"));
    EXPECT_EQ(tree.parentOf("city2"), "prov");
}

TEST_F(DirectoryTest, ExplicitEnrolment) {
    auto cls = addClass("");
    std::set<std::string> explicitIds;
    std::vector<User> enrolled;
    loop.runUntilDone([&]() -> Task<void> {
        std::vector<std::string> subjects{inCounty.id, elsewhere.id};
        co_await directory->enrol(cls.id, std::move(subjects));
        explicitIds = co_await directory->explicitlyEnrolled(cls.id);
        enrolled = co_await directory->enrolledSubjects(cls);
    }());
    EXPECT_EQ(explicitIds, (std::set<std::string>{inCounty.id, elsewhere.id}));
    EXPECT_EQ(ids(enrolled), (std::set<std::string>{inCounty.id, elsewhere.id}));
}

TEST_F(DirectoryTest, EnrolmentThroughTheEnrolUnitIncludesSubUnits) {
    auto cls = addClass("city1");
    std::vector<User> enrolled;
    loop.runUntilDone(
        [&]() -> Task<void> { enrolled = co_await directory->enrolledSubjects(cls); }());
    EXPECT_EQ(ids(enrolled), (std::set<std::string>{inCounty.id, inCity.id}));
}

TEST_F(DirectoryTest, EnrolmentByTagKeepsToTheClassUnit) {
    auto cls = addClass("", {"minor", "fraud"});
    std::optional<ClassSession> found;
    std::set<std::string> enrolledIds;
    std::vector<User> enrolled;
    loop.runUntilDone([&]() -> Task<void> {
        found = co_await directory->findClass(cls.id);
        // A minor below the class's unit, a fraud case in it, a minor in another city.
        co_await redis->cmd("SADD", signaling::keys::tagged("minor"), inCounty.id, elsewhere.id);
        co_await redis->cmd("SADD", signaling::keys::tagged("fraud"), inCity.id);
        co_await redis->cmd("SADD", signaling::keys::tagged("traffic"), inCity.id, elsewhere.id);
        enrolledIds = co_await directory->explicitlyEnrolled(cls.id);
        enrolled = co_await directory->enrolledSubjects(cls);
    }());
    ASSERT_TRUE(found);
    EXPECT_EQ(found->enrolTags, (std::vector<std::string>{"minor", "fraud"}));
    EXPECT_EQ(found->toJson(480)["enrol_tags"], (nlohmann::json{"minor", "fraud"}));
    EXPECT_EQ(enrolledIds, (std::set<std::string>{inCounty.id, inCity.id}));
    EXPECT_EQ(ids(enrolled), (std::set<std::string>{inCounty.id, inCity.id}));

    // A class without tags is untouched by the tag sets.
    auto plain = addClass("");
    loop.runUntilDone(
        [&]() -> Task<void> { enrolledIds = co_await directory->explicitlyEnrolled(plain.id); }());
    EXPECT_TRUE(enrolledIds.empty());
}

TEST_F(DirectoryTest, EnrolRejectsUnknownClassesAndNonSubjects) {
    auto cls = addClass("");
    std::string unknownClass, unknownClassMessage, notSubject;
    loop.runUntilDone([&]() -> Task<void> {
        try {
            std::vector<std::string> subjects{inCounty.id};
            co_await directory->enrol("c999", std::move(subjects));
        } catch (const ApiError& e) {
            unknownClass = e.code();
            unknownClassMessage = e.what();
        }
        try {
            std::vector<std::string> staff{officer.id};
            co_await directory->enrol(cls.id, std::move(staff));
        } catch (const ApiError& e) {
            notSubject = e.code();
        }
    }());
    EXPECT_EQ(unknownClass, "not_found");
    EXPECT_NE(unknownClassMessage.find("no class"), std::string::npos) << unknownClassMessage;
    EXPECT_EQ(notSubject, "not_found");
}

TEST_F(DirectoryTest, DisabledSubjectIsNoLongerEnrolled) {
    auto cls = addClass("city1");
    std::vector<User> enrolled;
    loop.runUntilDone([&]() -> Task<void> {
        co_await directory->setDisabled(inCity.id, true);
        enrolled = co_await directory->enrolledSubjects(cls);
    }());
    EXPECT_EQ(ids(enrolled), (std::set<std::string>{inCounty.id}));
}

}  // namespace
}  // namespace vigil::testing
