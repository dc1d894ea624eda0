// The picture measures behind camera_off and poor_image, through PresenceVerifier::check.

#include <gtest/gtest.h>

#include <memory>

#include "VisionTestData.hpp"
#include "vigil/vision/PresenceVerifier.hpp"

namespace vigil::vision {
namespace {

using test::defaultOptions;
using test::loadPhoto;

class QualityTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        verifier = std::make_unique<PresenceVerifier>(defaultOptions());
    }
    static void TearDownTestSuite() { verifier.reset(); }
    static inline std::unique_ptr<PresenceVerifier> verifier;
};

TEST_F(QualityTest, BrightnessAndContrastOfAPlainPicture) {
    const cv::Mat plain(240, 320, CV_8UC3, cv::Scalar(100, 100, 100));
    const auto result = verifier->check(plain, {});
    EXPECT_EQ(result.outcome, Outcome::NoFace);
    EXPECT_NEAR(result.quality.brightness, 100, 1);
    EXPECT_LT(result.quality.contrast, 1);

    cv::Mat halves(240, 320, CV_8UC1, cv::Scalar(50));
    halves(cv::Rect(0, 0, 160, 240)).setTo(150);
    const auto split = verifier->check(halves, {});
    EXPECT_NEAR(split.quality.brightness, 100, 1);
    EXPECT_NEAR(split.quality.contrast, 50, 1);
}

TEST_F(QualityTest, DarkNoisyPictureIsPoorImageNotCameraOff) {
    // Dark but with contrast: a room with the light off, not a covered lens.
    cv::Mat night(480, 640, CV_8UC3);
    cv::RNG(7).fill(night, cv::RNG::NORMAL, 8, 20);
    const auto result = verifier->check(night, {});
    EXPECT_EQ(result.outcome, Outcome::PoorImage) << result.reason;
    EXPECT_GT(result.quality.contrast, 6);
}

TEST_F(QualityTest, BrightnessLimitsComeFromTheOptions) {
    cv::Mat dim;
    loadPhoto("franck_02159.jpg").convertTo(dim, -1, 0.4);             // Mean about 50.
    EXPECT_EQ(verifier->check(dim, {}).outcome, Outcome::Unenrolled);  // Bright enough.
    auto options = defaultOptions();
    options.minBrightness = 70;
    PresenceVerifier strict(options);
    const auto result = strict.check(dim, {});
    EXPECT_EQ(result.outcome, Outcome::PoorImage);
    EXPECT_NE(result.reason.find("< 70"), std::string::npos) << result.reason;
}

TEST_F(QualityTest, BlurLowersSharpness) {
    const cv::Mat photo = loadPhoto("franck_02159.jpg");
    double previous = 1e9;
    for (const double sigma : {0.0, 2.0, 4.0, 8.0}) {
        cv::Mat image = photo;
        if (sigma > 0) cv::GaussianBlur(photo, image, cv::Size(), sigma);
        const auto result = verifier->check(image, {});
        ASSERT_EQ(result.faces.size(), 1u) << sigma;
        EXPECT_LT(result.quality.sharpness, previous) << sigma;
        previous = result.quality.sharpness;
    }
}

TEST_F(QualityTest, SharpnessDoesNotDependOnTheFacesSize) {
    // The face is measured at the recogniser's resolution: a sharp face stays sharp when it
    // is smaller in the frame.
    const cv::Mat photo = loadPhoto("franck_02159.jpg");
    cv::Mat half;
    cv::resize(photo, half, cv::Size(), 0.5, 0.5, cv::INTER_AREA);
    const double full = verifier->check(photo, {}).quality.sharpness;
    const double small = verifier->check(half, {}).quality.sharpness;
    EXPECT_GT(small, full / 2);
    EXPECT_LT(small, full * 2);
}

}  // namespace
}  // namespace vigil::vision
