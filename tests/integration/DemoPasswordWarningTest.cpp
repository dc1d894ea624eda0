// `vigil serve` says loudly while demo accounts keep the demo's published password, and says
// nothing of the kind on a server whose accounts are its own, even one named "admin".

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "Fixtures.hpp"

using namespace vigil::testing;

namespace {

std::string readLog(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Polls the server's log until it holds `needle` (password checks take a while under ASan).
bool logShows(const VigilServer& server, const std::string& needle) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        if (readLog(server.logPath()).find(needle) != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

TEST(DemoPasswordWarningTest, WarnsWhileDemoAccountsKeepTheDemoPassword) {
    RedisServer redis;
    seedDemo(redis);
    VigilServer server(redis.url());
    ASSERT_TRUE(logShows(server, "DEMO PASSWORD IN USE")) << readLog(server.logPath());
    const std::string log = readLog(server.logPath());
    const auto line = log.substr(log.find("DEMO PASSWORD IN USE"));
    EXPECT_NE(line.find("8 account(s)"), std::string::npos) << line;
    EXPECT_NE(line.find("admin"), std::string::npos) << line;
}

TEST(DemoPasswordWarningTest, QuietWhenTheAccountsAreTheServersOwn) {
    RedisServer redis;
    vigilOk(redis, {"orgunit", "add", "--id", "sh", "--name", "上海市"});
    vigilOk(redis, {"user", "add", "--username", "admin", "--name", "管理员", "--role",
                    "administrator", "--unit", "sh", "--password", "Own#Secret2026"});
    VigilServer server(redis.url());
    ASSERT_TRUE(logShows(server, "no demo account has the demo password"))
        << readLog(server.logPath());
    EXPECT_EQ(readLog(server.logPath()).find("DEMO PASSWORD IN USE"), std::string::npos);
}

}  // namespace
