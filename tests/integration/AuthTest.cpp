// Signing in over HTTP, session tokens on REST and WebSocket, logout, and the lockout after
// repeated wrong passwords.

#include <gtest/gtest.h>

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

TEST_F(AuthTest, FiveWrongPasswordsLockTheAccount) {
    const std::string before = login(port(), "subject05", kDemoPassword);
    ASSERT_FALSE(before.empty());
    for (int i = 1; i <= 5; ++i) {
        HttpResult r;
        json j = loginAs(port(), "subject05", "wrong-" + std::to_string(i), r);
        EXPECT_EQ(r.status, 401) << "attempt " << i << ": " << r.body;
    }
    // Now even the right password is refused, with 423 and its own code.
    HttpResult locked;
    json l = loginAs(port(), "subject05", kDemoPassword, locked);
    EXPECT_EQ(locked.status, 423) << locked.body;
    EXPECT_EQ(l["error"]["code"], "account_locked");
    EXPECT_FALSE(l.contains("token"));
    // The lock also ends the session issued before it.
    EXPECT_EQ(getJson(port(), "/api/me", before).status, 401);
    // Other accounts are not affected.
    EXPECT_FALSE(login(port(), "subject04", kDemoPassword).empty());

    const std::string admin = login(port(), "admin", kDemoPassword);
    auto audit = getJson(port(), "/api/audit?limit=1000", admin);
    ASSERT_EQ(audit.status, 200) << audit.raw;
    const json& entries = audit.body["entries"];
    EXPECT_EQ(countAudit(entries, "login_failed", demo::kSubject05), 5);
    EXPECT_EQ(countAudit(entries, "account_locked", demo::kSubject05), 1);
    EXPECT_EQ(countAudit(entries, "login_refused", demo::kSubject05), 1);
    EXPECT_EQ(getJson(port(), "/api/audit/verify", admin).body["intact"], true);

    // Four wrong passwords do not lock.
    for (int i = 1; i <= 4; ++i) EXPECT_TRUE(login(port(), "subject04", "wrong").empty());
    EXPECT_FALSE(login(port(), "subject04", kDemoPassword).empty());
}
