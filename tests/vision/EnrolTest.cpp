// The enrolment gate: only a photo of exactly one large, lit, sharp face becomes a reference,
// and every refusal says why with the measured value and the limit.

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "VisionTestData.hpp"
#include "vigil/vision/PresenceVerifier.hpp"

namespace vigil::vision {
namespace {

using test::defaultOptions;
using test::loadPhoto;

class EnrolTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        verifier = std::make_unique<PresenceVerifier>(defaultOptions());
    }
    static void TearDownTestSuite() { verifier.reset(); }
    static inline std::unique_ptr<PresenceVerifier> verifier;
};

TEST_F(EnrolTest, AGoodPortraitGivesAUnitEmbedding) {
    const auto result = verifier->enrol(loadPhoto("franck_02221.jpg"));
    ASSERT_TRUE(result.ok()) << result.code << ": " << result.reason;
    EXPECT_EQ(result.embedding.size(), 512u);
    double norm = 0;
    for (float v : result.embedding) norm += static_cast<double>(v) * v;
    EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-4);
    EXPECT_GE(result.face.box.width, 80);
    EXPECT_GE(result.quality.sharpness, verifier->options().enrolMinSharpness);
    EXPECT_GE(result.quality.brightness, verifier->options().enrolMinBrightness);
    // The reference verifies another photo of the same man.
    EXPECT_EQ(verifier->check(loadPhoto("franck_03909.jpg"), {result.embedding}).outcome,
              Outcome::Verified);
}

TEST_F(EnrolTest, NoFace) {
    for (const auto& frame : test::syntheticFrames()) {
        const auto result = verifier->enrol(frame);
        EXPECT_EQ(result.code, "no_face") << result.reason;
        EXPECT_TRUE(result.embedding.empty());
    }
    EXPECT_EQ(verifier->enrol(cv::Mat()).code, "no_face");
}

TEST_F(EnrolTest, SeveralFaces) {
    const auto result = verifier->enrol(loadPhoto("group_faces.jpg"));
    EXPECT_EQ(result.code, "several_faces");
    EXPECT_NE(result.reason.find("3 faces"), std::string::npos) << result.reason;
    EXPECT_TRUE(result.embedding.empty());
}

TEST_F(EnrolTest, FaceTooSmall) {
    // About 60 px: enough for a sample (40), too little for a reference (80).
    cv::Mat small;
    cv::resize(loadPhoto("franck_02221.jpg"), small, cv::Size(), 0.25, 0.25, cv::INTER_AREA);
    const auto result = verifier->enrol(small);
    EXPECT_EQ(result.code, "face_too_small") << result.reason;
    EXPECT_NE(result.reason.find("px < 80 px"), std::string::npos) << result.reason;
    // Too small for a reference, big enough for a presence check (no reference given here).
    EXPECT_EQ(verifier->check(small, {}).outcome, Outcome::Unenrolled);
}

TEST_F(EnrolTest, TooDark) {
    // Dim enough to fail the enrolment gate (50) yet bright enough for a sample (40).
    cv::Mat dim;
    loadPhoto("franck_02221.jpg").convertTo(dim, -1, 0.33);
    const auto result = verifier->enrol(dim);
    EXPECT_EQ(result.code, "too_dark") << result.reason;
    EXPECT_NE(result.reason.find("< 50"), std::string::npos) << result.reason;
    cv::Mat dark;
    loadPhoto("franck_02221.jpg").convertTo(dark, -1, 0.08);
    EXPECT_EQ(verifier->enrol(dark).code, "too_dark");
}

TEST_F(EnrolTest, Blurred) {
    cv::Mat blurred;
    cv::GaussianBlur(loadPhoto("franck_02221.jpg"), blurred, cv::Size(), 8);
    const auto result = verifier->enrol(blurred);
    EXPECT_EQ(result.code, "blurred") << result.reason;
    EXPECT_NE(result.reason.find("< 30.0"), std::string::npos) << result.reason;
}

TEST(EnrolHaarTest, WithoutARecogniserNothingCanBeEnrolled) {
    auto options = defaultOptions();
    options.detector = "haar";
    testing::internal::CaptureStderr();
    PresenceVerifier haar(options);
    testing::internal::GetCapturedStderr();
    const auto result = haar.enrol(loadPhoto("franck_02221.jpg"));
    EXPECT_EQ(result.code, "no_recognizer");
    EXPECT_FALSE(result.ok());
    EXPECT_TRUE(result.embedding.empty());
}

}  // namespace
}  // namespace vigil::vision
