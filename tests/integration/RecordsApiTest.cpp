// The records API over HTTP: who may read which attendance, monthly hours, the CSV export
// and the audit trail of those reads. Past classes are scheduled with the admin CLI and their
// attendance streams written in the store's event format, so every figure is known exactly.

#include <gtest/gtest.h>

#include <ctime>
#include <set>
#include <sstream>

#include "Fixtures.hpp"

using namespace vigil::testing;
using nlohmann::json;

namespace {

class RecordsApiTest : public DemoOrgTest {
protected:
    void SetUp() override {
        DemoOrgTest::SetUp();
        // March 2025, far from the demo classes.
        classA = addClass(redis, "法治教育, 第1课", "zj-hz-xh-zt", demo::kOfficerWang,
                          at(2025, 3, 12, 9, 0), at(2025, 3, 12, 10, 0), "zj-hz-xh-zt");
        classB = addClass(redis, "心理辅导（选修）", "zj-hz-xh-zt", demo::kOfficerWang,
                          at(2025, 3, 19, 14, 0), at(2025, 3, 19, 15, 0), "", /*optional=*/true);
        vigilOk(redis, {"enrol", "--class", classB, "--subject", demo::kSubject01});
        classC = addClass(redis, "区级大课", "zj-hz-xh", demo::kOfficerLi, at(2025, 3, 20, 9, 0),
                          at(2025, 3, 20, 10, 0), "zj-hz-xh");

        // subject01: 45 min of A, 30 of B (optional), 30 of C.
        interval(classA, demo::kSubject01, "fx#1", at(2025, 3, 12, 9, 5), at(2025, 3, 12, 9, 50),
                 "leave");
        interval(classB, demo::kSubject01, "fx#2", at(2025, 3, 19, 14, 0), at(2025, 3, 19, 14, 30),
                 "leave");
        interval(classC, demo::kSubject01, "fx#3", at(2025, 3, 20, 9, 0), at(2025, 3, 20, 9, 30),
                 "leave");
        // subject02: in A early, dropped out, came back and stayed past the end:
        // 65 min connected, 50 within the class, one reconnect.
        interval(classA, demo::kSubject02, "fx#4", at(2025, 3, 12, 8, 55), at(2025, 3, 12, 9, 10),
                 "disconnect");
        interval(classA, demo::kSubject02, "fx#5", at(2025, 3, 12, 9, 20), at(2025, 3, 12, 10, 10),
                 "class_ended");
        // subject04: all of C. subject03 attended nothing.
        interval(classC, demo::kSubject04, "fx#6", at(2025, 3, 20, 9, 0), at(2025, 3, 20, 10, 0),
                 "leave");

        wang = login(port(), "officer.wang", kDemoPassword);
        li = login(port(), "officer.li", kDemoPassword);
        admin = login(port(), "admin", kDemoPassword);
        s01 = login(port(), "subject01", kDemoPassword);
        s04 = login(port(), "subject04", kDemoPassword);
        ASSERT_FALSE(wang.empty() || li.empty() || admin.empty() || s01.empty() || s04.empty());
    }

    void interval(const std::string& cls, const std::string& subject, const std::string& conn,
                  long long join, long long leave, const std::string& reason) {
        addInterval(redis, cls, subject, conn, join, leave, reason);
    }

    // A presence sample or a spot check's result, as the class hub writes them.
    void sample(const std::string& cls, const std::string& subject, long long ts,
                const std::string& outcome) {
        redis.cli({"XADD", "vigil:att:" + cls, "*", "kind", "presence", "subject", subject, "ts",
                   std::to_string(ts), "outcome", outcome, "node", "fixture:1"});
    }
    void spotCheck(const std::string& cls, const std::string& subject, long long ts,
                   const std::string& check, const std::string& result) {
        const std::string key = "vigil:att:" + cls;
        redis.cli({"XADD", key, "*", "kind", "spot_check", "subject", subject, "ts",
                   std::to_string(ts), "check", check, "node", "fixture:1"});
        redis.cli({"XADD", key, "*", "kind", "spot_check_result", "subject", subject, "ts",
                   std::to_string(ts + 20000), "reason", result, "check", check, "node",
                   "fixture:1"});
    }

    // subject01 in class A (connected 9:05-9:50): two samples in each of 9:10 (verified),
    // 9:11 (unenrolled), 9:12 (not_matched and unenrolled), and four spot checks.
    void presenceInClassA() {
        const std::vector<std::pair<int, std::vector<std::string>>> minutes{
            {10, {"verified", "verified"}},
            {11, {"unenrolled", "unenrolled"}},
            {12, {"not_matched", "unenrolled"}}};
        for (const auto& [minute, outcomes] : minutes) {
            long long ts = at(2025, 3, 12, 9, minute) + 10000;
            for (const auto& outcome : outcomes) {
                sample(classA, demo::kSubject01, ts, outcome);
                ts += 30000;
            }
        }
        spotCheck(classA, demo::kSubject01, at(2025, 3, 12, 9, 20), "k1", "passed");
        spotCheck(classA, demo::kSubject01, at(2025, 3, 12, 9, 25), "k2", "failed");
        spotCheck(classA, demo::kSubject01, at(2025, 3, 12, 9, 30), "k3", "answered");
        spotCheck(classA, demo::kSubject01, at(2025, 3, 12, 9, 35), "k4", "missed");
    }

    static json row(const json& body, const std::string& subject) {
        for (const auto& r : body["attendance"]) {
            if (r.value("subject", "") == subject) return r;
        }
        return json();
    }

    static std::set<std::string> classIds(const json& body) {
        std::set<std::string> ids;
        for (const auto& c : body["classes"]) ids.insert(c.value("id", ""));
        return ids;
    }

    std::string classA, classB, classC;
    std::string wang, li, admin, s01, s04;
};

std::vector<std::string> csvLines(const std::string& body) {
    std::vector<std::string> lines;
    size_t pos = 0;
    while (pos < body.size()) {
        size_t eol = body.find("\r\n", pos);
        if (eol == std::string::npos) {
            lines.push_back(body.substr(pos));
            break;
        }
        lines.push_back(body.substr(pos, eol - pos));
        pos = eol + 2;
    }
    return lines;
}

// The same organisation on a stack that credits verified minutes, with [presence]
// credit_unenrolled set one way or the other.
template <bool kCreditUnenrolled>
class VerifiedCreditTest : public RecordsApiTest {
protected:
    std::map<std::string, std::string> serverEnv() const override {
        return {{"VIGIL_PRESENCE_CREDIT_POLICY", "verified"},
                {"VIGIL_PRESENCE_CREDIT_UNENROLLED", kCreditUnenrolled ? "true" : "false"}};
    }
};
using UnenrolledCreditedTest = VerifiedCreditTest<true>;
using UnenrolledNotCreditedTest = VerifiedCreditTest<false>;

bool hasAudit(const json& entries, const std::string& actor, const std::string& action,
              const std::string& target) {
    for (const auto& e : entries) {
        const auto& f = e["fields"];
        if (f.value("actor", "") == actor && f.value("action", "") == action &&
            (target.empty() || f.value("target", "") == target)) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_F(RecordsApiTest, ClassAttendanceIsScopedByRole) {
    // The class's own officer: every enrolled subject, with figures from the records.
    auto r = getJson(port(), "/api/classes/" + classA + "/attendance", wang);
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body["attendance"].size(), 3u) << r.raw;
    json a01 = row(r.body, demo::kSubject01);
    EXPECT_EQ(a01["name"], "张伟");
    EXPECT_EQ(a01["minutes_connected"], 45);
    EXPECT_EQ(a01["minutes_credited"], 45);
    ASSERT_EQ(a01["intervals"].size(), 1u);
    EXPECT_EQ(a01["intervals"][0]["join"], "2025-03-12T09:05:00+08:00");
    EXPECT_EQ(a01["intervals"][0]["leave"], "2025-03-12T09:50:00+08:00");
    json a02 = row(r.body, demo::kSubject02);
    EXPECT_EQ(a02["minutes_connected"], 65);
    EXPECT_EQ(a02["minutes_credited"], 50);
    EXPECT_EQ(a02["reconnects"], 1);
    ASSERT_EQ(a02["intervals"].size(), 2u);
    EXPECT_EQ(a02["intervals"][0]["reason"], "disconnect");
    json a03 = row(r.body, demo::kSubject03);
    EXPECT_EQ(a03["minutes_connected"], 0);
    EXPECT_TRUE(a03["intervals"].empty());

    // An officer above the unit sees it too; one below the class's unit does not.
    EXPECT_EQ(getJson(port(), "/api/classes/" + classA + "/attendance", li).status, 200);
    auto outside = getJson(port(), "/api/classes/" + classC + "/attendance", wang);
    EXPECT_EQ(outside.status, 403) << outside.raw;
    EXPECT_EQ(outside.body["error"]["code"], "forbidden");
    EXPECT_EQ(getJson(port(), "/api/classes/" + classC, wang).status, 403);
    EXPECT_EQ(getJson(port(), "/api/classes/c999/attendance", wang).status, 404) << "no such class";
    auto liC = getJson(port(), "/api/classes/" + classC + "/attendance", li);
    ASSERT_EQ(liC.status, 200);
    EXPECT_EQ(liC.body["attendance"].size(), 5u) << "C enrols every subject of zj-hz-xh and below";
    EXPECT_EQ(row(liC.body, demo::kSubject04)["minutes_credited"], 60);

    // A subject sees only their own row, and only of classes they are enrolled in.
    auto own = getJson(port(), "/api/classes/" + classA + "/attendance", s01);
    ASSERT_EQ(own.status, 200) << own.raw;
    ASSERT_EQ(own.body["attendance"].size(), 1u) << own.raw;
    EXPECT_EQ(own.body["attendance"][0]["subject"], demo::kSubject01);
    EXPECT_EQ(getJson(port(), "/api/classes/" + classA + "/attendance", s04).status, 403);
    auto detail = getJson(port(), "/api/classes/" + classA, s01);
    ASSERT_EQ(detail.status, 200);
    EXPECT_FALSE(detail.body.contains("enrolled"))
        << "a subject was shown the class list of subjects";
    auto staffDetail = getJson(port(), "/api/classes/" + classA, wang);
    ASSERT_EQ(staffDetail.status, 200);
    EXPECT_EQ(staffDetail.body["enrolled"].size(), 3u);

    // Class lists follow the same scope.
    const std::string march = "?from=2025-03-01&to=2025-03-31";
    EXPECT_EQ(classIds(getJson(port(), "/api/classes" + march, wang).body),
              (std::set<std::string>{classA, classB}));
    EXPECT_EQ(classIds(getJson(port(), "/api/classes" + march, li).body),
              (std::set<std::string>{classA, classB, classC}));
    EXPECT_EQ(classIds(getJson(port(), "/api/classes" + march, s04).body),
              (std::set<std::string>{classC}));
    EXPECT_EQ(classIds(getJson(port(), "/api/classes" + march, s01).body),
              (std::set<std::string>{classA, classB, classC}));
    EXPECT_EQ(getJson(port(), "/api/classes/" + classA + "/attendance", "").status, 401);
}

TEST_F(RecordsApiTest, SubjectRecordsAndMonthlyHours) {
    const std::string march = "from=2025-03-01&to=2025-03-31";
    auto mine = getJson(port(), "/api/subjects/" + demo::kSubject01 + "/attendance?" + march, s01);
    ASSERT_EQ(mine.status, 200) << mine.raw;
    EXPECT_EQ(mine.body["attendance"].size(), 3u) << mine.raw;

    auto hours = getJson(port(), "/api/subjects/" + demo::kSubject01 + "/hours?month=2025-03", s01);
    ASSERT_EQ(hours.status, 200) << hours.raw;
    EXPECT_EQ(hours.body["month"], "2025-03");
    EXPECT_DOUBLE_EQ(hours.body["credited_hours"].get<double>(), 1.75);  // 45 + 30 + 30 min
    EXPECT_DOUBLE_EQ(hours.body["required_credited_hours"].get<double>(), 1.25);  // B is optional
    EXPECT_EQ(hours.body["sessions"], 3);
    EXPECT_EQ(hours.body["required_sessions"], 2);
    EXPECT_EQ(hours.body["missed_required_sessions"], 0);
    EXPECT_EQ(hours.body["met"], false);
    EXPECT_DOUBLE_EQ(hours.body["required_hours"].get<double>(), 8.0);

    auto h02 = getJson(port(), "/api/subjects/" + demo::kSubject02 + "/hours?month=2025-03", wang);
    ASSERT_EQ(h02.status, 200) << h02.raw;
    EXPECT_DOUBLE_EQ(h02.body["credited_hours"].get<double>(),
                     0.83);                              // 50 min, in hundredths rounded down
    EXPECT_EQ(h02.body["missed_required_sessions"], 1);  // C
    auto h03 = getJson(port(), "/api/subjects/" + demo::kSubject03 + "/hours?month=2025-03", admin);
    ASSERT_EQ(h03.status, 200) << h03.raw;
    EXPECT_DOUBLE_EQ(h03.body["credited_hours"].get<double>(), 0.0);
    EXPECT_EQ(h03.body["missed_required_sessions"], 2);
    auto h01april =
        getJson(port(), "/api/subjects/" + demo::kSubject01 + "/hours?month=2025-04", s01);
    ASSERT_EQ(h01april.status, 200);
    EXPECT_DOUBLE_EQ(h01april.body["credited_hours"].get<double>(), 0.0);
    EXPECT_EQ(
        getJson(port(), "/api/subjects/" + demo::kSubject01 + "/hours?month=March", s01).status,
        400);

    // Another subject's data: 403 for a subject.
    for (const std::string& path : {"/attendance?" + march, std::string("/hours?month=2025-03")}) {
        auto theirs = getJson(port(), "/api/subjects/" + demo::kSubject02 + path, s01);
        EXPECT_EQ(theirs.status, 403) << path << ": " << theirs.raw;
        EXPECT_EQ(theirs.body["error"]["code"], "forbidden");
        EXPECT_EQ(theirs.raw.find("王芳"), std::string::npos);
    }
    // Staff outside the subject's unit: refused like every refusal; an unknown id is not found.
    for (const std::string& path : {"/attendance?" + march, std::string("/hours?month=2025-03")}) {
        auto other = getJson(port(), "/api/subjects/" + demo::kSubject04 + path, wang);
        EXPECT_EQ(other.status, 403) << path << ": " << other.raw;
        EXPECT_EQ(other.body["error"]["code"], "forbidden");
        EXPECT_EQ(other.raw.find("陈静"), std::string::npos);
    }
    EXPECT_EQ(getJson(port(), "/api/subjects/u999/attendance", wang).status, 404);
    // Staff above it, and the administrator, may read it.
    auto byLi = getJson(port(), "/api/subjects/" + demo::kSubject04 + "/hours?month=2025-03", li);
    ASSERT_EQ(byLi.status, 200) << byLi.raw;
    EXPECT_DOUBLE_EQ(byLi.body["credited_hours"].get<double>(), 1.0);
    EXPECT_EQ(
        getJson(port(), "/api/subjects/" + demo::kSubject04 + "/attendance?" + march, admin).status,
        200);
}

const std::string kMachineHeader =
    "unit_id,unit,class_id,class,class_start,class_end,required,subject_id,username,subject,"
    "first_join,last_leave,minutes_connected,minutes_credited,reconnects,minutes_verified,"
    "minutes_unenrolled,samples,samples_not_matched,samples_unenrolled,spot_checks,"
    "spot_checks_passed,spot_checks_failed,spot_checks_missed";
// The presence columns of a row without samples or spot checks.
const std::string kNoPresence = ",0,0,0,0,0,0,0,0,0";

TEST_F(RecordsApiTest, CsvExport) {
    const std::string march =
        "/api/reports/attendance.csv?unit=zj-hz-xh-zt&from=2025-03-01&to=2025-03-31";
    auto r = httpRequest(port(), "GET", march + "&headers=machine", "", wang);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.headers["content-type"].find("text/csv"), std::string::npos)
        << r.headers["content-type"];
    ASSERT_EQ(r.body.rfind("\xEF\xBB\xBF", 0), 0u) << "no UTF-8 byte order mark";
    auto lines = csvLines(r.body.substr(3));
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0], kMachineHeader);
    // A, B are in the unit; C (a unit above) is not. Subjects 01-03 in A, only 01 in B.
    ASSERT_EQ(lines.size(), 5u) << r.body;
    const std::string a = "zj-hz-xh-zt,转塘街道司法所," + classA +
                          ",\"法治教育, 第1课\",2025-03-12T09:00:00+08:00,"
                          "2025-03-12T10:00:00+08:00,yes,";
    EXPECT_EQ(lines[1], a +
                            "u4,subject01,张伟,2025-03-12T09:05:00+08:00,2025-03-12T09:50:00+08:00,"
                            "45,45,0" +
                            kNoPresence);
    EXPECT_EQ(lines[2], a +
                            "u5,subject02,王芳,2025-03-12T08:55:00+08:00,2025-03-12T10:10:00+08:00,"
                            "65,50,1" +
                            kNoPresence);
    EXPECT_EQ(lines[3], a + "u6,subject03,刘洋,,,0,0,0" + kNoPresence);
    EXPECT_EQ(lines[4],
              "zj-hz-xh-zt,转塘街道司法所," + classB +
                  ",心理辅导（选修）,2025-03-19T14:00:00+08:00,2025-03-19T15:00:00+08:00,no,"
                  "u4,subject01,张伟,2025-03-19T14:00:00+08:00,2025-03-19T14:30:00+08:00,30,30,0" +
                  kNoPresence);

    // By default the headers are in Chinese, the user's language, as are yes and no; the
    // page passes its language as `lang`.
    auto zh = httpRequest(port(), "GET", march, "", wang);
    ASSERT_EQ(zh.status, 200) << zh.body;
    ASSERT_EQ(zh.body.rfind("\xEF\xBB\xBF", 0), 0u) << "no UTF-8 byte order mark";
    auto zhLines = csvLines(zh.body.substr(3));
    ASSERT_EQ(zhLines.size(), 5u) << zh.body;
    EXPECT_EQ(zhLines[0],
              "机构编号,机构,课程编号,课程,课程开始,课程结束,必修,矫正对象编号,用户名,矫正对象,"
              "首次进入,最后离开,在线（分钟）,计入学时（分钟）,重连次数,核验通过（分钟）,"
              "未录底片在场（分钟）,在场采样次数,人脸不符次数,未录底片采样次数,抽查次数,抽查通过,"
              "抽查未通过,抽查未回应");
    EXPECT_NE(zhLines[1].find(",2025-03-12T10:00:00+08:00,是,u4,"), std::string::npos)
        << zhLines[1];
    EXPECT_NE(zhLines[4].find(",否,u4,"), std::string::npos) << zhLines[4];
    auto zhNamed = httpRequest(port(), "GET", march + "&lang=zh-CN", "", wang);
    EXPECT_EQ(zhNamed.body, zh.body);
    auto en = httpRequest(port(), "GET", march + "&lang=en", "", wang);
    ASSERT_EQ(en.status, 200) << en.body;
    EXPECT_EQ(csvLines(en.body.substr(3))[0].rfind("Unit ID,Unit,Class ID,Class,", 0), 0u)
        << en.body;
    // Machine names win over the language.
    auto enMachine = httpRequest(port(), "GET", march + "&lang=en&headers=machine", "", wang);
    EXPECT_EQ(csvLines(enMachine.body.substr(3))[0], kMachineHeader);
    for (const char* bad : {"&lang=fr", "&headers=MACHINE", "&lang=en&headers=x"}) {
        auto refused = getJson(port(), march + bad, wang);
        EXPECT_EQ(refused.status, 400) << bad << ": " << refused.raw;
        EXPECT_EQ(refused.body["error"]["code"], "bad_request") << bad;
    }

    // Scope: a unit above the officer's, an unknown unit, a subject.
    auto above = getJson(
        port(), "/api/reports/attendance.csv?unit=zj-hz-xh&from=2025-03-01&to=2025-03-31", wang);
    EXPECT_EQ(above.status, 403) << above.raw;
    EXPECT_EQ(getJson(port(), "/api/reports/attendance.csv?unit=nowhere", wang).status, 404);
    EXPECT_EQ(getJson(port(), "/api/reports/attendance.csv?unit=zj-hz-xh-zt", s01).status, 403);
    auto liCsv = httpRequest(
        port(), "GET", "/api/reports/attendance.csv?unit=zj-hz-xh&from=2025-03-01&to=2025-03-31",
        "", li);
    ASSERT_EQ(liCsv.status, 200);
    EXPECT_EQ(csvLines(liCsv.body.substr(3)).size(), 1u + 4u + 5u) << "A, B and C's rows";
    EXPECT_EQ(
        getJson(port(), "/api/reports/attendance.csv?from=2025-03-31&to=2025-03-01", wang).status,
        400);

    // A name typed as a spreadsheet formula is exported as text.
    vigilOk(redis,
            {"user", "add", "--username", "subject.eq", "--name", "=HYPERLINK(\"http://x\",\"y\")",
             "--unit", "zj-hz-xh-zt", "--password", "Formula#2026"});
    auto again = httpRequest(port(), "GET",
                             "/api/reports/attendance.csv?from=2025-03-01&to=2025-03-31", "", wang);
    ASSERT_EQ(again.status, 200);
    EXPECT_NE(again.body.find(",subject.eq,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",,,0,0,0" +
                              kNoPresence + "\r\n"),
              std::string::npos)
        << again.body;
}

TEST_F(RecordsApiTest, CsvPresenceColumns) {
    presenceInClassA();
    auto r = httpRequest(port(), "GET",
                         "/api/reports/attendance.csv?unit=zj-hz-xh-zt&from=2025-03-01&to=2025-03-"
                         "31&headers=machine",
                         "", wang);
    ASSERT_EQ(r.status, 200) << r.body;
    auto lines = csvLines(r.body.substr(3));
    ASSERT_EQ(lines.size(), 5u) << r.body;
    // This stack credits connected time; the verified figures are reported all the same:
    // 9:10 verified on its own, 9:11 and 9:12 only with the unenrolled samples; one mismatch
    // (the not_matched sample, never an unenrolled one); passed counts the answered check.
    const std::string tail = "2025-03-12T09:05:00+08:00,2025-03-12T09:50:00+08:00,45,45,0,";
    EXPECT_NE(lines[1].find(",u4,subject01,张伟," + tail + "1,2,6,1,3,4,2,1,1"), std::string::npos)
        << lines[1];
    EXPECT_NE(lines[2].find(",u5,subject02,"), std::string::npos);
    EXPECT_EQ(lines[2].substr(lines[2].size() - kNoPresence.size()), kNoPresence) << lines[2];

    // The same figures in the class's attendance.
    auto att = getJson(port(), "/api/classes/" + classA + "/attendance", wang);
    ASSERT_EQ(att.status, 200) << att.raw;
    json a01 = row(att.body, demo::kSubject01);
    EXPECT_EQ(a01["minutes_verified"], 1) << a01.dump();
    EXPECT_EQ(a01["minutes_unenrolled"], 2);
    EXPECT_EQ(a01["samples_not_matched"], 1);
    EXPECT_EQ(a01["samples_unenrolled"], 3);
    EXPECT_EQ(a01["spot_checks_passed"], 1);
    EXPECT_EQ(a01["spot_checks_answered"], 1);
    EXPECT_EQ(a01["spot_checks_failed"], 1);
    EXPECT_EQ(a01["spot_checks_missed"], 1);
}

TEST_F(RecordsApiTest, ReadsAndExportsAreAudited) {
    EXPECT_TRUE(login(port(), "officer.wang", "wrong password").empty());
    ASSERT_EQ(getJson(port(), "/api/classes/" + classA + "/attendance", wang).status, 200);
    ASSERT_EQ(
        getJson(port(), "/api/subjects/" + demo::kSubject01 + "/hours?month=2025-03", s01).status,
        200);
    ASSERT_EQ(getJson(port(), "/api/subjects/" + demo::kSubject02 + "/attendance", wang).status,
              200);
    ASSERT_EQ(httpRequest(port(), "GET",
                          "/api/reports/attendance.csv?from=2025-03-01&to=2025-03-31", "", wang)
                  .status,
              200);

    // Refused reads are not audited as reads.
    ASSERT_EQ(getJson(port(), "/api/subjects/" + demo::kSubject02 + "/attendance", s01).status,
              403);
    ASSERT_EQ(getJson(port(), "/api/classes/" + classC + "/attendance", wang).status, 403);

    auto audit = getJson(port(), "/api/audit?limit=1000", admin);
    ASSERT_EQ(audit.status, 200) << audit.raw;
    const json& entries = audit.body["entries"];
    EXPECT_FALSE(hasAudit(entries, demo::kSubject01, "view_attendance", demo::kSubject02));
    EXPECT_FALSE(hasAudit(entries, demo::kOfficerWang, "view_attendance", classC));
    EXPECT_TRUE(hasAudit(entries, demo::kOfficerWang, "login", demo::kOfficerWang));
    EXPECT_TRUE(hasAudit(entries, demo::kOfficerWang, "login_failed", demo::kOfficerWang));
    EXPECT_TRUE(hasAudit(entries, demo::kOfficerWang, "view_attendance", classA));
    EXPECT_TRUE(hasAudit(entries, demo::kOfficerWang, "view_attendance", demo::kSubject02));
    EXPECT_TRUE(hasAudit(entries, demo::kSubject01, "view_hours", demo::kSubject01));
    EXPECT_TRUE(hasAudit(entries, demo::kOfficerWang, "export_attendance", "zj-hz-xh-zt"));
    for (const auto& e : entries) {
        EXPECT_EQ(e["hash"].get<std::string>().size(), 64u) << e.dump();
    }

    // Only administrators read or verify the audit log.
    EXPECT_EQ(getJson(port(), "/api/audit", wang).status, 403);
    EXPECT_EQ(getJson(port(), "/api/audit", s01).status, 403);
    EXPECT_EQ(getJson(port(), "/api/audit/verify", wang).status, 403);
    auto verify = getJson(port(), "/api/audit/verify", admin);
    ASSERT_EQ(verify.status, 200) << verify.raw;
    EXPECT_EQ(verify.body["intact"], true) << verify.raw;
    // Reading the log is itself audited.
    auto again = getJson(port(), "/api/audit?limit=1000", admin);
    EXPECT_TRUE(hasAudit(again.body["entries"], demo::kAdmin, "view_audit", ""));
}

TEST_F(UnenrolledCreditedTest, UnenrolledMinutesAreCreditedByDefault) {
    presenceInClassA();
    auto att = getJson(port(), "/api/classes/" + classA + "/attendance", wang);
    ASSERT_EQ(att.status, 200) << att.raw;
    json a01 = row(att.body, demo::kSubject01);
    // 9:10 verified, 9:11 and 9:12 seen without a reference to check against.
    EXPECT_EQ(a01["minutes_credited"], 3) << a01.dump();
    EXPECT_EQ(a01["minutes_verified"], 1);
    EXPECT_EQ(a01["minutes_unenrolled"], 2);
    EXPECT_EQ(a01["minutes_connected"], 45);
}

TEST_F(UnenrolledNotCreditedTest, UnenrolledMinutesAreNotCreditedWhenConfigured) {
    presenceInClassA();
    auto att = getJson(port(), "/api/classes/" + classA + "/attendance", wang);
    ASSERT_EQ(att.status, 200) << att.raw;
    json a01 = row(att.body, demo::kSubject01);
    EXPECT_EQ(a01["minutes_credited"], 1) << a01.dump();
    EXPECT_EQ(a01["minutes_verified"], 1);
    EXPECT_EQ(a01["minutes_unenrolled"], 2);
    auto csv = httpRequest(
        port(), "GET", "/api/reports/attendance.csv?from=2025-03-01&to=2025-03-31&headers=machine",
        "", wang);
    ASSERT_EQ(csv.status, 200) << csv.body;
    EXPECT_NE(
        csv.body.find(",u4,subject01,张伟,2025-03-12T09:05:00+08:00,2025-03-12T09:50:00+08:00,"
                      "45,1,0,1,2,6,1,3,4,2,1,1\r\n"),
        std::string::npos)
        << csv.body;
}

namespace {
// An audit entry id "<ms>-<seq>" as numbers, to check the order.
std::pair<long long, long long> idKey(const json& entry) {
    const std::string id = entry.value("id", "");
    const size_t dash = id.find('-');
    return {std::stoll(id.substr(0, dash)), std::stoll(id.substr(dash + 1))};
}

std::vector<std::string> idsOf(const json& entries) {
    std::vector<std::string> ids;
    for (const auto& e : entries) ids.push_back(e.value("id", ""));
    return ids;
}
}  // namespace

TEST_F(RecordsApiTest, AuditLogIsNewestFirstWithFilters) {
    ASSERT_EQ(getJson(port(), "/api/classes/" + classA + "/attendance", wang).status, 200);
    ASSERT_EQ(getJson(port(), "/api/classes/" + classC + "/attendance", li).status, 200);
    ASSERT_EQ(getJson(port(), "/api/classes/" + classA + "/attendance", wang).status, 200);
    ASSERT_EQ(
        getJson(port(), "/api/subjects/" + demo::kSubject01 + "/hours?month=2025-03", s01).status,
        200);

    auto all = getJson(port(), "/api/audit?order=newest&limit=1000", admin);
    ASSERT_EQ(all.status, 200) << all.raw;
    const json& entries = all.body["entries"];
    ASSERT_GE(entries.size(), 10u) << all.raw;
    EXPECT_EQ(all.body["order"], "newest");
    EXPECT_TRUE(all.body["next"].is_null()) << "the whole log fits in one page";
    for (size_t i = 1; i < entries.size(); ++i) {
        EXPECT_GT(idKey(entries[i - 1]), idKey(entries[i])) << "not newest first at " << i;
    }
    // The newest is the last read of the hours; the oldest is the seeding of the demo.
    EXPECT_EQ(entries.front()["fields"]["action"], "view_hours");
    EXPECT_EQ(entries.back()["fields"]["action"], "demo_seeded");

    // Who: one actor's entries only.
    auto byWang = getJson(port(), "/api/audit?order=newest&actor=" + demo::kOfficerWang, admin);
    ASSERT_EQ(byWang.status, 200) << byWang.raw;
    ASSERT_GE(byWang.body["entries"].size(), 3u) << byWang.raw;  // A login, two views.
    for (const auto& e : byWang.body["entries"]) {
        EXPECT_EQ(e["fields"]["actor"], demo::kOfficerWang) << e.dump();
    }
    // What: one action, or several separated by commas.
    auto views = getJson(port(), "/api/audit?action=view_attendance", admin);
    ASSERT_EQ(views.status, 200) << views.raw;
    EXPECT_EQ(views.body["entries"].size(), 3u) << views.raw;
    auto logins = getJson(port(), "/api/audit?action=login,view_hours", admin);
    std::set<std::string> actions;
    for (const auto& e : logins.body["entries"]) actions.insert(e["fields"].value("action", ""));
    EXPECT_EQ(actions, (std::set<std::string>{"login", "view_hours"})) << logins.raw;
    // Whose record, and all three at once.
    auto onA = getJson(port(), "/api/audit?target=" + classA, admin);
    int viewsOfA = 0;
    for (const auto& e : onA.body["entries"]) {
        EXPECT_EQ(e["fields"]["target"], classA) << e.dump();
        if (e["fields"]["action"] == "view_attendance") ++viewsOfA;
    }
    EXPECT_EQ(viewsOfA, 2) << onA.raw;
    auto narrow = getJson(
        port(), "/api/audit?actor=" + demo::kOfficerLi + "&action=view_attendance&target=" + classC,
        admin);
    ASSERT_EQ(narrow.body["entries"].size(), 1u) << narrow.raw;
    EXPECT_EQ(narrow.body["entries"][0]["fields"]["actor"], demo::kOfficerLi);
    EXPECT_TRUE(getJson(port(), "/api/audit?actor=" + demo::kOfficerLi + "&target=" + classA, admin)
                    .body["entries"]
                    .empty());

    // Time range: from an entry's second onwards, and a range with nothing in it.
    const long long pivot = std::stoll(entries[entries.size() / 2]["fields"].value("ts", "0"));
    const long long second = pivot - pivot % 1000;
    std::vector<std::string> expected;
    for (const auto& e : entries) {
        if (std::stoll(e["fields"].value("ts", "0")) >= second) expected.push_back(e["id"]);
    }
    std::string fromIso = isoAt(second);
    fromIso.replace(fromIso.find('+'), 1, "%2B");
    auto since = getJson(port(), "/api/audit?order=newest&limit=1000&from=" + fromIso, admin);
    ASSERT_EQ(since.status, 200) << since.raw;
    auto sinceIds = idsOf(since.body["entries"]);
    // The read of the whole log above came after: drop it, it is the newest.
    ASSERT_FALSE(sinceIds.empty());
    ASSERT_EQ(since.body["entries"][0]["fields"]["action"], "view_audit");
    ASSERT_GE(sinceIds.size(), expected.size());
    sinceIds.erase(sinceIds.begin(),
                   sinceIds.begin() + static_cast<long>(sinceIds.size() - expected.size()));
    EXPECT_EQ(sinceIds, expected);
    EXPECT_TRUE(
        getJson(port(), "/api/audit?from=2025-03-01&to=2025-03-31", admin).body["entries"].empty());

    // Paging newest first: `next` goes on as `before` until it is null.
    std::vector<std::string> paged;
    std::string before;
    for (int guard = 0; guard < 20; ++guard) {
        auto page = getJson(port(),
                            "/api/audit?order=newest&limit=2&actor=" + demo::kOfficerWang +
                                (before.empty() ? "" : "&before=" + before),
                            admin);
        ASSERT_EQ(page.status, 200) << page.raw;
        EXPECT_LE(page.body["entries"].size(), 2u);
        for (const auto& id : idsOf(page.body["entries"])) paged.push_back(id);
        if (page.body["next"].is_null()) break;
        before = page.body["next"];
    }
    EXPECT_EQ(paged, idsOf(byWang.body["entries"]));
    // Oldest first, paged with `after`, is the same list the other way round; it stays the default
    // for scripts that replay the chain.
    auto oldest = getJson(port(), "/api/audit?actor=" + demo::kOfficerWang, admin);
    ASSERT_EQ(oldest.status, 200) << oldest.raw;
    EXPECT_EQ(oldest.body["order"], "oldest");
    auto reversed = idsOf(oldest.body["entries"]);
    std::reverse(reversed.begin(), reversed.end());
    EXPECT_EQ(reversed, paged);
    auto afterFirst = getJson(port(),
                              "/api/audit?actor=" + demo::kOfficerWang +
                                  "&after=" + oldest.body["entries"][0].value("id", ""),
                              admin);
    EXPECT_EQ(afterFirst.body["order"], "oldest");
    EXPECT_EQ(afterFirst.body["entries"].size(), oldest.body["entries"].size() - 1);

    // Each read records its filters.
    auto last = getJson(port(), "/api/audit?order=newest&limit=1&action=view_audit", admin);
    ASSERT_EQ(last.body["entries"].size(), 1u);
    EXPECT_EQ(json::parse(last.body["entries"][0]["fields"].value("detail", "")),
              (json{{"actor", demo::kOfficerWang}}))
        << last.raw;

    // Bad parameters are refused; scope is unchanged; the chain is still intact.
    for (const char* bad :
         {"before=abc", "after=1-0&before=2-0", "order=sideways", "order=newest&after=1-0",
          "order=oldest&before=9-0", "action=DROP%20TABLE", "from=yesterday",
          "from=2026-01-02&to=2026-01-01", "limit=x", "before=1-2-3"}) {
        auto r = getJson(port(), std::string("/api/audit?") + bad, admin);
        EXPECT_EQ(r.status, 400) << bad << ": " << r.raw;
        EXPECT_EQ(r.body["error"]["code"], "bad_request") << bad;
    }
    EXPECT_EQ(getJson(port(), "/api/audit?actor=" + demo::kOfficerWang, wang).status, 403);
    EXPECT_EQ(getJson(port(), "/api/audit/verify", admin).body["intact"], true);
}
