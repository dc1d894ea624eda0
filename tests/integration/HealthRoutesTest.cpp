// Liveness, readiness and metrics (HealthRoutes). The stall test freezes the test's own
// redis-server (SIGSTOP: connections stay open, commands go unanswered) for longer than the
// command timeout, as a Kubernetes prober would see it: /healthz must answer 200 at once on
// every probe (it is the liveness probe; failing it restarts the pod), /readyz must fail,
// heartbeats are answered `internal`, and once Redis returns the class goes on with the
// subject's attendance interval unbroken.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "Fixtures.hpp"

using namespace vigil::testing;
using namespace std::chrono_literals;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

class HealthRoutesTest : public DemoOrgTest {};

// Resumes the paused Redis however the test ends.
struct ResumeRedis {
    RedisServer& redis;
    ~ResumeRedis() { redis.resume(); }
};

struct Probe {
    int status{0};
    std::chrono::milliseconds took{0};
};

Probe probe(int port, const std::string& path) {
    auto start = Clock::now();
    auto r = httpRequest(port, "GET", path);
    return {r.status, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start)};
}

// Polls `path` until it answers `status`; false after `limit`.
bool waitForStatus(int port, const std::string& path, int status, std::chrono::seconds limit) {
    for (auto until = Clock::now() + limit; Clock::now() < until;) {
        if (httpRequest(port, "GET", path).status == status) return true;
        std::this_thread::sleep_for(100ms);
    }
    return false;
}

std::string nodeBeat(const RedisServer& redis) {
    auto keys = redis.cli({"--scan", "--pattern", "vigil:node:*"});
    auto nl = keys.find('\n');
    return redis.cli({"GET", keys.substr(0, nl)});
}

}  // namespace

TEST_F(HealthRoutesTest, RedisStallFailsReadinessNotLivenessAndTheClassGoesOn) {
    auto s01 = connectAs(port(), "subject01");
    ASSERT_EQ(s01->request({{"type", "join"}, {"class", "c1"}})["type"], "ok");
    ASSERT_EQ(s01->request({{"type", "heartbeat"}})["type"], "ok");
    ASSERT_TRUE(waitForStatus(port(), "/readyz", 200, 10s));
    auto alive = httpRequest(port(), "GET", "/healthz");
    EXPECT_EQ(alive.status, 200) << alive.body;
    EXPECT_EQ(json::parse(alive.body)["status"], "alive");

    const auto stallStart = Clock::now();
    redis.pause();
    ResumeRedis guard{redis};
    // Readiness notices within its staleness window, without waiting on Redis itself.
    ASSERT_TRUE(waitForStatus(port(), "/readyz", 503, 8s)) << "/readyz stayed ready";
    auto notReady = httpRequest(port(), "GET", "/readyz");
    EXPECT_EQ(json::parse(notReady.body)["status"], "not_ready") << notReady.body;

    // A heartbeat waits for Redis until the command timeout (5 s), then is refused.
    auto beat = s01->request({{"type", "heartbeat"}}, 15s);
    EXPECT_EQ(beat["type"], "error") << beat.dump();
    EXPECT_EQ(beat["code"], "internal") << beat.dump();

    // Every liveness probe during the stall (past the command timeout, so the connection
    // to Redis has been dropped and retried meanwhile) answers 200 within a prober's 1 s.
    int probes = 0;
    while (Clock::now() - stallStart < 9s) {
        auto p = probe(port(), "/healthz");
        EXPECT_EQ(p.status, 200) << "liveness failed during the Redis stall";
        EXPECT_LT(p.took, 1000ms) << "liveness waited on Redis";
        ++probes;
        std::this_thread::sleep_for(250ms);
    }
    EXPECT_GT(probes, 5);
    EXPECT_EQ(probe(port(), "/readyz").status, 503);

    redis.resume();
    ASSERT_TRUE(waitForStatus(port(), "/readyz", 200, 20s)) << "/readyz did not recover";
    EXPECT_EQ(httpRequest(port(), "GET", "/healthz").status, 200);

    // The same socket goes on; a sweep runs after the stall and leaves the interval open.
    const std::string beatBefore = nodeBeat(redis);
    bool ok = false;
    for (auto until = Clock::now() + 15s; Clock::now() < until && !ok;) {
        ok = s01->request({{"type", "heartbeat"}})["type"] == "ok";
        if (!ok) std::this_thread::sleep_for(200ms);
    }
    ASSERT_TRUE(ok) << "heartbeats were not answered after Redis returned";
    bool swept = false;
    for (auto until = Clock::now() + 15s; Clock::now() < until && !swept;) {
        swept = nodeBeat(redis) != beatBefore;
        if (!swept) std::this_thread::sleep_for(200ms);
    }
    ASSERT_TRUE(swept) << "no sweep ran after the stall";
    EXPECT_EQ(s01->request({{"type", "heartbeat"}})["type"], "ok");
    auto events = attendanceEvents(redis, "c1");
    EXPECT_EQ(eventsOf(events, "join", demo::kSubject01).size(), 1u);
    EXPECT_TRUE(eventsOf(events, "leave", demo::kSubject01).empty())
        << "the stall broke the attendance interval";
    EXPECT_FALSE(openInterval(redis, "c1", demo::kSubject01).is_null());
}

TEST_F(HealthRoutesTest, MetricsAreServedToLoopbackInTheTextFormat) {
    auto s01 = connectAs(port(), "subject01");
    auto s02 = connectAs(port(), "subject02");
    ASSERT_EQ(s01->request({{"type", "join"}, {"class", "c1"}})["type"], "ok");
    ASSERT_TRUE(waitForStatus(port(), "/readyz", 200, 10s));
    auto r = httpRequest(port(), "GET", "/metrics");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    for (const char* line :
         {"# TYPE vigil_ws_connections gauge\n", "vigil_ws_connections 2\n",
          "vigil_class_members 1\n", "vigil_redis_up 1\n", "# TYPE vigil_redis_commands_total",
          "vigil_redis_command_seconds_bucket{le=\"+Inf\"}", "vigil_class_joins_total 1\n"}) {
        EXPECT_NE(r.body.find(line), std::string::npos) << "missing: " << line << "\n" << r.body;
    }
}

class MetricsTokenTest : public DemoOrgTest {
protected:
    std::map<std::string, std::string> serverEnv() const override {
        return {{"VIGIL_METRICS_TOKEN", "scrape-secret"}};
    }
};

TEST_F(MetricsTokenTest, AConfiguredTokenIsRequired) {
    EXPECT_EQ(httpRequest(port(), "GET", "/metrics").status, 401);
    EXPECT_EQ(httpRequest(port(), "GET", "/metrics", "", "wrong").status, 401);
    // A session token is not the metrics token.
    const std::string session = login(port(), "admin", kDemoPassword);
    ASSERT_FALSE(session.empty());
    EXPECT_EQ(httpRequest(port(), "GET", "/metrics", "", session).status, 401);
    auto r = httpRequest(port(), "GET", "/metrics", "", "scrape-secret");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("vigil_ws_connections"), std::string::npos);
    // The probes stay open to the prober.
    EXPECT_EQ(httpRequest(port(), "GET", "/healthz").status, 200);
}
