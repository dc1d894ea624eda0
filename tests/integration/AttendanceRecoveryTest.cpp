// Intervals nobody closes by hand: a subject whose heartbeats stop, and a server killed with
// SIGKILL while subjects are in class. Each must be closed at the last heartbeat, never at
// the time the server noticed, so that no attendance is credited that did not happen.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "Fixtures.hpp"
#include "Replies.hpp"

using namespace vigil::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class HeartbeatTimeoutTest : public DemoOrgTest {
protected:
    std::map<std::string, std::string> serverEnv() const override {
        return {{"VIGIL_ATTENDANCE_HEARTBEAT_TIMEOUT_SECONDS", "5"}};
    }
};

class ServerRestartTest : public DemoOrgTest {};

long long lastHeartbeat(const RedisServer& redis, const std::string& classId,
                        const std::string& subject) {
    auto open = openInterval(redis, classId, subject);
    return open.is_object() && open["hb"].is_string() ? std::stoll(open["hb"].get<std::string>())
                                                      : -1;
}

std::string readAll(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_F(HeartbeatTimeoutTest, SilentSubjectLeavesAtTheLastHeartbeat) {
    auto officer = connectAs(port(), "officer.wang");
    json auth01;
    auto s01 = connectAs(port(), "subject01", &auth01);
    auto s02 = connectAs(port(), "subject02");
    ASSERT_EQ(officer->request(joinMsg("c1"))["role"], "teacher");
    ASSERT_EQ(s01->request(joinMsg("c1"))["type"], "ok");
    ASSERT_EQ(s02->request(joinMsg("c1"))["type"], "ok");
    ASSERT_TRUE(waitForRoster(*officer, [](const json& p) {
        return hasParticipant(p, demo::kSubject01) && hasParticipant(p, demo::kSubject02);
    }));

    std::this_thread::sleep_for(300ms);
    ASSERT_EQ(s01->request({{"type", "heartbeat"}})["type"], "ok");
    const long long lastBeat = lastHeartbeat(redis, "c1", demo::kSubject01);
    ASSERT_GT(lastBeat, 0);

    // subject01 falls silent; subject02 keeps beating every second.
    std::optional<json> kicked;
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    while (!kicked && std::chrono::steady_clock::now() < deadline) {
        auto beat = s02->request({{"type", "heartbeat"}});
        ASSERT_EQ(beat["type"], "ok")
            << "subject02 lost its place while heartbeating: " << beat.dump();
        kicked = s01->waitForType("kicked", 1000ms);
    }
    const long long noticedAt = nowMs();
    ASSERT_TRUE(kicked) << "no kicked push within 15 s of the last heartbeat";
    EXPECT_EQ((*kicked)["reason"], "heartbeat_timeout");
    EXPECT_EQ((*kicked)["class"], "c1");
    EXPECT_GE(noticedAt - lastBeat, 5000) << "removed before the 5 s timeout";

    auto leaves = eventsOf(attendanceEvents(redis, "c1"), "leave", demo::kSubject01);
    ASSERT_EQ(leaves.size(), 1u);
    EXPECT_EQ(leaves[0]["reason"], "heartbeat_timeout");
    EXPECT_EQ(leaves[0]["conn"], auth01["conn"]);
    // Dated at the last heartbeat, although written at least 5 s later.
    EXPECT_EQ(std::stoll(leaves[0]["ts"]), lastBeat);
    EXPECT_GE(leaves[0].idMillis() - lastBeat, 5000);
    EXPECT_TRUE(openInterval(redis, "c1", demo::kSubject01).is_null());

    // subject02 was never timed out.
    EXPECT_TRUE(eventsOf(attendanceEvents(redis, "c1"), "leave", demo::kSubject02).empty());
    EXPECT_TRUE(openInterval(redis, "c1", demo::kSubject02).is_object());
    ASSERT_TRUE(waitForRoster(*officer, [](const json& p) {
        return !hasParticipant(p, demo::kSubject01) && hasParticipant(p, demo::kSubject02);
    })) << "the teacher's roster still lists the timed-out subject";

    // The records API shows the interval ending at the last heartbeat.
    std::string token = login(port(), "officer.wang", kDemoPassword);
    auto att = getJson(port(), "/api/classes/c1/attendance", token);
    ASSERT_EQ(att.status, 200) << att.raw;
    json row = attendanceRow(att.body, demo::kSubject01);
    ASSERT_EQ(row["intervals"].size(), 1u) << att.raw;
    EXPECT_EQ(row["intervals"][0]["open"], false);
    EXPECT_EQ(row["intervals"][0]["reason"], "heartbeat_timeout");
    EXPECT_EQ(row["intervals"][0]["leave"], isoAt(lastBeat));

    // The connection is still signed in and may join again, as a new interval.
    EXPECT_EQ(s01->request({{"type", "heartbeat"}})["type"], "ok");
    ASSERT_EQ(s01->request(joinMsg("c1"))["type"], "ok");
    EXPECT_EQ(eventsOf(attendanceEvents(redis, "c1"), "join", demo::kSubject01).size(), 2u);
}

TEST_F(ServerRestartTest, KilledServerIntervalsCloseAtTheLastHeartbeatOnRestart) {
    json auth;
    auto s01 = connectAs(port(), "subject01", &auth);
    ASSERT_EQ(s01->request(joinMsg("c1"))["type"], "ok");
    std::this_thread::sleep_for(200ms);
    ASSERT_EQ(s01->request({{"type", "heartbeat"}})["type"], "ok");
    const auto open = openInterval(redis, "c1", demo::kSubject01);
    const long long lastBeat = lastHeartbeat(redis, "c1", demo::kSubject01);
    ASSERT_GT(lastBeat, 0);
    const long long since = std::stoll(open["since"].get<std::string>());

    // The crash comes well after the last heartbeat (more than a second: a different ISO time).
    std::this_thread::sleep_for(1500ms);
    server->kill();
    EXPECT_TRUE(s01->waitClosed(5s));
    // Nobody was left to close the interval.
    EXPECT_TRUE(openInterval(redis, "c1", demo::kSubject01).is_object());
    EXPECT_TRUE(eventsOf(attendanceEvents(redis, "c1"), "leave").empty());
    std::this_thread::sleep_for(1000ms);

    // Same port, so the same node id: it closes what it left open before it serves.
    server->restart();
    auto leaves = eventsOf(attendanceEvents(redis, "c1"), "leave", demo::kSubject01);
    ASSERT_EQ(leaves.size(), 1u)
        << "the interval left open by the killed server was not closed on restart";
    EXPECT_EQ(leaves[0]["reason"], "server_restart");
    EXPECT_EQ(std::stoll(leaves[0]["ts"]), lastBeat);
    EXPECT_EQ(leaves[0]["conn"], auth["conn"]);
    EXPECT_TRUE(openInterval(redis, "c1", demo::kSubject01).is_null());
    EXPECT_EQ(redis.cli({"SISMEMBER", "vigil:open_classes", "c1"}), "0");
    EXPECT_NE(readAll(server->logPath()).find("left open by a previous process"),
              std::string::npos);

    // No phantom attendance: the summary ends at the last heartbeat and stays there.
    std::string token = login(port(), "officer.wang", kDemoPassword);
    auto first = getJson(port(), "/api/classes/c1/attendance", token);
    ASSERT_EQ(first.status, 200) << first.raw;
    json row = attendanceRow(first.body, demo::kSubject01);
    ASSERT_EQ(row["intervals"].size(), 1u) << first.raw;
    EXPECT_EQ(row["intervals"][0]["open"], false);
    EXPECT_EQ(row["intervals"][0]["reason"], "server_restart");
    EXPECT_EQ(row["intervals"][0]["join"], isoAt(since));
    EXPECT_EQ(row["intervals"][0]["leave"], isoAt(lastBeat));
    std::this_thread::sleep_for(2500ms);  // Sweeps run every 2 s.
    auto second = getJson(port(), "/api/classes/c1/attendance", token);
    ASSERT_EQ(second.status, 200);
    EXPECT_EQ(attendanceRow(second.body, demo::kSubject01), row)
        << "attendance grew after the crash";
    EXPECT_EQ(eventsOf(attendanceEvents(redis, "c1"), "leave", demo::kSubject01).size(), 1u);

    // The subject can come back; that is a new interval.
    auto again = connectAs(port(), "subject01");
    ASSERT_EQ(again->request(joinMsg("c1"))["type"], "ok");
    EXPECT_EQ(eventsOf(attendanceEvents(redis, "c1"), "join", demo::kSubject01).size(), 2u);
}

TEST(ServerRestartTwoNodes, RestartClosesOnlyItsOwnIntervals) {
    RedisServer redis;
    seedDemo(redis);
    VigilServer nodeA(redis.url());
    VigilServer nodeB(redis.url());
    json authA;
    auto s01 = connectAs(nodeA.port(), "subject01", &authA);
    auto s02 = connectAs(nodeB.port(), "subject02");
    ASSERT_EQ(s01->request(joinMsg("c1"))["type"], "ok");
    ASSERT_EQ(s02->request(joinMsg("c1"))["type"], "ok");
    ASSERT_EQ(s01->request({{"type", "heartbeat"}})["type"], "ok");
    const long long lastBeat = lastHeartbeat(redis, "c1", demo::kSubject01);

    nodeA.kill();
    nodeA.restart();
    auto leaves = eventsOf(attendanceEvents(redis, "c1"), "leave");
    ASSERT_EQ(leaves.size(), 1u);
    EXPECT_EQ(leaves[0]["subject"], demo::kSubject01);
    EXPECT_EQ(leaves[0]["reason"], "server_restart");
    EXPECT_EQ(std::stoll(leaves[0]["ts"]), lastBeat);
    // Node B is alive and still serves subject02.
    EXPECT_TRUE(openInterval(redis, "c1", demo::kSubject02).is_object());
    EXPECT_EQ(s02->request({{"type", "heartbeat"}})["type"], "ok");
    std::this_thread::sleep_for(2500ms);
    EXPECT_TRUE(openInterval(redis, "c1", demo::kSubject02).is_object());
    EXPECT_EQ(eventsOf(attendanceEvents(redis, "c1"), "leave").size(), 1u);
}

TEST_F(ServerRestartTest, GracefulStopRecordsSubjectsAsLeft) {
    auto officer = connectAs(port(), "officer.wang");
    json auth01;
    json auth02;
    auto s01 = connectAs(port(), "subject01", &auth01);
    auto s02 = connectAs(port(), "subject02", &auth02);
    ASSERT_EQ(officer->request(joinMsg("c1"))["role"], "teacher");
    ASSERT_EQ(s01->request(joinMsg("c1"))["type"], "ok");
    ASSERT_EQ(s02->request(joinMsg("c1"))["type"], "ok");

    const long long stopping = nowMs();
    EXPECT_EQ(server->stop(), 0) << readAll(server->logPath());
    const long long stopped = nowMs();
    for (const auto& [subject, auth] :
         {std::pair{demo::kSubject01, auth01}, std::pair{demo::kSubject02, auth02}}) {
        auto leaves = eventsOf(attendanceEvents(redis, "c1"), "leave", subject);
        ASSERT_EQ(leaves.size(), 1u) << subject << " was not recorded as left on shutdown";
        EXPECT_EQ(leaves[0]["reason"], "server_shutdown");
        EXPECT_EQ(leaves[0]["conn"], auth["conn"]);
        EXPECT_GE(std::stoll(leaves[0]["ts"]), stopping);
        EXPECT_LE(std::stoll(leaves[0]["ts"]), stopped);
        EXPECT_TRUE(openInterval(redis, "c1", subject).is_null());
    }
    EXPECT_EQ(redis.cli({"KEYS", "vigil:node:*"}), "") << "the stopped node still looks alive";

    // Nothing is left for the next start to close.
    server->restart();
    auto leaves = eventsOf(attendanceEvents(redis, "c1"), "leave");
    EXPECT_EQ(leaves.size(), 2u);
    for (const auto& e : leaves) EXPECT_EQ(e["reason"], "server_shutdown");
    EXPECT_TRUE(eventsOf(attendanceEvents(redis, "c1"), "join", demo::kOfficerWang).empty());
}

TEST_F(ServerRestartTest, ClassNeverStartedIsClosedAtItsScheduledEnd) {
    // A class that is open now and ends in about 20 s (whole seconds: the CLI takes ISO times),
    // time enough for the command line and both sign-ins on a loaded host.
    const long long end = (nowMs() / 1000 + 20) * 1000;
    const std::string cls = addClass(redis, "马上结束的课", "zj-hz-xh-zt", demo::kOfficerWang,
                                     end - 30 * 60000, end, "zj-hz-xh-zt");
    json auth;
    auto s01 = connectAs(port(), "subject01", &auth);
    auto officer = connectAs(port(), "officer.wang");
    ASSERT_EQ(officer->request(joinMsg(cls))["role"], "teacher");
    ASSERT_EQ(s01->request(joinMsg(cls))["type"], "ok");

    std::optional<json> kicked;
    for (int i = 0; i < 30 && !kicked; ++i) {
        ASSERT_EQ(s01->request({{"type", "heartbeat"}})["type"], "ok");
        kicked = s01->waitForType("kicked", 1000ms);
    }
    ASSERT_TRUE(kicked) << "the subject was not removed when the class's time was over";
    EXPECT_EQ((*kicked)["reason"], "class_ended");
    EXPECT_GE(nowMs(), end);
    auto leaves = eventsOf(attendanceEvents(redis, cls), "leave", demo::kSubject01);
    ASSERT_EQ(leaves.size(), 1u);
    EXPECT_EQ(leaves[0]["reason"], "class_ended");
    EXPECT_EQ(std::stoll(leaves[0]["ts"]), end) << "dated when noticed, not at the class's end";
    EXPECT_EQ(leaves[0]["conn"], auth["conn"]);
    EXPECT_TRUE(waitForRoster(*officer, [](const json& p) { return p.empty(); }));
    auto late = s01->request(joinMsg(cls));
    EXPECT_EQ(late["code"], "class_not_open") << late.dump();
}
