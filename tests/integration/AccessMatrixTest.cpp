// Who may read and do what, through the real server: the audit log scoped to an
// administrator's branch, reads of others' records audited (and refused reads too), and a
// matrix that walks REST routes and WebSocket messages as five callers: the subject, the
// officer of his unit, an officer of another unit, an administrator of another branch and
// the administrator above. Every refusal is `forbidden`.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "Fixtures.hpp"

using namespace vigil::testing;
using nlohmann::json;

namespace {

std::string codeOf(const JsonResult& r) {
    if (!r.body.is_object() || !r.body.contains("error")) return "";
    return r.body["error"].value("code", "");
}

// The audit entries whose fields match every pair of `want`, read straight from Redis.
std::vector<std::map<std::string, std::string>> auditEntries(
    const RedisServer& redis, const std::map<std::string, std::string>& want) {
    std::vector<std::map<std::string, std::string>> out;
    for (const auto& e : redis.xrange("vigil:audit")) {
        bool all = true;
        for (const auto& [k, v] : want) {
            auto it = e.fields.find(k);
            if (it == e.fields.end() || it->second != v) all = false;
        }
        if (all) out.push_back(e.fields);
    }
    return out;
}

class AccessMatrixTest : public DemoOrgTest {
protected:
    // The matrix is refused on purpose many times a minute: no strikes close its sockets.
    std::map<std::string, std::string> serverEnv() const override {
        return {{"VIGIL_PROTOCOL_ABUSE_STRIKES", "1000"}};
    }

    void SetUp() override {
        DemoOrgTest::SetUp();
        // Another township office beside the subject's, with its own officer, administrator
        // and subject; and an administrator of the subject's own township.
        vigilOk(redis, {"orgunit", "add", "--id", "zj-hz-xh-ws", "--name", "五四街道司法所",
                        "--parent", "zj-hz-xh"});
        auto add = [&](const std::string& username, const std::string& role,
                       const std::string& unit) {
            return vigilOk(redis, {"user", "add", "--username", username, "--name", username,
                                   "--role", role, "--unit", unit, "--password", kDemoPassword});
        };
        officerWs = add("officer.ws", "officer", "zj-hz-xh-ws");
        adminWs = add("admin.ws", "administrator", "zj-hz-xh-ws");
        adminZt = add("admin.zt", "administrator", "zj-hz-xh-zt");
        subjectWs = add("subject.ws", "subject", "zj-hz-xh-ws");
        for (const auto& [name, token] :
             std::map<std::string, std::string*>{{"subject01", &tSubject},
                                                 {"officer.wang", &tOfficer},
                                                 {"officer.ws", &tOtherOfficer},
                                                 {"admin.ws", &tOtherAdmin},
                                                 {"admin", &tAdmin},
                                                 {"admin.zt", &tTownAdmin}}) {
            *token = login(port(), name, kDemoPassword);
            ASSERT_FALSE(token->empty()) << name;
        }
    }

    std::string officerWs, adminWs, adminZt, subjectWs;
    std::string tSubject, tOfficer, tOtherOfficer, tOtherAdmin, tAdmin, tTownAdmin;
};

bool anyActor(const json& entries, const std::string& actor) {
    for (const auto& e : entries) {
        if (e["fields"].value("actor", "") == actor) return true;
    }
    return false;
}

TEST_F(AccessMatrixTest, TownshipAdministratorReadsOnlyHisBranchOfTheAuditLog) {
    // Each officer reads his alerts: an audited read in his own township.
    ASSERT_EQ(getJson(port(), "/api/alerts", tOfficer).status, 200);
    ASSERT_EQ(getJson(port(), "/api/alerts", tOtherOfficer).status, 200);

    auto town = getJson(port(), "/api/audit?order=newest&limit=1000", tTownAdmin);
    ASSERT_EQ(town.status, 200) << town.raw;
    EXPECT_TRUE(anyActor(town.body["entries"], demo::kOfficerWang)) << town.raw;
    EXPECT_FALSE(anyActor(town.body["entries"], officerWs)) << town.raw;
    for (const auto& e : town.body["entries"]) {
        // Nothing of the other township: not its accounts, not its unit.
        EXPECT_NE(e["fields"].value("target", ""), subjectWs);
        EXPECT_NE(e["fields"].value("target", ""), "zj-hz-xh-ws");
    }
    // The administrator above reads both townships.
    auto province = getJson(port(), "/api/audit?order=newest&limit=1000", tAdmin);
    ASSERT_EQ(province.status, 200);
    EXPECT_TRUE(anyActor(province.body["entries"], officerWs));
    EXPECT_TRUE(anyActor(province.body["entries"], demo::kOfficerWang));

    // Asking for someone outside the branch is refused, and the refusal is audited.
    auto refused = getJson(port(), "/api/audit?actor=" + officerWs, tTownAdmin);
    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(codeOf(refused), "forbidden");
    EXPECT_EQ(auditEntries(redis, {{"actor", adminZt}, {"action", "read_refused"}}).size(), 1u);
}

}  // namespace

namespace {

// The five callers of the matrix, in this order.
enum Who { kSubject, kOfficer, kOtherOfficer, kOtherAdmin, kAdminAbove, kWhoCount };
const char* const kWhoNames[] = {"subject", "officer of the unit", "officer of another unit",
                                 "administrator of another branch", "administrator above"};

struct RestCase {
    std::string path;  // GET; "{s}" is the subject's id
    bool allowed[kWhoCount];
};

std::string withSubject(std::string path) {
    for (size_t at = path.find("{s}"); at != std::string::npos; at = path.find("{s}"))
        path.replace(at, 3, demo::kSubject01);
    return path;
}

}  // namespace

TEST_F(AccessMatrixTest, RestRoutesAdmitTheRightCallersAndRefuseTheOthersAsForbidden) {
    const std::string tokens[kWhoCount] = {tSubject, tOfficer, tOtherOfficer, tOtherAdmin, tAdmin};
    // subject, officer of the unit, officer elsewhere, administrator elsewhere, above.
    const std::vector<RestCase> cases = {
        {"/api/subjects/{s}/attendance", {true, true, false, false, true}},
        {"/api/subjects/{s}/hours", {true, true, false, false, true}},
        {"/api/subjects/{s}/supervision", {true, true, false, false, true}},
        {"/api/subjects/{s}/references", {false, true, false, false, true}},
        {"/api/classes/c1/attendance", {true, true, false, false, true}},
        {"/api/classes/c1/timeline", {true, true, false, false, true}},
        {"/api/attendance?unit=zj-hz-xh-zt", {false, true, false, false, true}},
        {"/api/reports/compliance?unit=zj-hz-xh-zt", {false, true, false, false, true}},
        {"/api/supervision/overdue?unit=zj-hz-xh-zt", {false, true, false, false, true}},
        {"/api/alerts?subject={s}", {false, true, false, false, true}},
        {"/api/checkins?subject={s}", {true, true, false, false, true}},
        {"/api/recordings", {false, true, true, true, true}},
        {"/api/audit", {false, false, false, true, true}},
        {"/api/audit?target={s}", {false, false, false, false, true}},
    };
    for (const auto& c : cases) {
        const std::string path = withSubject(c.path);
        for (int who = 0; who < kWhoCount; ++who) {
            auto r = getJson(port(), path, tokens[who]);
            if (c.allowed[who]) {
                EXPECT_EQ(r.status, 200) << path << " as " << kWhoNames[who] << ": " << r.raw;
            } else {
                EXPECT_EQ(r.status, 403) << path << " as " << kWhoNames[who] << ": " << r.raw;
                EXPECT_EQ(codeOf(r), "forbidden") << path << " as " << kWhoNames[who];
            }
        }
    }
    // Reads of a subject's records are audited, and so are refused reads.
    const std::string s01 = demo::kSubject01;
    EXPECT_EQ(
        auditEntries(redis,
                     {{"actor", demo::kOfficerWang}, {"action", "reference_list"}, {"target", s01}})
            .size(),
        1u);
    EXPECT_EQ(
        auditEntries(redis,
                     {{"actor", demo::kOfficerWang}, {"action", "checkins_view"}, {"target", s01}})
            .size(),
        1u);
    EXPECT_EQ(auditEntries(redis, {{"actor", officerWs}, {"action", "alerts_view"}}).size(), 0u);
    EXPECT_FALSE(
        auditEntries(redis, {{"actor", officerWs}, {"action", "read_refused"}, {"target", s01}})
            .empty());
    // The subject asking for the alert list: refused by the route's role rule, audited.
    EXPECT_FALSE(auditEntries(redis, {{"actor", s01}, {"action", "read_refused"}}).empty());
}

TEST_F(AccessMatrixTest, WebSocketMessagesAdmitTheRightCallersAndRefuseTheOthersAsForbidden) {
    const std::string names[kWhoCount] = {"subject01", "officer.wang", "officer.ws", "admin.ws",
                                          "admin"};
    std::vector<std::unique_ptr<WsClient>> ws;
    for (const auto& name : names) ws.push_back(connectAs(port(), name));
    auto expect = [&](const json& message, const bool(&allowed)[kWhoCount]) {
        for (int who = 0; who < kWhoCount; ++who) {
            json reply = ws[static_cast<size_t>(who)]->request(message);
            if (allowed[who]) {
                EXPECT_NE(reply.value("code", ""), "forbidden")
                    << message.dump() << " as " << kWhoNames[who] << ": " << reply.dump();
            } else {
                EXPECT_EQ(reply.value("code", ""), "forbidden")
                    << message.dump() << " as " << kWhoNames[who] << ": " << reply.dump();
            }
        }
    };
    // Reads and class control: staff who teach the class (its unit or above).
    expect({{"type", "roster"}, {"class", "c1"}}, {false, true, false, false, true});
    expect({{"type", "start_class"}, {"class", "c2"}}, {false, false, false, false, true});
    expect({{"type", "end_class"}, {"class", "c2"}}, {false, false, false, false, true});
    // Calls: placed by staff over the subject, taken by subjects.
    expect({{"type", "call"}, {"subject", demo::kSubject04}}, {false, false, false, false, true});
    expect({{"type", "call_accept"}, {"call", "nosuchcall"}}, {true, false, false, false, false});
    expect({{"type", "call_decline"}, {"call", "nosuchcall"}}, {true, false, false, false, false});
    // Hands and check-ins are a subject's; spot checks a teacher's.
    expect({{"type", "raise_hand"}}, {true, false, false, false, false});
    expect({{"type", "checkin_start"}}, {true, false, false, false, false});
    expect({{"type", "checkin_cancel"}, {"checkin", "x1"}}, {true, false, false, false, false});
    expect({{"type", "spot_check_reply"}, {"check", "x1"}}, {true, false, false, false, false});
    // Joining a class: enrolled subjects and those who teach it.
    expect({{"type", "join"}, {"class", "c1"}}, {true, true, false, false, true});

    // The roster read is audited, and so is each refused one.
    EXPECT_EQ(
        auditEntries(redis,
                     {{"actor", demo::kOfficerWang}, {"action", "roster_view"}, {"target", "c1"}})
            .size(),
        1u);
    for (const auto& refused : {demo::kSubject01, officerWs, adminWs}) {
        EXPECT_EQ(
            auditEntries(redis, {{"actor", refused}, {"action", "read_refused"}, {"target", "c1"}})
                .size(),
            1u)
            << refused;
    }
}
