// Redis going away under a running server: requests fail with a clear error and record
// nothing, the server keeps its connections, and once Redis is back (its append-only file
// intact) everything resumes, including intervals whose disconnect could not be written.

#include <gtest/gtest.h>

#include <thread>

#include "Fixtures.hpp"
#include "Replies.hpp"

using namespace vigil::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class RedisOutageTest : public DemoOrgTest {
protected:
    std::map<std::string, std::string> serverEnv() const override {
        return {{"VIGIL_ATTENDANCE_HEARTBEAT_TIMEOUT_SECONDS", "5"}};
    }
};

}  // namespace

TEST_F(RedisOutageTest, RequestsFailCleanlyAndServiceResumes) {
    json auth01;
    auto s01 = connectAs(port(), "subject01", &auth01);
    auto s02 = connectAs(port(), "subject02");
    auto s03 = connectAs(port(), "subject03");
    ASSERT_EQ(s01->request(joinMsg("c1"))["type"], "ok");
    ASSERT_EQ(s03->request(joinMsg("c1"))["type"], "ok");
    ASSERT_EQ(s03->request({{"type", "heartbeat"}})["type"], "ok");
    const long long s03LastBeat =
        std::stoll(openInterval(redis, "c1", demo::kSubject03)["hb"].get<std::string>());
    const std::string officer = login(port(), "officer.wang", kDemoPassword);
    ASSERT_FALSE(officer.empty());

    redis.stop();
    auto join = s02->request(joinMsg("c1"));
    EXPECT_EQ(join["type"], "error") << join.dump();
    EXPECT_EQ(join["code"], "internal") << join.dump();
    auto beat = s01->request({{"type", "heartbeat"}});
    EXPECT_EQ(beat["code"], "internal") << beat.dump();
    // Alive, not ready: a prober must not restart the process for Redis' outage.
    auto health = httpRequest(port(), "GET", "/healthz");
    EXPECT_EQ(health.status, 200) << health.body;
    bool notReady = false;
    for (int i = 0; i < 100 && !notReady; ++i) {
        notReady = httpRequest(port(), "GET", "/readyz").status == 503;
        if (!notReady) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(notReady) << "/readyz stayed ready without Redis";
    auto att = getJson(port(), "/api/classes/c1/attendance", officer);
    EXPECT_EQ(att.status, 503) << att.raw;
    HttpResult loginResult;
    EXPECT_TRUE(login(port(), "subject04", kDemoPassword, &loginResult).empty());
    EXPECT_EQ(loginResult.status, 503) << loginResult.body;
    // subject03's tab closes while its leave cannot be written.
    s03.reset();
    std::this_thread::sleep_for(500ms);

    redis.restart();
    bool healthy = false;
    for (int i = 0; i < 100 && !healthy; ++i) {
        healthy = httpRequest(port(), "GET", "/readyz").status == 200;
        if (!healthy) std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(healthy) << "the server did not reconnect to Redis";

    // The records are as they were: the refused join left nothing behind.
    auto events = attendanceEvents(redis, "c1");
    EXPECT_TRUE(eventsOf(events, "join", demo::kSubject02).empty());
    EXPECT_EQ(openInterval(redis, "c1", demo::kSubject01)["conn"], auth01["conn"]);

    // The same connections work again; the refused join may simply be retried.
    EXPECT_EQ(s01->request({{"type", "heartbeat"}})["type"], "ok");
    auto retried = s02->request(joinMsg("c1"));
    EXPECT_EQ(retried["type"], "ok") << retried.dump();
    EXPECT_EQ(eventsOf(attendanceEvents(redis, "c1"), "join", demo::kSubject02).size(), 1u);
    // Pushes travel through Redis again.
    ASSERT_EQ(s01->request({{"type", "chat"}, {"text", "恢复了"}})["type"], "ok");
    auto chat = s02->waitForType("chat");
    ASSERT_TRUE(chat) << "pushes did not resume after the outage";
    EXPECT_EQ((*chat)["text"], "恢复了");
    EXPECT_FALSE(login(port(), "subject04", kDemoPassword).empty());

    // subject03's disconnect was lost with Redis; the sweeper closes that interval at its
    // last heartbeat instead.
    std::vector<StreamEntry> leaves;
    for (int i = 0; i < 150 && leaves.empty(); ++i) {
        if (i % 10 == 0) {
            s01->request({{"type", "heartbeat"}});
            s02->request({{"type", "heartbeat"}});
        }
        std::this_thread::sleep_for(100ms);
        leaves = eventsOf(attendanceEvents(redis, "c1"), "leave", demo::kSubject03);
    }
    ASSERT_EQ(leaves.size(), 1u) << "the interval whose disconnect was lost stayed open";
    EXPECT_EQ(leaves[0]["reason"], "heartbeat_timeout");
    EXPECT_EQ(std::stoll(leaves[0]["ts"]), s03LastBeat);
    EXPECT_TRUE(eventsOf(attendanceEvents(redis, "c1"), "leave", demo::kSubject01).empty());
}
