#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "vigil/vision/PresenceJudge.hpp"

namespace vigil::vision {
namespace {

constexpr std::int64_t kSec = 1000;

// A webcam-sized picture with structure: a random pattern, smoothed like a real scene.
cv::Mat scene(int seed) {
    cv::Mat picture(480, 640, CV_8UC3);
    cv::RNG rng(static_cast<std::uint64_t>(seed));
    rng.fill(picture, cv::RNG::UNIFORM, 0, 256);
    cv::GaussianBlur(picture, picture, cv::Size(31, 31), 0);
    cv::rectangle(picture, cv::Rect(200 + seed % 50, 120, 240, 260), cv::Scalar(90, 120, 200),
                  cv::FILLED);
    return picture;
}

// The same picture with fresh sensor noise, as a live camera pointed at a still scene or a
// re-encoded still gives.
cv::Mat noisy(const cv::Mat& picture, int seed, double sigma) {
    cv::Mat noise(picture.size(), CV_16SC3);
    cv::RNG rng(static_cast<std::uint64_t>(seed));
    rng.fill(noise, cv::RNG::NORMAL, 0, sigma);
    cv::Mat out;
    cv::add(picture, noise, out, cv::noArray(), CV_8UC3);
    return out;
}

TEST(FreezeDetectorTest, SamePictureRepeatedIsFrozenAfterFrozenMs) {
    FreezeDetector detector(60 * kSec);
    const cv::Mat still = scene(1);
    for (std::int64_t s = 0; s < 60; s += 5) {
        EXPECT_FALSE(detector.frozen(still, s * kSec)) << s;
    }
    EXPECT_TRUE(detector.frozen(still, 60 * kSec));
    EXPECT_TRUE(detector.frozen(still, 90 * kSec));
}

TEST(FreezeDetectorTest, SensorNoiseOnAStillIsStillFrozen) {
    FreezeDetector detector(30 * kSec);
    const cv::Mat still = scene(2);
    bool frozen = false;
    for (int i = 0; i <= 30; ++i) {
        frozen = detector.frozen(noisy(still, 100 + i, 3.0), i * kSec);
        if (i < 30) {
            EXPECT_FALSE(frozen) << i;
        }
    }
    EXPECT_TRUE(frozen);
}

TEST(FreezeDetectorTest, ChangingPicturesNeverFreeze) {
    FreezeDetector detector(10 * kSec);
    for (int i = 0; i < 120; ++i) {
        EXPECT_FALSE(detector.frozen(scene(i), i * kSec)) << i;
    }
}

TEST(FreezeDetectorTest, PureNoiseFramesNeverFreeze) {
    // Every frame independent noise: each thumbnail differs from the last by far more than
    // the threshold.
    FreezeDetector detector(10 * kSec);
    cv::RNG rng(7);
    for (int i = 0; i < 60; ++i) {
        cv::Mat frame(240, 320, CV_8UC3);
        rng.fill(frame, cv::RNG::UNIFORM, 0, 256);
        cv::GaussianBlur(frame, frame, cv::Size(61, 61), 0);
        EXPECT_FALSE(detector.frozen(frame, i * kSec)) << i;
    }
}

TEST(FreezeDetectorTest, AChangeRestartsTheClock) {
    FreezeDetector detector(60 * kSec);
    const cv::Mat a = scene(3);
    const cv::Mat b = scene(4);
    for (std::int64_t s = 0; s < 50; s += 10) EXPECT_FALSE(detector.frozen(a, s * kSec));
    EXPECT_FALSE(detector.frozen(b, 50 * kSec));
    EXPECT_FALSE(detector.frozen(b, 100 * kSec));
    EXPECT_TRUE(detector.frozen(b, 110 * kSec));
}

TEST(FreezeDetectorTest, SlowDriftIsNotAFreeze) {
    // Each frame is a little brighter than the one before, too little to notice frame to
    // frame, but the scene does change: the clock restarts once it has moved enough.
    FreezeDetector detector(20 * kSec, 0.6);
    const cv::Mat base = scene(5);
    bool everFrozen = false;
    for (int i = 0; i < 60; ++i) {
        cv::Mat frame;
        base.convertTo(frame, -1, 1.0, 0.25 * i);
        everFrozen = everFrozen || detector.frozen(frame, i * kSec);
    }
    EXPECT_FALSE(everFrozen);
}

TEST(FreezeDetectorTest, EmptyFrameIsNotFrozenAndForgetsTheRun) {
    FreezeDetector detector(10 * kSec);
    EXPECT_FALSE(detector.frozen(cv::Mat(), 0));
    const cv::Mat still = scene(6);
    EXPECT_FALSE(detector.frozen(still, 0));
    EXPECT_TRUE(detector.frozen(still, 10 * kSec));
    EXPECT_FALSE(detector.frozen(cv::Mat(), 11 * kSec));
    EXPECT_FALSE(detector.frozen(still, 12 * kSec));
    EXPECT_FALSE(detector.frozen(still, 21 * kSec));
    EXPECT_TRUE(detector.frozen(still, 22 * kSec));
}

TEST(FreezeDetectorTest, AcceptsGrayColourAndOtherSizes) {
    FreezeDetector detector(10 * kSec);
    const cv::Mat bgr = scene(7);
    cv::Mat gray;
    cv::Mat bgra;
    cv::Mat small;
    cv::Mat floating;
    cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
    cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
    cv::resize(bgr, small, cv::Size(320, 240), 0, 0, cv::INTER_AREA);
    bgr.convertTo(floating, CV_32FC3);
    // The same scene in every form: one unchanged run.
    EXPECT_FALSE(detector.frozen(bgr, 0));
    EXPECT_FALSE(detector.frozen(gray, 3 * kSec));
    EXPECT_FALSE(detector.frozen(bgra, 6 * kSec));
    EXPECT_FALSE(detector.frozen(small, 8 * kSec));
    EXPECT_TRUE(detector.frozen(floating, 10 * kSec));
    EXPECT_FALSE(detector.frozen(cv::Mat(1, 1, CV_8UC1, cv::Scalar(0)), 11 * kSec));
}

TEST(FreezeDetectorTest, TimeGoingBackwardsIsNotAFreeze) {
    FreezeDetector detector(10 * kSec);
    const cv::Mat still = scene(8);
    EXPECT_FALSE(detector.frozen(still, 100 * kSec));
    EXPECT_FALSE(detector.frozen(still, 50 * kSec));
    EXPECT_TRUE(detector.frozen(still, 110 * kSec));
    constexpr std::int64_t lo = std::numeric_limits<std::int64_t>::min();
    constexpr std::int64_t hi = std::numeric_limits<std::int64_t>::max();
    FreezeDetector extreme(10 * kSec);
    EXPECT_FALSE(extreme.frozen(still, lo));
    EXPECT_TRUE(extreme.frozen(still, hi));
}

}  // namespace
}  // namespace vigil::vision
