// The REST endpoints the web application writes through and reads its charts from:
// scheduling and enrolment, a class's presence timeline, the paged attendance table, the
// compliance report, accounts and org units, and the static files (the web root and the
// vendored Chart.js) with the content types a browser insists on.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <ctime>
#include <fstream>
#include <set>

#include "Fixtures.hpp"
#include "Replies.hpp"

using namespace vigil::testing;
using nlohmann::json;

namespace {

constexpr long long kHourMs = 3600000;

JsonResult post(int port, const std::string& path, const std::string& body,
                const std::string& token) {
    HttpResult r = httpRequest(port, "POST", path, body, token);
    JsonResult out;
    out.status = r.status;
    out.raw = r.body;
    out.headers = r.headers;
    auto j = json::parse(r.body, nullptr, false);
    if (!j.is_discarded()) out.body = j;
    return out;
}

JsonResult post(int port, const std::string& path, const json& body, const std::string& token) {
    return post(port, path, body.dump(), token);
}

std::set<std::string> ids(const json& list, const char* key = "id") {
    std::set<std::string> out;
    for (const auto& e : list) out.insert(e.value(key, ""));
    return out;
}

void writeFile(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

class WebApiTest : public DemoOrgTest {
protected:
    // The alerts written here date from 2025: the demo seed gives no terms, so no sweep adds
    // newer ones to the stream first.
    void SetUp() override {
        DemoOrgTest::SetUp();
        wang = login(port(), "officer.wang", kDemoPassword);
        li = login(port(), "officer.li", kDemoPassword);
        admin = login(port(), "admin", kDemoPassword);
        s01 = login(port(), "subject01", kDemoPassword);
        s04 = login(port(), "subject04", kDemoPassword);
        ASSERT_FALSE(wang.empty() || li.empty() || admin.empty() || s01.empty() || s04.empty());
    }

    bool audited(const std::string& actor, const std::string& action,
                 const std::string& target) const {
        for (const auto& e : redis.xrange("vigil:audit")) {
            if (e["actor"] == actor && e["action"] == action &&
                (target.empty() || e["target"] == target)) {
                return true;
            }
        }
        return false;
    }

    void interval(const std::string& cls, const std::string& subject, const std::string& conn,
                  long long join, long long leave, const std::string& reason) {
        addInterval(redis, cls, subject, conn, join, leave, reason);
    }

    void spotCheckResult(const std::string& cls, const std::string& subject,
                         const std::string& check, long long ts, const std::string& outcome) {
        const std::string key = "vigil:att:" + cls;
        redis.cli({"XADD", key, "*", "kind", "spot_check", "subject", subject, "ts",
                   std::to_string(ts), "check", check, "deadline", std::to_string(ts + 60000),
                   "officer", demo::kOfficerWang, "challenge", ""});
        redis.cli({"XADD", key, "*", "kind", "spot_check_result", "subject", subject, "ts",
                   std::to_string(ts + 30000), "reason", outcome, "check", check, "detail", ""});
    }

    std::string wang, li, admin, s01, s04;
};

json classBody(long long start, long long end) {
    return json{{"title", "法治教育 第9课"}, {"start", isoAt(start)}, {"end", isoAt(end)}};
}

}  // namespace

TEST_F(WebApiTest, ScheduleClassValidatesScopeAndAudits) {
    const long long start = nowMs() + kHourMs;
    json body = classBody(start, start + 2 * kHourMs);
    body["enrol_unit"] = "zj-hz-xh-zt";
    body["subjects"] = {demo::kSubject01};
    auto r = post(port(), "/api/classes", body, wang);
    ASSERT_EQ(r.status, 201) << r.raw;
    const std::string id = r.body.value("id", "");
    EXPECT_FALSE(id.empty());
    EXPECT_EQ(r.body["officer"], demo::kOfficerWang) << "an officer schedules for himself";
    EXPECT_EQ(r.body["unit"], "zj-hz-xh-zt") << "the caller's unit by default";
    EXPECT_EQ(r.body["required"], true);
    EXPECT_EQ(r.body["state"], "scheduled");
    EXPECT_EQ(r.body["start"], isoAt(start));
    EXPECT_EQ(ids(r.body["enrolled"]),
              (std::set<std::string>{demo::kSubject01, demo::kSubject02, demo::kSubject03}));
    auto detail = getJson(port(), "/api/classes/" + id, wang);
    ASSERT_EQ(detail.status, 200) << detail.raw;
    EXPECT_EQ(detail.body, r.body) << "the answer is the class object of GET /api/classes/{id}";
    EXPECT_TRUE(audited(demo::kOfficerWang, "schedule_class", id));
    EXPECT_EQ(redis.cli({"SISMEMBER", "vigil:class:" + id + ":enrolled", demo::kSubject01}), "1");

    // Unix milliseconds work too; "required": false; an administrator names the officer.
    json ms{{"title", "选修：心理健康"}, {"start", start},     {"end", start + kHourMs},
            {"required", false},         {"unit", "zj-hz-xh"}, {"officer", demo::kOfficerLi}};
    auto byAdmin = post(port(), "/api/classes", ms, admin);
    ASSERT_EQ(byAdmin.status, 201) << byAdmin.raw;
    EXPECT_EQ(byAdmin.body["officer"], demo::kOfficerLi);
    EXPECT_EQ(byAdmin.body["required"], false);
    EXPECT_EQ(byAdmin.body["end"], isoAt(start + kHourMs));
    EXPECT_TRUE(byAdmin.body["enrolled"].empty());

    struct Case {
        std::string what;
        json body;
        std::string token;
        int status;
        std::string code;
    };
    auto with = [&](const char* key, const json& value) {
        json b = classBody(start, start + kHourMs);
        if (value.is_null()) {
            b.erase(key);
        } else {
            b[key] = value;
        }
        return b;
    };
    const std::vector<Case> cases{
        {"no title", with("title", nullptr), wang, 400, "bad_request"},
        {"empty title", with("title", ""), wang, 400, "bad_request"},
        {"title over 200 characters", with("title", std::string(201, 'x')), wang, 400,
         "bad_request"},
        {"title not a string", with("title", 7), wang, 400, "bad_request"},
        {"no start", with("start", nullptr), wang, 400, "bad_request"},
        {"start not a time", with("start", "tomorrow 9am"), wang, 400, "bad_request"},
        {"start in seconds", with("start", start / 1000), wang, 400, "bad_request"},
        {"end before start", with("end", isoAt(start - kHourMs)), wang, 400, "bad_request"},
        {"end equal to start", with("end", isoAt(start)), wang, 400, "bad_request"},
        {"over 12 hours", with("end", isoAt(start + 13 * kHourMs)), wang, 400, "bad_request"},
        {"already over",
         json{{"title", "t"},
              {"start", isoAt(nowMs() - 3 * kHourMs)},
              {"end", isoAt(nowMs() - 2 * kHourMs)}},
         wang, 400, "bad_request"},
        {"required not a bool", with("required", "yes"), wang, 400, "bad_request"},
        {"subjects not an array", with("subjects", demo::kSubject01), wang, 400, "bad_request"},
        {"unknown subject", with("subjects", json{demo::kSubject01, "u999"}), wang, 404,
         "not_found"},
        {"subject outside scope", with("subjects", json{demo::kSubject04}), wang, 403, "forbidden"},
        {"an officer is no subject", with("subjects", json{demo::kOfficerWang}), wang, 404,
         "not_found"},
        {"enrol unit above", with("enrol_unit", "zj-hz"), wang, 403, "forbidden"},
        {"unknown enrol unit", with("enrol_unit", "nowhere"), wang, 404, "not_found"},
        {"unit above", with("unit", "zj-hz-xh"), wang, 403, "forbidden"},
        {"unknown unit", with("unit", "nowhere"), wang, 404, "not_found"},
        {"officer for another", with("officer", demo::kOfficerLi), wang, 403, "forbidden"},
        {"administrator without officer", classBody(start, start + kHourMs), admin, 400,
         "bad_request"},
        {"officer who is a subject", with("officer", demo::kSubject01), admin, 404, "not_found"},
        {"subject schedules", classBody(start, start + kHourMs), s01, 403, "forbidden"},
    };
    const std::string classesBefore = redis.cli({"ZCARD", "vigil:classes"});
    for (const auto& c : cases) {
        auto e = post(port(), "/api/classes", c.body, c.token);
        EXPECT_EQ(e.status, c.status) << c.what << ": " << e.raw;
        EXPECT_EQ(errorCode(e), c.code) << c.what << ": " << e.raw;
    }
    EXPECT_EQ(redis.cli({"ZCARD", "vigil:classes"}), classesBefore) << "a refusal left a class";

    auto notJson = post(port(), "/api/classes", std::string("{title"), wang);
    EXPECT_EQ(notJson.status, 400);
    EXPECT_EQ(errorCode(notJson), "bad_json");
    auto array = post(port(), "/api/classes", std::string("[1, 2]"), wang);
    EXPECT_EQ(errorCode(array), "bad_request");
    EXPECT_EQ(post(port(), "/api/classes", classBody(start, start + kHourMs), "").status, 401);
    auto put = httpRequest(port(), "PUT", "/api/classes", "{}", wang);
    EXPECT_EQ(put.status, 400) << put.body;
    auto readOnly = post(port(), "/api/me", json::object(), wang);
    EXPECT_EQ(readOnly.status, 400) << readOnly.raw;
    auto unknown = post(port(), "/api/nothing", json::object(), wang);
    EXPECT_EQ(unknown.status, 404) << unknown.raw;
    auto getOnly = getJson(port(), "/api/classes/" + id + "/enrolments", wang);
    EXPECT_EQ(getOnly.status, 400) << getOnly.raw;
}

TEST_F(WebApiTest, EnrolmentIsScopedAndRefusedOnceTheClassEnded) {
    const long long start = nowMs() + kHourMs;
    json body = classBody(start, start + kHourMs);
    body["unit"] = "zj-hz-xh";
    auto created = post(port(), "/api/classes", body, li);
    ASSERT_EQ(created.status, 201) << created.raw;
    const std::string id = created.body["id"];
    EXPECT_TRUE(created.body["enrolled"].empty());
    EXPECT_EQ(getJson(port(), "/api/classes/" + id, s04).status, 403) << "not enrolled yet";

    auto r = post(port(), "/api/classes/" + id + "/enrolments",
                  json{{"subjects", {demo::kSubject04, demo::kSubject01, demo::kSubject04}}}, li);
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(ids(r.body["enrolled"]), (std::set<std::string>{demo::kSubject04, demo::kSubject01}));
    auto detail = getJson(port(), "/api/classes/" + id, li);
    EXPECT_EQ(ids(detail.body["enrolled"]),
              (std::set<std::string>{demo::kSubject04, demo::kSubject01}));
    EXPECT_EQ(getJson(port(), "/api/classes/" + id, s04).status, 200) << "now enrolled";
    EXPECT_TRUE(audited(demo::kOfficerLi, "enrol", id));

    // An officer below the class's unit does not see it.
    auto wangTry = post(port(), "/api/classes/" + id + "/enrolments",
                        json{{"subjects", {demo::kSubject02}}}, wang);
    EXPECT_EQ(wangTry.status, 403) << wangTry.raw;
    EXPECT_EQ(errorCode(wangTry), "forbidden");
    // The class's own officer cannot reach past his scope either.
    const long long soon = nowMs() + kHourMs;
    auto wangClass = post(port(), "/api/classes", classBody(soon, soon + kHourMs), wang);
    ASSERT_EQ(wangClass.status, 201);
    const std::string wangId = wangClass.body["id"];
    auto outside = post(port(), "/api/classes/" + wangId + "/enrolments",
                        json{{"subjects", {demo::kSubject05}}}, wang);
    EXPECT_EQ(outside.status, 403) << outside.raw;
    EXPECT_EQ(errorCode(outside), "forbidden");

    for (const auto& bad : {json{{"subjects", json::array()}}, json{{"subjects", "u4"}},
                            json{{"subjects", {1, 2}}}, json::object()}) {
        auto e = post(port(), "/api/classes/" + id + "/enrolments", bad, li);
        EXPECT_EQ(e.status, 400) << bad.dump() << ": " << e.raw;
    }
    EXPECT_EQ(
        post(port(), "/api/classes/" + id + "/enrolments", json{{"subjects", {"u999"}}}, li).status,
        404);
    EXPECT_EQ(post(port(), "/api/classes/c999/enrolments", json{{"subjects", {"u4"}}}, li).status,
              404);
    EXPECT_EQ(post(port(), "/api/classes/" + id + "/enrolments",
                   json{{"subjects", {demo::kSubject05}}}, s04)
                  .status,
              403);

    // A class that is over takes nobody.
    const std::string past = addClass(redis, "上周的课", "zj-hz-xh", demo::kOfficerLi,
                                      nowMs() - 3 * kHourMs, nowMs() - 2 * kHourMs);
    auto ended = post(port(), "/api/classes/" + past + "/enrolments",
                      json{{"subjects", {demo::kSubject05}}}, li);
    EXPECT_EQ(ended.status, 409) << ended.raw;
    EXPECT_EQ(errorCode(ended), "class_ended");
    EXPECT_EQ(redis.cli({"SCARD", "vigil:class:" + past + ":enrolled"}), "0");
}

TEST_F(WebApiTest, TimelineListsIntervalsSamplesSpotChecksAndAlerts) {
    const long long start = nowMs() - 2 * kHourMs;
    const std::string cls = addClass(redis, "法治教育", "zj-hz-xh-zt", demo::kOfficerWang, start,
                                     start + kHourMs, "zj-hz-xh-zt");
    const std::string key = "vigil:att:" + cls;
    interval(cls, demo::kSubject01, "t#1", start + 60000, start + 50 * 60000, "leave");
    // Written out of order: the timeline orders by `ts`.
    redis.cli({"XADD", key, "*", "kind", "presence", "subject", demo::kSubject01, "ts",
               std::to_string(start + 10 * 60000), "outcome", "not_matched", "score", "0.210",
               "faces", "1", "state", "unverified", "reason", ""});
    redis.cli({"XADD", key, "*", "kind", "presence", "subject", demo::kSubject01, "ts",
               std::to_string(start + 5 * 60000), "outcome", "verified", "score", "0.712", "faces",
               "1", "state", "present", "reason", ""});
    spotCheckResult(cls, demo::kSubject01, "sc1", start + 20 * 60000, "failed");
    redis.cli({"XADD", key, "*", "kind", "alert", "subject", demo::kSubject01, "ts",
               std::to_string(start + 11 * 60000), "alert", "not_matched", "reason",
               "face not matched 3 times in a row"});
    interval(cls, demo::kSubject02, "t#2", start + 30 * 60000, start + 40 * 60000, "disconnect");

    auto r = getJson(port(), "/api/classes/" + cls + "/timeline", wang);
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body["class"]["id"], cls);
    ASSERT_EQ(r.body["subjects"].size(), 3u) << r.raw;
    json row;
    for (const auto& s : r.body["subjects"]) {
        if (s["subject"] == demo::kSubject01) row = s;
    }
    ASSERT_TRUE(row.is_object()) << r.raw;
    EXPECT_EQ(row["name"], "张伟");
    ASSERT_EQ(row["intervals"].size(), 1u);
    EXPECT_EQ(row["intervals"][0]["join"], isoAt(start + 60000));
    EXPECT_EQ(row["intervals"][0]["join_t"], start + 60000);
    EXPECT_EQ(row["intervals"][0]["leave_t"], start + 50 * 60000);
    ASSERT_EQ(row["samples"].size(), 2u);
    EXPECT_EQ(row["samples"][0]["t"], start + 5 * 60000);
    EXPECT_EQ(row["samples"][0]["ts"], isoAt(start + 5 * 60000));
    EXPECT_EQ(row["samples"][0]["outcome"], "verified");
    EXPECT_EQ(row["samples"][0]["state"], "present");
    EXPECT_NEAR(row["samples"][0]["score"].get<double>(), 0.712, 1e-9);
    EXPECT_EQ(row["samples"][1]["outcome"], "not_matched");
    ASSERT_EQ(row["spot_checks"].size(), 1u);
    EXPECT_EQ(row["spot_checks"][0]["t"], start + 20 * 60000);
    EXPECT_EQ(row["spot_checks"][0]["outcome"], "failed");
    ASSERT_EQ(row["alerts"].size(), 1u);
    EXPECT_EQ(row["alerts"][0]["kind"], "not_matched");
    EXPECT_EQ(row["alerts"][0]["t"], start + 11 * 60000);
    EXPECT_TRUE(audited(demo::kOfficerWang, "view_attendance", cls));

    // One subject's row on request; a subject gets only the own row, whatever is asked.
    auto one =
        getJson(port(), "/api/classes/" + cls + "/timeline?subject=" + demo::kSubject02, wang);
    ASSERT_EQ(one.status, 200);
    ASSERT_EQ(one.body["subjects"].size(), 1u);
    EXPECT_EQ(one.body["subjects"][0]["intervals"][0]["reason"], "disconnect");
    auto own =
        getJson(port(), "/api/classes/" + cls + "/timeline?subject=" + demo::kSubject02, s01);
    ASSERT_EQ(own.status, 200) << own.raw;
    ASSERT_EQ(own.body["subjects"].size(), 1u);
    EXPECT_EQ(own.body["subjects"][0]["subject"], demo::kSubject01);
    EXPECT_EQ(own.body["subjects"][0]["samples"].size(), 2u);
    EXPECT_EQ(getJson(port(), "/api/classes/" + cls + "/timeline", s04).status, 403);
    EXPECT_EQ(getJson(port(), "/api/classes/" + cls + "/timeline", li).status, 200);
    EXPECT_EQ(getJson(port(), "/api/classes/c999/timeline", li).status, 404);
}

TEST_F(WebApiTest, AttendanceTableFiltersPagesAndOrders) {
    const std::string a = addClass(redis, "A", "zj-hz-xh-zt", demo::kOfficerWang,
                                   at(2025, 3, 12, 9, 0), at(2025, 3, 12, 10, 0), "zj-hz-xh-zt");
    const std::string b = addClass(redis, "B", "zj-hz-xh-zt", demo::kOfficerWang,
                                   at(2025, 3, 19, 14, 0), at(2025, 3, 19, 15, 0));
    vigilOk(redis, {"enrol", "--class", b, "--subject", demo::kSubject01});
    const std::string c = addClass(redis, "C", "zj-hz-xh", demo::kOfficerLi, at(2025, 3, 20, 9, 0),
                                   at(2025, 3, 20, 10, 0), "zj-hz-xh");
    interval(a, demo::kSubject01, "p#1", at(2025, 3, 12, 9, 5), at(2025, 3, 12, 9, 50), "leave");
    interval(c, demo::kSubject04, "p#2", at(2025, 3, 20, 9, 0), at(2025, 3, 20, 10, 0), "leave");

    const std::string march = "from=2025-03-01&to=2025-03-31";
    auto all = getJson(port(), "/api/attendance?" + march, li);
    ASSERT_EQ(all.status, 200) << all.raw;
    EXPECT_EQ(all.body["total"], 9) << "A: 3 subjects, B: 1, C: 5";
    EXPECT_EQ(all.body["offset"], 0);
    EXPECT_EQ(all.body["limit"], 50);
    ASSERT_EQ(all.body["rows"].size(), 9u);
    // Newest class first, then by subject name.
    std::vector<std::string> order;
    for (const auto& row : all.body["rows"]) order.push_back(row["class"]["id"]);
    EXPECT_EQ(order, (std::vector<std::string>{c, c, c, c, c, b, a, a, a}));
    for (size_t i = 1; i < 5; ++i) {
        EXPECT_LE(all.body["rows"][i - 1]["subject"]["name"].get<std::string>(),
                  all.body["rows"][i]["subject"]["name"].get<std::string>());
    }
    json a01;
    for (const auto& row : all.body["rows"]) {
        if (row["class"]["id"] == a && row["subject"]["id"] == demo::kSubject01) a01 = row;
    }
    ASSERT_TRUE(a01.is_object());
    EXPECT_EQ(a01["subject"]["username"], "subject01");
    EXPECT_EQ(a01["subject"]["name"], "张伟");
    EXPECT_EQ(a01["minutes_connected"], 45);
    EXPECT_EQ(a01["minutes_credited"], 45);
    EXPECT_EQ(a01["intervals"].size(), 1u);
    EXPECT_TRUE(audited(demo::kOfficerLi, "view_attendance", "zj-hz-xh"));

    // Pages add up to the whole.
    std::vector<std::string> paged;
    for (int offset = 0; offset < 9; offset += 4) {
        auto page = getJson(
            port(), "/api/attendance?" + march + "&limit=4&offset=" + std::to_string(offset), li);
        ASSERT_EQ(page.status, 200) << page.raw;
        EXPECT_EQ(page.body["total"], 9);
        EXPECT_EQ(page.body["offset"], offset);
        EXPECT_EQ(page.body["limit"], 4);
        EXPECT_EQ(page.body["rows"].size(), offset == 8 ? 1u : 4u);
        for (const auto& row : page.body["rows"]) {
            paged.push_back(row["class"]["id"].get<std::string>() + "/" +
                            row["subject"]["id"].get<std::string>());
        }
    }
    std::vector<std::string> whole;
    for (const auto& row : all.body["rows"]) {
        whole.push_back(row["class"]["id"].get<std::string>() + "/" +
                        row["subject"]["id"].get<std::string>());
    }
    EXPECT_EQ(paged, whole);
    auto beyond = getJson(port(), "/api/attendance?" + march + "&offset=100", li);
    EXPECT_EQ(beyond.body["total"], 9);
    EXPECT_TRUE(beyond.body["rows"].empty());
    EXPECT_EQ(getJson(port(), "/api/attendance?" + march + "&limit=0", li).body["limit"], 1);
    EXPECT_EQ(getJson(port(), "/api/attendance?" + march + "&limit=9999", li).body["limit"], 500);

    // Filters.
    EXPECT_EQ(getJson(port(), "/api/attendance?" + march + "&class=" + a, li).body["total"], 3);
    auto s01rows = getJson(port(), "/api/attendance?" + march + "&subject=" + demo::kSubject01, li);
    EXPECT_EQ(s01rows.body["total"], 3);
    EXPECT_EQ(getJson(port(), "/api/attendance?" + march + "&unit=zj-hz-xh-zt", li).body["total"],
              4);
    auto wangRows = getJson(port(), "/api/attendance?" + march, wang);
    EXPECT_EQ(wangRows.body["total"], 4) << "A and B only: C is above officer Wang's unit";
    EXPECT_EQ(getJson(port(), "/api/attendance?from=2025-04-01&to=2025-04-30", li).body["total"],
              0);

    // Refusals.
    auto above = getJson(port(), "/api/attendance?unit=zj-hz-xh", wang);
    EXPECT_EQ(above.status, 403) << above.raw;
    EXPECT_EQ(getJson(port(), "/api/attendance?unit=nowhere", li).status, 404);
    EXPECT_EQ(getJson(port(), "/api/attendance", s01).status, 403);
    EXPECT_EQ(getJson(port(), "/api/attendance?limit=ten", li).status, 400);
    EXPECT_EQ(getJson(port(), "/api/attendance?offset=-1", li).body["offset"], 0);
    EXPECT_EQ(getJson(port(), "/api/attendance?from=yesterday", li).status, 400);
    EXPECT_EQ(getJson(port(), "/api/attendance?from=2025-03-10&to=2025-03-01", li).status, 400);
    EXPECT_EQ(getJson(port(), "/api/attendance?class=a%20b", li).status, 400);
}

TEST_F(WebApiTest, ComplianceReportFlagsSubjectsAtRisk) {
    // March 2025 (over): three required 3-hour classes for Zhuantang. Subject01 attends all
    // (9 h) but fails two spot checks; subject02 and subject03 attend nothing, and subject02's
    // face did not match twice.
    std::vector<std::string> classes;
    for (int day : {5, 12, 19}) {
        classes.push_back(addClass(redis, "必修课", "zj-hz-xh-zt", demo::kOfficerWang,
                                   at(2025, 3, day, 9, 0), at(2025, 3, day, 12, 0), "zj-hz-xh-zt"));
        interval(classes.back(), demo::kSubject01, "cr#" + std::to_string(day),
                 at(2025, 3, day, 9, 0), at(2025, 3, day, 12, 0), "class_ended");
    }
    spotCheckResult(classes[0], demo::kSubject01, "k1", at(2025, 3, 5, 10, 0), "failed");
    spotCheckResult(classes[1], demo::kSubject01, "k2", at(2025, 3, 12, 10, 0), "missed");
    spotCheckResult(classes[2], demo::kSubject01, "k3", at(2025, 3, 19, 10, 0), "passed");
    // Subject01 has no face reference: seen as a face, never checked, never a mismatch.
    for (int minute : {10, 20}) {
        const long long ts = at(2025, 3, 5, 9, minute);
        redis.cli({"XADD", "vigil:att:" + classes[0], "*", "kind", "presence", "subject",
                   demo::kSubject01, "ts", std::to_string(ts), "outcome", "unenrolled"});
        redis.cli({"XADD", "vigil:alerts", std::to_string(ts) + "-0", "class", classes[0],
                   "subject", demo::kSubject01, "unit", "zj-hz-xh-zt", "kind", "unenrolled",
                   "message", "no face reference", "ts", std::to_string(ts)});
    }
    // Alerts are stored when raised: their ids carry that time.
    int n = 0;
    for (long long ts : {at(2025, 3, 5, 10, 0), at(2025, 3, 12, 10, 0), at(2025, 4, 2, 10, 0)}) {
        redis.cli({"XADD", "vigil:alerts", std::to_string(ts) + "-" + std::to_string(n++), "class",
                   classes[0], "subject", demo::kSubject02, "unit", "zj-hz-xh-zt", "kind",
                   "not_matched", "message", "face not matched", "ts", std::to_string(ts)});
    }
    redis.cli({"XADD", "vigil:alerts", std::to_string(at(2025, 3, 6, 10, 0)) + "-0", "class",
               classes[0], "subject", demo::kSubject03, "unit", "zj-hz-xh-zt", "kind", "absent",
               "message", "absent", "ts", std::to_string(at(2025, 3, 6, 10, 0))});

    auto r = getJson(port(), "/api/reports/compliance?month=2025-03&months=3", li);
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body["months"], (json{"2025-01", "2025-02", "2025-03"}));
    auto subject = [&r](const std::string& id) {
        for (const auto& s : r.body["subjects"]) {
            if (s["id"] == id) return s;
        }
        return json();
    };
    auto flags = [](const json& s) {
        std::set<std::string> out;
        for (const auto& f : s["flags"]) out.insert(f.get<std::string>());
        return out;
    };
    EXPECT_EQ(r.body["subjects"].size(), 5u) << "every subject of zj-hz-xh and below";
    json s1 = subject(demo::kSubject01);
    ASSERT_TRUE(s1.is_object()) << r.raw;
    ASSERT_EQ(s1["trend"].size(), 3u);
    const json& s1march = s1["trend"][2];
    EXPECT_EQ(s1march["month"], "2025-03");
    EXPECT_DOUBLE_EQ(s1march["credited_hours"].get<double>(), 9.0);
    EXPECT_DOUBLE_EQ(s1march["required_hours"].get<double>(), 8.0);
    EXPECT_EQ(s1march["missed_required_sessions"], 0);
    EXPECT_EQ(s1march["spot_checks_failed"], 2);
    EXPECT_EQ(s1march["mismatches"], 0);
    EXPECT_EQ(s1march["met"], true);
    EXPECT_EQ(s1["trend"][0]["met"], false) << "no classes in January: 0 of 8 hours";
    EXPECT_EQ(flags(s1), (std::set<std::string>{"spot_checks_failed"}));
    EXPECT_EQ(s1["unit"], "zj-hz-xh-zt");
    EXPECT_EQ(s1["officer"], demo::kOfficerWang);

    json s2 = subject(demo::kSubject02);
    EXPECT_EQ(s2["trend"][2]["missed_required_sessions"], 3);
    EXPECT_EQ(s2["trend"][2]["mismatches"], 2) << "the April alert is outside March";
    EXPECT_EQ(flags(s2), (std::set<std::string>{"missed_required_classes", "repeated_mismatch",
                                                "hours_short"}));
    json s3 = subject(demo::kSubject03);
    EXPECT_EQ(flags(s3), (std::set<std::string>{"missed_required_classes", "hours_short"}));
    json s4 = subject(demo::kSubject04);
    EXPECT_EQ(flags(s4), (std::set<std::string>{"hours_short"})) << "no classes at all";

    json zt;
    for (const auto& u : r.body["units"]) {
        if (u["unit"] == "zj-hz-xh-zt") zt = u;
    }
    ASSERT_TRUE(zt.is_object()) << r.raw;
    EXPECT_EQ(ids(r.body["units"], "unit"), (std::set<std::string>{"zj-hz-xh", "zj-hz-xh-zt"}));
    EXPECT_EQ(zt["name"], "转塘街道司法所");
    ASSERT_EQ(zt["trend"].size(), 3u);
    EXPECT_EQ(zt["trend"][2]["subjects"], 3);
    EXPECT_EQ(zt["trend"][2]["met"], 1);
    EXPECT_NEAR(zt["trend"][2]["rate"].get<double>(), 1.0 / 3, 1e-3);
    EXPECT_EQ(zt["trend"][0]["met"], 0);
    EXPECT_TRUE(audited(demo::kOfficerLi, "view_compliance", "zj-hz-xh"));

    // The current month is not over: no hours_short yet; the default window is 6 months.
    auto now = getJson(port(), "/api/reports/compliance", wang);
    ASSERT_EQ(now.status, 200) << now.raw;
    EXPECT_EQ(now.body["months"].size(), 6u);
    EXPECT_EQ(now.body["subjects"].size(), 3u);
    for (const auto& s : now.body["subjects"]) {
        for (const auto& f : s["flags"]) EXPECT_NE(f, "hours_short") << s.dump();
    }

    EXPECT_EQ(getJson(port(), "/api/reports/compliance?unit=zj-hz-xh", wang).status, 403);
    EXPECT_EQ(getJson(port(), "/api/reports/compliance", s01).status, 403);
    EXPECT_EQ(getJson(port(), "/api/reports/compliance?month=2025-13", li).status, 400);
    EXPECT_EQ(getJson(port(), "/api/reports/compliance?months=six", li).status, 400);
    EXPECT_EQ(getJson(port(), "/api/reports/compliance?months=99", li).body["months"].size(), 24u);
}

TEST_F(WebApiTest, AccountsAndUnitsAreCreatedWithinScope) {
    json officer{{"username", "officer.zhao"},
                 {"name", "赵警官"},
                 {"role", "officer"},
                 {"unit", "zj-hz"},
                 {"password", "Strong#2026"}};
    auto r = post(port(), "/api/users", officer, admin);
    ASSERT_EQ(r.status, 201) << r.raw;
    EXPECT_EQ(r.body["username"], "officer.zhao");
    EXPECT_EQ(r.body["role"], "officer");
    EXPECT_EQ(r.body["unit"], "zj-hz");
    EXPECT_FALSE(r.raw.find("Strong#2026") != std::string::npos || r.body.contains("pwhash"));
    const std::string zhao = r.body["id"];
    EXPECT_TRUE(audited(demo::kAdmin, "user_added", zhao));
    EXPECT_FALSE(login(port(), "officer.zhao", "Strong#2026").empty());

    auto taken =
        post(port(), "/api/users",
             json{{"username", "subject01"}, {"name", "重名"}, {"password", "Strong#2026"}}, admin);
    EXPECT_EQ(taken.status, 409) << taken.raw;
    EXPECT_EQ(errorCode(taken), "username_taken");
    auto weak = post(port(), "/api/users",
                     json{{"username", "weak.pw"}, {"name", "弱"}, {"password", "abc"}}, admin);
    EXPECT_EQ(weak.status, 400) << weak.raw;
    EXPECT_EQ(errorCode(weak), "weak_password");
    auto badName =
        post(port(), "/api/users",
             json{{"username", "Bad Name"}, {"name", "X"}, {"password", "Strong#2026"}}, admin);
    EXPECT_EQ(badName.status, 400);
    EXPECT_EQ(errorCode(badName), "bad_request");
    auto badRole = post(port(), "/api/users",
                        json{{"username", "warden.x"},
                             {"name", "X"},
                             {"role", "warden"},
                             {"password", "Strong#2026"}},
                        admin);
    EXPECT_EQ(errorCode(badRole), "bad_request");
    auto noPassword = post(port(), "/api/users", json{{"username", "no.pw"}, {"name", "X"}}, admin);
    EXPECT_EQ(errorCode(noPassword), "bad_request");

    // An officer adds subjects to his own caseload, within his scope, and nothing else.
    auto subject =
        post(port(), "/api/users",
             json{{"username", "subject99"}, {"name", "孙悟"}, {"password", "Strong#2026"}}, wang);
    ASSERT_EQ(subject.status, 201) << subject.raw;
    EXPECT_EQ(subject.body["role"], "subject");
    EXPECT_EQ(subject.body["unit"], "zj-hz-xh-zt");
    EXPECT_EQ(subject.body["officer"], demo::kOfficerWang);
    auto officerByOfficer = post(port(), "/api/users",
                                 json{{"username", "officer.qian"},
                                      {"name", "钱"},
                                      {"role", "officer"},
                                      {"password", "Strong#2026"}},
                                 wang);
    EXPECT_EQ(officerByOfficer.status, 403);
    auto above = post(port(), "/api/users",
                      json{{"username", "subject98"},
                           {"name", "X"},
                           {"unit", "zj-hz-xh"},
                           {"password", "Strong#2026"}},
                      wang);
    EXPECT_EQ(above.status, 403);
    auto otherOfficer = post(port(), "/api/users",
                             json{{"username", "subject97"},
                                  {"name", "X"},
                                  {"officer", demo::kOfficerLi},
                                  {"password", "Strong#2026"}},
                             wang);
    EXPECT_EQ(otherOfficer.status, 403) << "officer Li is above Wang's unit";
    EXPECT_EQ(post(port(), "/api/users",
                   json{{"username", "subject96"}, {"name", "X"}, {"password", "Strong#2026"}}, s01)
                  .status,
              403);

    // Disabling: administrators only; the account can no longer sign in.
    auto off = post(port(), "/api/users/" + demo::kSubject03 + "/disabled",
                    json{{"disabled", true}}, admin);
    ASSERT_EQ(off.status, 200) << off.raw;
    EXPECT_EQ(off.body["disabled"], true);
    EXPECT_TRUE(login(port(), "subject03", kDemoPassword).empty());
    EXPECT_TRUE(audited(demo::kAdmin, "user_disabled", demo::kSubject03));
    auto on = post(port(), "/api/users/" + demo::kSubject03 + "/disabled",
                   json{{"disabled", false}}, admin);
    ASSERT_EQ(on.status, 200) << on.raw;
    EXPECT_EQ(on.body["disabled"], false);
    EXPECT_FALSE(login(port(), "subject03", kDemoPassword).empty());
    EXPECT_EQ(
        post(port(), "/api/users/" + demo::kSubject03 + "/disabled", json{{"disabled", true}}, wang)
            .status,
        403);
    EXPECT_EQ(post(port(), "/api/users/u999/disabled", json{{"disabled", true}}, admin).status,
              404);
    EXPECT_EQ(post(port(), "/api/users/" + demo::kSubject03 + "/disabled",
                   json{{"disabled", "yes"}}, admin)
                  .status,
              400);
    EXPECT_EQ(
        post(port(), "/api/users/" + demo::kAdmin + "/disabled", json{{"disabled", true}}, admin)
            .status,
        400);

    // Org units.
    json unit{{"id", "zj-hz-xh-lx"}, {"name", "留下街道司法所"}, {"parent", "zj-hz-xh"}};
    auto u = post(port(), "/api/units", unit, admin);
    ASSERT_EQ(u.status, 201) << u.raw;
    EXPECT_EQ(u.body, unit);
    EXPECT_TRUE(audited(demo::kAdmin, "unit_added", "zj-hz-xh-lx"));
    EXPECT_TRUE(ids(getJson(port(), "/api/units", li).body["units"]).count("zj-hz-xh-lx"));
    auto again = post(port(), "/api/units", unit, admin);
    EXPECT_EQ(again.status, 409) << again.raw;
    EXPECT_EQ(errorCode(again), "unit_exists");
    EXPECT_EQ(post(port(), "/api/units", json{{"id", "x1"}, {"name", "X"}}, admin).status, 400);
    EXPECT_EQ(
        post(port(), "/api/units", json{{"id", "x1"}, {"name", "X"}, {"parent", "nowhere"}}, admin)
            .status,
        404);
    EXPECT_EQ(post(port(), "/api/units", json{{"id", "x1"}, {"name", ""}, {"parent", "zj"}}, admin)
                  .status,
              400);
    EXPECT_EQ(
        post(port(), "/api/units", json{{"id", "x2"}, {"name", "X"}, {"parent", "zj-hz-xh"}}, li)
            .status,
        403);
    // A unit without an id gets one.
    auto generated = post(port(), "/api/units", json{{"name", "新所"}, {"parent", "zj-hz"}}, admin);
    ASSERT_EQ(generated.status, 201) << generated.raw;
    EXPECT_FALSE(generated.body.value("id", "").empty());
}

TEST(WebStaticTest, ServesScriptsAndVendorFilesWithTheirTypes) {
    const std::string dir = makeTempDir("vigil-static");
    const std::string web = dir + "/web";
    const std::string vendor = dir + "/node_modules";
    for (const auto& d :
         {web, web + "/js", vendor, vendor + "/chart.js", vendor + "/chart.js/dist"}) {
        ::mkdir(d.c_str(), 0755);
    }
    writeFile(web + "/index.html", "<!doctype html><title>t</title>");
    writeFile(web + "/js/x.js", "export const x = 1;\n");
    writeFile(web + "/js/m.mjs", "export const m = 1;\n");
    writeFile(web + "/style.css", "body{}\n");
    writeFile(web + "/logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    writeFile(web + "/data.json", "{}");
    writeFile(web + "/clip.webm", std::string("\x1a\x45\xdf\xa3", 4));
    const std::string chart = "/*! Chart.js */ (function(){})();\n";
    writeFile(vendor + "/chart.js/dist/chart.umd.js", chart);
    writeFile(vendor + "/chart.js/dist/chart.js", "export default {};\n");

    RedisServer redis;
    VigilServer server(redis.url(),
                       {{"VIGIL_SERVER_WEB_ROOT", web}, {"VIGIL_SERVER_VENDOR_ROOT", vendor}});
    auto type = [&server](const std::string& path) {
        auto r = httpRequest(server.port(), "GET", path);
        EXPECT_EQ(r.status, 200) << path << ": " << r.body;
        auto it = r.headers.find("content-type");
        return it == r.headers.end() ? std::string() : it->second;
    };
    auto starts = [](const std::string& text, const std::string& prefix) {
        return text.rfind(prefix, 0) == 0;
    };
    EXPECT_TRUE(starts(type("/vendor/chart.js/chart.umd.js"), "text/javascript"));
    EXPECT_TRUE(starts(type("/vendor/chart.js/chart.js"), "text/javascript"));
    EXPECT_TRUE(starts(type("/js/x.js"), "text/javascript"));
    EXPECT_TRUE(starts(type("/js/m.mjs"), "text/javascript"));
    EXPECT_TRUE(starts(type("/style.css"), "text/css"));
    EXPECT_TRUE(starts(type("/logo.svg"), "image/svg+xml"));
    EXPECT_TRUE(starts(type("/data.json"), "application/json"));
    EXPECT_TRUE(starts(type("/clip.webm"), "video/webm"));
    EXPECT_TRUE(starts(type("/"), "text/html"));

    auto r = httpRequest(server.port(), "GET", "/vendor/chart.js/chart.umd.js");
    EXPECT_EQ(r.body, chart);
    // As every static file: never reused from a cache without asking.
    EXPECT_EQ(r.headers["cache-control"], "no-store");
    EXPECT_EQ(httpRequest(server.port(), "GET", "/vendor/chart.js/missing.js").status, 404);

    // Without the vendor folder the rest is served, and the log says what is missing.
    VigilServer bare(redis.url(), {{"VIGIL_SERVER_WEB_ROOT", web},
                                   {"VIGIL_SERVER_VENDOR_ROOT", dir + "/no_modules"}});
    EXPECT_EQ(httpRequest(bare.port(), "GET", "/js/x.js").status, 200);
    EXPECT_EQ(httpRequest(bare.port(), "GET", "/vendor/chart.js/chart.umd.js").status, 404);
    std::ifstream log(bare.logPath());
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("no_modules/chart.js/dist is missing"), std::string::npos) << text;
}
