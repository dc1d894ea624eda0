// ICE servers handed to browsers: STUN as configured, TURN with coturn's time-limited
// shared-secret credentials.

#include <gtest/gtest.h>

#include "vigil/signaling/IceServers.hpp"

using vigil::signaling::iceServers;
using vigil::signaling::splitUrls;
using vigil::signaling::turnCredential;

TEST(IceServersTest, NoneConfiguredGivesAnEmptyList) {
    vigil::common::Config::Ice ice;
    EXPECT_TRUE(iceServers(ice, "u4", 1795939200000).empty());
}

TEST(IceServersTest, UrlListsAreSplitAndTrimmed) {
    EXPECT_EQ(splitUrls("stun:a:3478, stun:b:3478 ,,"),
              (std::vector<std::string>{"stun:a:3478", "stun:b:3478"}));
    EXPECT_TRUE(splitUrls("").empty());
}

TEST(IceServersTest, TurnCredentialIsTheCoturnSharedSecretHmac) {
    // base64(HMAC-SHA1("north-secret", "1795939200:u4")), computed independently.
    EXPECT_EQ(turnCredential("north-secret", "1795939200:u4"), "alk7Ptq7uoyJoEOafeRgSzAZwrw=");
}

TEST(IceServersTest, TurnEntryExpiresAfterTheConfiguredLifetime) {
    vigil::common::Config::Ice ice;
    ice.stunUrls = "stun:stun.example.org:3478";
    ice.turnUrls = "turn:turn.example.org:3478?transport=udp";
    ice.turnSecret = "north-secret";
    ice.turnTtlSeconds = 3600;
    auto servers = iceServers(ice, "u4", 1795935600000);
    ASSERT_EQ(servers.size(), 2u);
    EXPECT_EQ(servers[0]["urls"][0], "stun:stun.example.org:3478");
    EXPECT_FALSE(servers[0].contains("username"));
    EXPECT_EQ(servers[1]["username"], "1795939200:u4");
    EXPECT_EQ(servers[1]["credential"], "alk7Ptq7uoyJoEOafeRgSzAZwrw=");
}
