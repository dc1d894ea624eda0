#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "vigil/vision/PresenceJudge.hpp"

namespace vigil::vision {
namespace {

constexpr std::int64_t kSecondMs = 1000;
constexpr std::int64_t kJoin = 1795950000000;  // Any instant: the judge only uses differences.

std::int64_t at(std::int64_t seconds) {
    return kJoin + seconds * kSecondMs;
}

std::vector<AlertKind> none() {
    return {};
}

std::vector<AlertKind> only(AlertKind kind) {
    return {kind};
}

TEST(PresenceJudgeTest, NamesAreStable) {
    EXPECT_EQ(toString(PresenceState::Present), "present");
    EXPECT_EQ(toString(PresenceState::Uncertain), "uncertain");
    EXPECT_EQ(toString(PresenceState::Absent), "absent");
    EXPECT_EQ(toString(AlertKind::Absent), "absent");
    EXPECT_EQ(toString(AlertKind::NotMatched), "not_matched");
    EXPECT_EQ(toString(AlertKind::SeveralFaces), "several_faces");
    EXPECT_EQ(toString(AlertKind::CameraOff), "camera_off");
}

TEST(PresenceJudgeTest, StartsUncertainAndOneVerifiedSampleMakesPresent) {
    PresenceJudge judge(kJoin);
    EXPECT_EQ(judge.state(), PresenceState::Uncertain);
    EXPECT_FALSE(judge.lastOutcome().has_value());

    JudgeUpdate u = judge.onSample(Outcome::Verified, at(5));
    EXPECT_EQ(u.state, PresenceState::Present);
    EXPECT_TRUE(u.changed);
    EXPECT_EQ(u.alerts, none());
    EXPECT_EQ(judge.lastOutcome(), Outcome::Verified);

    u = judge.onSample(Outcome::Verified, at(10));
    EXPECT_EQ(u.state, PresenceState::Present);
    EXPECT_FALSE(u.changed);
}

TEST(PresenceJudgeTest, PresentNeedsTheConfiguredRunOfVerifiedSamples) {
    JudgeOptions options;
    options.presentAfter = 3;
    PresenceJudge judge(kJoin, options);
    EXPECT_EQ(judge.onSample(Outcome::Verified, at(1)).state, PresenceState::Uncertain);
    EXPECT_EQ(judge.onSample(Outcome::Verified, at(2)).state, PresenceState::Uncertain);
    // A miss breaks the run: three more in a row are needed.
    EXPECT_EQ(judge.onSample(Outcome::NoFace, at(3)).state, PresenceState::Uncertain);
    EXPECT_EQ(judge.onSample(Outcome::Verified, at(4)).state, PresenceState::Uncertain);
    EXPECT_EQ(judge.onSample(Outcome::Verified, at(5)).state, PresenceState::Uncertain);
    JudgeUpdate u = judge.onSample(Outcome::Verified, at(6));
    EXPECT_EQ(u.state, PresenceState::Present);
    EXPECT_TRUE(u.changed);
}

TEST(PresenceJudgeTest, TwoMissesInARowLeavePresentForUncertain) {
    PresenceJudge judge(kJoin);
    judge.onSample(Outcome::Verified, at(0));
    JudgeUpdate u = judge.onSample(Outcome::NoFace, at(5));
    EXPECT_EQ(u.state, PresenceState::Present);
    EXPECT_FALSE(u.changed);
    // A verified sample in between resets the count.
    judge.onSample(Outcome::Verified, at(10));
    EXPECT_EQ(judge.onSample(Outcome::NotMatched, at(15)).state, PresenceState::Present);
    u = judge.onSample(Outcome::SeveralFaces, at(20));
    EXPECT_EQ(u.state, PresenceState::Uncertain);
    EXPECT_TRUE(u.changed);
    u = judge.onSample(Outcome::NoFace, at(25));
    EXPECT_EQ(u.state, PresenceState::Uncertain);
    EXPECT_FALSE(u.changed);
}

TEST(PresenceJudgeTest, EveryNonVerifiedOutcomeCountsAsAMiss) {
    for (Outcome miss :
         {Outcome::NotMatched, Outcome::NoFace, Outcome::SeveralFaces, Outcome::CameraOff}) {
        PresenceJudge judge(kJoin);
        judge.onSample(Outcome::Verified, at(0));
        judge.onSample(miss, at(1));
        EXPECT_EQ(judge.onSample(miss, at(2)).state, PresenceState::Uncertain) << toString(miss);
    }
}

TEST(PresenceJudgeTest, PoorImageCountsAsHalfAMiss) {
    PresenceJudge judge(kJoin);
    judge.onSample(Outcome::Verified, at(0));
    EXPECT_EQ(judge.onSample(Outcome::PoorImage, at(1)).state, PresenceState::Present);
    EXPECT_EQ(judge.onSample(Outcome::PoorImage, at(2)).state, PresenceState::Present);
    EXPECT_EQ(judge.onSample(Outcome::PoorImage, at(3)).state, PresenceState::Present);
    EXPECT_EQ(judge.onSample(Outcome::PoorImage, at(4)).state, PresenceState::Uncertain);

    // Half plus one plus half: two misses.
    judge.onSample(Outcome::Verified, at(5));
    EXPECT_EQ(judge.onSample(Outcome::PoorImage, at(6)).state, PresenceState::Present);
    EXPECT_EQ(judge.onSample(Outcome::NoFace, at(7)).state, PresenceState::Present);
    EXPECT_EQ(judge.onSample(Outcome::PoorImage, at(8)).state, PresenceState::Uncertain);
}

TEST(PresenceJudgeTest, PoorImageBreaksARunOfVerifiedSamples) {
    JudgeOptions options;
    options.presentAfter = 2;
    PresenceJudge judge(kJoin, options);
    judge.onSample(Outcome::Verified, at(1));
    judge.onSample(Outcome::PoorImage, at(2));
    EXPECT_EQ(judge.onSample(Outcome::Verified, at(3)).state, PresenceState::Uncertain);
    EXPECT_EQ(judge.onSample(Outcome::Verified, at(4)).state, PresenceState::Present);
}

TEST(PresenceJudgeTest, AbsentAfterThirtySecondsWithoutAVerifiedSample) {
    PresenceJudge judge(kJoin);
    judge.onSample(Outcome::Verified, at(0));
    judge.onSample(Outcome::NoFace, at(10));
    EXPECT_EQ(judge.onSample(Outcome::NoFace, at(20)).state, PresenceState::Uncertain);
    EXPECT_EQ(judge.onSample(Outcome::NoFace, at(29)).state, PresenceState::Uncertain);
    JudgeUpdate u = judge.onSample(Outcome::NoFace, at(30));
    EXPECT_EQ(u.state, PresenceState::Absent);
    EXPECT_TRUE(u.changed);
    EXPECT_EQ(u.alerts, none());  // The alert waits for absentAlertMs.

    u = judge.onSample(Outcome::Verified, at(35));
    EXPECT_EQ(u.state, PresenceState::Present);
    EXPECT_TRUE(u.changed);
}

TEST(PresenceJudgeTest, AbsentStraightFromPresentWhenSamplesAreSparse) {
    // One miss is not enough to leave `present`, but 40 s without a verified sample is.
    PresenceJudge judge(kJoin);
    judge.onSample(Outcome::Verified, at(0));
    JudgeUpdate u = judge.onSample(Outcome::NoFace, at(40));
    EXPECT_EQ(u.state, PresenceState::Absent);
    EXPECT_TRUE(u.changed);
}

TEST(PresenceJudgeTest, NotAbsentWhileTheLastSampleIsVerified) {
    JudgeOptions options;
    options.noFrameMs = 600 * kSecondMs;
    PresenceJudge judge(kJoin, options);
    judge.onSample(Outcome::Verified, at(0));
    JudgeUpdate u = judge.onTick(at(45));
    EXPECT_EQ(u.state, PresenceState::Present);
    EXPECT_FALSE(u.changed);
    EXPECT_EQ(u.alerts, none());
}

TEST(PresenceJudgeTest, AVerifiedSampleShortOfTheRunLeavesAbsentForUncertain) {
    JudgeOptions options;
    options.presentAfter = 2;
    PresenceJudge judge(kJoin, options);
    EXPECT_EQ(judge.onSample(Outcome::NoFace, at(30)).state, PresenceState::Absent);
    JudgeUpdate u = judge.onSample(Outcome::Verified, at(35));
    EXPECT_EQ(u.state, PresenceState::Uncertain);
    EXPECT_TRUE(u.changed);
    EXPECT_EQ(judge.onSample(Outcome::Verified, at(40)).state, PresenceState::Present);
}

TEST(PresenceJudgeTest, TickWithoutSamplesFeedsCameraOffOnce) {
    PresenceJudge judge(kJoin);
    JudgeUpdate u = judge.onTick(at(29));
    EXPECT_EQ(u.state, PresenceState::Uncertain);
    EXPECT_FALSE(u.changed);
    EXPECT_EQ(u.alerts, none());

    u = judge.onTick(at(30));
    EXPECT_EQ(judge.lastOutcome(), Outcome::CameraOff);
    EXPECT_EQ(u.alerts, only(AlertKind::CameraOff));
    EXPECT_EQ(u.state, PresenceState::Absent);  // Never verified in 30 s since the join.
    EXPECT_TRUE(u.changed);

    EXPECT_EQ(judge.onTick(at(31)).alerts, none());
    // 30 s more of silence is camera_off again, but the same episode: no second alert; the
    // absent alert is due a minute after the join.
    u = judge.onTick(at(60));
    EXPECT_EQ(u.alerts, only(AlertKind::Absent));
    EXPECT_FALSE(u.changed);
    EXPECT_EQ(judge.onTick(at(90)).alerts, none());
}

TEST(PresenceJudgeTest, SilenceAfterVerifiedSamplesIsCameraOff) {
    PresenceJudge judge(kJoin);
    judge.onSample(Outcome::Verified, at(0));
    judge.onSample(Outcome::Verified, at(10));
    EXPECT_EQ(judge.onTick(at(39)).state, PresenceState::Present);
    // 30 s of silence is camera_off, and 30 s since the last verified sample is absent.
    JudgeUpdate u = judge.onTick(at(40));
    EXPECT_EQ(u.alerts, only(AlertKind::CameraOff));
    EXPECT_EQ(u.state, PresenceState::Absent);
    EXPECT_TRUE(u.changed);
    EXPECT_EQ(judge.onTick(at(69)).alerts, none());
    u = judge.onTick(at(70));  // A minute since the last verified sample.
    EXPECT_EQ(u.state, PresenceState::Absent);
    EXPECT_FALSE(u.changed);
    EXPECT_EQ(u.alerts, only(AlertKind::Absent));
}

TEST(PresenceJudgeTest, AbsentAlertOncePerEpisode) {
    PresenceJudge judge(kJoin);
    judge.onSample(Outcome::Verified, at(0));
    std::vector<std::int64_t> absentAlerts;
    auto feed = [&](std::int64_t second, Outcome outcome) {
        for (AlertKind a : judge.onSample(outcome, at(second)).alerts) {
            if (a == AlertKind::Absent) absentAlerts.push_back(second);
        }
    };
    for (std::int64_t s = 10; s <= 150; s += 10) feed(s, Outcome::NoFace);
    EXPECT_EQ(absentAlerts, (std::vector<std::int64_t>{60}));

    feed(160, Outcome::Verified);  // Back: a new episode can start.
    for (std::int64_t s = 170; s <= 300; s += 10) feed(s, Outcome::NoFace);
    EXPECT_EQ(absentAlerts, (std::vector<std::int64_t>{60, 220}));
}

TEST(PresenceJudgeTest, NeverVerifiedAlertsAMinuteAfterTheJoin) {
    // Even when `absent` itself would take longer, a subject never recognised since the join
    // is reported.
    JudgeOptions options;
    options.absentAfterMs = 600 * kSecondMs;
    options.notMatchedAlertAfter = 1000;
    PresenceJudge judge(kJoin, options);
    for (std::int64_t s = 10; s < 60; s += 10) {
        JudgeUpdate u = judge.onSample(Outcome::NotMatched, at(s));
        EXPECT_EQ(u.alerts, none()) << s;
        EXPECT_EQ(u.state, PresenceState::Uncertain);
    }
    JudgeUpdate u = judge.onSample(Outcome::NotMatched, at(60));
    EXPECT_EQ(u.alerts, only(AlertKind::Absent));
    EXPECT_EQ(u.state, PresenceState::Uncertain);
    EXPECT_EQ(judge.onTick(at(61)).alerts, none());
}

TEST(PresenceJudgeTest, NotMatchedAlertAfterTwoInARowOncePerEpisode) {
    PresenceJudge judge(kJoin);
    judge.onSample(Outcome::Verified, at(0));
    EXPECT_EQ(judge.onSample(Outcome::NotMatched, at(1)).alerts, none());
    EXPECT_EQ(judge.onSample(Outcome::NotMatched, at(2)).alerts, only(AlertKind::NotMatched));
    EXPECT_EQ(judge.onSample(Outcome::NotMatched, at(3)).alerts, none());
    // Broken by another miss and resumed: still the same episode.
    EXPECT_EQ(judge.onSample(Outcome::NoFace, at(4)).alerts, none());
    EXPECT_EQ(judge.onSample(Outcome::NotMatched, at(5)).alerts, none());
    EXPECT_EQ(judge.onSample(Outcome::NotMatched, at(6)).alerts, none());
    // A verified sample ends it.
    judge.onSample(Outcome::Verified, at(7));
    EXPECT_EQ(judge.onSample(Outcome::NotMatched, at(8)).alerts, none());
    EXPECT_EQ(judge.onSample(Outcome::NotMatched, at(9)).alerts, only(AlertKind::NotMatched));
}

// A subject without a reference who sits in front of the camera for the whole class: present,
// never absent, never accused, however long it lasts.
TEST(PresenceJudgeTest, UnenrolledFaceIsPresentAndRaisesNoAlert) {
    PresenceJudge judge(kJoin);
    for (std::int64_t s = 0; s <= 600; s += 10) {
        JudgeUpdate u = judge.onSample(Outcome::Unenrolled, at(s));
        EXPECT_EQ(u.alerts, none()) << s;
        EXPECT_EQ(u.state, PresenceState::Present) << s;
        EXPECT_EQ(judge.onTick(at(s + 5)).alerts, none()) << s;
    }
    EXPECT_EQ(judge.lastOutcome(), Outcome::Unenrolled);
    // The chair empties: the usual rules apply from the last face seen.
    JudgeUpdate u = judge.onSample(Outcome::NoFace, at(610));
    EXPECT_EQ(judge.onSample(Outcome::NoFace, at(620)).state, PresenceState::Uncertain);
    u = judge.onSample(Outcome::NoFace, at(640));
    EXPECT_EQ(u.state, PresenceState::Absent);
}

TEST(PresenceJudgeTest, UnenrolledEndsAnEpisodeLikeAVerifiedSample) {
    PresenceJudge judge(kJoin);
    judge.onSample(Outcome::NoFace, at(1));
    EXPECT_EQ(judge.onSample(Outcome::NotMatched, at(2)).alerts, none());
    EXPECT_EQ(judge.onSample(Outcome::NotMatched, at(3)).alerts, only(AlertKind::NotMatched));
    judge.onSample(Outcome::Unenrolled, at(4));
    EXPECT_EQ(judge.onSample(Outcome::NotMatched, at(5)).alerts, none());
    EXPECT_EQ(judge.onSample(Outcome::NotMatched, at(6)).alerts, only(AlertKind::NotMatched));
}

TEST(PresenceJudgeTest, NotMatchedRunMustBeUnbroken) {
    PresenceJudge judge(kJoin);
    judge.onSample(Outcome::Verified, at(0));
    EXPECT_EQ(judge.onSample(Outcome::NotMatched, at(1)).alerts, none());
    EXPECT_EQ(judge.onSample(Outcome::PoorImage, at(2)).alerts, none());
    EXPECT_EQ(judge.onSample(Outcome::NotMatched, at(3)).alerts, none());
    EXPECT_EQ(judge.onSample(Outcome::NotMatched, at(4)).alerts, only(AlertKind::NotMatched));
}

TEST(PresenceJudgeTest, SeveralFacesAlertOncePerEpisode) {
    PresenceJudge judge(kJoin);
    judge.onSample(Outcome::Verified, at(0));
    EXPECT_EQ(judge.onSample(Outcome::SeveralFaces, at(1)).alerts, only(AlertKind::SeveralFaces));
    EXPECT_EQ(judge.onSample(Outcome::SeveralFaces, at(2)).alerts, none());
    EXPECT_EQ(judge.onSample(Outcome::NoFace, at(3)).alerts, none());
    EXPECT_EQ(judge.onSample(Outcome::SeveralFaces, at(4)).alerts, none());
    judge.onSample(Outcome::Verified, at(5));
    EXPECT_EQ(judge.onSample(Outcome::SeveralFaces, at(6)).alerts, only(AlertKind::SeveralFaces));
}

TEST(PresenceJudgeTest, CameraOffSampleAlertsOncePerEpisode) {
    PresenceJudge judge(kJoin);
    judge.onSample(Outcome::Verified, at(0));
    EXPECT_EQ(judge.onSample(Outcome::CameraOff, at(1)).alerts, only(AlertKind::CameraOff));
    EXPECT_EQ(judge.onSample(Outcome::CameraOff, at(2)).alerts, none());
    EXPECT_EQ(judge.onSample(Outcome::PoorImage, at(3)).alerts, none());
    EXPECT_EQ(judge.onSample(Outcome::CameraOff, at(4)).alerts, none());
    judge.onSample(Outcome::Verified, at(5));
    EXPECT_EQ(judge.onSample(Outcome::CameraOff, at(6)).alerts, only(AlertKind::CameraOff));
}

TEST(PresenceJudgeTest, OneSampleCanRaiseSeveralAlerts) {
    JudgeOptions options;
    options.notMatchedAlertAfter = 1;
    PresenceJudge judge(kJoin, options);
    JudgeUpdate u = judge.onSample(Outcome::NotMatched, at(60));
    EXPECT_EQ(u.alerts, (std::vector<AlertKind>{AlertKind::NotMatched, AlertKind::Absent}));
    EXPECT_EQ(u.state, PresenceState::Absent);
}

TEST(PresenceJudgeTest, LateSamplesDoNotMoveTheClockBack) {
    PresenceJudge judge(kJoin);
    judge.onSample(Outcome::Verified, at(60));
    // A verified sample taken earlier but delivered late does not date the last verification
    // back: 20 s after the one at 60 s is not absent.
    judge.onSample(Outcome::Verified, at(10));
    judge.onSample(Outcome::NoFace, at(70));
    EXPECT_EQ(judge.onSample(Outcome::NoFace, at(80)).state, PresenceState::Uncertain);
    // A tick from the past neither feeds camera_off nor changes anything.
    JudgeUpdate u = judge.onTick(at(5));
    EXPECT_EQ(u.state, PresenceState::Uncertain);
    EXPECT_FALSE(u.changed);
    EXPECT_EQ(u.alerts, none());
    EXPECT_EQ(judge.onTick(at(89)).state, PresenceState::Uncertain);
    EXPECT_EQ(judge.onTick(at(90)).state, PresenceState::Absent);
    // A late miss counts as the next sample but at the judge's clock.
    u = judge.onSample(Outcome::NoFace, at(0));
    EXPECT_EQ(u.state, PresenceState::Absent);
    EXPECT_FALSE(u.changed);
    // The late verified sample returns the subject (it was seen), and the clock stays put.
    u = judge.onSample(Outcome::Verified, at(85));
    EXPECT_EQ(u.state, PresenceState::Present);
    EXPECT_EQ(judge.onSample(Outcome::NoFace, at(91)).state, PresenceState::Present);
}

TEST(PresenceJudgeTest, ExtremeTimesDoNotOverflow) {
    constexpr std::int64_t lo = std::numeric_limits<std::int64_t>::min();
    constexpr std::int64_t hi = std::numeric_limits<std::int64_t>::max();
    for (std::int64_t start : {lo, std::int64_t{0}, hi}) {
        PresenceJudge judge(start);
        for (std::int64_t t : {lo, hi, std::int64_t{0}, lo, hi}) {
            judge.onTick(t);
            judge.onSample(Outcome::NoFace, t);
            judge.onSample(Outcome::Verified, t);
        }
        EXPECT_EQ(judge.state(), PresenceState::Present);
    }
    // From the earliest instant to the latest is a long time without a verified sample.
    PresenceJudge judge(lo);
    JudgeUpdate u = judge.onSample(Outcome::NoFace, hi);
    EXPECT_EQ(u.state, PresenceState::Absent);
    EXPECT_EQ(u.alerts, only(AlertKind::Absent));
}

}  // namespace
}  // namespace vigil::vision
