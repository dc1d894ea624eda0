// 脱管 prevention and the programme report through the real REST API: the officer's overdue
// list (sorted by lateness, limited to the officer's units), the overdue and missed-call
// alerts the sweep raises once, and the monthly report whose required hours follow a level
// change in the middle of the month, in JSON and CSV.

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <thread>

#include "Fixtures.hpp"

using namespace vigil::testing;
using nlohmann::json;

namespace {

constexpr long long kDayMs = 86400000;

// The agency's date (+08:00) `days` from today.
std::string dateIn(int days) {
    return isoAt(nowMs() + days * kDayMs).substr(0, 10);
}

JsonResult send(int port, const std::string& method, const std::string& path, const json& body,
                const std::string& token) {
    HttpResult r = httpRequest(port, method, path, body.dump(), token);
    JsonResult out;
    out.status = r.status;
    out.raw = r.body;
    out.headers = r.headers;
    auto j = json::parse(r.body, nullptr, false);
    if (!j.is_discarded()) out.body = j;
    return out;
}

class ProgrammeApiTest : public DemoOrgTest {
protected:
    // Each test sets the terms and levels it needs (the demo seed gives none).
    void SetUp() override {
        DemoOrgTest::SetUp();
        wang = login(port(), "officer.wang", kDemoPassword);
        li = login(port(), "officer.li", kDemoPassword);
        s01 = login(port(), "subject01", kDemoPassword);
        ASSERT_FALSE(wang.empty() || li.empty() || s01.empty());
    }

    // A term from `startDays` (relative to today) for a year, at `level` from its start.
    void setTerm(const std::string& token, const std::string& subject, int startDays,
                 const std::string& level = "") {
        auto r = send(port(), "PUT", "/api/subjects/" + subject + "/supervision",
                      json{{"term_start", dateIn(startDays)},
                           {"term_end", dateIn(365)},
                           {"decision", "(2026)浙0106刑初1号"}},
                      token);
        ASSERT_EQ(r.status, 200) << r.raw;
        if (!level.empty()) setLevel(token, subject, level, dateIn(startDays));
    }

    void setLevel(const std::string& token, const std::string& subject, const std::string& level,
                  const std::string& from) {
        auto r = send(port(), "POST", "/api/subjects/" + subject + "/level",
                      json{{"level", level}, {"from", from}, {"reason", "评估调整"}}, token);
        ASSERT_EQ(r.status, 200) << r.raw;
    }

    bool audited(const std::string& actor, const std::string& action) const {
        for (const auto& e : redis.xrange("vigil:audit")) {
            if (e["actor"] == actor && e["action"] == action) return true;
        }
        return false;
    }

    // Alerts of `kind` for `subject` in the alert history (one entry per raise).
    int raised(const std::string& kind, const std::string& subject) const {
        int n = 0;
        for (const auto& e : redis.xrange("vigil:alerts")) {
            if (e["kind"] == kind && e["subject"] == subject) ++n;
        }
        return n;
    }

    // A new process on the same Redis: its first sweep runs within a few seconds.
    void restartServer() {
        server.reset();
        server = std::make_unique<VigilServer>(redis.url(), serverEnv());
    }

    bool waitFor(const std::function<bool()>& done, std::chrono::seconds timeout) const {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (done()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return done();
    }

    std::string wang, li, s01;
};

TEST_F(ProgrammeApiTest, OverdueListStartsWithTheLatestAndKeepsToTheOfficersUnits) {
    setTerm(wang, demo::kSubject01, -60, "strict");  // 3 days allowed: 57 days late
    setTerm(wang, demo::kSubject03, -30);            // ordinary, 10 days: 20 days late
    setTerm(wang, demo::kSubject02, -5);             // ordinary: due in 5 days
    setTerm(li, demo::kSubject04, -90, "strict");    // zj-hz-xh, above officer Wang's unit

    auto r = getJson(port(), "/api/supervision/overdue", wang);
    ASSERT_EQ(r.status, 200) << r.raw;
    const json& list = r.body["subjects"];
    std::vector<std::string> order;
    for (const auto& s : list) order.push_back(s["subject"]);
    EXPECT_EQ(order,
              (std::vector<std::string>{demo::kSubject01, demo::kSubject03, demo::kSubject02}))
        << r.raw;
    ASSERT_EQ(list.size(), 3U);
    EXPECT_EQ(list[0]["level"], "strict");
    EXPECT_EQ(list[0]["days_late"], 57);
    EXPECT_EQ(list[0]["overdue"], true);
    EXPECT_EQ(list[0]["due_by"], dateIn(-57));
    EXPECT_TRUE(list[0]["last_contact"].is_null());
    EXPECT_EQ(list[0]["name"], "张伟");
    EXPECT_EQ(list[0]["next_checkin"]["first"], dateIn(0)) << "strict: a check-in every day";
    EXPECT_EQ(list[1]["days_late"], 20);
    EXPECT_EQ(list[2]["days_late"], -5);
    EXPECT_EQ(list[2]["overdue"], false);
    EXPECT_TRUE(audited(demo::kOfficerWang, "overdue_view"));

    // The county officer sees the subject of his own unit too, at the top.
    auto county = getJson(port(), "/api/supervision/overdue", li);
    ASSERT_EQ(county.status, 200) << county.raw;
    ASSERT_FALSE(county.body["subjects"].empty());
    EXPECT_EQ(county.body["subjects"][0]["subject"], demo::kSubject04);
    EXPECT_EQ(county.body["subjects"].size(), 4U);

    EXPECT_EQ(getJson(port(), "/api/supervision/overdue?unit=zj-hz-xh", wang).status, 403);
    EXPECT_EQ(getJson(port(), "/api/supervision/overdue?unit=nowhere", wang).status, 404);
    EXPECT_EQ(getJson(port(), "/api/supervision/overdue", s01).status, 403);

    // The roll-up by unit: the county counts its township.
    auto units = getJson(port(), "/api/supervision/units", li);
    ASSERT_EQ(units.status, 200) << units.raw;
    json countyRow;
    json townshipRow;
    for (const auto& u : units.body["units"]) {
        if (u["unit"] == "zj-hz-xh") countyRow = u;
        if (u["unit"] == "zj-hz-xh-zt") townshipRow = u;
    }
    ASSERT_TRUE(countyRow.is_object() && townshipRow.is_object()) << units.raw;
    EXPECT_EQ(townshipRow["levels"]["strict"], 1);
    EXPECT_EQ(townshipRow["levels"]["ordinary"], 2);
    EXPECT_EQ(townshipRow["overdue"], 2);
    EXPECT_EQ(countyRow["levels"]["strict"], 2);
    EXPECT_EQ(countyRow["overdue"], 3);
}

TEST_F(ProgrammeApiTest, TheSweepRaisesAnOverdueAlertOnce) {
    setTerm(wang, demo::kSubject01, -60, "strict");
    restartServer();
    ASSERT_TRUE(
        waitFor([&] { return raised("overdue", demo::kSubject01) > 0; }, std::chrono::seconds(30)))
        << "no overdue alert";
    EXPECT_GT(raised("missed_call", demo::kSubject01), 0)
        << "a strict subject's weekly call periods passed without a call";
    EXPECT_EQ(raised("overdue", demo::kSubject02), 0) << "no term: nothing is due";
    const int missedCalls = raised("missed_call", demo::kSubject01);

    // Another process sweeps again: a new overdue subject is raised, the first one is not.
    setTerm(wang, demo::kSubject03, -30);
    restartServer();
    ASSERT_TRUE(
        waitFor([&] { return raised("overdue", demo::kSubject03) > 0; }, std::chrono::seconds(30)));
    EXPECT_EQ(raised("overdue", demo::kSubject01), 1);
    EXPECT_EQ(raised("missed_call", demo::kSubject01), missedCalls);
}

TEST_F(ProgrammeApiTest, MonthlyReportFollowsALevelChangeInTheMonthAndExportsCsv) {
    // Last month, whole: strict for its first 15 days, lenient after.
    const std::string today = dateIn(0);
    int year = std::stoi(today.substr(0, 4));
    int month = std::stoi(today.substr(5, 2)) - 1;
    if (month == 0) {
        month = 12;
        --year;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d", year, month);
    const std::string m = buf;
    const long long first = at(year, month, 1, 0, 0);
    const long long next = month == 12 ? at(year + 1, 1, 1, 0, 0) : at(year, month + 1, 1, 0, 0);
    const int days = static_cast<int>((next - first) / kDayMs);

    setTerm(wang, demo::kSubject02, -120);
    setLevel(wang, demo::kSubject02, "strict", m + "-01");
    setLevel(wang, demo::kSubject02, "lenient", m + "-16");
    setTerm(wang, demo::kSubject03, -120);

    auto r = getJson(port(), "/api/reports/programme?month=" + m, wang);
    ASSERT_EQ(r.status, 200) << r.raw;
    json line, plain;
    for (const auto& s : r.body["subjects"]) {
        if (s["subject"] == demo::kSubject02) line = s;
        if (s["subject"] == demo::kSubject03) plain = s;
    }
    ASSERT_TRUE(line.is_object() && plain.is_object()) << r.raw;
    const double expected = std::round((12.0 * 15 + 4.0 * (days - 15)) / days * 100) / 100;
    EXPECT_NEAR(line["required_hours"].get<double>(), expected, 0.005) << line.dump();
    EXPECT_NEAR(plain["required_hours"].get<double>(), 8.0, 0.005) << plain.dump();
    EXPECT_EQ(line["status"], "active");
    EXPECT_EQ(line["level"], "lenient");
    ASSERT_EQ(line["levels"].size(), 2U) << line.dump();
    EXPECT_EQ(line["levels"][0]["level"], "strict");
    EXPECT_EQ(line["levels"][0]["to"], m + "-15");
    EXPECT_EQ(line["levels"][1]["from"], m + "-16");
    EXPECT_GE(line["checkins_due"].get<int>(), 15) << "a check-in a day while strict";
    EXPECT_EQ(line["compliant"], false) << "no class hours, no check-ins, no calls";
    EXPECT_EQ(r.body["subjects"].size(), 3U)
        << "every subject of the township, with or without a term";
    bool sawTownship = false;
    for (const auto& u : r.body["units"]) {
        if (u["unit"] != "zj-hz-xh-zt") continue;
        sawTownship = true;
        EXPECT_EQ(u["levels"]["lenient"]["subjects"], 1);
        EXPECT_EQ(u["levels"]["ordinary"]["subjects"], 1);
        EXPECT_EQ(u["levels"]["ordinary"]["compliant"], 0);
    }
    EXPECT_TRUE(sawTownship) << r.raw;
    EXPECT_TRUE(audited(demo::kOfficerWang, "programme_report"));

    auto csv = httpRequest(
        port(), "GET", "/api/reports/programme?format=csv&headers=machine&month=" + m, "", wang);
    ASSERT_EQ(csv.status, 200) << csv.body;
    EXPECT_EQ(csv.body.rfind("\xEF\xBB\xBF"
                             "unit_id,unit,subject_id,username,subject,month,status,levels,"
                             "required_hours,credited_hours,checkins_due,checkins_verified,"
                             "checkins_missed,calls_due,calls_made,compliant\r\n",
                             0),
              0U)
        << csv.body;
    char hours[32];
    std::snprintf(hours, sizeof hours, "%.2f", expected);
    EXPECT_NE(csv.body.find("zj-hz-xh-zt,转塘街道司法所,u5,subject02,王芳," + m +
                            ",active,strict;lenient," + hours + ",0.00,"),
              std::string::npos)
        << csv.body;
    EXPECT_TRUE(audited(demo::kOfficerWang, "programme_export"));
    auto zh = httpRequest(port(), "GET", "/api/reports/programme?format=csv&month=" + m, "", wang);
    EXPECT_NE(zh.body.find("严管;宽管"), std::string::npos) << zh.body;

    EXPECT_EQ(getJson(port(), "/api/reports/programme?month=2026-13", wang).status, 400);
    EXPECT_EQ(getJson(port(), "/api/reports/programme?format=xml", wang).status, 400);
    EXPECT_EQ(getJson(port(), "/api/reports/programme?unit=zj", wang).status, 403);
}

}  // namespace
