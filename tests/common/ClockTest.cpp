#include <gtest/gtest.h>

#include <string>

#include "vigil/common/Clock.hpp"

namespace vigil::common {
namespace {

// Reference instants computed independently with Python's calendar.timegm.
constexpr Millis kT = 1795935845000;            // 2026-11-29T07:04:05Z
constexpr Millis kMidnightUtc = 1795910400000;  // 2026-11-29T00:00:00Z
constexpr Millis kHour = 3600000;

TEST(ClockTest, NowIsAfter2024) {
    EXPECT_GT(nowMillis(), 1704067200000);  // 2024-01-01T00:00:00Z
}

TEST(ClockTest, FormatsWithTheOffsetOrZ) {
    EXPECT_EQ(formatIso8601(0, 0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(formatIso8601(kT, 0), "2026-11-29T07:04:05Z");
    EXPECT_EQ(formatIso8601(kT, 480), "2026-11-29T15:04:05+08:00");
    EXPECT_EQ(formatIso8601(kT, -330), "2026-11-29T01:34:05-05:30");
    EXPECT_EQ(formatIso8601(kT, -480), "2026-11-28T23:04:05-08:00");
    EXPECT_EQ(formatIso8601(kT, 345), "2026-11-29T12:49:05+05:45");
    EXPECT_EQ(formatIso8601(kT + 999, 0), "2026-11-29T07:04:05Z");  // Milliseconds dropped.
}

TEST(ClockTest, FormatsInstantsBeforeTheEpoch) {
    EXPECT_EQ(formatIso8601(-1, 0), "1969-12-31T23:59:59Z");
    EXPECT_EQ(formatIso8601(-1000, 60), "1970-01-01T00:59:59+01:00");
}

TEST(ClockTest, ParsesEveryZoneForm) {
    EXPECT_EQ(parseIso8601("2026-11-29T07:04:05Z", 480), kT);
    EXPECT_EQ(parseIso8601("2026-11-29T15:04:05+08:00", 0), kT);
    EXPECT_EQ(parseIso8601("2026-11-29T01:34:05-05:30", 0), kT);
    EXPECT_EQ(parseIso8601("2026-11-28T23:04:05-08:00", 0), kT);
    EXPECT_EQ(parseIso8601("2026-11-29T07:04:05+00:00", 480), kT);
}

TEST(ClockTest, TextWithoutAZoneUsesTheDefaultOffset) {
    EXPECT_EQ(parseIso8601("2026-11-29T15:04:05", 480), kT);
    EXPECT_EQ(parseIso8601("2026-11-29T15:04", 480), kT - 5000);
    EXPECT_EQ(parseIso8601("2026-11-29 15:04:05", 480), kT);
    EXPECT_EQ(parseIso8601("2026-11-29", 0), kMidnightUtc);
    EXPECT_EQ(parseIso8601("2026-11-29", 480), kMidnightUtc - 8 * kHour);
    EXPECT_EQ(parseIso8601("2026-11-29", -300), kMidnightUtc + 5 * kHour);
}

TEST(ClockTest, ParsesFractionalSeconds) {
    EXPECT_EQ(parseIso8601("2026-11-29T07:04:05.5Z", 0), kT + 500);
    EXPECT_EQ(parseIso8601("2026-11-29T07:04:05.05Z", 0), kT + 50);
    EXPECT_EQ(parseIso8601("2026-11-29T07:04:05.123+00:00", 0), kT + 123);
    EXPECT_EQ(parseIso8601("2026-11-29T07:04:05.123999Z", 0), kT + 123);  // Truncated.
    EXPECT_EQ(parseIso8601("2026-11-29T15:04:05.250+08:00", 0), kT + 250);
}

TEST(ClockTest, RoundTripsAtManyOffsets) {
    const Millis instants[] = {0,
                               kT,
                               kMidnightUtc,
                               kMidnightUtc - 1000,
                               951782400000 /* 2000-02-29Z */,
                               4102444799000 /* 2099-12-31T23:59:59Z */};
    const int offsets[] = {0, 60, 480, 345, 840, -60, -300, -330, -480, -720};
    for (Millis t : instants) {
        for (int off : offsets) {
            std::string text = formatIso8601(t, off);
            auto back = parseIso8601(text, 0);
            ASSERT_TRUE(back.has_value()) << text;
            EXPECT_EQ(*back, t) << text;
            // The default offset must not matter when the text names its zone.
            EXPECT_EQ(parseIso8601(text, 123), back) << text;
        }
    }
}

TEST(ClockTest, RejectsImpossibleDates) {
    EXPECT_FALSE(parseIso8601("2026-02-30", 0).has_value());
    EXPECT_FALSE(parseIso8601("2026-02-29", 0).has_value());  // 2026 is not a leap year.
    EXPECT_FALSE(parseIso8601("2100-02-29", 0).has_value());  // Centuries are not, but 2000 was.
    EXPECT_FALSE(parseIso8601("2026-04-31T10:00Z", 0).has_value());
    EXPECT_FALSE(parseIso8601("2026-13-01", 0).has_value());
    EXPECT_FALSE(parseIso8601("2026-00-10", 0).has_value());
    EXPECT_FALSE(parseIso8601("2026-11-00", 0).has_value());
    EXPECT_TRUE(parseIso8601("2024-02-29", 0).has_value());
    EXPECT_TRUE(parseIso8601("2000-02-29", 0).has_value());
}

TEST(ClockTest, RejectsMalformedText) {
    const char* bad[] = {
        "",
        "garbage",
        "2026-11-2",
        "2026/11/29",
        "2026-11-29T",
        "2026-11-29T24:00Z",
        "2026-11-29T10:60Z",
        "2026-11-29T10:00:61Z",
        "2026-11-29T10:00:00+0800",
        "2026-11-29T10:00:00+15:00",
        "2026-11-29T10:00:00+08:60",
        "2026-11-29T10:00:00.Z",
        "2026-11-29T10:00:00Zjunk",
        "2026-11-29T10:00:00z",
        "2026-11-29x",
        "+2026-11-29",
    };
    for (const char* text : bad) EXPECT_FALSE(parseIso8601(text, 0).has_value()) << text;
}

TEST(ClockTest, MonthRangeAtPlus8) {
    auto nov = monthRange("2026-11", 480);
    ASSERT_TRUE(nov.has_value());
    EXPECT_EQ(nov->first, 1793462400000);   // 2026-10-31T16:00:00Z = 1 Nov 00:00 at +08:00
    EXPECT_EQ(nov->second, 1796054400000);  // 2026-11-30T16:00:00Z = 1 Dec 00:00 at +08:00
    EXPECT_EQ(nov->second - nov->first, kHour * 24 * 30);

    auto dec = monthRange("2026-12", 480);
    ASSERT_TRUE(dec.has_value());
    EXPECT_EQ(dec->first, nov->second);
    EXPECT_EQ(dec->second, 1798732800000);  // 2026-12-31T16:00:00Z: into 2027 at +08:00

    auto feb = monthRange("2024-02", 0);
    ASSERT_TRUE(feb.has_value());
    EXPECT_EQ(feb->second - feb->first, kHour * 24 * 29);
}

TEST(ClockTest, MonthRangeRejectsBadMonths) {
    for (const char* text : {"2026-13", "2026-00", "2026-1", "202611", "2026-11-01", ""}) {
        EXPECT_FALSE(monthRange(text, 480).has_value()) << text;
    }
}

TEST(ClockTest, MonthOfUsesTheOffset) {
    // 2026-11-30T16:30:00Z is already 1 December at +08:00.
    const Millis t = 1796054400000 + Millis{30} * 60000;
    EXPECT_EQ(monthOf(t, 480), "2026-12");
    EXPECT_EQ(monthOf(t, 0), "2026-11");
    EXPECT_EQ(monthOf(1793462400000, 480), "2026-11");      // First instant of November.
    EXPECT_EQ(monthOf(1793462400000 - 1, 480), "2026-10");  // Last instant of October.
}

}  // namespace
}  // namespace vigil::common
