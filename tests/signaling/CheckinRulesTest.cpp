// The pure rules of a self-service check-in: a liveness verdict's outcome and reason, the
// browser's location, the report's length.

#include <gtest/gtest.h>

#include "vigil/signaling/CheckinRules.hpp"

using namespace vigil::signaling;
using nlohmann::json;

namespace {

LivenessVerdictReport verdict(bool passed, const std::string& code, bool identity = true) {
    LivenessVerdictReport v;
    v.room = "checkin:ck1";
    v.passed = passed;
    v.code = code;
    v.identityChecked = identity;
    return v;
}

}  // namespace

TEST(CheckinRulesTest, OnlyAPassWithTheIdentityCheckedIsVerified) {
    auto ok = decideCheckin(verdict(true, "passed"), true);
    EXPECT_EQ(ok.outcome, "verified");
    EXPECT_EQ(ok.reason, "");
    auto unknown = decideCheckin(verdict(true, "passed", false), true);
    EXPECT_EQ(unknown.outcome, "failed");
    EXPECT_EQ(unknown.reason, "no_reference");
}

TEST(CheckinRulesTest, EachVerdictCodeMapsToItsFailureReason) {
    const std::pair<const char*, const char*> cases[] = {
        {"not_matched", "not_matched"},
        {"several_faces", "several_faces"},
        {"no_face", "no_face"},
        {"poor_image", "poor_image"},
        {"did_not_follow", "liveness_failed"},
        {"too_few_frames", "liveness_failed"},
        {"not_shown", "liveness_failed"},
        {"something_new", "liveness_failed"},
    };
    for (const auto& [code, reason] : cases) {
        auto d = decideCheckin(verdict(false, code), true);
        EXPECT_EQ(d.outcome, "failed") << code;
        EXPECT_EQ(d.reason, reason) << code;
    }
    // No frame judged at all: the camera never showed anything.
    EXPECT_EQ(decideCheckin(verdict(false, "too_few_frames"), false).reason, "camera_off");
    EXPECT_EQ(decideCheckin(verdict(false, "no_face"), false).reason, "camera_off");
    // The instruction never confirmed on screen is the page's failure, not the camera's.
    EXPECT_EQ(decideCheckin(verdict(false, "not_shown"), false).reason, "liveness_failed");
}

TEST(CheckinRulesTest, ALocationNeedsNumbersInRange) {
    auto ok = parseCheckinLocation(json{{"lat", 30.15}, {"lon", 120.08}, {"accuracy", 35.5}});
    ASSERT_TRUE(ok);
    EXPECT_DOUBLE_EQ(ok->lat, 30.15);
    EXPECT_DOUBLE_EQ(ok->lon, 120.08);
    EXPECT_DOUBLE_EQ(ok->accuracy, 35.5);
    EXPECT_TRUE(parseCheckinLocation(json{{"lat", -90}, {"lon", 180}}));
    EXPECT_DOUBLE_EQ(parseCheckinLocation(json{{"lat", 0}, {"lon", 0}})->accuracy, 0);
    const json bad[] = {
        json{{"lat", 90.5}, {"lon", 0}},
        json{{"lat", 0}, {"lon", -180.1}},
        json{{"lat", "30"}, {"lon", 120}},
        json{{"lon", 120}},
        json{{"lat", 30}, {"lon", 120}, {"accuracy", -1}},
        json{{"lat", 30}, {"lon", 120}, {"accuracy", 2e6}},
        json{{"lat", 30}, {"lon", 120}, {"accuracy", "10"}},
        json{{"lat", nullptr}, {"lon", 120}},
        json::array({30, 120}),
        json("30,120"),
    };
    for (const auto& j : bad) EXPECT_FALSE(parseCheckinLocation(j)) << j.dump();
}

TEST(CheckinRulesTest, AReportIsMeasuredInCharactersNotBytes) {
    EXPECT_EQ(codePoints(""), 0u);
    EXPECT_EQ(codePoints("abc"), 3u);
    EXPECT_EQ(codePoints("思想汇报"), 4u);  // 12 bytes
    EXPECT_EQ(codePoints("a😀b"), 3u);       // a 4-byte code point
}
