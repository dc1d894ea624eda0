// Face detectors on the labelled photos and on synthetic frames, and the choice of detector:
// model files that are missing or broken, unknown names and the Haar fallback.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "VisionTestData.hpp"
#include "vigil/vision/PresenceVerifier.hpp"

namespace vigil::vision {
namespace {

using test::defaultOptions;
using test::loadPhoto;

// Real people, one per photo.
const std::vector<std::string> kPortraits{"Justin-Bieber2_crop.jpg",
                                          "SeanConnery.jpg",
                                          "audrey.jpg",
                                          "audrey_crop.jpg",
                                          "bieber_small.jpg",
                                          "bill-murray-snl_crop.jpg",
                                          "cage.jpg",
                                          "cage2_crop.jpg",
                                          "chuck_crop.jpg",
                                          "clmtrackr01.jpg",
                                          "fragrance-George-Clooney-main_crop.jpg",
                                          "franck_01829.jpg",
                                          "franck_02683.jpg",
                                          "franck_04117.jpg",
                                          "kim1_crop.jpg",
                                          "obama4_crop.jpg",
                                          "queen20_crop.jpg",
                                          "ri_1_crop.jpg",
                                          "sean_guru2_crop.jpg",
                                          "terminator_crop.jpg",
                                          "walter2_crop.jpg"};

class DetectorTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        ultra = std::make_unique<PresenceVerifier>(defaultOptions());
        auto options = defaultOptions();
        options.detector = "blazeface";
        blaze = std::make_unique<PresenceVerifier>(options);
    }
    static void TearDownTestSuite() {
        ultra.reset();
        blaze.reset();
    }

    static void expectOneFaceOnEachPortrait(PresenceVerifier& verifier) {
        for (const auto& name : kPortraits) {
            const cv::Mat image = loadPhoto(name);
            const auto faces = verifier.detect(image);
            ASSERT_EQ(faces.size(), 1u) << name;
            const cv::Rect2f frame(0, 0, static_cast<float>(image.cols),
                                   static_cast<float>(image.rows));
            // The box lies in the picture (give or take a pixel) and is a real part of it.
            EXPECT_GE(faces[0].box.x, -1) << name;
            EXPECT_GE(faces[0].box.y, -1) << name;
            EXPECT_LE(faces[0].box.br().x, frame.width + 1) << name;
            EXPECT_LE(faces[0].box.br().y, frame.height + 1) << name;
            EXPECT_GT(faces[0].box.area(), 0.05f * frame.area()) << name;
            EXPECT_GE(faces[0].score, verifier.options().detectThreshold) << name;
        }
    }

    static inline std::unique_ptr<PresenceVerifier> ultra;
    static inline std::unique_ptr<PresenceVerifier> blaze;
};

TEST_F(DetectorTest, UltraFaceFindsOneFaceOnEachPortrait) {
    EXPECT_EQ(ultra->detectorName(), "ultraface");
    EXPECT_TRUE(ultra->canVerifyIdentity());
    expectOneFaceOnEachPortrait(*ultra);
}

TEST_F(DetectorTest, BlazeFaceFindsOneFaceOnEachPortrait) {
    EXPECT_EQ(blaze->detectorName(), "blazeface");
    expectOneFaceOnEachPortrait(*blaze);
}

// group_faces.jpg shows three people side by side (and a sliver of a fourth's shoulder).
TEST_F(DetectorTest, FindsEachFaceOfTheGroupPhoto) {
    const cv::Mat group = loadPhoto("group_faces.jpg");
    for (auto* verifier : {ultra.get(), blaze.get()}) {
        const auto faces = verifier->detect(group);
        ASSERT_EQ(faces.size(), 3u) << verifier->detectorName();
        // Three distinct people: no two boxes overlap.
        for (size_t i = 0; i < faces.size(); ++i) {
            for (size_t j = i + 1; j < faces.size(); ++j) {
                EXPECT_EQ((faces[i].box & faces[j].box).area(), 0.0f);
            }
        }
    }
}

TEST_F(DetectorTest, FindsNothingOnSyntheticFrames) {
    for (const auto& frame : test::syntheticFrames()) {
        EXPECT_TRUE(ultra->detect(frame).empty()) << frame.size();
        EXPECT_TRUE(blaze->detect(frame).empty()) << frame.size();
    }
}

TEST_F(DetectorTest, FindsTheOneFaceInWebcamFrames) {
    for (const auto* capture : {"cap12", "cap13"}) {
        for (const auto& path : test::videoFrames(capture, 25)) {
            EXPECT_EQ(ultra->detect(test::load(path)).size(), 1u) << path;
        }
    }
}

TEST_F(DetectorTest, FindsSmallFacesAndReportsThemInTheCallersCoordinates) {
    const cv::Mat image = loadPhoto("franck_01829.jpg");
    const auto full = ultra->detect(image);
    ASSERT_EQ(full.size(), 1u);
    cv::Mat quarter;
    cv::resize(image, quarter, cv::Size(), 0.25, 0.25, cv::INTER_AREA);
    const auto small = ultra->detect(quarter);
    ASSERT_EQ(small.size(), 1u);
    EXPECT_NEAR(small[0].box.x * 4, full[0].box.x, 0.1 * full[0].box.width);
    EXPECT_NEAR(small[0].box.width * 4, full[0].box.width, 0.15 * full[0].box.width);
}

TEST_F(DetectorTest, ScreamPaintingAndHelmetAreNotFaces) {
    // Neither the painted scream nor the helmet has a human face's layout.
    EXPECT_TRUE(ultra->detect(loadPhoto("scream_crop.jpg")).empty());
    EXPECT_TRUE(ultra->detect(loadPhoto("ironman.jpg")).empty());
}

TEST(DetectorChoiceTest, HaarDetectorCountsFacesButCannotVerify) {
    auto options = defaultOptions();
    options.detector = "haar";
    PresenceVerifier haar(options);
    EXPECT_EQ(haar.detectorName(), "haar");
    EXPECT_FALSE(haar.canVerifyIdentity());
    const cv::Mat franck = loadPhoto("franck_01829.jpg");
    EXPECT_EQ(haar.detect(franck).size(), 1u);
    EXPECT_GE(haar.detect(loadPhoto("group_faces.jpg")).size(), 3u);
    // The cascade is fooled now and then by smooth blotches (one of the fourteen frames here),
    // which is one more reason it only counts faces.
    size_t falseFaces = 0;
    for (const auto& frame : test::syntheticFrames()) falseFaces += haar.detect(frame).size();
    EXPECT_LE(falseFaces, 1u);

    const auto result = haar.check(franck, {Embedding(512, 0.04f)});
    EXPECT_EQ(result.outcome, Outcome::NotMatched);
    EXPECT_NE(result.reason.find("identity cannot be verified"), std::string::npos)
        << result.reason;
    EXPECT_EQ(haar.check(loadPhoto("group_faces.jpg"), {}).outcome, Outcome::SeveralFaces);
    EXPECT_EQ(haar.enrol(franck).code, "no_recognizer");
    EXPECT_FALSE(haar.embed(franck, haar.detect(franck).front()).has_value());
}

TEST(DetectorChoiceTest, FallsBackToHaarWhenTheDetectorModelIsMissing) {
    for (const auto* detector : {"ultraface", "blazeface", "yunet"}) {
        auto options = defaultOptions();
        options.detector = detector;
        options.detectorModel = "no-such-detector.onnx";
        options.haarFallback = true;
        testing::internal::CaptureStderr();
        PresenceVerifier verifier(options);
        const std::string warning = testing::internal::GetCapturedStderr();
        EXPECT_EQ(verifier.detectorName(), "haar") << detector;
        EXPECT_FALSE(verifier.canVerifyIdentity()) << detector;
        EXPECT_NE(warning.find("identity cannot be verified"), std::string::npos) << warning;
        EXPECT_NE(warning.find("no-such-detector.onnx"), std::string::npos) << warning;
        EXPECT_EQ(verifier.check(loadPhoto("franck_01829.jpg"), {}).outcome, Outcome::NotMatched);
    }
}

TEST(DetectorChoiceTest, MissingYuNetModelIsModelMissing) {
    auto options = defaultOptions();
    options.detector = "yunet";
    options.haarFallback = false;
    try {
        PresenceVerifier verifier(options);
        FAIL() << "a missing YuNet model must not load";
    } catch (const VisionError& e) {
        EXPECT_EQ(e.code(), "model_missing");
        EXPECT_NE(std::string(e.what()).find("face_detection_yunet"), std::string::npos)
            << e.what();
    }
    options.detectorModel = "/nonexistent/agency-yunet.onnx";
    try {
        PresenceVerifier verifier(options);
        FAIL() << "a missing YuNet model must not load";
    } catch (const VisionError& e) {
        EXPECT_EQ(e.code(), "model_missing");
        EXPECT_NE(std::string(e.what()).find("/nonexistent/agency-yunet.onnx"), std::string::npos);
    }
}

TEST(DetectorChoiceTest, MissingSFaceModelIsModelMissing) {
    auto options = defaultOptions();
    options.recognizer = "sface";
    try {
        PresenceVerifier verifier(options);
        FAIL() << "a missing SFace model must not load";
    } catch (const VisionError& e) {
        EXPECT_EQ(e.code(), "model_missing");
        EXPECT_NE(std::string(e.what()).find("face_recognition_sface"), std::string::npos)
            << e.what();
    }
    // The Haar fallback is for detectors only: a missing recogniser is always an error.
    options.recognizerModel = "agency-sface.onnx";
    options.haarFallback = true;
    try {
        PresenceVerifier verifier(options);
        FAIL() << "a missing SFace model must not load";
    } catch (const VisionError& e) {
        EXPECT_EQ(e.code(), "model_missing");
        EXPECT_NE(std::string(e.what()).find(test::modelsDir() + "/agency-sface.onnx"),
                  std::string::npos)
            << e.what();
    }
}

TEST(DetectorChoiceTest, MissingLandmarkModelIsModelMissing) {
    auto options = defaultOptions();
    options.landmarkModel = "no-landmarks.onnx";
    try {
        PresenceVerifier verifier(options);
        FAIL() << "a missing landmark model must not load";
    } catch (const VisionError& e) {
        EXPECT_EQ(e.code(), "model_missing");
        EXPECT_NE(std::string(e.what()).find("no-landmarks.onnx"), std::string::npos);
    }
}

TEST(DetectorChoiceTest, BrokenModelFilesAreModelInvalid) {
    const auto dir =
        std::filesystem::temp_directory_path() /
        ("vigil-vision-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
    std::filesystem::create_directories(dir);
    const auto garbage = (dir / "garbage.onnx").string();
    std::ofstream(garbage) << "this is not an ONNX model";
    const auto wrongModel = test::modelsDir() + "/fr_eye.onnx";

    for (const auto* detector : {"ultraface", "blazeface", "yunet"}) {
        for (const auto& file : {garbage, wrongModel}) {
            auto options = defaultOptions();
            options.detector = detector;
            options.detectorModel = file;
            try {
                PresenceVerifier verifier(options);
                ADD_FAILURE() << detector << " loaded " << file;
            } catch (const VisionError& e) {
                EXPECT_EQ(e.code(), "model_invalid") << detector << " " << file << ": " << e.what();
            }
        }
    }
    for (const auto* recognizer : {"arcface", "sface"}) {
        auto options = defaultOptions();
        options.recognizer = recognizer;
        options.recognizerModel = garbage;
        try {
            PresenceVerifier verifier(options);
            ADD_FAILURE() << recognizer << " loaded " << garbage;
        } catch (const VisionError& e) {
            EXPECT_EQ(e.code(), "model_invalid") << recognizer << ": " << e.what();
        }
    }
    std::filesystem::remove_all(dir);
}

TEST(DetectorChoiceTest, UnknownNamesAndBadThresholdsAreBadConfig) {
    auto options = defaultOptions();
    options.detector = "mtcnn";
    try {
        PresenceVerifier verifier(options);
        FAIL();
    } catch (const VisionError& e) {
        EXPECT_EQ(e.code(), "bad_config");
        EXPECT_NE(std::string(e.what()).find("mtcnn"), std::string::npos);
    }
    options = defaultOptions();
    options.recognizer = "facenet";
    try {
        PresenceVerifier verifier(options);
        FAIL();
    } catch (const VisionError& e) {
        EXPECT_EQ(e.code(), "bad_config");
    }
    options = defaultOptions();
    options.detectThreshold = 1.5f;
    try {
        PresenceVerifier verifier(options);
        FAIL();
    } catch (const VisionError& e) {
        EXPECT_EQ(e.code(), "bad_config");
    }
}

}  // namespace
}  // namespace vigil::vision
