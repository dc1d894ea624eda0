#include <gtest/gtest.h>

#include "TestProcesses.hpp"
#include "WsClient.hpp"

using namespace vigil::testing;

TEST(Smoke, LoginAndAuthOverWebSocket) {
    RedisServer redis;
    auto seeded = runVigil({"demo", "seed"}, {{"VIGIL_REDIS_URL", redis.url()}});
    ASSERT_EQ(seeded.exitCode, 0) << seeded.output;
    VigilServer server(redis.url());
    std::string token = login(server.port(), "subject01", "Demo!2026");
    ASSERT_EQ(token.size(), 64u);
    WsClient ws(server.port());
    auto reply = ws.request({{"type", "auth"}, {"token", token}});
    EXPECT_EQ(reply["type"], "ok") << reply.dump();
    EXPECT_EQ(reply["user"]["username"], "subject01");
    auto join = ws.request({{"type", "join"}, {"class", "c1"}});
    EXPECT_EQ(join["type"], "ok") << join.dump();
}
