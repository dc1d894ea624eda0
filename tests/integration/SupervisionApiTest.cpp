// Subjects' supervision records over REST: term, level with its dated history, special-group
// tags and the registered area; who may read and change them; what is audited; and classes
// that enrol by tag.

#include <gtest/gtest.h>

#include <set>

#include "Fixtures.hpp"
#include "Replies.hpp"

using namespace vigil::testing;
using nlohmann::json;

namespace {

constexpr long long kDayMs = 86'400'000;

JsonResult send(int port, const std::string& method, const std::string& path, const json& body,
                const std::string& token) {
    HttpResult r = httpRequest(port, method, path, body.dump(), token);
    JsonResult out;
    out.status = r.status;
    out.raw = r.body;
    auto j = json::parse(r.body, nullptr, false);
    if (!j.is_discarded()) out.body = j;
    return out;
}

// The agency's date (+08:00) `days` from today.
std::string dateIn(int days) {
    return isoAt(nowMs() + days * kDayMs).substr(0, 10);
}

// Monday 0 .. Sunday 6 of the agency's date `days` from today.
int weekdayIndex(int days) {
    const long long localDays = (nowMs() + days * kDayMs + 480LL * 60'000) / kDayMs;
    return static_cast<int>((localDays + 3) % 7);  // 1970-01-01 was a Thursday (3).
}

// The Monday of the week of today + `days`, as a date.
std::string mondayOf(int days) {
    return dateIn(days - weekdayIndex(days));
}

std::string path(const std::string& subject, const std::string& what = "supervision") {
    return "/api/subjects/" + subject + "/" + what;
}

class SupervisionApiTest : public DemoOrgTest {
protected:
    void SetUp() override {
        DemoOrgTest::SetUp();
        wang = login(port(), "officer.wang", kDemoPassword);
        li = login(port(), "officer.li", kDemoPassword);
        s01 = login(port(), "subject01", kDemoPassword);
        ASSERT_FALSE(wang.empty() || li.empty() || s01.empty());
    }

    // The audit entries of `action` on `target` by `actor`, detail parsed.
    std::vector<json> audits(const std::string& actor, const std::string& action,
                             const std::string& target) const {
        std::vector<json> out;
        for (const auto& e : redis.xrange("vigil:audit")) {
            if (e["actor"] == actor && e["action"] == action && e["target"] == target) {
                out.push_back(json::parse(e["detail"], nullptr, false));
            }
        }
        return out;
    }

    JsonResult put(const std::string& subject, const json& body, const std::string& token) {
        return send(port(), "PUT", path(subject), body, token);
    }

    std::string wang, li, s01;
};

TEST_F(SupervisionApiTest, TagsAreTheConfiguredList) {
    auto r = getJson(port(), "/api/supervision/tags", wang);
    ASSERT_EQ(r.status, 200) << r.raw;
    std::set<std::string> tags(r.body["tags"].begin(), r.body["tags"].end());
    EXPECT_TRUE(tags.count("minor") && tags.count("fraud") && tags.count("traffic")) << r.raw;
}

TEST_F(SupervisionApiTest, OfficerSetsTermTagsAreaAndLevel) {
    json body{
        {"term_start", dateIn(-30)},
        {"term_end", dateIn(300)},
        {"decision", "(2025)浙0106刑初88号"},
        {"tags", {"minor", "fraud"}},
        {"area", {{"name", "转塘街道"}, {"lat", 30.15}, {"lon", 120.08}, {"radius_m", 5000}}}};
    auto r = put(demo::kSubject01, body, wang);
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body["subject"], demo::kSubject01);
    EXPECT_EQ(r.body["unit"], "zj-hz-xh-zt");
    EXPECT_EQ(r.body["term_start"], dateIn(-30));
    EXPECT_EQ(r.body["term_end"], dateIn(300));
    EXPECT_EQ(r.body["decision"], "(2025)浙0106刑初88号");
    EXPECT_EQ(r.body["status"], "active");
    EXPECT_EQ(r.body["tags"], (json{"fraud", "minor"}));
    EXPECT_EQ(r.body["area"]["radius_m"], 5000);
    EXPECT_EQ(r.body["area"]["name"], "转塘街道");
    for (const char* key : {"level", "levels", "rule", "last_contact", "next_checkin", "next_call"})
        EXPECT_TRUE(r.body.contains(key)) << key;
    ASSERT_EQ(audits(demo::kOfficerWang, "supervision_update", demo::kSubject01).size(), 1u);
    EXPECT_EQ(audits(demo::kOfficerWang, "supervision_update", demo::kSubject01)[0]["tags"],
              (json{"fraud", "minor"}));

    // A partial change keeps the rest.
    auto again = put(demo::kSubject01, json{{"area", nullptr}}, wang);
    ASSERT_EQ(again.status, 200) << again.raw;
    EXPECT_TRUE(again.body["area"].is_null());
    EXPECT_EQ(again.body["decision"], "(2025)浙0106刑初88号");
    EXPECT_EQ(again.body["tags"], (json{"fraud", "minor"}));

    const std::string before = r.body["level"];
    auto level = send(port(), "POST", path(demo::kSubject01, "level"),
                      json{{"level", "strict"}, {"reason", "未按时报到"}}, wang);
    ASSERT_EQ(level.status, 200) << level.raw;
    EXPECT_EQ(level.body["level"], "strict");
    EXPECT_EQ(level.body["rule"]["checkin"], "daily");
    EXPECT_EQ(level.body["rule"]["call"], "weekly");
    EXPECT_EQ(level.body["rule"]["max_gap_days"], 3);
    // A change applies from the next period ([levels], LevelPolicyTest): the ordinary weekly
    // period running today (Monday to Sunday) stays, unless it starts today.
    EXPECT_EQ(level.body["next_checkin"]["first"], mondayOf(0));
    EXPECT_EQ(level.body["next_checkin"]["last"],
              mondayOf(0) == dateIn(0) ? dateIn(0) : dateIn(6 - weekdayIndex(0)));
    const json& last = level.body["levels"].back();
    EXPECT_EQ(last["from"], dateIn(0));
    EXPECT_EQ(last["level"], "strict");
    EXPECT_EQ(last["reason"], "未按时报到");
    EXPECT_EQ(last["by"], demo::kOfficerWang);
    EXPECT_FALSE(last["by_name"].get<std::string>().empty());
    auto changes = audits(demo::kOfficerWang, "level_change", demo::kSubject01);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0]["old"], before);
    EXPECT_EQ(changes[0]["new"], "strict");
    EXPECT_EQ(changes[0]["from"], dateIn(0));
    EXPECT_EQ(changes[0]["reason"], "未按时报到");

    // Lenient from next week: today is still strict, and both changes are kept.
    auto later =
        send(port(), "POST", path(demo::kSubject01, "level"),
             json{{"level", "lenient"}, {"from", dateIn(7)}, {"reason", "表现良好"}}, wang);
    ASSERT_EQ(later.status, 200) << later.raw;
    EXPECT_EQ(later.body["level"], "strict");
    EXPECT_GE(later.body["levels"].size(), 2u);
}

TEST_F(SupervisionApiTest, StatusFollowsTheTerm) {
    // (The demo organisation gives its subjects terms: clear this one's first.)
    auto none = put(demo::kSubject02, json{{"term_start", nullptr}, {"term_end", nullptr}}, wang);
    ASSERT_EQ(none.status, 200) << none.raw;
    EXPECT_EQ(none.body["status"], "no_term");
    EXPECT_TRUE(none.body["next_checkin"].is_null());

    auto released =
        put(demo::kSubject02, json{{"term_start", dateIn(-400)}, {"term_end", dateIn(-1)}}, wang);
    ASSERT_EQ(released.status, 200) << released.raw;
    EXPECT_EQ(released.body["status"], "released");
    EXPECT_TRUE(released.body["next_checkin"].is_null());
    EXPECT_TRUE(released.body["next_call"].is_null());

    auto pending =
        put(demo::kSubject02, json{{"term_start", dateIn(10)}, {"term_end", dateIn(100)}}, wang);
    ASSERT_EQ(pending.status, 200) << pending.raw;
    EXPECT_EQ(pending.body["status"], "pending");
    EXPECT_EQ(pending.body["next_checkin"]["first"], dateIn(10)) << "due from the term's first day";
}

TEST_F(SupervisionApiTest, BadInputIsRefusedWhole) {
    auto before = put(demo::kSubject01, json{{"decision", "原判决"}}, wang);
    ASSERT_EQ(before.status, 200) << before.raw;
    struct Case {
        std::string what;
        json body;
    };
    const std::vector<Case> cases{
        {"end before start", {{"term_start", dateIn(5)}, {"term_end", dateIn(4)}}},
        {"not a date", {{"term_start", "5 December"}}},
        {"unknown tag", {{"decision", "changed"}, {"tags", {"minor", "pirate"}}}},
        {"tags not a list", {{"tags", "minor"}}},
        {"radius 0",
         {{"decision", "changed"}, {"area", {{"lat", 30}, {"lon", 120}, {"radius_m", 0}}}}},
        {"latitude 91", {{"area", {{"lat", 91}, {"lon", 120}, {"radius_m", 100}}}}},
        {"two points", {{"area", {{"polygon", {{30, 120}, {30.1, 120}}}}}}},
        {"area shape", {{"area", {{"lat", "north"}}}}},
        {"long decision", {{"decision", std::string(501, 'x')}}},
        {"nothing", json::object()},
        {"not an object", json::array()},
    };
    for (const auto& c : cases) {
        auto r = put(demo::kSubject01, c.body, wang);
        EXPECT_EQ(r.status, 400) << c.what << ": " << r.raw;
        EXPECT_EQ(errorCode(r), "bad_request") << c.what;
    }
    auto now = getJson(port(), path(demo::kSubject01), wang);
    EXPECT_EQ(now.body, before.body) << "a refused change writes nothing";

    for (const json& body : {json{{"level", "severe"}, {"reason", "x"}}, json{{"level", "strict"}},
                             json{{"level", "strict"}, {"reason", ""}},
                             json{{"level", "strict"}, {"reason", "x"}, {"from", "tomorrow"}}}) {
        auto r = send(port(), "POST", path(demo::kSubject01, "level"), body, wang);
        EXPECT_EQ(r.status, 400) << body.dump() << ": " << r.raw;
    }
    EXPECT_EQ(getJson(port(), path(demo::kSubject01), wang).body["levels"], before.body["levels"]);
}

TEST_F(SupervisionApiTest, SubjectSeesOnlyOwnAndStaffOnlyInScope) {
    ASSERT_EQ(put(demo::kSubject01, json{{"decision", "原判决"}}, wang).status, 200);
    auto own = getJson(port(), path(demo::kSubject01), s01);
    ASSERT_EQ(own.status, 200) << own.raw;
    EXPECT_EQ(own.body["decision"], "原判决");
    EXPECT_TRUE(audits(demo::kSubject01, "supervision_view", demo::kSubject01).empty())
        << "reading one's own record is not a staff read";

    auto other = getJson(port(), path(demo::kSubject02), s01);
    EXPECT_EQ(other.status, 403) << other.raw;
    EXPECT_EQ(errorCode(other), "forbidden");
    EXPECT_EQ(put(demo::kSubject01, json{{"decision", "mine"}}, s01).status, 403);
    EXPECT_EQ(send(port(), "POST", path(demo::kSubject01, "level"),
                   json{{"level", "lenient"}, {"reason", "x"}}, s01)
                  .status,
              403);

    // Officer Wang (township zj-hz-xh-zt) and subject 04 of the county office above him.
    auto outside = getJson(port(), path(demo::kSubject04), wang);
    EXPECT_EQ(outside.status, 403) << outside.raw;
    EXPECT_EQ(errorCode(outside), "forbidden");
    EXPECT_EQ(put(demo::kSubject04, json{{"decision", "x"}}, wang).status, 403);
    EXPECT_EQ(send(port(), "POST", path(demo::kSubject04, "level"),
                   json{{"level", "strict"}, {"reason", "x"}}, wang)
                  .status,
              403);
    EXPECT_EQ(getJson(port(), path("u999"), wang).status, 404);
    EXPECT_EQ(getJson(port(), path(demo::kOfficerLi), wang).status, 404) << "not a subject";

    // Officer Li (county) sees the township's subject; the read is audited.
    auto county = getJson(port(), path(demo::kSubject01), li);
    ASSERT_EQ(county.status, 200) << county.raw;
    EXPECT_EQ(audits(demo::kOfficerLi, "supervision_view", demo::kSubject01).size(), 1u);
    EXPECT_EQ(getJson(port(), path(demo::kSubject01), "").status, 401);
}

TEST_F(SupervisionApiTest, ClassesEnrolByTagWithinTheirUnit) {
    // Subject 01 (township) and subject 04 (the county office above it) are both minors.
    ASSERT_EQ(put(demo::kSubject01, json{{"tags", {"minor"}}}, wang).status, 200);
    ASSERT_EQ(put(demo::kSubject04, json{{"tags", {"minor"}}}, li).status, 200);
    ASSERT_EQ(put(demo::kSubject05, json{{"tags", {"fraud"}}}, li).status, 200);
    const long long start = nowMs() + 3'600'000;
    json cls{{"title", "未成年人专项教育"},
             {"start", isoAt(start)},
             {"end", isoAt(start + 3'600'000)},
             {"enrol_tags", {"minor"}}};
    // Officer Wang's class (township unit): only the township's minor.
    auto r = send(port(), "POST", "/api/classes", cls, wang);
    ASSERT_EQ(r.status, 201) << r.raw;
    EXPECT_EQ(r.body["enrol_tags"], (json{"minor"}));
    std::set<std::string> enrolled;
    for (const auto& e : r.body["enrolled"]) enrolled.insert(e.value("id", ""));
    EXPECT_EQ(enrolled, (std::set<std::string>{demo::kSubject01}));
    const std::string id = r.body["id"];
    EXPECT_EQ(getJson(port(), "/api/classes/" + id, s01).status, 200) << "enrolled by tag";
    auto s04 = login(port(), "subject04", kDemoPassword);
    EXPECT_EQ(getJson(port(), "/api/classes/" + id, s04).status, 403) << "outside the class's unit";

    // Officer Li's class (county unit): both minors, not the fraud case.
    auto county = send(port(), "POST", "/api/classes", cls, li);
    ASSERT_EQ(county.status, 201) << county.raw;
    enrolled.clear();
    for (const auto& e : county.body["enrolled"]) enrolled.insert(e.value("id", ""));
    EXPECT_EQ(enrolled, (std::set<std::string>{demo::kSubject01, demo::kSubject04}));

    // A tag removed from a subject takes him out of the class.
    ASSERT_EQ(put(demo::kSubject01, json{{"tags", json::array()}}, wang).status, 200);
    EXPECT_EQ(getJson(port(), "/api/classes/" + id, s01).status, 403);

    cls["enrol_tags"] = {"pirate"};
    auto bad = send(port(), "POST", "/api/classes", cls, wang);
    EXPECT_EQ(bad.status, 400) << bad.raw;
    cls["enrol_tags"] = "minor";
    EXPECT_EQ(send(port(), "POST", "/api/classes", cls, wang).status, 400);
}

}  // namespace
