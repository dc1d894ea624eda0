// vigil demo seed: a demonstration organisation, written once per Redis database.

#include <iostream>

#include "Commands.hpp"
#include "vigil/common/Clock.hpp"
#include "vigil/common/Crypto.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::app {

using common::Task;
using signaling::Role;

namespace {
const char* kDemoPassword = "Demo!2026";

struct DemoUser {
    const char* username;
    const char* name;
    Role role;
    const char* unit;
    const char* officer;  // username
};

const DemoUser kUsers[] = {
    {"admin", "省局管理员", Role::Administrator, "zj", ""},
    {"officer.li", "李警官", Role::Officer, "zj-hz-xh", ""},
    {"officer.wang", "王警官", Role::Officer, "zj-hz-xh-zt", ""},
    {"subject01", "张伟", Role::Subject, "zj-hz-xh-zt", "officer.wang"},
    {"subject02", "王芳", Role::Subject, "zj-hz-xh-zt", "officer.wang"},
    {"subject03", "刘洋", Role::Subject, "zj-hz-xh-zt", "officer.wang"},
    {"subject04", "陈静", Role::Subject, "zj-hz-xh", "officer.li"},
    {"subject05", "赵磊", Role::Subject, "zj-hz-xh", "officer.li"},
};

void printLogins() {
    std::cout << "Demo accounts (password " << kDemoPassword << "):\n";
    for (const auto& u : kUsers) {
        std::cout << "  " << u.username << "\t" << signaling::toString(u.role) << "\t" << u.name
                  << "\n";
    }
}

Task<void> seed(common::RedisClient& redis, const common::Config& config) {
    auto done = co_await redis.cmd("EXISTS", signaling::keys::kDemoSeeded);
    if (done.asInteger() == 1) {
        std::cout << "demo organisation already present\n";
        printLogins();
        co_return;
    }
    signaling::Directory dir(redis);
    signaling::AuditLog audit(redis);
    auto province = co_await dir.findUnit("zj");
    if (!province) {
        co_await dir.addUnit("zj", "浙江省", "");
        co_await dir.addUnit("zj-hz", "杭州市", "zj");
        co_await dir.addUnit("zj-hz-xh", "西湖区", "zj-hz");
        co_await dir.addUnit("zj-hz-xh-zt", "转塘街道司法所", "zj-hz-xh");
    }
    std::string hash = common::hashPassword(kDemoPassword);
    std::map<std::string, std::string> ids;
    for (const auto& u : kUsers) {
        auto existing = co_await dir.findUserByUsername(u.username);
        if (existing) {
            ids[u.username] = existing->id;
            continue;
        }
        signaling::NewUser nu{u.username, u.name, u.role, u.unit, *u.officer ? ids[u.officer] : "",
                              hash};
        ids[u.username] = (co_await dir.addUser(nu)).id;
    }
    // One class that opens now (so the demo can be joined at once) and one tomorrow.
    common::Millis now = common::nowMillis();
    signaling::ClassSession today;
    today.title = "法治教育：社区矫正法规";
    today.unit = "zj-hz-xh-zt";
    today.officer = ids["officer.wang"];
    today.start = now + 5 * 60000LL;
    today.end = today.start + 90 * 60000LL;
    today.enrolUnit = "zj-hz-xh-zt";
    auto first = co_await dir.addClass(today);
    signaling::ClassSession tomorrow;
    tomorrow.title = "心理健康辅导";
    tomorrow.unit = "zj-hz-xh";
    tomorrow.officer = ids["officer.li"];
    tomorrow.start = now + 24 * 3600000LL;
    tomorrow.end = tomorrow.start + 60 * 60000LL;
    auto second = co_await dir.addClass(tomorrow);
    std::vector<std::string> enrolled{ids["subject04"], ids["subject05"], ids["subject01"]};
    co_await dir.enrol(second.id, enrolled);
    co_await audit.append("cli", "demo_seeded", "", "{}");
    co_await redis.cmd("SET", signaling::keys::kDemoSeeded, std::to_string(now));
    int offset = config.utcOffsetMinutes();
    std::cout << "seeded the demo organisation: classes " << first.id << " ("
              << common::formatIso8601(first.start, offset) << ") and " << second.id << " ("
              << common::formatIso8601(second.start, offset) << ")\n";
    printLogins();
}
}  // namespace

void addDemoCommands(CLI::App& app, GlobalOptions& options) {
    auto* demo = app.add_subcommand("demo", "demonstration data");
    demo->require_subcommand(1);
    auto* seedCmd =
        demo->add_subcommand("seed", "seed the demo organisation on first use (idempotent)");
    seedCmd->callback([&options]() {
        runWithRedis(options, [](common::EventLoop&, common::RedisClient& redis,
                                 const common::Config& config) { return seed(redis, config); });
    });
}

}  // namespace vigil::app
