// The administration command line against a real Redis: org units, accounts, classes and
// enrolment; its errors; the audit chain check and what it says after tampering; and the
// configuration checks that stop `vigil` before it does anything.

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "Fixtures.hpp"

using namespace vigil::testing;
using nlohmann::json;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

std::string writeConfig(const std::string& text) {
    std::string path = makeTempDir("vigil-config") + "/vigil.toml";
    std::ofstream(path) << text;
    return path;
}

// The audit stream as redis-cli returns it: [[id, [field, value, ...]], ...], fields in order.
json auditStream(const RedisServer& redis) {
    return redis.cliJson({"XRANGE", "vigil:audit", "-", "+"});
}

}  // namespace

TEST(AdminCliTest, AddAndListOrganisationAccountsClassesAndEnrolment) {
    RedisServer redis;
    EXPECT_EQ(vigilOk(redis, {"orgunit", "add", "--id", "sh", "--name", "上海市"}), "sh");
    EXPECT_EQ(
        vigilOk(redis, {"orgunit", "add", "--id", "sh-pd", "--name", "浦东新区", "--parent", "sh"}),
        "sh-pd");
    const std::string generated =
        vigilOk(redis, {"orgunit", "add", "--name", "陆家嘴司法所", "--parent", "sh-pd"});
    EXPECT_FALSE(generated.empty());
    auto units = vigilCli(redis, {"orgunit", "list"});
    ASSERT_EQ(units.exitCode, 0) << units.output;
    EXPECT_TRUE(contains(units.output, "sh\t上海市\t-")) << units.output;
    EXPECT_TRUE(contains(units.output, "sh-pd\t浦东新区\tsh")) << units.output;
    EXPECT_TRUE(contains(units.output, generated + "\t陆家嘴司法所\tsh-pd")) << units.output;

    const std::string officer =
        vigilOk(redis, {"user", "add", "--username", "officer.zhou", "--name", "周警官", "--role",
                        "officer", "--unit", "sh-pd", "--password", "Officer#2026"});
    const std::string subject =
        vigilOk(redis, {"user", "add", "--username", "subject.sun", "--name", "孙悦", "--unit",
                        generated, "--officer", officer, "--password", "Subject#2026"});
    EXPECT_NE(officer, subject);
    auto users = vigilCli(redis, {"user", "list"});
    ASSERT_EQ(users.exitCode, 0) << users.output;
    EXPECT_TRUE(contains(users.output, officer + "\tofficer.zhou\t周警官\tofficer\tsh-pd"))
        << users.output;
    EXPECT_TRUE(contains(users.output, subject + "\tsubject.sun\t孙悦\tsubject\t" + generated))
        << users.output;

    const long long now = nowMs();
    const std::string open =
        addClass(redis, "入矫教育", "sh-pd", officer, now + 5 * 60000, now + 65 * 60000);
    const std::string other =
        addClass(redis, "无人参加的课", "sh-pd", officer, now + 5 * 60000, now + 65 * 60000);
    auto classes = vigilCli(redis, {"class", "list"});
    ASSERT_EQ(classes.exitCode, 0) << classes.output;
    EXPECT_TRUE(contains(classes.output, open + "\t" + isoAt(now + 5 * 60000))) << classes.output;
    EXPECT_TRUE(contains(classes.output, "\tscheduled\tsh-pd\t入矫教育")) << classes.output;
    EXPECT_TRUE(contains(vigilOk(redis, {"enrol", "--class", open, "--subject", subject}),
                         "enrolled 1 subject(s)"));

    // Every change was audited, and the chain is intact.
    std::string actions;
    for (const auto& e : auditStream(redis)) {
        const auto& kv = e[1];
        for (size_t i = 0; i + 1 < kv.size(); i += 2) {
            if (kv[i] == "action") actions += kv[i + 1].get<std::string>() + " ";
        }
    }
    EXPECT_EQ(
        actions,
        "unit_added unit_added unit_added user_added user_added class_added class_added enrolled ");
    auto verify = vigilCli(redis, {"audit", "verify"});
    EXPECT_EQ(verify.exitCode, 0) << verify.output;
    EXPECT_TRUE(contains(verify.output, "intact")) << verify.output;

    // What the CLI wrote is what the server serves: the new subject signs in and joins the
    // class enrolled in, and only that one.
    VigilServer server(redis.url());
    auto ws = connectAs(server.port(), "subject.sun", nullptr, "Subject#2026");
    auto joined = ws->request({{"type", "join"}, {"class", open}});
    EXPECT_EQ(joined["type"], "ok") << joined.dump();
    EXPECT_EQ(ws->request({{"type", "join"}, {"class", other}})["code"], "not_enrolled");
    auto teacher = connectAs(server.port(), "officer.zhou", nullptr, "Officer#2026");
    EXPECT_EQ(teacher->request({{"type", "join"}, {"class", open}})["role"], "teacher");
}

TEST(AdminCliTest, MistakesExitNonZeroWithAClearMessage) {
    RedisServer redis;
    seedDemo(redis);
    const std::string usersBefore = vigilCli(redis, {"user", "list"}).output;
    const std::string auditBefore = redis.cli({"XLEN", "vigil:audit"});

    struct Case {
        std::vector<std::string> args;
        std::string message;
    };
    const long long now = nowMs();
    const std::vector<Case> cases{
        {{"user", "add", "--username", "new.person", "--name", "新人", "--unit", "nowhere",
          "--password", "Long#enough1"},
         "no unit 'nowhere'"},
        {{"user", "add", "--username", "subject01", "--name", "重名", "--unit", "zj", "--password",
          "Long#enough1"},
         "taken"},
        {{"user", "add", "--username", "short.pw", "--name", "短密码", "--unit", "zj", "--password",
          "abc"},
         "at least 8"},
        {{"user", "add", "--username", "bad.role", "--name", "X", "--unit", "zj", "--role",
          "warden", "--password", "Long#enough1"},
         "role"},
        {{"orgunit", "add", "--name", "孤儿", "--parent", "nowhere"}, "no parent unit 'nowhere'"},
        {{"orgunit", "add", "--id", "zj", "--name", "重复"}, "exists"},
        {{"class", "add", "--title", "T", "--unit", "nowhere", "--officer", demo::kOfficerWang,
          "--start", isoAt(now), "--end", isoAt(now + 3600000)},
         "no unit 'nowhere'"},
        {{"class", "add", "--title", "T", "--unit", "zj", "--officer", demo::kOfficerWang,
          "--start", "tomorrow 9am", "--end", isoAt(now + 3600000)},
         "--start"},
        {{"class", "add", "--title", "T", "--unit", "zj", "--officer", demo::kOfficerWang,
          "--start", isoAt(now + 3600000), "--end", isoAt(now)},
         "end after it starts"},
        {{"class", "add", "--title", "T", "--unit", "zj", "--officer", demo::kSubject01, "--start",
          isoAt(now), "--end", isoAt(now + 3600000)},
         "no officer"},
        {{"enrol", "--class", "c404", "--subject", demo::kSubject01}, "no class 'c404'"},
        {{"enrol", "--class", "c1", "--subject", demo::kOfficerLi}, "no subject"},
        {{"user", "add", "--username", "no.name", "--unit", "zj", "--password", "Long#enough1"},
         "--name"},
    };
    for (const auto& c : cases) {
        auto r = vigilCli(redis, c.args);
        std::string cmd;
        for (const auto& a : c.args) cmd += " " + a;
        EXPECT_NE(r.exitCode, 0) << "vigil" << cmd << " succeeded:\n" << r.output;
        EXPECT_TRUE(contains(r.output, c.message))
            << "vigil" << cmd << " should say '" << c.message << "':\n"
            << r.output;
    }
    // Nothing half-done was left behind.
    EXPECT_EQ(vigilCli(redis, {"user", "list"}).output, usersBefore);
    EXPECT_EQ(redis.cli({"XLEN", "vigil:audit"}), auditBefore);
    EXPECT_EQ(redis.cli({"SCARD", "vigil:class:c1:enrolled"}), "0");
}

TEST(AdminCliTest, AuditVerifyNamesAForgedEntry) {
    RedisServer redis;
    seedDemo(redis);
    VigilServer server(redis.url());
    const std::string admin =
        login(server.port(), "admin", kDemoPassword);  // audited: one more entry
    auto intact = vigilCli(redis, {"audit", "verify"});
    EXPECT_EQ(intact.exitCode, 0) << intact.output;
    EXPECT_TRUE(contains(intact.output, "intact")) << intact.output;

    // A forged entry appended with redis-cli: it links to the real head, but its hash cannot
    // be made without recomputing it.
    const std::string head = redis.cli({"GET", "vigil:audit:head"});
    ASSERT_EQ(head.size(), 64u);
    const std::string forged =
        redis.cli({"XADD", "vigil:audit", "*", "ts", std::to_string(nowMs()), "actor", demo::kAdmin,
                   "action", "login", "target", demo::kAdmin, "detail", "{}", "prev", head, "hash",
                   std::string(64, 'f')});
    ASSERT_FALSE(forged.empty());
    auto broken = vigilCli(redis, {"audit", "verify"});
    EXPECT_NE(broken.exitCode, 0) << broken.output;
    EXPECT_TRUE(contains(broken.output, forged)) << "should name " << forged << ":\n"
                                                 << broken.output;
    EXPECT_FALSE(contains(broken.output, "intact")) << broken.output;
    auto api = getJson(server.port(), "/api/audit/verify", admin);
    ASSERT_EQ(api.status, 200) << api.raw;
    EXPECT_EQ(api.body["intact"], false);
    EXPECT_EQ(api.body["first_broken"]["id"], forged) << api.raw;
}

TEST(AdminCliTest, AuditVerifyReportsACutOrDeletedLogThroughTheAnchor) {
    RedisServer redis;
    seedDemo(redis);
    VigilServer server(redis.url(), {{"VIGIL_AUDIT_ANCHOR_INTERVAL_MS", "0"}});
    for (const auto& user : {"subject01", "subject02"}) {
        ASSERT_FALSE(login(server.port(), user, kDemoPassword).empty());
    }
    server.stop();
    auto intact = vigilCli(redis, {"audit", "verify"});
    EXPECT_EQ(intact.exitCode, 0) << intact.output;
    EXPECT_TRUE(contains(intact.output, "checkpoint(s) matched")) << intact.output;

    // The last entry removed and the head key moved back to the one before: the chain in
    // Redis is consistent, the anchor outside it is not.
    json entries = auditStream(redis);
    ASSERT_GE(entries.size(), 3u);
    const std::string lastId = entries.back()[0];
    std::string prevHash;
    const json& fields = entries[entries.size() - 2][1];
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i] == "hash") prevHash = fields[i + 1];
    }
    ASSERT_EQ(redis.cli({"XDEL", "vigil:audit", lastId}), "1");
    ASSERT_EQ(redis.cli({"SET", "vigil:audit:head", prevHash}), "OK");
    auto cut = vigilCli(redis, {"audit", "verify"});
    EXPECT_EQ(cut.exitCode, 3) << cut.output;
    EXPECT_TRUE(contains(cut.output, lastId) && contains(cut.output, "removed")) << cut.output;

    // The whole log deleted: missing, not "intact: 0 entries"; also with no anchor at all.
    redis.cli({"DEL", "vigil:audit", "vigil:audit:head"});
    auto gone = vigilCli(redis, {"audit", "verify"});
    EXPECT_EQ(gone.exitCode, 3) << gone.output;
    EXPECT_TRUE(contains(gone.output, "missing")) << gone.output;
    auto unanchored = vigilCli(redis, {"audit", "verify"}, {{"VIGIL_AUDIT_ANCHOR_FILE", ""}});
    EXPECT_EQ(unanchored.exitCode, 3) << unanchored.output;
    EXPECT_TRUE(contains(unanchored.output, "missing")) << unanchored.output;
}

TEST(AdminCliTest, AuditVerifyNamesAnEditedOrRemovedEntry) {
    RedisServer redis;
    seedDemo(redis);
    VigilServer server(redis.url());
    for (const auto& user : {"subject01", "subject02", "officer.wang"}) {
        ASSERT_FALSE(login(server.port(), user, kDemoPassword).empty());
    }
    server.stop();
    json entries = auditStream(redis);
    ASSERT_GE(entries.size(), 4u);

    // Rewrite the stream from a copy, with the same ids, changing one field of the third entry
    // (a stream entry cannot be edited in place).
    const std::string edited = entries[2][0].get<std::string>();
    ASSERT_EQ(redis.cli({"DEL", "vigil:audit"}), "1");
    for (size_t i = 0; i < entries.size(); ++i) {
        std::vector<std::string> args{"XADD", "vigil:audit", entries[i][0].get<std::string>()};
        const auto& kv = entries[i][1];
        for (size_t k = 0; k + 1 < kv.size(); k += 2) {
            std::string value = kv[k + 1].get<std::string>();
            if (i == 2 && kv[k] == "actor") value = "someone-else";
            args.push_back(kv[k].get<std::string>());
            args.push_back(value);
        }
        ASSERT_EQ(redis.cli(args), entries[i][0].get<std::string>());
    }
    auto r = vigilCli(redis, {"audit", "verify"});
    EXPECT_NE(r.exitCode, 0) << r.output;
    EXPECT_TRUE(contains(r.output, edited)) << "should name " << edited << ":\n" << r.output;
    EXPECT_TRUE(contains(r.output, "hash")) << r.output;

    // Removing an entry instead breaks the link of the entry after it.
    ASSERT_EQ(redis.cli({"DEL", "vigil:audit"}), "1");
    for (size_t i = 0; i < entries.size(); ++i) {
        if (i == 1) continue;
        std::vector<std::string> args{"XADD", "vigil:audit", entries[i][0].get<std::string>()};
        for (const auto& v : entries[i][1]) args.push_back(v.get<std::string>());
        redis.cli(args);
    }
    r = vigilCli(redis, {"audit", "verify"});
    EXPECT_NE(r.exitCode, 0) << r.output;
    EXPECT_TRUE(contains(r.output, entries[2][0].get<std::string>())) << r.output;
    EXPECT_TRUE(contains(r.output, "prev")) << r.output;

    // So does removing the newest entry: the chain ends before its recorded head.
    ASSERT_EQ(redis.cli({"DEL", "vigil:audit"}), "1");
    for (size_t i = 0; i + 1 < entries.size(); ++i) {
        std::vector<std::string> args{"XADD", "vigil:audit", entries[i][0].get<std::string>()};
        for (const auto& v : entries[i][1]) args.push_back(v.get<std::string>());
        redis.cli(args);
    }
    r = vigilCli(redis, {"audit", "verify"});
    EXPECT_NE(r.exitCode, 0) << r.output;
    EXPECT_TRUE(contains(r.output, entries[entries.size() - 2][0].get<std::string>())) << r.output;

    // The untouched chain verifies again.
    ASSERT_EQ(redis.cli({"DEL", "vigil:audit"}), "1");
    for (size_t i = 0; i < entries.size(); ++i) {
        std::vector<std::string> args{"XADD", "vigil:audit", entries[i][0].get<std::string>()};
        for (const auto& v : entries[i][1]) args.push_back(v.get<std::string>());
        redis.cli(args);
    }
    r = vigilCli(redis, {"audit", "verify"});
    EXPECT_EQ(r.exitCode, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "intact")) << r.output;
}

TEST(AdminCliTest, BadConfigurationExitsWithStatus2NamingTheKey) {
    RedisServer redis;
    const std::string unknownKey = writeConfig("[server]\nport = 8080\nbogus_key = 1\n");
    auto r = vigilCli(redis, {"orgunit", "list", "--config", unknownKey});
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "server.bogus_key")) << r.output;
    EXPECT_TRUE(contains(r.output, unknownKey)) << r.output;

    const std::string unknownSection = writeConfig("[serverr]\nport = 8080\n");
    r = vigilCli(redis, {"serve", "--config", unknownSection});
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "serverr")) << r.output;

    const std::string badValue = writeConfig("[attendance]\nheartbeat_timeout_seconds = 2\n");
    r = vigilCli(redis, {"serve", "--config", badValue});
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "attendance.heartbeat_timeout_seconds")) << r.output;

    const std::string badType = writeConfig("[server]\nport = \"eighty\"\n");
    r = vigilCli(redis, {"serve", "--config", badType});
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "server.port")) << r.output;

    // The same checks apply to environment overrides, and name the variable.
    r = vigilCli(redis, {"serve"}, {{"VIGIL_ATTENDANCE_HEARTBEAT_TIMEOUT_SECONDS", "4"}});
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "VIGIL_ATTENDANCE_HEARTBEAT_TIMEOUT_SECONDS")) << r.output;
    r = vigilCli(redis, {"serve"}, {{"VIGIL_AUTH_WS_AUTH_TIMEOUT_SECONDS", "0"}});
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "VIGIL_AUTH_WS_AUTH_TIMEOUT_SECONDS")) << r.output;

    r = vigilCli(redis, {"orgunit", "list", "--config", "/nonexistent/vigil.toml"});
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "/nonexistent/vigil.toml")) << r.output;
}

TEST(AdminCliTest, ServeRefusesAMediaRoleOnItsOwnAndUnknownRoles) {
    RedisServer redis;
    auto r = vigilCli(redis, {"serve", "--roles", "media"});
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "signaling,media")) << r.output;
    r = vigilCli(redis, {"serve", "--roles", "sorcery"});
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "sorcery")) << r.output;
}

TEST(AdminCliTest, DemoSeedRefusesARedisHoldingRealAccounts) {
    RedisServer redis;
    vigilOk(redis, {"orgunit", "add", "--id", "sh", "--name", "上海市"});
    vigilOk(redis, {"user", "add", "--username", "officer.zhou", "--name", "周警官", "--role",
                    "officer", "--unit", "sh", "--password", "Officer#2026"});
    auto refused = vigilCli(redis, {"demo", "seed"});
    EXPECT_EQ(refused.exitCode, 4) << refused.output;
    EXPECT_TRUE(contains(refused.output, "not the demo's")) << refused.output;
    EXPECT_EQ(redis.cli({"SCARD", "vigil:users"}), "1") << "no demo account beside the real one";
    EXPECT_EQ(redis.cli({"EXISTS", "vigil:demo:seeded"}), "0");

    // An empty database takes the demo, and seeding it again changes nothing.
    RedisServer empty;
    vigilOk(empty, {"demo", "seed"});
    const std::string accounts = empty.cli({"SCARD", "vigil:users"});
    EXPECT_NE(accounts, "0");
    vigilOk(empty, {"demo", "seed"});
    EXPECT_EQ(empty.cli({"SCARD", "vigil:users"}), accounts);
}

TEST(AdminCliTest, DemoProgrammeSeedsTermsAndLevelsOnlyWhenAskedAndOnce) {
    RedisServer redis;
    vigilOk(redis, {"demo", "seed"});
    EXPECT_EQ(redis.cli({"EXISTS", "vigil:sup:" + demo::kSubject01}), "0")
        << "without --programme the demo subjects owe nothing";
    vigilOk(redis, {"demo", "seed", "--programme"});
    for (const auto& s : {demo::kSubject01, demo::kSubject02, demo::kSubject03, demo::kSubject04,
                          demo::kSubject05}) {
        EXPECT_NE(redis.cli({"HGET", "vigil:sup:" + s, "term_start"}), "") << s;
        EXPECT_NE(redis.cli({"LLEN", "vigil:levels:" + s}), "0") << s;
    }
    // subject02's level was raised today: two changes in the history.
    EXPECT_EQ(redis.cli({"LLEN", "vigil:levels:" + demo::kSubject02}), "2");
    vigilOk(redis, {"demo", "seed", "--programme"});
    EXPECT_EQ(redis.cli({"LLEN", "vigil:levels:" + demo::kSubject02}), "2") << "seeded once";
}
