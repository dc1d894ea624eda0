// Rights follow the account: a WebSocket is judged on the account as it is now, not as it was
// at `auth`. Disabling the account, a password reset, logging out and a session's absolute
// end each tell the socket why (`session_ended`) and close it; a password reset ends every
// session of the account, HTTP too; a change made behind the bus's back is seen within a few
// seconds.

#include <gtest/gtest.h>

#include <thread>

#include "Fixtures.hpp"
#include "vigil/common/Crypto.hpp"
#include "vigil/signaling/Keys.hpp"

using namespace vigil::testing;
using nlohmann::json;
namespace keys = vigil::signaling::keys;

namespace {

class AccountGateTest : public DemoOrgTest {};

std::string loginToken(int port, const std::string& username) {
    HttpResult r;
    std::string token = login(port, username, kDemoPassword, &r);
    if (token.empty()) throw std::runtime_error("login as " + username + ": " + r.body);
    return token;
}

std::unique_ptr<WsClient> socketWith(int port, const std::string& token) {
    auto ws = std::make_unique<WsClient>(port);
    auto reply = ws->request({{"type", "auth"}, {"token", token}});
    if (reply.value("type", "") != "ok") throw std::runtime_error("auth: " + reply.dump());
    return ws;
}

// The socket is told why its session ended, and closed.
void expectEnded(WsClient& ws, const std::string& reason) {
    auto ended = ws.waitForType("session_ended", std::chrono::seconds(10));
    ASSERT_TRUE(ended.has_value()) << "no session_ended for " << reason;
    EXPECT_EQ((*ended)["reason"], reason);
    EXPECT_TRUE(ws.waitClosed(std::chrono::seconds(10)));
    EXPECT_EQ(ws.closeCode(), 1008);
}

// The officer's probe: the roster of the class he teaches today.
json roster(WsClient& ws) {
    return ws.request({{"type", "roster"}, {"class", demo::kClassToday}});
}

}  // namespace

TEST_F(AccountGateTest, DisablingAnOfficerClosesHisSocketAtOnce) {
    const std::string officer = loginToken(port(), "officer.wang");
    auto ws = socketWith(port(), officer);
    ASSERT_EQ(roster(*ws)["type"], "ok");

    const std::string admin = loginToken(port(), "admin");
    auto r = httpRequest(port(), "POST", "/api/users/" + demo::kOfficerWang + "/disabled",
                         json{{"disabled", true}}.dump(), admin);
    ASSERT_EQ(r.status, 200) << r.body;

    // Without sending anything: the bus tells his node.
    expectEnded(*ws, "account_disabled");
    EXPECT_EQ(getJson(port(), "/api/me", officer).status, 401);
    // Enabling the account again does not revive the session.
    r = httpRequest(port(), "POST", "/api/users/" + demo::kOfficerWang + "/disabled",
                    json{{"disabled", false}}.dump(), admin);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(getJson(port(), "/api/me", officer).status, 401);
    WsClient again(port());
    EXPECT_EQ(again.request({{"type", "auth"}, {"token", officer}})["code"], "unauthenticated");
}

TEST_F(AccountGateTest, PasswordResetEndsEverySessionOfTheAccount) {
    const std::string first = loginToken(port(), "subject01");
    const std::string second = loginToken(port(), "subject01");
    const std::string other = loginToken(port(), "subject02");
    auto ws = socketWith(port(), first);
    auto otherWs = socketWith(port(), other);

    vigilOk(redis, {"user", "passwd", "--username", "subject01", "--password", "Changed!2026"});

    expectEnded(*ws, "password_changed");
    EXPECT_EQ(getJson(port(), "/api/me", first).status, 401);
    EXPECT_EQ(getJson(port(), "/api/me", second).status, 401);
    // Nobody else is touched.
    EXPECT_EQ(getJson(port(), "/api/me", other).status, 200);
    // Outside a class a heartbeat is simply answered (docs/protocol.md): the socket still works.
    EXPECT_EQ(otherWs->request({{"type", "heartbeat"}}).value("type", ""), "ok");
    EXPECT_FALSE(otherWs->closed());
    // The new password signs in.
    HttpResult r;
    EXPECT_FALSE(login(port(), "subject01", "Changed!2026", &r).empty()) << r.body;
}

TEST_F(AccountGateTest, LogoutClosesTheSocketsOfThatSessionOnly) {
    const std::string a = loginToken(port(), "officer.wang");
    const std::string b = loginToken(port(), "officer.wang");
    auto wsA = socketWith(port(), a);
    auto wsB = socketWith(port(), b);

    auto out = httpRequest(port(), "POST", "/api/logout", "", a);
    ASSERT_EQ(out.status, 200) << out.body;

    expectEnded(*wsA, "logged_out");
    EXPECT_EQ(roster(*wsB)["type"], "ok");
    EXPECT_FALSE(wsB->closed());
    EXPECT_EQ(getJson(port(), "/api/me", b).status, 200);
}

TEST_F(AccountGateTest, AChangeTheBusDidNotAnnounceIsSeenWithinSeconds) {
    const std::string officer = loginToken(port(), "officer.wang");
    auto ws = socketWith(port(), officer);
    ASSERT_EQ(roster(*ws)["type"], "ok");

    // Straight into Redis, as a restore or another tool would: no bus event.
    redis.cli({"HSET", keys::user(demo::kOfficerWang), "disabled", "1"});

    // Each request is judged on the account as it is now, cached for a few seconds at most.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    json reply;
    while (std::chrono::steady_clock::now() < deadline && !ws->closed()) {
        reply = roster(*ws);
        if (reply.value("type", "") == "error") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    EXPECT_EQ(reply.value("code", ""), "unauthenticated") << reply.dump();
    expectEnded(*ws, "account_disabled");
}

TEST_F(AccountGateTest, ASessionEndsAtItsAbsoluteEndHoweverMuchItIsUsed) {
    const std::string token = loginToken(port(), "officer.wang");
    const std::string key = keys::session(vigil::common::sha256Hex(token));
    json record = json::parse(redis.cli({"GET", key}));
    ASSERT_EQ(record.value("user", ""), demo::kOfficerWang);
    // Signed in twelve hours ago, less two seconds.
    const long long until = nowMs() + 2000;
    EXPECT_GT(record["until"].get<long long>(), nowMs() + 11LL * 3600 * 1000);
    record["until"] = until;
    redis.cli({"SET", key, record.dump(), "KEEPTTL"});

    auto ws = socketWith(port(), token);
    ASSERT_EQ(roster(*ws)["type"], "ok");
    // Ended on time without a request, though the socket was just used.
    expectEnded(*ws, "session_expired");
    EXPECT_GE(nowMs(), until);
    EXPECT_LT(nowMs(), until + 3000);
    EXPECT_EQ(getJson(port(), "/api/me", token).status, 401);
}
