// How the A/V sync measurement pairs flashes with beeps and how much a hole in the recorded
// picture or sound may explain: a flash or a beep found late right after lost frames or lost
// sound is bounded by the loss, never excused beyond it.

#include <gtest/gtest.h>

#include "SyncAnalysis.hpp"
#include "SyncSchedule.hpp"

namespace vigil::testing {
namespace {

// Three events a second or more apart, as the schedule makes them.
SyncSchedule threeEvents() {
    SyncSchedule s;
    s.events = {1'000'000'000, 2'300'000'000, 4'000'000'000};
    return s;
}

TEST(SyncAnalysisTest, PairsEachFlashWithTheNearestBeepAndMeasuresAudioMinusVideo) {
    const auto report = analyseSync({1.0, 2.3, 4.0}, {1.01, 2.29, 4.0}, threeEvents(), 3);
    ASSERT_EQ(report.pairs.size(), 3u);
    EXPECT_EQ(report.eventsPaired, 3);
    EXPECT_NEAR(report.pairs[0].offsetMs(), 10.0, 1e-6);
    EXPECT_NEAR(report.pairs[1].offsetMs(), -10.0, 1e-6);
    EXPECT_NEAR(report.maxAbsMs, 10.0, 1e-6);
}

TEST(SyncAnalysisTest, ABeepFoundLateAfterLostSoundIsBoundedByTheLoss) {
    // The second beep is 108 ms late, right after 110 ms of missing sound: it may have begun
    // anywhere in that hole, so the least offset the recording allows is 0.
    const auto report =
        analyseSync({1.0, 2.3, 4.0}, {1.0, 2.408, 4.0}, threeEvents(), 3, {}, {0.0, 0.110, 0.0});
    ASSERT_EQ(report.pairs.size(), 3u);
    EXPECT_NEAR(report.pairs[1].offsetMs(), 108.0, 1e-6);
    EXPECT_NEAR(report.pairs[1].audioLost, 0.110, 1e-9);
    EXPECT_NEAR(report.pairs[1].leastOffsetMs(), 0.0, 1e-6);
}

TEST(SyncAnalysisTest, AShortHoleExplainsOnlyItsOwnLength) {
    // 150 ms late after 20 ms of missing sound: still at least 130 ms apart.
    const auto late = analyseSync({1.0}, {1.150}, threeEvents(), 1, {}, {0.020});
    ASSERT_EQ(late.pairs.size(), 1u);
    EXPECT_NEAR(late.pairs[0].leastOffsetMs(), 130.0, 1e-6);
    // Lost sound says nothing about a beep heard early: that is the picture's late flash.
    const auto early = analyseSync({1.0}, {0.850}, threeEvents(), 1, {}, {0.200});
    ASSERT_EQ(early.pairs.size(), 1u);
    EXPECT_NEAR(early.pairs[0].leastOffsetMs(), -150.0, 1e-6);
}

TEST(SyncAnalysisTest, AFlashSeenLateAfterLostFramesIsBoundedByTheLoss) {
    // Seen 120 ms after the beep, with 160 ms since the frame before it (one 33 ms frame
    // period and 127 ms lost): the flash may have begun with the beep.
    const auto report = analyseSync({1.120}, {1.0}, threeEvents(), 1, {0.160}, {});
    ASSERT_EQ(report.pairs.size(), 1u);
    EXPECT_NEAR(report.pairs[0].offsetMs(), -120.0, 1e-6);
    EXPECT_NEAR(report.pairs[0].leastOffsetMs(), 0.0, 1e-6);
}

}  // namespace
}  // namespace vigil::testing
