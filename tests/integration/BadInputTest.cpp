// Hostile and broken clients: malformed, mistyped, oversized and unknown messages, floods,
// repeated abuse and connections that never authenticate. Each gets its error code, the
// abusers are disconnected with 1008, and the server keeps serving with every attendance
// record as it was.

#include <gtest/gtest.h>

#include <thread>

#include "Fixtures.hpp"
#include "Replies.hpp"

using namespace vigil::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class BadInputTest : public DemoOrgTest {
protected:
    // Snapshot of every attendance record of the demo class.
    std::vector<std::string> records() const {
        std::vector<std::string> out;
        for (const auto& e : attendanceEvents(redis, "c1")) {
            std::string line = e.id;
            for (const auto& [k, v] : e.fields) line += " " + k + "=" + v;
            out.push_back(line);
        }
        out.push_back("open: " + redis.cli({"HKEYS", "vigil:open:c1"}));
        return out;
    }

    void expectStillServing() {
        EXPECT_EQ(httpRequest(port(), "GET", "/healthz").status, 200);
        auto fresh = connectAs(port(), "subject03");
        auto joined = fresh->request({{"type", "join"}, {"class", "c1"}});
        EXPECT_EQ(joined["type"], "ok") << joined.dump();
        EXPECT_EQ(fresh->request({{"type", "leave"}})["type"], "ok");
    }
};

class AuthTimeoutTest : public DemoOrgTest {
protected:
    std::map<std::string, std::string> serverEnv() const override {
        return {{"VIGIL_AUTH_WS_AUTH_TIMEOUT_SECONDS", "1"}};
    }
};

// Sends a raw frame and returns the error that answers it (matched by `re`, or the next
// error with a null `re` when the server could not read the id).
json sendBad(WsClient& ws, const std::string& frame, const json& re) {
    ws.sendText(frame);
    auto reply = ws.waitFor([&](const json& m) { return m.contains("re") && m["re"] == re; }, 5s);
    return reply ? *reply : json{{"type", "(no reply)"}};
}

std::string nested(int depth) {
    std::string inner = "1";
    for (int i = 1; i < depth; ++i) inner = "[" + inner + "]";
    return R"({"type":"heartbeat","id":"deep","x":)" + inner + "}";
}

}  // namespace

TEST_F(BadInputTest, MalformedMessagesGetErrorsAndChangeNothing) {
    json auth;
    auto inClass = connectAs(port(), "subject01", &auth);
    ASSERT_EQ(inClass->request({{"type", "join"}, {"class", "c1"}})["type"], "ok");
    auto other = connectAs(port(), "subject02");
    const auto before = records();

    // Wrong types, missing fields, values out of range, unknown types: on the connection that
    // is in the class, so that a mistaken handler would show in the records.
    expectError(sendBad(*inClass, R"({"type":"leave","id":"t1","class":5})", "t1"), "bad_request",
                "class");
    expectError(sendBad(*inClass, R"({"type":"join","id":"t2"})", "t2"), "bad_request", "class");
    expectError(sendBad(*inClass, R"({"type":"leave","id":"t3","class":""})", "t3"), "bad_request",
                "class");
    expectError(sendBad(*inClass, R"({"type":"chat","id":"t4","text":null})", "t4"), "bad_request",
                "text");
    expectError(sendBad(*inClass, R"({"type":"Leave","id":"t5"})", "t5"), "bad_request", "Leave");
    expectError(sendBad(*inClass, R"({"type":"leave","id":7.0})", nullptr), "bad_request", "id");
    // Media messages for sessions that do not exist.
    expectError(
        sendBad(*inClass, R"({"type":"answer","id":"m2","sdp":"v=0\r\n","session":"s"})", "m2"),
        "unknown_session");
    expectError(
        sendBad(*inClass,
                R"({"type":"ice","id":"m3","candidate":"","sdpMLineIndex":0,"session":"s"})", "m3"),
        "unknown_session");
    expectError(sendBad(*inClass, R"({"type":"ice_restart","id":"m4","session":"s"})", "m4"),
                "unknown_session");

    // Unreadable messages: answered with a null re.
    expectError(sendBad(*other, "{not json", nullptr), "bad_json");
    expectError(sendBad(*other, "\"just a string\"", nullptr), "bad_request");
    expectError(sendBad(*other, R"({"type":"heartbeat"})", nullptr), "bad_request", "id");
    expectError(sendBad(*other, nested(17), nullptr), "bad_json");
    expectError(
        sendBad(*other, R"({"type":"spot_check","id":"s1","subject":"u4","seconds":"5"})", "s1"),
        "bad_request", "seconds");
    // A 70 KB frame is refused unread.
    std::string big = R"({"type":"chat","id":"big","text":")" + std::string(70 * 1024, 'a') + "\"}";
    expectError(sendBad(*other, big, nullptr), "too_large");

    // Both connections are still open and working, and nothing was recorded.
    EXPECT_FALSE(inClass->closed());
    EXPECT_FALSE(other->closed());
    EXPECT_EQ(inClass->request({{"type", "heartbeat"}})["type"], "ok");
    EXPECT_EQ(other->request({{"type", "heartbeat"}})["type"], "ok");
    EXPECT_EQ(records(), before);
    EXPECT_EQ(openInterval(redis, "c1", demo::kSubject01)["conn"], auth["conn"]);
    EXPECT_EQ(redis.cli({"XLEN", "vigil:chat:c1"}), "0") << "an invalid chat message was stored";
    expectStillServing();
}

TEST_F(BadInputTest, BurstOverTheRateLimitIsRefused) {
    auto ws = connectAs(port(), "subject02");
    std::this_thread::sleep_for(1100ms);  // a fresh one-second window
    for (int i = 0; i < 55; ++i) ws->send({{"type", "heartbeat"}, {"id", "b" + std::to_string(i)}});
    auto replies = collect(
        *ws,
        [](const json& m) { return m.value("type", "") == "ok" || m.value("type", "") == "error"; },
        1500ms);
    int ok = 0;
    int limited = 0;
    for (const auto& r : replies) {
        if (r["type"] == "ok") ++ok;
        if (r.value("code", "") == "rate_limited") {
            ++limited;
            EXPECT_TRUE(r["re"].is_null()) << r.dump();
        }
    }
    EXPECT_EQ(ok + limited, 55) << "every message gets exactly one answer";
    EXPECT_GE(limited, 1) << "55 messages at once were all accepted";
    EXPECT_GE(ok, 50);
    // Five strikes are not enough to be thrown out; the next second is fine again.
    EXPECT_FALSE(ws->closed());
    std::this_thread::sleep_for(1100ms);
    EXPECT_EQ(ws->request({{"type", "heartbeat"}})["type"], "ok");
}

TEST_F(BadInputTest, RepeatedAbuseClosesTheConnectionWith1008) {
    json auth;
    auto flooder = connectAs(port(), "subject01", &auth);
    ASSERT_EQ(flooder->request({{"type", "join"}, {"class", "c1"}})["type"], "ok");
    auto bystander = connectAs(port(), "subject02");
    ASSERT_EQ(bystander->request({{"type", "join"}, {"class", "c1"}})["type"], "ok");

    // 70 messages in a burst: 20 over the limit, more strikes than allowed.
    std::this_thread::sleep_for(1100ms);
    for (int i = 0; i < 70; ++i) flooder->send({{"type", "heartbeat"}, {"id", i}});
    ASSERT_TRUE(flooder->waitClosed(5s)) << "a flooding connection was not closed";
    EXPECT_EQ(flooder->closeCode(), 1008);
    EXPECT_TRUE(
        flooder->waitFor([](const json& m) { return m.value("code", "") == "rate_limited"; }, 0ms));

    // Malformed messages at a polite pace: also closed after the tenth.
    auto garbler = connectAs(port(), "subject03");
    int sent = 0;
    while (!garbler->closed() && sent < 20) {
        garbler->sendText("this is not json");
        ++sent;
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(garbler->waitClosed(5s)) << "a connection sending only garbage was not closed";
    EXPECT_EQ(garbler->closeCode(), 1008);
    EXPECT_LE(sent, 12);
    auto answers = collect(
        *garbler, [](const json& m) { return m.value("code", "") == "bad_json"; }, 200ms);
    EXPECT_GE(answers.size(), 9u);

    // Unauthenticated requests count as well.
    WsClient anonymous(port());
    for (int i = 0; i < 12 && !anonymous.closed(); ++i) {
        anonymous.send({{"type", "join"}, {"id", i}, {"class", "c1"}});
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(anonymous.waitClosed(5s)) << "a connection that keeps skipping auth was not closed";
    EXPECT_EQ(anonymous.closeCode(), 1008);
    EXPECT_TRUE(anonymous.waitFor(
        [](const json& m) { return m.value("code", "") == "unauthenticated"; }, 0ms));

    // The flooder's interval closed as a disconnect; the bystander is untouched.
    std::vector<StreamEntry> leaves;
    for (int i = 0; i < 30 && leaves.empty(); ++i) {
        leaves = eventsOf(attendanceEvents(redis, "c1"), "leave", demo::kSubject01);
        if (leaves.empty()) std::this_thread::sleep_for(100ms);
    }
    ASSERT_EQ(leaves.size(), 1u);
    EXPECT_EQ(leaves[0]["reason"], "disconnect");
    EXPECT_TRUE(eventsOf(attendanceEvents(redis, "c1"), "leave", demo::kSubject02).empty());
    EXPECT_FALSE(bystander->closed());
    EXPECT_EQ(bystander->request({{"type", "heartbeat"}})["type"], "ok");
    expectStillServing();
}

TEST_F(AuthTimeoutTest, ConnectionWithoutAuthIsClosed) {
    auto start = std::chrono::steady_clock::now();
    WsClient silent(port());
    auto signedIn = connectAs(port(), "subject01");
    ASSERT_TRUE(silent.waitClosed(5s)) << "a connection that never authenticated stayed open";
    auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_GE(waited, 900ms) << "closed before the 1 s auth timeout";
    EXPECT_EQ(silent.closeCode(), 1008);
    auto notice =
        silent.waitFor([](const json& m) { return m.value("code", "") == "unauthenticated"; }, 0ms);
    ASSERT_TRUE(notice) << "no error explained the close";
    EXPECT_TRUE((*notice)["re"].is_null());
    EXPECT_EQ((*notice)["message"], "authentication timed out");

    // The connection that authenticated in time is unaffected.
    std::this_thread::sleep_for(1000ms);
    EXPECT_FALSE(signedIn->closed());
    EXPECT_EQ(signedIn->request({{"type", "heartbeat"}})["type"], "ok");
    EXPECT_EQ(httpRequest(port(), "GET", "/healthz").status, 200);
}

TEST_F(BadInputTest, WebSocketOfferingOnlyOtherSubprotocolsIsRefused) {
    EXPECT_THROW(WsClient(port(), "chat.v2"), std::runtime_error);
    // Offering none is accepted.
    WsClient plain(port(), "");
    auto auth =
        plain.request({{"type", "auth"}, {"token", login(port(), "subject01", kDemoPassword)}});
    EXPECT_EQ(auth["type"], "ok") << auth.dump();
    // The server is unharmed.
    auto ws = connectAs(port(), "subject02");
    EXPECT_EQ(ws->request({{"type", "heartbeat"}})["type"], "ok");
}
