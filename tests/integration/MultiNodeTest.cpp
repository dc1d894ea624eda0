// Two `vigil serve` processes on different ports sharing one Redis, as a load balancer would
// spread one class over them: one roster, chat and hands across nodes, one interval per
// subject, and a dead node's intervals closed by the survivor.

#include <gtest/gtest.h>

#include <thread>

#include "Fixtures.hpp"
#include "Replies.hpp"

using namespace vigil::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class MultiNodeTest : public ::testing::Test {
protected:
    void SetUp() override {
        seedDemo(redis);
        nodeA = std::make_unique<VigilServer>(redis.url());
        nodeB = std::make_unique<VigilServer>(redis.url());
        ASSERT_NE(nodeA->port(), nodeB->port());
    }

    RedisServer redis;
    std::unique_ptr<VigilServer> nodeA;
    std::unique_ptr<VigilServer> nodeB;
};

}  // namespace

TEST_F(MultiNodeTest, OneClassAcrossTwoNodes) {
    auto officer = connectAs(nodeB->port(), "officer.wang");
    json authA;
    auto subjectOnA = connectAs(nodeA->port(), "subject01", &authA);
    ASSERT_EQ(officer->request(joinMsg("c1"))["role"], "teacher");
    ASSERT_EQ(subjectOnA->request(joinMsg("c1"))["type"], "ok");

    // The officer on node B sees the subject who joined on node A.
    auto roster =
        waitForRoster(*officer, [](const json& p) { return hasParticipant(p, demo::kSubject01); });
    ASSERT_TRUE(roster) << "node B's teacher was not pushed node A's join";
    EXPECT_EQ((*roster)["participants"][0]["name"], "张伟");
    auto asked = officer->request({{"type", "roster"}});
    ASSERT_EQ(asked["type"], "ok") << asked.dump();
    EXPECT_TRUE(hasParticipant(asked["participants"], demo::kSubject01)) << asked.dump();

    // Chat crosses nodes both ways.
    ASSERT_EQ(subjectOnA->request({{"type", "chat"}, {"text", "节点A的学员：能听到吗？"}})["type"],
              "ok");
    auto chat = officer->waitForType("chat");
    ASSERT_TRUE(chat) << "chat from node A did not reach node B";
    EXPECT_EQ((*chat)["text"], "节点A的学员：能听到吗？");
    EXPECT_EQ((*chat)["from"]["id"], demo::kSubject01);
    ASSERT_TRUE(subjectOnA->waitForType("chat"));  // its own line, echoed
    ASSERT_EQ(officer->request({{"type", "chat"}, {"text", "能听到。"}})["type"], "ok");
    chat = subjectOnA->waitForType("chat");
    ASSERT_TRUE(chat) << "chat from node B did not reach node A";
    EXPECT_EQ((*chat)["text"], "能听到。");
    EXPECT_EQ((*chat)["from"]["role"], "officer");

    // A hand raised on A shows on B.
    ASSERT_EQ(subjectOnA->request({{"type", "raise_hand"}})["type"], "ok");
    auto hand = officer->waitForType("hand");
    ASSERT_TRUE(hand);
    EXPECT_EQ((*hand)["subject"], demo::kSubject01);

    // A spot check ordered on B reaches the subject on A, and the answer comes back.
    auto ordered =
        officer->request({{"type", "spot_check"}, {"subject", demo::kSubject01}, {"seconds", 60}});
    ASSERT_EQ(ordered["type"], "ok") << ordered.dump();
    auto check = subjectOnA->waitForType("spot_check");
    ASSERT_TRUE(check) << "the spot check did not cross nodes";
    EXPECT_EQ((*check)["check"], ordered["check"]);
    ASSERT_EQ(
        subjectOnA->request({{"type", "spot_check_reply"}, {"check", ordered["check"]}})["type"],
        "ok");
    auto result = officer->waitForType("spot_check_result");
    ASSERT_TRUE(result) << "the spot check result did not cross nodes";
    EXPECT_EQ((*result)["outcome"], "answered");

    // The same subject on node B replaces the interval held on node A.
    json authB;
    auto subjectOnB = connectAs(nodeB->port(), "subject01", &authB);
    ASSERT_EQ(subjectOnB->request(joinMsg("c1"))["type"], "ok");
    auto kicked = subjectOnA->waitForType("kicked");
    ASSERT_TRUE(kicked) << "node A's connection was not told it was replaced";
    EXPECT_EQ((*kicked)["reason"], "replaced");
    auto events = attendanceEvents(redis, "c1");
    auto leaves = eventsOf(events, "leave", demo::kSubject01);
    ASSERT_EQ(leaves.size(), 1u);
    EXPECT_EQ(leaves[0]["reason"], "replaced");
    EXPECT_EQ(leaves[0]["conn"], authA["conn"]);
    EXPECT_EQ(openInterval(redis, "c1", demo::kSubject01)["conn"], authB["conn"]);
    EXPECT_NE(authA["conn"], authB["conn"]);

    // Ending the class on B reaches the student on B and closes the interval.
    auto ended = officer->request({{"type", "end_class"}, {"class", "c1"}});
    ASSERT_EQ(ended["type"], "ok") << ended.dump();
    EXPECT_TRUE(subjectOnB->waitForType("class_ended"));
    leaves = eventsOf(attendanceEvents(redis, "c1"), "leave", demo::kSubject01);
    ASSERT_EQ(leaves.size(), 2u);
    EXPECT_EQ(leaves[1]["reason"], "class_ended");
    EXPECT_EQ(leaves[1]["conn"], authB["conn"]);
}

TEST_F(MultiNodeTest, StartOnOneNodeLetsSubjectsJoinOnTheOther) {
    const long long now = nowMs();
    const std::string cls = addClass(redis, "两节点的课", "zj-hz-xh-zt", demo::kOfficerWang,
                                     now + 3 * 3600000LL, now + 4 * 3600000LL, "zj-hz-xh-zt");
    auto subjectOnB = connectAs(nodeB->port(), "subject02");
    EXPECT_EQ(subjectOnB->request(joinMsg(cls))["code"], "class_not_open");
    auto officer = connectAs(nodeA->port(), "officer.wang");
    ASSERT_EQ(officer->request({{"type", "start_class"}, {"class", cls}})["type"], "ok");
    auto joined = subjectOnB->request(joinMsg(cls));
    EXPECT_EQ(joined["type"], "ok") << joined.dump();
    EXPECT_EQ(joined["class"]["state"], "live");
}

TEST_F(MultiNodeTest, SurvivingNodeClosesADeadNodesIntervals) {
    json authA;
    auto s01 = connectAs(nodeA->port(), "subject01", &authA);
    auto s02 = connectAs(nodeB->port(), "subject02");
    auto officer = connectAs(nodeB->port(), "officer.wang");
    ASSERT_EQ(officer->request(joinMsg("c1"))["role"], "teacher");
    ASSERT_EQ(s01->request(joinMsg("c1"))["type"], "ok");
    ASSERT_EQ(s02->request(joinMsg("c1"))["type"], "ok");
    ASSERT_EQ(s01->request({{"type", "heartbeat"}})["type"], "ok");
    const long long lastBeat =
        std::stoll(openInterval(redis, "c1", demo::kSubject01)["hb"].get<std::string>());

    nodeA->kill();  // and it never comes back
    // Node B notices once node A's heartbeat key lapses, well before the 30 s heartbeat timeout.
    std::vector<StreamEntry> leaves;
    const auto deadline = std::chrono::steady_clock::now() + 28s;
    while (leaves.empty() && std::chrono::steady_clock::now() < deadline) {
        ASSERT_EQ(s02->request({{"type", "heartbeat"}})["type"], "ok");
        std::this_thread::sleep_for(500ms);
        leaves = eventsOf(attendanceEvents(redis, "c1"), "leave", demo::kSubject01);
    }
    ASSERT_EQ(leaves.size(), 1u) << "node B did not close the dead node's interval";
    EXPECT_EQ(leaves[0]["reason"], "server_restart");
    EXPECT_EQ(std::stoll(leaves[0]["ts"]), lastBeat);
    EXPECT_EQ(leaves[0]["conn"], authA["conn"]);
    EXPECT_TRUE(openInterval(redis, "c1", demo::kSubject01).is_null());
    EXPECT_TRUE(openInterval(redis, "c1", demo::kSubject02).is_object());
    EXPECT_TRUE(eventsOf(attendanceEvents(redis, "c1"), "leave", demo::kSubject02).empty());
    EXPECT_TRUE(waitForRoster(*officer, [](const json& p) {
        return !hasParticipant(p, demo::kSubject01) && hasParticipant(p, demo::kSubject02);
    })) << "the teacher's roster still lists the dead node's subject";
}

TEST(MultiNodeTimeoutTest, BothNodesSweepingWriteOneLeave) {
    RedisServer redis;
    seedDemo(redis);
    const std::map<std::string, std::string> env{
        {"VIGIL_ATTENDANCE_HEARTBEAT_TIMEOUT_SECONDS", "5"}};
    VigilServer nodeA(redis.url(), env);
    VigilServer nodeB(redis.url(), env);
    auto officer = connectAs(nodeB.port(), "officer.wang");
    auto s01 = connectAs(nodeA.port(), "subject01");
    ASSERT_EQ(officer->request(joinMsg("c1"))["role"], "teacher");
    ASSERT_EQ(s01->request(joinMsg("c1"))["type"], "ok");
    ASSERT_EQ(s01->request({{"type", "heartbeat"}})["type"], "ok");
    const long long lastBeat =
        std::stoll(openInterval(redis, "c1", demo::kSubject01)["hb"].get<std::string>());

    // Both nodes' sweepers see the stale interval; the subject on A is told, once.
    auto kicked = s01->waitForType("kicked", 15s);
    ASSERT_TRUE(kicked) << "no kicked push after the heartbeat timeout";
    EXPECT_EQ((*kicked)["reason"], "heartbeat_timeout");
    std::this_thread::sleep_for(4500ms);  // two more sweeps on each node
    auto leaves = eventsOf(attendanceEvents(redis, "c1"), "leave", demo::kSubject01);
    ASSERT_EQ(leaves.size(), 1u) << "two nodes closed the same interval twice";
    EXPECT_EQ(leaves[0]["reason"], "heartbeat_timeout");
    EXPECT_EQ(std::stoll(leaves[0]["ts"]), lastBeat);
    EXPECT_FALSE(s01->waitForType("kicked", 0ms)) << "kicked twice";
    EXPECT_TRUE(waitForRoster(*officer, [](const json& p) { return p.empty(); }));
}
