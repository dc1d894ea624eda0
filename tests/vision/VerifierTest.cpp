// PresenceVerifier::check on the labelled photos and webcam frames: every outcome is reached
// for the reason it names, identity decisions hold on same and different people, and bad
// pictures never crash it.

#include <gtest/gtest.h>

#include <memory>

#include "VisionTestData.hpp"
#include "vigil/vision/PresenceVerifier.hpp"

namespace vigil::vision {
namespace {

using test::defaultOptions;
using test::load;
using test::loadPhoto;

const std::vector<std::string> kFranck{"franck_01829.jpg", "franck_02045.jpg", "franck_02159.jpg",
                                       "franck_02221.jpg", "franck_02683.jpg", "franck_02888.jpg",
                                       "franck_03909.jpg", "franck_03979.jpg", "franck_04000.jpg",
                                       "franck_04035.jpg", "franck_04117.jpg"};

// Other real people, and faces that are not a person (a painting, masks, a drawing): none of
// them is Franck.
const std::vector<std::string> kOthers{"Justin-Bieber2_crop.jpg",
                                       "SeanConnery.jpg",
                                       "audrey.jpg",
                                       "average2_crop.jpg",
                                       "bieber_small.jpg",
                                       "bill-murray-snl_crop.jpg",
                                       "cage.jpg",
                                       "cage2_crop.jpg",
                                       "chuck_crop.jpg",
                                       "fragrance-George-Clooney-main_crop.jpg",
                                       "joconde.jpg",
                                       "kim1_crop.jpg",
                                       "obama4_crop.jpg",
                                       "picasso_drawing_crop.jpg",
                                       "queen20_crop.jpg",
                                       "ri_1_crop.jpg",
                                       "sean_guru2_crop.jpg",
                                       "skullmask.jpg",
                                       "terminator_crop.jpg",
                                       "vendetta.jpg",
                                       "walter2_crop.jpg"};

class VerifierTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        verifier = std::make_unique<PresenceVerifier>(defaultOptions());
        const auto first = verifier->enrol(loadPhoto("franck_01829.jpg"));
        ASSERT_TRUE(first.ok()) << first.reason;
        franck = {first.embedding};
        // The subject of the two webcam captures enrolled from three frames of the first.
        for (const auto* frame : {"00060.jpg", "00120.jpg", "00240.jpg"}) {
            const std::string path = test::assets() + "/testdata/video/cap12/" + frame;
            const auto enrolled = verifier->enrol(load(path));
            ASSERT_TRUE(enrolled.ok()) << path << ": " << enrolled.reason;
            webcam.push_back(enrolled.embedding);
        }
        ASSERT_EQ(webcam.size(), 3u);
    }
    static void TearDownTestSuite() { verifier.reset(); }

    static float threshold() { return verifier->options().matchThreshold; }

    static inline std::unique_ptr<PresenceVerifier> verifier;
    static inline std::vector<Embedding> franck;
    static inline std::vector<Embedding> webcam;
};

TEST_F(VerifierTest, SecondCaptureOfTheSamePersonIsVerified) {
    int verified = 0, total = 0;
    for (const auto& path : test::videoFrames("cap13", 20)) {
        const auto result = verifier->check(load(path), webcam);
        ++total;
        if (result.outcome == Outcome::Verified) ++verified;
        EXPECT_GE(result.similarity, threshold()) << path << ": " << result.reason;
    }
    EXPECT_EQ(verified, total);
}

TEST_F(VerifierTest, OtherPeopleAreNotMatched) {
    for (const auto& name : kOthers) {
        const auto result = verifier->check(loadPhoto(name), franck);
        EXPECT_EQ(result.outcome, Outcome::NotMatched) << name << ": " << result.reason;
        EXPECT_LT(result.similarity, threshold()) << name;
        EXPECT_NE(result.reason.find("similarity"), std::string::npos) << result.reason;
    }
    // Nor is the webcam subject Franck, nor Franck the webcam subject.
    for (const auto& path : test::videoFrames("cap13", 60)) {
        EXPECT_EQ(verifier->check(load(path), franck).outcome, Outcome::NotMatched) << path;
    }
    for (const auto& name : kFranck) {
        EXPECT_EQ(verifier->check(loadPhoto(name), webcam).outcome, Outcome::NotMatched) << name;
    }
}

TEST_F(VerifierTest, SamePersonPairsMostlyMatch) {
    std::vector<Embedding> embeddings;
    for (const auto& name : kFranck) {
        const auto enrolled = verifier->enrol(loadPhoto(name));
        ASSERT_TRUE(enrolled.ok()) << name << ": " << enrolled.reason;
        embeddings.push_back(enrolled.embedding);
    }
    int matched = 0, pairs = 0;
    for (size_t i = 0; i < embeddings.size(); ++i) {
        for (size_t j = i + 1; j < embeddings.size(); ++j) {
            ++pairs;
            if (similarity(embeddings[i], embeddings[j]) >= threshold()) ++matched;
        }
    }
    EXPECT_GE(matched, pairs * 9 / 10) << matched << " of " << pairs;
    // Checking each photo against all the others' references verifies every one.
    for (size_t i = 0; i < kFranck.size(); ++i) {
        std::vector<Embedding> others = embeddings;
        others.erase(others.begin() + static_cast<std::ptrdiff_t>(i));
        EXPECT_EQ(verifier->check(loadPhoto(kFranck[i]), others).outcome, Outcome::Verified)
            << kFranck[i];
    }
}

// Nobody is accused for a reference the agency never enrolled: the face is there, whose it is
// cannot be told.
TEST_F(VerifierTest, WithoutReferencesAGoodFaceIsUnenrolled) {
    for (const std::string& name : {std::string("franck_02045.jpg"), kOthers[0]}) {
        const auto result = verifier->check(loadPhoto(name), {});
        EXPECT_EQ(result.outcome, Outcome::Unenrolled) << name;
        EXPECT_EQ(result.reason, "no face reference is enrolled: identity not checked");
        EXPECT_EQ(result.faces.size(), 1u);
        EXPECT_EQ(result.similarity, -1.0f);
    }
    // Other outcomes still win over it: an empty picture is no_face, not unenrolled.
    for (const auto& frame : test::syntheticFrames())
        EXPECT_NE(verifier->check(frame, {}).outcome, Outcome::Unenrolled);
}

TEST_F(VerifierTest, SyntheticFramesHaveNoFace) {
    for (const auto& frame : test::syntheticFrames()) {
        const auto result = verifier->check(frame, franck);
        EXPECT_EQ(result.outcome, Outcome::NoFace) << result.reason;
        EXPECT_TRUE(result.faces.empty());
    }
}

TEST_F(VerifierTest, TwoPeopleAreSeveralFaces) {
    const auto group = verifier->check(loadPhoto("group_faces.jpg"), franck);
    EXPECT_EQ(group.outcome, Outcome::SeveralFaces);
    EXPECT_EQ(group.faces.size(), 3u);
    EXPECT_EQ(group.reason, "3 faces");

    // Franck with someone looking over his shoulder.
    cv::Mat franckPhoto = loadPhoto("franck_01829.jpg");
    cv::Mat other;
    cv::resize(loadPhoto("obama4_crop.jpg"), other, cv::Size(), 0.6, 0.6, cv::INTER_AREA);
    other.copyTo(franckPhoto(cv::Rect(20, 20, other.cols, other.rows)));
    EXPECT_EQ(verifier->check(franckPhoto, franck).outcome, Outcome::SeveralFaces);
}

TEST_F(VerifierTest, AFaceFarInTheBackgroundIsIgnored) {
    // A second face under half the minimum size is a poster or a passer-by far away.
    cv::Mat image = loadPhoto("franck_02159.jpg");
    cv::Mat tiny;
    cv::resize(loadPhoto("obama4_crop.jpg"), tiny, cv::Size(16, 16), 0, 0, cv::INTER_AREA);
    tiny.copyTo(image(cv::Rect(40, 400, tiny.cols, tiny.rows)));
    EXPECT_EQ(verifier->check(image, franck).outcome, Outcome::Verified);
}

TEST_F(VerifierTest, BlackOrMissingPictureIsCameraOff) {
    EXPECT_EQ(verifier->check(cv::Mat(), franck).outcome, Outcome::CameraOff);
    EXPECT_EQ(verifier->check(cv::Mat(), franck).reason, "no picture");
    const cv::Mat black = cv::Mat::zeros(480, 640, CV_8UC3);
    const auto result = verifier->check(black, franck);
    EXPECT_EQ(result.outcome, Outcome::CameraOff);
    EXPECT_NE(result.reason.find("black"), std::string::npos) << result.reason;
    // A covered lens: almost black, a little sensor noise.
    cv::Mat covered(480, 640, CV_8UC3);
    cv::RNG(7).fill(covered, cv::RNG::NORMAL, 4, 2);
    EXPECT_EQ(verifier->check(covered, franck).outcome, Outcome::CameraOff);
}

TEST_F(VerifierTest, DarkPictureIsPoorImage) {
    cv::Mat dark;
    loadPhoto("franck_02159.jpg").convertTo(dark, -1, 0.2);
    const auto result = verifier->check(dark, franck);
    EXPECT_EQ(result.outcome, Outcome::PoorImage);
    EXPECT_NE(result.reason.find("too dark"), std::string::npos) << result.reason;
    EXPECT_NE(result.reason.find("< 40"), std::string::npos) << result.reason;
    EXPECT_LT(result.quality.brightness, 40);
    EXPECT_GT(result.quality.brightness, 12);
}

TEST_F(VerifierTest, BlurredFaceIsPoorImage) {
    cv::Mat blurred;
    cv::GaussianBlur(loadPhoto("franck_02159.jpg"), blurred, cv::Size(), 10);
    const auto result = verifier->check(blurred, franck);
    ASSERT_EQ(result.faces.size(), 1u) << result.reason;
    EXPECT_EQ(result.outcome, Outcome::PoorImage);
    EXPECT_NE(result.reason.find("blurred"), std::string::npos) << result.reason;
    EXPECT_LT(result.quality.sharpness, verifier->options().minSharpness);
}

TEST_F(VerifierTest, SmallFaceIsPoorImage) {
    // Franck's face is about 240 px wide in the photo: an eighth of it is about 30 px,
    // between half the minimum (20) and the minimum (40).
    cv::Mat small;
    cv::resize(loadPhoto("franck_02159.jpg"), small, cv::Size(), 0.125, 0.125, cv::INTER_AREA);
    cv::Mat frame(240, 320, CV_8UC3, cv::Scalar(150, 140, 130));
    small.copyTo(frame(cv::Rect(100, 80, small.cols, small.rows)));
    const auto result = verifier->check(frame, franck);
    ASSERT_EQ(result.faces.size(), 1u) << result.reason;
    EXPECT_EQ(result.outcome, Outcome::PoorImage);
    EXPECT_NE(result.reason.find("px < 40 px"), std::string::npos) << result.reason;
}

TEST_F(VerifierTest, StagesAreTimed) {
    const auto result = verifier->check(loadPhoto("franck_04035.jpg"), franck);
    ASSERT_EQ(result.outcome, Outcome::Verified) << result.reason;
    EXPECT_GT(result.times.detectMs, 0);
    EXPECT_GT(result.times.landmarksMs, 0);
    EXPECT_GT(result.times.alignMs, 0);
    EXPECT_GT(result.times.embedMs, 0);
    EXPECT_GE(result.times.compareMs, 0);
    EXPECT_GE(result.times.totalMs, result.times.detectMs + result.times.landmarksMs +
                                        result.times.alignMs + result.times.embedMs);
}

TEST_F(VerifierTest, OddPicturesNeverCrash) {
    const cv::Mat photo = loadPhoto("franck_04117.jpg");
    // Gray, BGRA, 16-bit and floating-point versions of a good photo are still verified.
    cv::Mat gray, bgra, deep, real;
    cv::cvtColor(photo, gray, cv::COLOR_BGR2GRAY);
    cv::cvtColor(photo, bgra, cv::COLOR_BGR2BGRA);
    photo.convertTo(deep, CV_16UC3, 257);
    photo.convertTo(real, CV_32FC3, 1.0 / 255);
    for (const auto& image : {gray, bgra, deep, real}) {
        const auto result = verifier->check(image, franck);
        EXPECT_EQ(result.outcome, Outcome::Verified) << image.type() << ": " << result.reason;
    }
    // Degenerate sizes and layouts give an outcome, not a crash.
    const std::vector<cv::Mat> odd{cv::Mat(1, 1, CV_8UC3, cv::Scalar(90, 90, 90)),
                                   cv::Mat(1, 5000, CV_8UC3, cv::Scalar(200)),
                                   cv::Mat(3000, 2, CV_8UC1, cv::Scalar(120)),
                                   cv::Mat(64, 64, CV_8UC2, cv::Scalar(100, 50)),
                                   cv::Mat(48, 64, CV_16SC3, cv::Scalar(-5, 300, 70)),
                                   cv::Mat(10, 10, CV_64FC1, cv::Scalar(2.5))};
    for (const auto& image : odd) {
        const auto result = verifier->check(image, franck);
        EXPECT_NE(result.outcome, Outcome::Verified) << image.size() << " " << image.type();
        (void)verifier->analyze(image, franck);
        (void)verifier->enrol(image);
        (void)verifier->detect(image);
    }
    // References of the wrong length are never a match.
    EXPECT_EQ(verifier->check(photo, {Embedding(128, 0.088f)}).outcome, Outcome::NotMatched);
}

TEST_F(VerifierTest, HugePictureIsVerifiedInItsOwnCoordinates) {
    const cv::Mat photo = loadPhoto("franck_04117.jpg");
    cv::Mat huge;
    cv::resize(photo, huge, cv::Size(), 5, 5, cv::INTER_LINEAR);  // 3600x2880
    const auto result = verifier->check(huge, franck);
    EXPECT_EQ(result.outcome, Outcome::Verified) << result.reason;
    const auto normal = verifier->detect(photo);
    ASSERT_EQ(result.faces.size(), 1u);
    ASSERT_EQ(normal.size(), 1u);
    EXPECT_NEAR(result.faces[0].box.x, normal[0].box.x * 5, 0.1 * result.faces[0].box.width);
    EXPECT_NEAR(result.faces[0].box.width, normal[0].box.width * 5,
                0.1 * result.faces[0].box.width);
}

TEST_F(VerifierTest, EmbedGivesTheEnrolledIdentity) {
    const cv::Mat image = loadPhoto("franck_02888.jpg");
    const auto faces = verifier->detect(image);
    ASSERT_EQ(faces.size(), 1u);
    const auto embedding = verifier->embed(image, faces[0]);
    ASSERT_TRUE(embedding.has_value());
    EXPECT_EQ(embedding->size(), 512u);
    EXPECT_NEAR(similarity(*embedding, *embedding), 1.0f, 1e-4);
    EXPECT_GE(similarity(*embedding, franck[0]), threshold());
    // A box that is not on the picture has no embedding.
    Face outside;
    outside.box = cv::Rect2f(5000, 5000, 100, 100);
    EXPECT_FALSE(verifier->embed(image, outside).has_value());
}

TEST_F(VerifierTest, AnalyzeGivesTheLargestFaceWithLandmarksPoseAndSimilarity) {
    const auto a = verifier->analyze(loadPhoto("franck_02159.jpg"), franck);
    EXPECT_EQ(a.faces, 1);
    ASSERT_EQ(a.landmarks.size(), 68u);
    // The landmarks lie on the face: every point within the box grown by a fifth.
    const cv::Rect2f box = a.face.box;
    const cv::Rect2f grown(box.x - box.width / 5, box.y - box.height / 5, box.width * 1.4f,
                           box.height * 1.4f);
    for (const auto& p : a.landmarks) EXPECT_TRUE(grown.contains(p)) << p;
    // The eyes are above the nose tip, which is above the mouth.
    EXPECT_LT(a.landmarks[36].y, a.landmarks[30].y);
    EXPECT_LT(a.landmarks[30].y, a.landmarks[57].y);
    EXPECT_LT(a.landmarks[36].x, a.landmarks[45].x);
    ASSERT_TRUE(a.pose.has_value());
    EXPECT_LT(std::abs(a.pose->yaw), 0.12f);
    EXPECT_GT(a.pose->eyeOpenness, 0.2f);
    EXPECT_GE(a.similarity, threshold());

    const auto none = verifier->analyze(test::syntheticFrames().front(), franck);
    EXPECT_EQ(none.faces, 0);
    EXPECT_TRUE(none.landmarks.empty());
    EXPECT_FALSE(none.pose.has_value());
    EXPECT_EQ(none.similarity, -1);

    const auto group = verifier->analyze(loadPhoto("group_faces.jpg"), {});
    EXPECT_EQ(group.faces, 3);
    EXPECT_EQ(group.landmarks.size(), 68u);
    EXPECT_EQ(group.similarity, -1);
}

TEST(SimilarityTest, IsTheCosineAndRefusesMismatchedVectors) {
    EXPECT_NEAR(similarity({1, 0, 0}, {1, 0, 0}), 1.0f, 1e-6);
    EXPECT_NEAR(similarity({1, 0, 0}, {0, 1, 0}), 0.0f, 1e-6);
    EXPECT_NEAR(similarity({1, 0}, {-1, 0}), -1.0f, 1e-6);
    EXPECT_NEAR(similarity({3, 4}, {6, 8}), 1.0f, 1e-6);  // Unnormalised inputs too.
    EXPECT_EQ(similarity({1, 0}, {1, 0, 0}), -1.0f);
    EXPECT_EQ(similarity({}, {}), -1.0f);
    EXPECT_EQ(similarity({0, 0}, {1, 0}), -1.0f);
}

}  // namespace
}  // namespace vigil::vision
