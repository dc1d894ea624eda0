// Alerts through the real server: a supervision call that rings out raises a stored alert,
// pushed live to the subject's officer and listed for staff in scope; the officer acknowledges
// and resolves it with a note over REST (each step audited, wrong steps refused with stable
// codes); an alert left open past [alerts] escalate_after_minutes is escalated to the next unit
// up by the server's sweep, once, and the officers there are told.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "Fixtures.hpp"
#include "Replies.hpp"

using namespace vigil::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr long long kHourMs = 3'600'000;

JsonResult post(int port, const std::string& path, const json& body, const std::string& token) {
    HttpResult r = httpRequest(port, "POST", path, body.dump(), token);
    JsonResult out;
    out.status = r.status;
    out.raw = r.body;
    auto j = json::parse(r.body, nullptr, false);
    if (!j.is_discarded()) out.body = j;
    return out;
}

// The alert with `id` in a GET /api/alerts reply, or null.
json findAlert(const JsonResult& r, const std::string& id) {
    for (const auto& a : r.body.value("alerts", json::array())) {
        if (a.value("id", "") == id) return a;
    }
    return nullptr;
}

// An open alert for subject01 of the township, written as a node would have written it.
void writeOpenAlert(const RedisServer& redis, const std::string& id, long long raisedAt) {
    redis.cli({"HSET",         "vigil:alert:" + id,
               "id",           id,
               "kind",         "absent",
               "subject",      demo::kSubject01,
               "unit",         "zj-hz-xh-zt",
               "escalated_to", "",
               "class",        "c1",
               "call",         "",
               "checkin",      "",
               "message",      "no verified presence",
               "state",        "open",
               "raised_at",    std::to_string(raisedAt),
               "escalated_at", "0",
               "dedupe",       ""});
    redis.cli({"ZADD", "vigil:alerts:open", std::to_string(raisedAt), id});
    redis.cli({"ZADD", "vigil:alerts:unit:zj-hz-xh-zt", std::to_string(raisedAt), id});
}

class AlertsApiTest : public DemoOrgTest {
protected:
    std::map<std::string, std::string> serverEnv() const override {
        return {{"VIGIL_CALLS_RING_SECONDS", "5"}};
    }

    void SetUp() override {
        DemoOrgTest::SetUp();
        wang = login(port(), "officer.wang", kDemoPassword);
        li = login(port(), "officer.li", kDemoPassword);
        admin = login(port(), "admin", kDemoPassword);
        s01 = login(port(), "subject01", kDemoPassword);
        ASSERT_FALSE(wang.empty() || li.empty() || admin.empty() || s01.empty());
    }

    int audited(const std::string& action, const std::string& target) const {
        int n = 0;
        for (const auto& e : redis.xrange("vigil:audit"))
            n += e["action"] == action && (target.empty() || e["target"] == target) ? 1 : 0;
        return n;
    }

    // Polls the officer's list until `pred` holds for the alert `id` (or 15 s pass).
    json waitForAlert(const std::string& token, const std::string& query, const std::string& id,
                      const std::function<bool(const json&)>& pred) {
        auto deadline = std::chrono::steady_clock::now() + 15s;
        json found;
        while (std::chrono::steady_clock::now() < deadline) {
            found = findAlert(getJson(port(), "/api/alerts" + query, token), id);
            if (!found.is_null() && pred(found)) return found;
            std::this_thread::sleep_for(100ms);
        }
        return found;
    }

    std::string wang, li, admin, s01;
};

TEST_F(AlertsApiTest, MissedCallAlertIsAcknowledgedThenResolvedWithANote) {
    auto officer = connectAs(port(), "officer.wang");
    auto subject = connectAs(port(), "subject01");
    json call = officer->request({{"type", "call"}, {"subject", demo::kSubject01}});
    ASSERT_EQ(call.value("type", ""), "ok") << call.dump();
    std::string callId = call.value("call", "");

    // Rings out: the alert is stored and pushed to the subject's officer (officer.wang).
    auto raised = officer->waitFor(
        [&](const json& m) {
            return m.value("type", "") == "alert_raised" && m.value("call", "") == callId;
        },
        15s);
    ASSERT_TRUE(raised) << "no alert_raised push for the missed call";
    std::string id = raised->value("id", "");
    ASSERT_FALSE(id.empty());
    EXPECT_EQ(raised->value("kind", ""), "missed_call");
    EXPECT_EQ(raised->value("subject_name", ""), "张伟");

    auto list = getJson(port(), "/api/alerts?state=open", wang);
    ASSERT_EQ(list.status, 200) << list.raw;
    json alert = findAlert(list, id);
    ASSERT_FALSE(alert.is_null()) << list.raw;
    EXPECT_EQ(alert["kind"], "missed_call");
    EXPECT_EQ(alert["state"], "open");
    EXPECT_EQ(alert["subject"], demo::kSubject01);
    EXPECT_EQ(alert["unit"], "zj-hz-xh-zt");
    EXPECT_EQ(alert["call"], callId);
    EXPECT_TRUE(alert["raised_at"].is_string());
    EXPECT_TRUE(alert["acknowledged_at"].is_null());
    EXPECT_GE(audited("alerts_view", ""), 1);
    // Staff over the unit see it; a subject may not list alerts at all.
    EXPECT_FALSE(findAlert(getJson(port(), "/api/alerts", li), id).is_null());
    EXPECT_FALSE(findAlert(getJson(port(), "/api/alerts", admin), id).is_null());
    EXPECT_EQ(getJson(port(), "/api/alerts", s01).status, 403);
    EXPECT_EQ(post(port(), "/api/alerts/" + id + "/acknowledge", json::object(), s01).status, 403);

    auto acked = post(port(), "/api/alerts/" + id + "/acknowledge", json::object(), wang);
    ASSERT_EQ(acked.status, 200) << acked.raw;
    EXPECT_EQ(acked.body["state"], "acknowledged");
    EXPECT_EQ(acked.body["acknowledged_by"], demo::kOfficerWang);
    EXPECT_TRUE(acked.body["acknowledged_at"].is_string());
    auto again = post(port(), "/api/alerts/" + id + "/acknowledge", json::object(), wang);
    EXPECT_EQ(again.status, 409) << again.raw;
    EXPECT_EQ(errorCode(again), "conflict");

    auto noNote = post(port(), "/api/alerts/" + id + "/resolve", json::object(), wang);
    EXPECT_EQ(noNote.status, 400) << noNote.raw;
    auto blank = post(port(), "/api/alerts/" + id + "/resolve", json{{"note", "  "}}, wang);
    EXPECT_EQ(blank.status, 400) << blank.raw;
    auto wrongType = post(port(), "/api/alerts/" + id + "/resolve", json{{"note", 5}}, wang);
    EXPECT_EQ(wrongType.status, 400) << wrongType.raw;
    auto tooLong = post(port(), "/api/alerts/" + id + "/resolve",
                        json{{"note", std::string(2001, 'x')}}, wang);
    EXPECT_EQ(tooLong.status, 400) << tooLong.raw;

    const std::string note = "电话联系本人，因就医未接，已核实";
    auto resolved = post(port(), "/api/alerts/" + id + "/resolve", json{{"note", note}}, wang);
    ASSERT_EQ(resolved.status, 200) << resolved.raw;
    EXPECT_EQ(resolved.body["state"], "resolved");
    EXPECT_EQ(resolved.body["note"], note);
    EXPECT_EQ(resolved.body["resolved_by"], demo::kOfficerWang);
    auto twice = post(port(), "/api/alerts/" + id + "/resolve", json{{"note", "again"}}, wang);
    EXPECT_EQ(errorCode(twice), "conflict") << twice.raw;

    EXPECT_TRUE(findAlert(getJson(port(), "/api/alerts?state=open", wang), id).is_null());
    json stored = findAlert(getJson(port(), "/api/alerts?state=resolved", wang), id);
    ASSERT_FALSE(stored.is_null());
    EXPECT_EQ(stored["note"], note);
    EXPECT_EQ(audited("alert_acknowledge", id), 1);
    EXPECT_EQ(audited("alert_resolve", id), 1);
    bool noteAudited = false;
    for (const auto& e : redis.xrange("vigil:audit"))
        noteAudited = noteAudited || (e["action"] == "alert_resolve" &&
                                      e["detail"].find(note) != std::string::npos);
    EXPECT_TRUE(noteAudited);
}

TEST_F(AlertsApiTest, BadRequestsGetStableCodes) {
    EXPECT_EQ(errorCode(getJson(port(), "/api/alerts?state=closed", wang)), "bad_request");
    EXPECT_EQ(errorCode(getJson(port(), "/api/alerts?escalated=yes", wang)), "bad_request");
    EXPECT_EQ(errorCode(getJson(port(), "/api/alerts?limit=many", wang)), "bad_request");
    EXPECT_EQ(errorCode(post(port(), "/api/alerts/al999999/acknowledge", json::object(), wang)),
              "not_found");
    EXPECT_EQ(errorCode(post(port(), "/api/alerts/al999999/resolve", json{{"note", "x"}}, wang)),
              "not_found");
    HttpResult notJson = httpRequest(port(), "POST", "/api/alerts/al1/resolve", "{note", wang);
    EXPECT_EQ(notJson.status, 400) << notJson.body;
    EXPECT_EQ(getJson(port(), "/api/alerts/al1/acknowledge", wang).status, 400) << "GET, not POST";
}

TEST_F(AlertsApiTest, AnAlertLeftOpenIsEscalatedToTheNextUnitUpOnce) {
    // An alert raised 25 hours ago (the default escalates after 24), written as a node would
    // have written it, for a subject of the township zj-hz-xh-zt.
    const std::string id = "al900001";
    long long raisedAt = nowMs() - 25 * kHourMs;
    writeOpenAlert(redis, id, raisedAt);
    auto county = connectAs(port(), "officer.li");

    json escalated = waitForAlert(li, "?escalated=1", id, [](const json& a) {
        return a.value("escalated_to", "") == "zj-hz-xh";
    });
    ASSERT_FALSE(escalated.is_null()) << "not escalated";
    EXPECT_EQ(escalated["escalated_to"], "zj-hz-xh");
    EXPECT_EQ(escalated["state"], "open");
    EXPECT_TRUE(escalated["escalated_at"].is_string());
    auto pushed = county->waitFor(
        [&](const json& m) {
            return m.value("type", "") == "alert_escalated" && m.value("id", "") == id;
        },
        10s);
    EXPECT_TRUE(pushed) << "the county officer was not told";
    // The township officer's list and the administrator's escalated list show it too.
    EXPECT_FALSE(findAlert(getJson(port(), "/api/alerts?escalated=1", admin), id).is_null());
    EXPECT_FALSE(findAlert(getJson(port(), "/api/alerts", wang), id).is_null());

    // Later sweeps (one at least every 5 s) leave it there until the next period: once.
    auto audit = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - audit < 6s) {
        ASSERT_EQ(audited("alert_escalated", id), 1);
        std::this_thread::sleep_for(500ms);
    }
    // Acknowledged, it would not escalate again; handled by the county officer.
    auto acked = post(port(), "/api/alerts/" + id + "/acknowledge", json::object(), li);
    EXPECT_EQ(acked.status, 200) << acked.raw;
}

}  // namespace

TEST_F(AlertsApiTest, APostWithoutABodyIsHandledOnce) {
    // Body-less POSTs (acknowledge, logout) reach their handler once: lws also reports such a
    // body complete, and a second run answered 409 after the first had acknowledged.
    const std::string id = "al900002";
    long long raisedAt = nowMs() - kHourMs;
    writeOpenAlert(redis, id, raisedAt);

    HttpResult acked = httpRequest(port(), "POST", "/api/alerts/" + id + "/acknowledge", "", wang);
    EXPECT_EQ(acked.status, 200) << acked.body;
    int audited = 0;
    for (const auto& e : redis.xrange("vigil:audit")) {
        if (e["action"] == "alert_acknowledge" && e["target"] == id) ++audited;
    }
    EXPECT_EQ(audited, 1);
}
