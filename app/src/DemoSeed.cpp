// vigil demo seed: a demonstration organisation, written once per Redis database.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "Commands.hpp"
#include "DemoAccounts.hpp"
#include "ReferenceGate.hpp"
#include "VisionConfig.hpp"
#include "vigil/common/Clock.hpp"
#include "vigil/common/Crypto.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/Keys.hpp"
#include "vigil/signaling/ReferenceStore.hpp"
#include "vigil/signaling/SignalingNode.hpp"
#include "vigil/signaling/SupervisionStore.hpp"
#include "vigil/vision/PresenceVerifier.hpp"

namespace vigil::app {

using common::Task;
using signaling::Role;

namespace {
// Face references for a trial that shows real verification: frames of the webcam clips that
// the browser tests play as fake cameras (scripts/assets), both of the same man. subject01
// and subject02 get one each; the others are left without, so that a trial also shows
// `unenrolled` and the dashboard's list of subjects still to enrol.
struct DemoFace {
    const char* username;
    const char* file;  // Under the faces folder (var/testdata/video).
};
const DemoFace kFaces[] = {
    {"subject01", "cap13/00010.jpg"},
    {"subject02", "cap12/00010.jpg"},
};

std::string readFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Enrols the demo faces of subjects that have no reference yet. Without models or clips it
// says so and enrols nothing: the rest of the demo still works.
Task<void> seedFaces(common::RedisClient& redis, const common::Config& config,
                     const std::string& facesDir) {
    std::unique_ptr<vision::PresenceVerifier> verifier;
    try {
        verifier = std::make_unique<vision::PresenceVerifier>(visionOptionsFrom(config));
    } catch (const vision::VisionError& e) {
        std::cout << "demo faces not enrolled: " << e.what() << "\n";
        co_return;
    }
    signaling::Directory dir(redis);
    signaling::AuditLog audit(redis);
    signaling::ReferenceStore store(redis, audit, signaling::referenceDataKey(config),
                                    config.vision.storeReferenceImages);
    for (const auto& face : kFaces) {
        auto user = co_await dir.findUserByUsername(face.username);
        if (!user || !(co_await store.list(user->id)).empty()) continue;
        const std::filesystem::path path = std::filesystem::path(facesDir) / face.file;
        const std::string bytes = readFile(path);
        if (bytes.empty()) {
            std::cout << "demo face of " << face.username << " not enrolled: cannot read "
                      << path.string() << " (scripts/assets installs it)\n";
            continue;
        }
        auto check = gateReference(*verifier, bytes, config.vision.recognizer);
        if (!check.ok()) {
            std::cout << "demo face of " << face.username << " refused: " << check.code << ": "
                      << check.reason << "\n";
            continue;
        }
        co_await store.add(user->id, std::move(check), bytes, "cli", "cli");
        std::cout << "enrolled the face reference of " << face.username << " from " << path.string()
                  << "\n";
    }
}

void printLogins() {
    std::cout << "Demo accounts (password " << kDemoPassword << "):\n";
    for (const auto& u : kDemoUsers) {
        std::cout << "  " << u.username << "\t" << signaling::toString(u.role) << "\t" << u.name
                  << "\n";
    }
}

// Each demo subject's programme: a term around today, a level (one of each, and one changed
// this month), special groups, and the area of residence around the township office, so
// that a trial shows check-ins due, the overdue list and a month's report by level.
struct DemoProgramme {
    const char* username;
    signaling::Level level;
    int termStartDaysAgo;
    int termDaysLeft;
    std::vector<std::string> tags;
};

Task<void> seedSupervision(common::RedisClient& redis, const common::Config& config,
                           std::map<std::string, std::string>& ids, common::Millis now) {
    using signaling::Level;
    const std::vector<DemoProgramme> programmes = {
        {"subject01", Level::Strict, 120, 245, {"fraud"}},
        {"subject02", Level::Ordinary, 60, 300, {"female"}},
        {"subject03", Level::Lenient, 300, 65, {"traffic"}},
        {"subject04", Level::Ordinary, 30, 335, {"minor"}},
        {"subject05", Level::Strict, 10, 355, {"drugs"}},
    };
    signaling::SupervisionStore store(redis);
    const signaling::Day today = signaling::dayOf(now, config.utcOffsetMinutes());
    signaling::Area area;
    area.name = "转塘街道";
    area.lat = 30.1538;
    area.lon = 120.0878;
    area.radiusM = 5000;
    for (const auto& p : programmes) {
        const std::string& id = ids[p.username];
        co_await store.setTerm(id, today - p.termStartDaysAgo, today + p.termDaysLeft,
                               "（2026）浙0106刑初字示例号");
        co_await store.setTags(id, p.tags, config.supervision.tags);
        co_await store.setArea(id, area);
        signaling::LevelChange change;
        change.from = today - p.termStartDaysAgo;
        change.level = p.level;
        change.reason = "入矫评估";
        change.by = ids["officer.wang"];
        change.at = now;
        co_await store.changeLevel(id, change);
    }
    signaling::LevelChange raised;
    raised.from = today;
    raised.level = Level::Strict;
    raised.reason = "未按规定报到，调整为严管";
    raised.by = ids["officer.wang"];
    raised.at = now;
    co_await store.changeLevel(ids["subject02"], raised);
}

// With --programme: the demo subjects' programmes, once (a subject with a term keeps it).
Task<void> seedProgrammes(common::RedisClient& redis, const common::Config& config) {
    signaling::Directory dir(redis);
    std::map<std::string, std::string> ids;
    for (const auto& u : kDemoUsers) {
        auto existing = co_await dir.findUserByUsername(u.username);
        if (existing) ids[u.username] = existing->id;
    }
    signaling::SupervisionStore store(redis);
    auto first = co_await store.get(ids["subject01"]);
    if (first.termStart) co_return;
    co_await seedSupervision(redis, config, ids, common::nowMillis());
    std::cout << "seeded the demo subjects' supervision terms and levels\n";
}

Task<void> seed(common::RedisClient& redis, const common::Config& config) {
    auto done = co_await redis.cmd("EXISTS", signaling::keys::kDemoSeeded);
    if (done.asInteger() == 1) {
        std::cout << "demo organisation already present\n";
        printLogins();
        co_return;
    }
    // Demo accounts share one published password: never add them beside real records. A
    // seed cut short before its marker left only demo accounts, and may finish.
    auto started = co_await redis.cmd("EXISTS", signaling::keys::kDemoSeeding);
    auto accounts = co_await redis.cmd("SCARD", signaling::keys::kUsers);
    if (started.asInteger() == 0 && accounts.asInteger() > 0) {
        std::cerr << "vigil: this Redis already holds " << accounts.asInteger()
                  << " account(s) that are not the demo's: the demo organisation, whose "
                     "accounts share a published password, is seeded only into an empty "
                     "database\n";
        std::exit(4);
    }
    co_await redis.cmd("SET", signaling::keys::kDemoSeeding, std::to_string(common::nowMillis()));
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
    for (const auto& u : kDemoUsers) {
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
    static std::string facesDir;
    static bool programmes = false;
    seedCmd->add_flag("--programme", programmes,
                      "also give the demo subjects supervision terms, management levels, groups "
                      "and an area, so that check-ins are due and the overdue list fills");
    seedCmd->add_option("--faces", facesDir,
                        "also enrol demo subjects' face references from the webcam clips' "
                        "frames in this folder (var/testdata/video)");
    seedCmd->callback([&options]() {
        runWithRedis(options,
                     [](common::EventLoop&, common::RedisClient& redis,
                        const common::Config& config) -> Task<void> {
                         co_await seed(redis, config);
                         if (!facesDir.empty()) co_await seedFaces(redis, config, facesDir);
                         if (programmes) co_await seedProgrammes(redis, config);
                     });
    });
}

}  // namespace vigil::app
