#include <gtest/gtest.h>

#include <string>

#include "vigil/signaling/Model.hpp"

namespace vigil::signaling {
namespace {

constexpr common::Millis kMinute = 60'000;
constexpr common::Millis kEarly = 10 * kMinute;
constexpr common::Millis kStart = 1'795'950'000'000;
constexpr common::Millis kEnd = kStart + 60 * kMinute;

ClassSession scheduled() {
    ClassSession c;
    c.id = "c1";
    c.title = "Cognitive skills";
    c.unit = "county1";
    c.officer = "o1";
    c.start = kStart;
    c.end = kEnd;
    return c;
}

TEST(ModelTest, ScheduledClassOpensTenMinutesEarly) {
    auto c = scheduled();
    EXPECT_FALSE(c.isOpen(kStart - kEarly - 1, kEarly));
    EXPECT_TRUE(c.isOpen(kStart - kEarly, kEarly));
    EXPECT_TRUE(c.isOpen(kStart - 1, kEarly));
    EXPECT_TRUE(c.isOpen(kStart, kEarly));
    EXPECT_FALSE(c.isOpen(kStart - 1, 0));
}

TEST(ModelTest, ScheduledClassClosesAtItsEnd) {
    auto c = scheduled();
    EXPECT_TRUE(c.isOpen(kEnd - 1, kEarly));
    EXPECT_FALSE(c.isOpen(kEnd, kEarly));
    EXPECT_FALSE(c.isOpen(kEnd + 5 * kMinute, kEarly));
}

TEST(ModelTest, LiveClassIsOpenEvenPastItsSchedule) {
    auto c = scheduled();
    c.state = ClassState::Live;
    c.startedAt = kStart - 2 * kMinute;
    EXPECT_TRUE(c.isOpen(kStart, kEarly));
    EXPECT_TRUE(c.isOpen(kEnd + 30 * kMinute, kEarly));
}

TEST(ModelTest, EndedClassIsClosed) {
    auto c = scheduled();
    c.state = ClassState::Ended;
    c.startedAt = kStart;
    c.endedAt = kStart + 20 * kMinute;
    EXPECT_FALSE(c.isOpen(kStart + 10 * kMinute, kEarly));
    EXPECT_FALSE(c.isOpen(kStart - 5 * kMinute, kEarly));
    EXPECT_FALSE(c.isOpen(kEnd + kMinute, kEarly));
}

TEST(ModelTest, CreditEndOfScheduledClassIsItsEnd) {
    auto c = scheduled();
    EXPECT_EQ(c.creditEnd(kStart), kEnd);
    EXPECT_EQ(c.creditEnd(kEnd + 10 * kMinute), kEnd);
}

TEST(ModelTest, CreditEndOfLiveClassExtendsWhileItRunsOver) {
    auto c = scheduled();
    c.state = ClassState::Live;
    EXPECT_EQ(c.creditEnd(kStart + kMinute), kEnd);
    EXPECT_EQ(c.creditEnd(kEnd + 7 * kMinute), kEnd + 7 * kMinute);
}

TEST(ModelTest, CreditEndOfEndedClassIsWhenItActuallyEnded) {
    auto early = scheduled();
    early.state = ClassState::Ended;
    early.endedAt = kStart + 25 * kMinute;
    EXPECT_EQ(early.creditEnd(kEnd + kMinute), kStart + 25 * kMinute);

    auto late = scheduled();
    late.state = ClassState::Ended;
    late.endedAt = kEnd + 12 * kMinute;
    EXPECT_EQ(late.creditEnd(kEnd + 60 * kMinute), kEnd + 12 * kMinute);

    auto unknown = scheduled();
    unknown.state = ClassState::Ended;
    EXPECT_EQ(unknown.creditEnd(kEnd + 60 * kMinute), kEnd);
}

TEST(ModelTest, RolesRoundTrip) {
    for (Role r : {Role::Subject, Role::Officer, Role::Administrator}) {
        auto parsed = parseRole(toString(r));
        ASSERT_TRUE(parsed.has_value());
        EXPECT_EQ(*parsed, r);
    }
    EXPECT_EQ(parseRole("admin"), Role::Administrator);
    EXPECT_FALSE(parseRole("Officer").has_value());
    EXPECT_FALSE(parseRole("").has_value());
}

TEST(ModelTest, ClassJsonCarriesStateAndTimes) {
    auto c = scheduled();
    c.state = ClassState::Ended;
    c.startedAt = kStart;
    c.endedAt = kEnd;
    auto j = c.toJson(480);
    EXPECT_EQ(j["state"], "ended");
    EXPECT_EQ(j["id"], "c1");
    EXPECT_TRUE(j.contains("started_at"));
    EXPECT_TRUE(j.contains("ended_at"));
    EXPECT_EQ(j["start"], common::formatIso8601(kStart, 480));

    auto fresh = scheduled().toJson(480);
    EXPECT_EQ(fresh["state"], "scheduled");
    EXPECT_FALSE(fresh.contains("started_at"));
}

}  // namespace
}  // namespace vigil::signaling
