// The stable outcome strings stored in attendance records and sent to browsers.

#include <gtest/gtest.h>

#include "vigil/vision/Types.hpp"

namespace vigil::vision {
namespace {

TEST(TypesTest, OutcomeStringsRoundTrip) {
    const std::vector<std::pair<Outcome, std::string>> all{
        {Outcome::Verified, "verified"},    {Outcome::NotMatched, "not_matched"},
        {Outcome::NoFace, "no_face"},       {Outcome::SeveralFaces, "several_faces"},
        {Outcome::CameraOff, "camera_off"}, {Outcome::PoorImage, "poor_image"},
        {Outcome::Unenrolled, "unenrolled"}};
    for (const auto& [outcome, text] : all) {
        EXPECT_EQ(toString(outcome), text);
        EXPECT_EQ(outcomeFromString(text), outcome);
    }
    EXPECT_FALSE(outcomeFromString("Verified").has_value());
    EXPECT_FALSE(outcomeFromString("").has_value());
    EXPECT_FALSE(outcomeFromString("verified ").has_value());
}

TEST(TypesTest, VisionErrorKeepsItsCode) {
    const VisionError error("model_missing", "face detector model file not found: x.onnx");
    EXPECT_EQ(error.code(), "model_missing");
    EXPECT_STREQ(error.what(), "face detector model file not found: x.onnx");
}

}  // namespace
}  // namespace vigil::vision
