// Signing in over HTTP, session tokens on REST and WebSocket, logout, and the throttling of
// repeated failed logins (by name and by address; never a lock).

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "Fixtures.hpp"

using namespace vigil::testing;
using nlohmann::json;

namespace {

class AuthTest : public DemoOrgTest {};

json body(const HttpResult& r) {
    auto j = json::parse(r.body, nullptr, false);
    return j.is_discarded() ? json() : j;
}

json loginAs(int port, const std::string& user, const std::string& password, HttpResult& r) {
    r = httpRequest(port, "POST", "/api/login",
                    json{{"username", user}, {"password", password}}.dump());
    return body(r);
}

int countAudit(const json& entries, const std::string& action, const std::string& target) {
    int n = 0;
    for (const auto& e : entries) {
        if (e["fields"].value("action", "") == action && e["fields"].value("target", "") == target)
            ++n;
    }
    return n;
}

}  // namespace

TEST_F(AuthTest, LoginMeAndLogout) {
    HttpResult r;
    json j = loginAs(port(), "subject01", kDemoPassword, r);
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string token = j.value("token", "");
    ASSERT_EQ(token.size(), 64u);
    EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(j["user"]["id"], demo::kSubject01);
    EXPECT_EQ(j["user"]["role"], "subject");
    EXPECT_FALSE(j["user"].contains("pwhash")) << r.body;
    EXPECT_EQ(r.body.find("pwhash"), std::string::npos);

    auto me = getJson(port(), "/api/me", token);
    ASSERT_EQ(me.status, 200) << me.raw;
    EXPECT_EQ(me.body["username"], "subject01");
    EXPECT_EQ(me.body["name"], "张伟");
    EXPECT_EQ(me.body["unit"], "zj-hz-xh-zt");
    EXPECT_EQ(me.body["unit_name"], "转塘街道司法所");

    // No token, a malformed header value, an unknown token.
    EXPECT_EQ(getJson(port(), "/api/me", "").status, 401);
    auto bogus = getJson(port(), "/api/me", std::string(64, 'a'));
    EXPECT_EQ(bogus.status, 401);
    EXPECT_EQ(bogus.body["error"]["code"], "unauthenticated");

    // Logout ends the session for REST and WebSocket alike.
    auto out = httpRequest(port(), "POST", "/api/logout", "", token);
    EXPECT_EQ(out.status, 200) << out.body;
    EXPECT_EQ(getJson(port(), "/api/me", token).status, 401);
    WsClient ws(port());
    auto auth = ws.request({{"type", "auth"}, {"token", token}});
    EXPECT_EQ(auth["type"], "error");
    EXPECT_EQ(auth["code"], "unauthenticated");
}

TEST_F(AuthTest, WrongPasswordsAndBadRequests) {
    HttpResult wrong;
    json w = loginAs(port(), "subject01", "not-the-password", wrong);
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(w["error"]["code"], "unauthenticated");
    HttpResult unknown;
    json u = loginAs(port(), "nobody.here", "whatever1", unknown);
    EXPECT_EQ(unknown.status, 401);
    // An unknown user and a wrong password read the same: no account enumeration.
    EXPECT_EQ(u["error"]["message"], w["error"]["message"]);

    auto notJson = httpRequest(port(), "POST", "/api/login", "{username: subject01");
    EXPECT_EQ(notJson.status, 400);
    EXPECT_EQ(body(notJson)["error"]["code"], "bad_json");
    auto missing = httpRequest(port(), "POST", "/api/login", R"({"username":"subject01"})");
    EXPECT_EQ(missing.status, 400);
    EXPECT_EQ(body(missing)["error"]["code"], "bad_request");
    auto typed = httpRequest(port(), "POST", "/api/login",
                             R"({"username":"subject01","password":12345678})");
    EXPECT_EQ(typed.status, 400);
    EXPECT_EQ(httpRequest(port(), "GET", "/api/login").status, 400);
    EXPECT_EQ(httpRequest(port(), "GET", "/api/no-such-thing", "",
                          login(port(), "subject01", kDemoPassword))
                  .status,
              404);
}

TEST_F(AuthTest, WebSocketAuth) {
    WsClient ws(port());
    // Nothing but auth before auth.
    auto early = ws.request({{"type", "join"}, {"class", "c1"}});
    EXPECT_EQ(early["type"], "error");
    EXPECT_EQ(early["code"], "unauthenticated");
    auto garbage = ws.request({{"type", "auth"}, {"token", "not-a-token"}});
    EXPECT_EQ(garbage["code"], "unauthenticated");
    auto unknown = ws.request({{"type", "auth"}, {"token", std::string(64, '0')}});
    EXPECT_EQ(unknown["code"], "unauthenticated");
    EXPECT_TRUE(attendanceEvents(redis, "c1").empty());

    const std::string token = login(port(), "officer.wang", kDemoPassword);
    auto ok = ws.request({{"type", "auth"}, {"token", token}});
    ASSERT_EQ(ok["type"], "ok") << ok.dump();
    EXPECT_EQ(ok["user"]["id"], demo::kOfficerWang);
    EXPECT_EQ(ok["user"]["role"], "officer");
    // The connection may not switch to another user.
    auto other =
        ws.request({{"type", "auth"}, {"token", login(port(), "subject01", kDemoPassword)}});
    EXPECT_EQ(other["type"], "error");
    auto joined = ws.request({{"type", "join"}, {"class", "c1"}});
    EXPECT_EQ(joined["type"], "ok") << joined.dump();
    EXPECT_EQ(joined["role"], "teacher");
}

TEST_F(AuthTest, WrongPasswordsAreThrottledNeverLocked) {
    // subject05 signed in from this address before: the attack below does not hold it back.
    const std::string before = login(port(), "subject05", kDemoPassword);
    ASSERT_FALSE(before.empty());
    // Five free failures per name; the sixth makes the name wait (2 s, then doubling).
    std::vector<json> known, unknown;
    for (int i = 1; i <= 6; ++i) {
        HttpResult k, u;
        known.push_back(loginAs(port(), "subject04", "wrong-" + std::to_string(i), k));
        unknown.push_back(loginAs(port(), "nobody.here", "wrong-" + std::to_string(i), u));
        EXPECT_EQ(k.status, 401) << "attempt " << i << ": " << k.body;
        EXPECT_EQ(u.status, 401) << "attempt " << i << ": " << u.body;
        EXPECT_EQ(known.back()["error"], unknown.back()["error"]) << "attempt " << i;
    }
    // Now even the right password waits, with 429 and Retry-After: the same for a name that
    // does not exist, so the answer does not tell which names do.
    HttpResult throttled;
    json t = loginAs(port(), "subject04", kDemoPassword, throttled);
    EXPECT_EQ(throttled.status, 429) << throttled.body;
    EXPECT_EQ(t["error"]["code"], "rate_limited");
    EXPECT_FALSE(t.contains("token"));
    ASSERT_TRUE(throttled.headers.count("retry-after")) << throttled.body;
    const int retry = std::stoi(throttled.headers["retry-after"]);
    EXPECT_GE(retry, 1);
    EXPECT_LE(retry, 2);
    HttpResult throttledUnknown;
    json tu = loginAs(port(), "nobody.here", kDemoPassword, throttledUnknown);
    EXPECT_EQ(throttledUnknown.status, 429);
    EXPECT_EQ(tu["error"]["code"], "rate_limited");
    EXPECT_TRUE(throttledUnknown.headers.count("retry-after"));

    // The wait runs out; the name may sign in again.
    bool signedIn = false;
    for (int i = 0; i < 60 && !signedIn; ++i) {
        HttpResult r;
        loginAs(port(), "subject04", kDemoPassword, r);
        signedIn = r.status == 200;
        if (!signedIn) {
            ASSERT_EQ(r.status, 429) << r.body;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
    EXPECT_TRUE(signedIn) << "the 2 s wait ended";

    // Wrong passwords for subject05 from here neither end its session nor shut it out.
    for (int i = 1; i <= 7; ++i) EXPECT_TRUE(login(port(), "subject05", "wrong").empty());
    EXPECT_EQ(getJson(port(), "/api/me", before).status, 200) << "an open session survives";
    EXPECT_FALSE(login(port(), "subject05", kDemoPassword).empty())
        << "an address the account signed in from is not held back by its name's count";

    const std::string admin = login(port(), "admin", kDemoPassword);
    auto audit = getJson(port(), "/api/audit?limit=1000", admin);
    ASSERT_EQ(audit.status, 200) << audit.raw;
    const json& entries = audit.body["entries"];
    EXPECT_EQ(countAudit(entries, "login_failed", demo::kSubject04), 6);
    EXPECT_EQ(countAudit(entries, "login_failed", demo::kSubject05), 7);
    for (const auto& e : entries) {
        EXPECT_NE(e["fields"].value("action", ""), "account_locked");
        EXPECT_EQ(e["fields"].value("actor", "").find("nobody"), std::string::npos)
            << "failures for unknown names are counted, not audited: " << e.dump();
    }
    EXPECT_EQ(getJson(port(), "/api/audit/verify", admin).body["intact"], true);
}

TEST_F(AuthTest, OneAddressIsThrottledAcrossNames) {
    for (int i = 0; i < 20; ++i) {
        HttpResult r;
        loginAs(port(), "guess" + std::to_string(i), "wrong", r);
        EXPECT_EQ(r.status, 401) << i << ": " << r.body;
    }
    HttpResult r;
    json j = loginAs(port(), "guess-next", "wrong", r);
    EXPECT_EQ(r.status, 401) << "the 21st failure still answers, and starts the wait";
    json k = loginAs(port(), "subject03", kDemoPassword, r);
    EXPECT_EQ(r.status, 429) << r.body;
    EXPECT_EQ(k["error"]["code"], "rate_limited");
}
