// A class as subjects and officers live it, over real WebSockets against `vigil serve` and a
// private redis-server: join, heartbeat, leave, the roster pushed to the teacher, hands,
// chat, refusals, start and end of a class, and spot checks, each checked against the
// attendance stream in Redis.

#include <gtest/gtest.h>

#include <thread>

#include "Fixtures.hpp"
#include "Replies.hpp"

using namespace vigil::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class ClassFlowTest : public DemoOrgTest {};

bool isReplyTo(const json& m, const std::string& id) {
    return m.contains("re") && m["re"] == id;
}

long long millisField(const json& j, const char* name) {
    return j.contains(name) && j[name].is_string() ? std::stoll(j[name].get<std::string>()) : -1;
}

const json* participant(const json& participants, const std::string& id) {
    for (const auto& p : participants) {
        if (p.value("id", "") == id) return &p;
    }
    return nullptr;
}

}  // namespace

TEST_F(ClassFlowTest, JoinHeartbeatLeaveAreRecordedBeforeTheOk) {
    json auth;
    auto ws = connectAs(port(), "subject01", &auth);
    EXPECT_EQ(auth["user"]["id"], demo::kSubject01);
    EXPECT_EQ(auth["user"]["role"], "subject");
    const std::string conn = auth.value("conn", "");
    ASSERT_FALSE(conn.empty()) << auth.dump();
    ASSERT_TRUE(attendanceEvents(redis, "c1").empty());

    // Redis refuses writes for 1.5 s: the join must not be acknowledged before its event is.
    ASSERT_EQ(redis.cli({"CLIENT", "PAUSE", "1500", "WRITE"}), "OK");
    ws->send({{"type", "join"}, {"id", "j1"}, {"class", "c1"}});
    EXPECT_FALSE(ws->waitFor([](const json& m) { return isReplyTo(m, "j1"); }, 1000ms))
        << "join acknowledged while its attendance event could not be written";
    auto join = ws->waitFor([](const json& m) { return isReplyTo(m, "j1"); }, 10s);
    ASSERT_TRUE(join);
    ASSERT_EQ((*join)["type"], "ok") << join->dump();
    EXPECT_EQ((*join)["role"], "student");
    EXPECT_EQ((*join)["class"]["id"], "c1");
    auto events = attendanceEvents(redis, "c1");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0]["kind"], "join");
    EXPECT_EQ(events[0]["subject"], demo::kSubject01);
    EXPECT_EQ(events[0]["conn"], conn);
    auto open = openInterval(redis, "c1", demo::kSubject01);
    ASSERT_TRUE(open.is_object());
    EXPECT_EQ(open["conn"], conn);

    // A heartbeat moves the interval's last-heartbeat time and writes no event.
    std::this_thread::sleep_for(50ms);
    auto hb = ws->request({{"type", "heartbeat"}});
    ASSERT_EQ(hb["type"], "ok") << hb.dump();
    auto afterHb = openInterval(redis, "c1", demo::kSubject01);
    EXPECT_GT(millisField(afterHb, "hb"), millisField(open, "hb"));
    EXPECT_EQ(millisField(afterHb, "since"), millisField(open, "since"));

    // Joining again on the same connection is ok and writes nothing.
    auto again = ws->request(joinMsg("c1"));
    EXPECT_EQ(again["type"], "ok") << again.dump();
    EXPECT_EQ(attendanceEvents(redis, "c1").size(), 1u);

    ASSERT_EQ(redis.cli({"CLIENT", "PAUSE", "1500", "WRITE"}), "OK");
    ws->send({{"type", "leave"}, {"id", "l1"}, {"class", "c1"}});
    EXPECT_FALSE(ws->waitFor([](const json& m) { return isReplyTo(m, "l1"); }, 1000ms))
        << "leave acknowledged while its attendance event could not be written";
    auto leave = ws->waitFor([](const json& m) { return isReplyTo(m, "l1"); }, 10s);
    ASSERT_TRUE(leave);
    ASSERT_EQ((*leave)["type"], "ok") << leave->dump();
    events = attendanceEvents(redis, "c1");
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1]["kind"], "leave");
    EXPECT_EQ(events[1]["subject"], demo::kSubject01);
    EXPECT_EQ(events[1]["reason"], "leave");
    EXPECT_EQ(events[1]["conn"], conn);
    EXPECT_GE(std::stoll(events[1]["ts"]), std::stoll(events[0]["ts"]));
    EXPECT_TRUE(openInterval(redis, "c1", demo::kSubject01).is_null());

    // Out of the class, a heartbeat is still answered and records nothing.
    EXPECT_EQ(ws->request({{"type", "heartbeat"}})["type"], "ok");
    EXPECT_EQ(attendanceEvents(redis, "c1").size(), 2u);
}

TEST_F(ClassFlowTest, RosterIsPushedToTheTeacherOnJoinHandAndLeave) {
    auto officer = connectAs(port(), "officer.wang");
    auto teach = officer->request(joinMsg("c1"));
    ASSERT_EQ(teach["type"], "ok") << teach.dump();
    EXPECT_EQ(teach["role"], "teacher");
    auto s01 = connectAs(port(), "subject01");
    auto s02 = connectAs(port(), "subject02");

    ASSERT_EQ(s01->request(joinMsg("c1"))["type"], "ok");
    auto roster =
        waitForRoster(*officer, [](const json& p) { return hasParticipant(p, demo::kSubject01); });
    ASSERT_TRUE(roster) << "no roster push after subject01 joined";
    EXPECT_EQ((*roster)["class"], "c1");
    const json* entry = participant((*roster)["participants"], demo::kSubject01);
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ((*entry)["name"], "张伟");
    EXPECT_EQ((*entry)["hand"], false);
    EXPECT_EQ((*entry)["presence"], "unknown");
    EXPECT_TRUE((*entry)["since"].is_string() &&
                (*entry)["since"].get<std::string>().ends_with("+08:00"))
        << entry->dump();
    EXPECT_TRUE((*entry)["last_heartbeat"].is_string()) << entry->dump();

    ASSERT_EQ(s02->request(joinMsg("c1"))["type"], "ok");
    ASSERT_TRUE(waitForRoster(*officer, [](const json& p) {
        return hasParticipant(p, demo::kSubject01) && hasParticipant(p, demo::kSubject02);
    })) << "no roster push after subject02 joined";

    // A raised hand: a hand push and a roster showing it.
    ASSERT_EQ(s01->request({{"type", "raise_hand"}})["type"], "ok");
    auto hand = officer->waitForType("hand");
    ASSERT_TRUE(hand);
    EXPECT_EQ((*hand)["subject"], demo::kSubject01);
    EXPECT_EQ((*hand)["raised"], true);
    EXPECT_EQ((*hand)["class"], "c1");
    ASSERT_TRUE(waitForRoster(*officer, [](const json& p) {
        const json* me = participant(p, demo::kSubject01);
        return me != nullptr && (*me)["hand"] == true;
    })) << "roster did not show the raised hand";
    ASSERT_EQ(s01->request({{"type", "lower_hand"}})["type"], "ok");
    hand = officer->waitForType("hand");
    ASSERT_TRUE(hand);
    EXPECT_EQ((*hand)["raised"], false);
    ASSERT_TRUE(waitForRoster(*officer, [](const json& p) {
        const json* me = participant(p, demo::kSubject01);
        return me != nullptr && (*me)["hand"] == false;
    })) << "roster did not show the lowered hand";

    // Chat reaches everyone in the class, the sender included.
    const std::string line = "老师好，我能听到。";
    ASSERT_EQ(s02->request({{"type", "chat"}, {"text", line}})["type"], "ok");
    for (WsClient* ws : {officer.get(), s01.get(), s02.get()}) {
        auto chat = ws->waitForType("chat");
        ASSERT_TRUE(chat) << "a class member did not receive the chat line";
        EXPECT_EQ((*chat)["text"], line);
        EXPECT_EQ((*chat)["from"]["id"], demo::kSubject02);
        EXPECT_EQ((*chat)["from"]["name"], "王芳");
        EXPECT_EQ((*chat)["from"]["role"], "subject");
    }

    EXPECT_EQ(redis.cli({"XLEN", "vigil:chat:c1"}), "1");

    // Leave and disconnect both take the subject off the roster.
    ASSERT_EQ(s01->request({{"type", "leave"}})["type"], "ok");
    ASSERT_TRUE(waitForRoster(*officer, [](const json& p) {
        return !hasParticipant(p, demo::kSubject01) && hasParticipant(p, demo::kSubject02);
    })) << "roster still lists subject01 after leave";
    s02.reset();  // The tab closes.
    ASSERT_TRUE(waitForRoster(*officer, [](const json& p) { return p.empty(); }))
        << "roster still lists subject02 after the disconnect";
    auto leaves = eventsOf(attendanceEvents(redis, "c1"), "leave", demo::kSubject02);
    ASSERT_EQ(leaves.size(), 1u);
    EXPECT_EQ(leaves[0]["reason"], "disconnect");

    // Students are not sent the roster or hands.
    EXPECT_FALSE(s01->waitFor(
        [](const json& m) {
            return m.value("type", "") == "roster" || m.value("type", "") == "hand";
        },
        300ms));
    // The teacher's own roster request agrees.
    auto asked = officer->request({{"type", "roster"}, {"class", "c1"}});
    ASSERT_EQ(asked["type"], "ok") << asked.dump();
    EXPECT_TRUE(asked["participants"].empty()) << asked.dump();
    // The teacher's joins wrote no attendance of their own.
    EXPECT_TRUE(eventsOf(attendanceEvents(redis, "c1"), "join", demo::kOfficerWang).empty());
}

TEST_F(ClassFlowTest, ASecondConnectionReplacesTheFirstInterval) {
    json authA;
    json authB;
    auto tabA = connectAs(port(), "subject01", &authA);
    auto tabB = connectAs(port(), "subject01", &authB);
    ASSERT_EQ(tabA->request(joinMsg("c1"))["type"], "ok");
    ASSERT_EQ(tabB->request(joinMsg("c1"))["type"], "ok");
    auto kicked = tabA->waitForType("kicked");
    ASSERT_TRUE(kicked) << "the older connection was not told it was replaced";
    EXPECT_EQ((*kicked)["reason"], "replaced");

    auto events = attendanceEvents(redis, "c1");
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0]["kind"], "join");
    EXPECT_EQ(events[0]["conn"], authA["conn"]);
    EXPECT_EQ(events[1]["kind"], "leave");
    EXPECT_EQ(events[1]["reason"], "replaced");
    EXPECT_EQ(events[1]["conn"], authA["conn"]);
    EXPECT_EQ(events[2]["kind"], "join");
    EXPECT_EQ(events[2]["conn"], authB["conn"]);
    EXPECT_EQ(openInterval(redis, "c1", demo::kSubject01)["conn"], authB["conn"]);

    // The replaced tab stays signed in but out of the class; its disconnect records nothing.
    EXPECT_EQ(tabA->request({{"type", "heartbeat"}})["type"], "ok");
    tabA.reset();
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(attendanceEvents(redis, "c1").size(), 3u);
    EXPECT_EQ(openInterval(redis, "c1", demo::kSubject01)["conn"], authB["conn"]);

    // Closing the current tab closes its interval with reason disconnect.
    tabB.reset();
    std::vector<StreamEntry> leaves;
    for (int i = 0; i < 50 && leaves.size() < 2; ++i) {
        std::this_thread::sleep_for(100ms);
        leaves = eventsOf(attendanceEvents(redis, "c1"), "leave", demo::kSubject01);
    }
    ASSERT_EQ(leaves.size(), 2u);
    EXPECT_EQ(leaves[1]["reason"], "disconnect");
    EXPECT_EQ(leaves[1]["conn"], authB["conn"]);
    EXPECT_TRUE(openInterval(redis, "c1", demo::kSubject01).is_null());
}

TEST_F(ClassFlowTest, JoiningAnotherClassLeavesTheFirst) {
    const long long now = nowMs();
    const std::string second = addClass(redis, "第二节课", "zj-hz-xh-zt", demo::kOfficerWang,
                                        now - 600000, now + 3600000, "zj-hz-xh-zt");
    json auth;
    auto ws = connectAs(port(), "subject01", &auth);
    ASSERT_EQ(ws->request(joinMsg("c1"))["type"], "ok");
    ASSERT_EQ(ws->request(joinMsg(second))["type"], "ok");
    auto first = attendanceEvents(redis, "c1");
    ASSERT_EQ(first.size(), 2u);
    EXPECT_EQ(first[1]["kind"], "leave");
    EXPECT_EQ(first[1]["reason"], "leave");
    EXPECT_TRUE(openInterval(redis, "c1", demo::kSubject01).is_null());
    EXPECT_EQ(openInterval(redis, second, demo::kSubject01)["conn"], auth["conn"]);
    // Chat now goes to the second class only.
    ASSERT_EQ(ws->request({{"type", "chat"}, {"text", "在第二节课"}})["type"], "ok");
    EXPECT_EQ(redis.cli({"XLEN", "vigil:chat:" + second}), "1");
    EXPECT_EQ(redis.cli({"XLEN", "vigil:chat:c1"}), "0");
}

TEST_F(ClassFlowTest, RefusedRequestsGetTheirErrorCodeAndRecordNothing) {
    const long long now = nowMs();
    const std::string later = addClass(redis, "三小时后的课", "zj-hz-xh-zt", demo::kOfficerWang,
                                       now + 3 * 3600000LL, now + 4 * 3600000LL, "zj-hz-xh-zt");
    const std::string past = addClass(redis, "已结束的课", "zj-hz-xh-zt", demo::kOfficerWang,
                                      now - 3 * 3600000LL, now - 2 * 3600000LL, "zj-hz-xh-zt");
    auto s01 = connectAs(port(), "subject01");
    auto s04 = connectAs(port(), "subject04");

    expectError(s04->request(joinMsg("c1")), "not_enrolled");     // another unit's subject
    expectError(s01->request(joinMsg(later)), "class_not_open");  // opens 10 min before start
    expectError(s01->request(joinMsg(past)), "class_not_open");   // past its end
    expectError(s04->request(joinMsg("c2")), "class_not_open");   // enrolled, but tomorrow
    expectError(s01->request(joinMsg("no-such-class")), "not_found");
    expectError(s01->request({{"type", "start_class"}, {"class", "c1"}}), "forbidden");
    expectError(s01->request({{"type", "end_class"}, {"class", "c1"}}), "forbidden");
    expectError(s01->request({{"type", "roster"}, {"class", "c1"}}), "forbidden");
    // A subject's role may not start any class: that is judged before the class is looked up.
    expectError(s01->request({{"type", "start_class"}, {"class", "no-such-class"}}), "forbidden");

    // officer.wang's unit (zj-hz-xh-zt) is below c2's unit (zj-hz-xh): outside his scope.
    auto wang = connectAs(port(), "officer.wang");
    expectError(wang->request(joinMsg("c2")), "forbidden");
    expectError(wang->request({{"type", "start_class"}, {"class", "c2"}}), "forbidden");
    expectError(wang->request({{"type", "end_class"}, {"class", "c2"}}), "forbidden");
    expectError(wang->request({{"type", "roster"}, {"class", "c2"}}), "forbidden");
    expectError(wang->request({{"type", "start_class"}, {"class", "no-such-class"}}), "not_found");
    // ...while officer.li above c1's unit and the administrator may teach it.
    auto li = connectAs(port(), "officer.li");
    auto liJoin = li->request(joinMsg("c1"));
    ASSERT_EQ(liJoin["type"], "ok") << liJoin.dump();
    EXPECT_EQ(liJoin["role"], "teacher");
    auto admin = connectAs(port(), "admin");
    auto adminJoin = admin->request(joinMsg("c2"));
    ASSERT_EQ(adminJoin["type"], "ok") << adminJoin.dump();
    EXPECT_EQ(adminJoin["role"], "teacher");

    // Requests that need a class, from a connection in none.
    expectError(s01->request({{"type", "leave"}}), "bad_request");
    expectError(s01->request({{"type", "chat"}, {"text", "有人吗"}}), "bad_request");
    expectError(s01->request({{"type", "raise_hand"}}), "bad_request");
    // Rosters are for staff, hands for subjects: the message's role rule refuses first.
    expectError(s01->request({{"type", "roster"}}), "forbidden");
    expectError(li->request({{"type", "raise_hand"}}), "forbidden");

    // A student in a class may not order spot checks.
    ASSERT_EQ(s01->request(joinMsg("c1"))["type"], "ok");
    expectError(s01->request({{"type", "spot_check"}, {"subject", demo::kSubject01}}), "forbidden");

    // Only subject01's own join was recorded; no class changed state.
    auto events = attendanceEvents(redis, "c1");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0]["subject"], demo::kSubject01);
    EXPECT_TRUE(attendanceEvents(redis, "c2").empty());
    EXPECT_TRUE(attendanceEvents(redis, later).empty());
    EXPECT_TRUE(attendanceEvents(redis, past).empty());
    EXPECT_EQ(redis.cli({"HGET", "vigil:class:c1", "state"}), "scheduled");
    EXPECT_EQ(redis.cli({"HGET", "vigil:class:c2", "state"}), "scheduled");
    // Refusals do not cost the connection: it still works.
    EXPECT_EQ(s01->request({{"type", "heartbeat"}})["type"], "ok");
    EXPECT_FALSE(s01->closed());
}

TEST_F(ClassFlowTest, StartClassOpensItAndEndClassClosesEveryInterval) {
    const long long now = nowMs();
    const std::string cls = addClass(redis, "提前开始的课", "zj-hz-xh-zt", demo::kOfficerWang,
                                     now + 3 * 3600000LL, now + 4 * 3600000LL, "zj-hz-xh-zt");
    auto officer = connectAs(port(), "officer.wang");
    auto s01 = connectAs(port(), "subject01");
    auto s02 = connectAs(port(), "subject02");
    expectError(s01->request(joinMsg(cls)), "class_not_open");

    ASSERT_EQ(officer->request(joinMsg(cls))["role"], "teacher");
    auto started = officer->request({{"type", "start_class"}, {"class", cls}});
    ASSERT_EQ(started["type"], "ok") << started.dump();
    EXPECT_EQ(started["class"]["state"], "live");
    EXPECT_TRUE(officer->waitForType("class_started"));
    EXPECT_EQ(redis.cli({"HGET", "vigil:class:" + cls, "state"}), "live");

    // Started early: subjects may join at once.
    auto j1 = s01->request(joinMsg(cls));
    ASSERT_EQ(j1["type"], "ok") << j1.dump();
    ASSERT_EQ(s02->request(joinMsg(cls))["type"], "ok");
    EXPECT_EQ(eventsOf(attendanceEvents(redis, cls), "join").size(), 2u);

    auto ended = officer->request({{"type", "end_class"}, {"class", cls}});
    ASSERT_EQ(ended["type"], "ok") << ended.dump();
    EXPECT_EQ(ended["class"]["state"], "ended");
    EXPECT_EQ(ended["closed"], 2);
    for (WsClient* ws : {officer.get(), s01.get(), s02.get()}) {
        auto push = ws->waitForType("class_ended");
        ASSERT_TRUE(push) << "a class member was not told the class ended";
        EXPECT_EQ((*push)["class"], cls);
    }

    // The records were written before the ok: one class_ended leave per open interval.
    auto events = attendanceEvents(redis, cls);
    for (const auto& subject : {demo::kSubject01, demo::kSubject02}) {
        auto leaves = eventsOf(events, "leave", subject);
        ASSERT_EQ(leaves.size(), 1u) << subject;
        EXPECT_EQ(leaves[0]["reason"], "class_ended");
        EXPECT_TRUE(openInterval(redis, cls, subject).is_null());
    }
    EXPECT_EQ(eventsOf(events, "class_started").size(), 1u);
    EXPECT_EQ(eventsOf(events, "class_ended").size(), 1u);
    EXPECT_EQ(redis.cli({"SISMEMBER", "vigil:open_classes", cls}), "0");

    // An ended class can be neither joined nor started nor ended again; its teacher may
    // still look in.
    expectError(s01->request(joinMsg(cls)), "class_not_open");
    expectError(officer->request({{"type", "start_class"}, {"class", cls}}), "class_not_open");
    expectError(officer->request({{"type", "end_class"}, {"class", cls}}), "class_not_open");
    EXPECT_EQ(officer->request(joinMsg(cls))["role"], "teacher");
    // Students are out of the class: a heartbeat no longer touches it.
    EXPECT_EQ(s01->request({{"type", "heartbeat"}})["type"], "ok");
    EXPECT_EQ(attendanceEvents(redis, cls).size(), events.size());

    // The records API shows both intervals closed by the end of the class.
    std::string token = login(port(), "officer.wang", kDemoPassword);
    auto att = getJson(port(), "/api/classes/" + cls + "/attendance", token);
    ASSERT_EQ(att.status, 200) << att.raw;
    EXPECT_EQ(att.body["class"]["state"], "ended");
    for (const auto& subject : {demo::kSubject01, demo::kSubject02}) {
        json row = attendanceRow(att.body, subject);
        ASSERT_EQ(row["intervals"].size(), 1u) << att.raw;
        EXPECT_EQ(row["intervals"][0]["open"], false);
        EXPECT_EQ(row["intervals"][0]["reason"], "class_ended");
    }
}

TEST_F(ClassFlowTest, SpotChecksAnsweredAndMissed) {
    auto officer = connectAs(port(), "officer.wang");
    auto s01 = connectAs(port(), "subject01");
    auto s02 = connectAs(port(), "subject02");
    ASSERT_EQ(officer->request(joinMsg("c1"))["role"], "teacher");
    ASSERT_EQ(s01->request(joinMsg("c1"))["type"], "ok");
    ASSERT_EQ(s02->request(joinMsg("c1"))["type"], "ok");

    // Answered.
    auto asked =
        officer->request({{"type", "spot_check"}, {"subject", demo::kSubject01}, {"seconds", 5}});
    ASSERT_EQ(asked["type"], "ok") << asked.dump();
    const std::string check1 = asked.value("check", "");
    ASSERT_FALSE(check1.empty());
    auto push = s01->waitForType("spot_check");
    ASSERT_TRUE(push) << "the subject was not sent the spot check";
    EXPECT_EQ((*push)["check"], check1);
    EXPECT_EQ((*push)["class"], "c1");
    auto recorded = eventsOf(attendanceEvents(redis, "c1"), "spot_check", demo::kSubject01);
    ASSERT_EQ(recorded.size(), 1u);
    EXPECT_EQ(recorded[0]["check"], check1);
    EXPECT_EQ(recorded[0]["officer"], demo::kOfficerWang);

    auto answer = s01->request({{"type", "spot_check_reply"}, {"check", check1}});
    ASSERT_EQ(answer["type"], "ok") << answer.dump();
    auto results = eventsOf(attendanceEvents(redis, "c1"), "spot_check_result", demo::kSubject01);
    ASSERT_EQ(results.size(), 1u) << "the answer was acknowledged before it was recorded";
    EXPECT_EQ(results[0]["check"], check1);
    EXPECT_EQ(results[0]["reason"], "answered");
    auto result = officer->waitFor([&](const json& m) {
        return m.value("type", "") == "spot_check_result" && m.value("check", "") == check1;
    });
    ASSERT_TRUE(result) << "the teacher was not sent the result";
    EXPECT_EQ((*result)["outcome"], "answered");
    EXPECT_EQ((*result)["subject"], demo::kSubject01);
    // A check is answered once; an unknown one does not exist.
    expectError(s01->request({{"type", "spot_check_reply"}, {"check", check1}}), "bad_request");
    expectError(s01->request({{"type", "spot_check_reply"}, {"check", "0123456789abcdef"}}),
                "not_found");

    // Missed.
    const long long askedAt = nowMs();
    auto asked2 =
        officer->request({{"type", "spot_check"}, {"subject", demo::kSubject01}, {"seconds", 5}});
    ASSERT_EQ(asked2["type"], "ok") << asked2.dump();
    const std::string check2 = asked2.value("check", "");
    ASSERT_TRUE(s01->waitForType("spot_check"));
    // Only the subject checked gets the push; someone else cannot answer for them.
    EXPECT_FALSE(s02->waitForType("spot_check", 300ms));
    expectError(s02->request({{"type", "spot_check_reply"}, {"check", check2}}), "forbidden");
    auto missed = officer->waitFor(
        [&](const json& m) {
            return m.value("type", "") == "spot_check_result" && m.value("check", "") == check2;
        },
        15s);
    ASSERT_TRUE(missed) << "no result pushed for the unanswered spot check";
    EXPECT_EQ((*missed)["outcome"], "missed");
    EXPECT_GE(nowMs() - askedAt, 4900) << "declared missed before its deadline";
    results = eventsOf(attendanceEvents(redis, "c1"), "spot_check_result", demo::kSubject01);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[1]["check"], check2);
    EXPECT_EQ(results[1]["reason"], "missed");
    // Too late now.
    expectError(s01->request({{"type", "spot_check_reply"}, {"check", check2}}), "bad_request");
    EXPECT_EQ(eventsOf(attendanceEvents(redis, "c1"), "spot_check_result").size(), 2u);

    // A subject who is not in the class cannot be checked.
    expectError(
        officer->request({{"type", "spot_check"}, {"subject", demo::kSubject03}, {"seconds", 5}}),
        "not_found");

    std::string token = login(port(), "officer.wang", kDemoPassword);
    auto att = getJson(port(), "/api/classes/c1/attendance", token);
    ASSERT_EQ(att.status, 200) << att.raw;
    json row = attendanceRow(att.body, demo::kSubject01);
    EXPECT_EQ(row["spot_checks"], 2) << row.dump();
    EXPECT_EQ(row["spot_checks_missed"], 1) << row.dump();
}

TEST_F(ClassFlowTest, TabClosedWhileItsJoinIsBeingWrittenLeavesNoOpenInterval) {
    auto officer = connectAs(port(), "officer.wang");
    ASSERT_EQ(officer->request(joinMsg("c1"))["role"], "teacher");
    json auth;
    auto ws = connectAs(port(), "subject01", &auth);
    // The join waits on Redis; the tab closes meanwhile.
    ASSERT_EQ(redis.cli({"CLIENT", "PAUSE", "1000", "WRITE"}), "OK");
    ws->send({{"type", "join"}, {"id", "j"}, {"class", "c1"}});
    std::this_thread::sleep_for(300ms);
    ws.reset();
    std::this_thread::sleep_for(1500ms);

    // The join was written after all; the disconnect must close it, not leave it to the sweeper.
    auto events = attendanceEvents(redis, "c1");
    auto joins = eventsOf(events, "join", demo::kSubject01);
    auto leaves = eventsOf(events, "leave", demo::kSubject01);
    ASSERT_EQ(joins.size(), 1u);
    ASSERT_EQ(leaves.size(), 1u) << "the interval of a closed connection is still open";
    EXPECT_EQ(leaves[0]["reason"], "disconnect");
    EXPECT_EQ(leaves[0]["conn"], auth["conn"]);
    EXPECT_TRUE(openInterval(redis, "c1", demo::kSubject01).is_null());
    // The teacher's roster ends without the subject.
    EXPECT_TRUE(waitForRoster(*officer, [](const json& p) { return p.empty(); }));
}
