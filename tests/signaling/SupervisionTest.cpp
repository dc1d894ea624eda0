#include <gtest/gtest.h>

#include "DayText.hpp"
#include "vigil/signaling/Supervision.hpp"

namespace vigil::signaling {
namespace {

using test::dayFromText;

// About 111 km per degree of latitude; 0.001 degree is about 111 m.
Area circle(double radiusM) {
    Area a;
    a.name = "城关镇";
    a.lat = 30.0;
    a.lon = 120.0;
    a.radiusM = radiusM;
    return a;
}

Area square() {
    Area a;
    a.name = "square";
    a.polygon = {{30.0, 120.0}, {30.0, 120.01}, {30.01, 120.01}, {30.01, 120.0}};
    return a;
}

TEST(SupervisionTest, LevelsHaveStableNames) {
    for (auto level : {Level::Strict, Level::Ordinary, Level::Lenient}) {
        EXPECT_EQ(parseLevel(toString(level)), level);
    }
    EXPECT_EQ(toString(Level::Strict), "strict");
    EXPECT_FALSE(parseLevel("Strict"));
    EXPECT_FALSE(parseLevel(""));
}

TEST(SupervisionTest, DaysRoundTripAndRejectOtherText) {
    EXPECT_EQ(dayFromText("1970-01-01"), 0);
    EXPECT_EQ(dayFromText("1970-01-05"), 4);
    EXPECT_EQ(dayFromText("2026-12-05"), 20792);
    EXPECT_EQ(formatDay(20792), "2026-12-05");
    EXPECT_EQ(formatDay(dayFromText("2024-02-29")), "2024-02-29");
    for (const char* bad : {"2026-02-30", "2026-13-01", "2026-1-01", "2026-12-05T00:00", "",
                            "yesterday", "2023-02-29"}) {
        EXPECT_FALSE(parseDay(bad)) << bad;
    }
}

TEST(SupervisionTest, DayOfUsesTheAgencyOffset) {
    // 2026-12-04T17:00Z is already 12-05 01:00 in +08:00.
    auto t = common::parseIso8601("2026-12-04T17:00:00Z", 0).value();
    EXPECT_EQ(formatDay(dayOf(t, 0)), "2026-12-04");
    EXPECT_EQ(formatDay(dayOf(t, 480)), "2026-12-05");
    EXPECT_EQ(formatDay(dayOf(t, -600)), "2026-12-04");
    EXPECT_EQ(startOfDay(dayFromText("2026-12-05"), 480),
              common::parseIso8601("2026-12-05T00:00:00+08:00", 0).value());
    // Before 1970 a day still starts at its own midnight.
    EXPECT_EQ(dayOf(-1, 0), -1);
    EXPECT_EQ(dayOf(startOfDay(-3, 480), 480), -3);
}

TEST(SupervisionTest, MonthBounds) {
    EXPECT_EQ(formatDay(monthStart(dayFromText("2026-02-17"))), "2026-02-01");
    EXPECT_EQ(formatDay(monthEnd(dayFromText("2026-02-17"))), "2026-02-28");
    EXPECT_EQ(formatDay(monthEnd(dayFromText("2024-02-01"))), "2024-02-29");
    EXPECT_EQ(formatDay(monthEnd(dayFromText("2026-12-31"))), "2026-12-31");
    EXPECT_EQ(formatDay(monthStart(dayFromText("2027-01-01"))), "2027-01-01");
}

TEST(SupervisionTest, CircleOutsideOnlyWhenTheWholeAccuracyCircleIs) {
    Area a = circle(1000);
    EXPECT_FALSE(a.outside(30.0, 120.0, 0));
    EXPECT_FALSE(a.outside(30.008, 120.0, 10));   // ~890 m from the centre
    EXPECT_TRUE(a.outside(30.011, 120.0, 10));    // ~1223 m
    EXPECT_FALSE(a.outside(30.011, 120.0, 300));  // the accuracy circle reaches in
    EXPECT_TRUE(a.outside(30.02, 120.0, 300));
    EXPECT_TRUE(a.outside(30.011, 120.0, -5));  // a negative accuracy counts as none
}

TEST(SupervisionTest, PolygonInsideNearEdgeAndFarOutside) {
    Area a = square();  // about 1.1 km by 0.96 km
    EXPECT_FALSE(a.outside(30.005, 120.005, 0));
    EXPECT_FALSE(a.outside(30.0001, 120.0001, 0));
    // ~111 m south of the south edge.
    EXPECT_TRUE(a.outside(29.999, 120.005, 50));
    EXPECT_FALSE(a.outside(29.999, 120.005, 150));
    // Beyond a corner: the distance is to the corner, not to the edge's line.
    EXPECT_TRUE(a.outside(29.999, 119.999, 130));
    EXPECT_FALSE(a.outside(29.999, 119.999, 170));
    EXPECT_TRUE(a.outside(31.0, 121.0, 1000));
}

TEST(SupervisionTest, ConcavePolygon) {
    // A "U": the notch between the arms is outside.
    Area a;
    a.polygon = {{0.0, 0.0},   {0.0, 0.03},  {0.03, 0.03}, {0.03, 0.02},
                 {0.01, 0.02}, {0.01, 0.01}, {0.03, 0.01}, {0.03, 0.0}};
    EXPECT_FALSE(a.outside(0.005, 0.015, 0));  // the base
    EXPECT_FALSE(a.outside(0.02, 0.005, 0));   // the left arm
    EXPECT_TRUE(a.outside(0.02, 0.015, 0));    // the notch, ~555 m from each arm
    EXPECT_FALSE(a.outside(0.02, 0.015, 600));
}

TEST(SupervisionTest, NoAreaHasNothingOutside) {
    Area a;
    EXPECT_FALSE(a.outside(10, 10, 0));
}

TEST(SupervisionTest, AreaJsonShapes) {
    auto j = toJson(circle(500));
    EXPECT_EQ(j["radius_m"], 500);
    EXPECT_FALSE(j.contains("polygon"));
    auto back = areaFromJson(j);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->radiusM, 500);
    EXPECT_EQ(back->name, "城关镇");

    auto p = toJson(square());
    EXPECT_EQ(p["polygon"].size(), 4u);
    EXPECT_NEAR(p["lat"].get<double>(), 30.005, 1e-9);
    auto pb = areaFromJson(p);
    ASSERT_TRUE(pb);
    EXPECT_EQ(pb->polygon.size(), 4u);

    EXPECT_FALSE(areaFromJson(nlohmann::json::parse(R"({"lat":"30","lon":120,"radius_m":5})")));
    EXPECT_FALSE(areaFromJson(nlohmann::json::parse(R"({"polygon":[[1,2],[3]]})")));
    EXPECT_FALSE(areaFromJson(nlohmann::json::parse(R"([1,2])")));
    EXPECT_FALSE(areaFromJson(nlohmann::json::parse(R"({"name":5,"lat":1,"lon":2,"radius_m":5})")));
}

TEST(SupervisionTest, TermStatus) {
    Supervision s;
    EXPECT_FALSE(s.activeOn(100));
    EXPECT_FALSE(s.releasedOn(100));
    s.termStart = 100;
    EXPECT_FALSE(s.activeOn(99));
    EXPECT_TRUE(s.activeOn(100));
    EXPECT_TRUE(s.activeOn(100000));  // no end recorded: open
    s.termEnd = 200;
    EXPECT_TRUE(s.activeOn(200));
    EXPECT_FALSE(s.activeOn(201));
    EXPECT_TRUE(s.releasedOn(201));
    EXPECT_FALSE(s.releasedOn(200));
}

TEST(SupervisionTest, LevelOnFollowsTheHistory) {
    Supervision s;
    EXPECT_EQ(s.levelOn(5, Level::Lenient), Level::Lenient);
    s.levels = {{10, Level::Strict, "r", "o", 1},
                {20, Level::Ordinary, "r", "o", 2},
                {20, Level::Lenient, "corrected", "o", 3}};
    EXPECT_EQ(s.levelOn(9), Level::Ordinary);
    EXPECT_EQ(s.levelOn(10), Level::Strict);
    EXPECT_EQ(s.levelOn(19), Level::Strict);
    EXPECT_EQ(s.levelOn(20), Level::Lenient);  // the later of two same-day changes
}

}  // namespace
}  // namespace vigil::signaling
