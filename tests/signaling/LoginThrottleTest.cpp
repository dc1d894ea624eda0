#include <gtest/gtest.h>

#include "vigil/signaling/LoginThrottle.hpp"

namespace vigil::signaling {
namespace {

TEST(LoginThrottleTest, TheWaitDoublesAfterTheFreeFailuresUpToTheCap) {
    EXPECT_EQ(LoginThrottle::waitAfter(0, 5, 2, 300), 0);
    EXPECT_EQ(LoginThrottle::waitAfter(5, 5, 2, 300), 0);
    EXPECT_EQ(LoginThrottle::waitAfter(6, 5, 2, 300), 2);
    EXPECT_EQ(LoginThrottle::waitAfter(7, 5, 2, 300), 4);
    EXPECT_EQ(LoginThrottle::waitAfter(8, 5, 2, 300), 8);
    EXPECT_EQ(LoginThrottle::waitAfter(12, 5, 2, 300), 128);
    EXPECT_EQ(LoginThrottle::waitAfter(13, 5, 2, 300), 256);
    EXPECT_EQ(LoginThrottle::waitAfter(14, 5, 2, 300), 300);
    // However many failures: no overflow, still the cap.
    EXPECT_EQ(LoginThrottle::waitAfter(1'000'000'000LL, 5, 2, 300), 300);
}

TEST(LoginThrottleTest, AnIpv6HostCountsByItsSlash64) {
    EXPECT_EQ(LoginThrottle::addressOf("192.0.2.7"), "192.0.2.7");
    EXPECT_EQ(LoginThrottle::addressOf("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
    EXPECT_EQ(LoginThrottle::addressOf("2001:db8:1:2::1"),
              LoginThrottle::addressOf("2001:db8:1:2:ffff::9"));
    EXPECT_NE(LoginThrottle::addressOf("2001:db8:1:2::1"),
              LoginThrottle::addressOf("2001:db8:1:3::1"));
    EXPECT_EQ(LoginThrottle::addressOf("::ffff:192.0.2.7"), "192.0.2.7");
    EXPECT_EQ(LoginThrottle::addressOf(""), "");
    EXPECT_EQ(LoginThrottle::addressOf("not an address"), "not an address");
}

}  // namespace
}  // namespace vigil::signaling
