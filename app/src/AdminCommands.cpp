// vigil orgunit | user | class | enrol | audit: administration against the configured Redis.
// Every change is written to the audit log with the actor "cli".

#include <unistd.h>

#include <iostream>
#include <memory>

#include "Commands.hpp"
#include "vigil/common/Clock.hpp"
#include "vigil/common/Crypto.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/HttpApi.hpp"
#include "vigil/signaling/Keys.hpp"
#include "vigil/signaling/SessionIndex.hpp"

namespace vigil::app {

using common::ApiError;
using common::Task;
using signaling::AuditLog;
using signaling::Directory;

namespace {

std::string readPassword(const std::string& given, bool fromStdin) {
    if (!given.empty()) return given;
    if (const char* env = std::getenv("VIGIL_PASSWORD"); env != nullptr && *env != '\0') return env;
    if (fromStdin || !isatty(STDIN_FILENO)) {
        std::string line;
        std::getline(std::cin, line);
        return line;
    }
    std::cerr << "password: ";
    std::string line;
    std::getline(std::cin, line);
    return line;
}

// The session records as the server keeps them: ending them here closes the WebSockets
// signed in with them on every node (the bus).
signaling::SessionIndex sessionIndex(common::RedisClient& redis, const common::Config& config) {
    return signaling::SessionIndex(redis, signaling::SessionIndex::Lifetime::from(config.auth));
}

common::Millis parseTimeOrThrow(const std::string& text, const char* what, int offset) {
    auto t = common::parseIso8601(text, offset);
    if (!t)
        throw ApiError("bad_request",
                       std::string(what) + " must be ISO 8601, e.g. 2026-12-01T09:00+08:00");
    return *t;
}

void addOrgUnit(CLI::App& app, GlobalOptions& options) {
    auto* unit =
        app.add_subcommand("orgunit", "org units (province > city > county > township office)");
    unit->require_subcommand(1);
    auto* add = unit->add_subcommand("add", "add an org unit; prints its id");
    static std::string id, name, parent;
    add->add_option("--name", name, "display name")->required();
    add->add_option("--parent", parent, "parent unit id (none for a root)");
    add->add_option("--id", id, "unit id (letters, digits, - and _); generated when omitted");
    add->callback([&options]() {
        runWithRedis(options,
                     [](common::EventLoop&, common::RedisClient& redis,
                        const common::Config&) -> Task<void> {
                         Directory dir(redis);
                         AuditLog audit(redis);
                         auto created = co_await dir.addUnit(id, name, parent);
                         const std::string detail =
                             nlohmann::json{{"name", name}, {"parent", parent}}.dump();
                         co_await audit.append(kCliActor, "unit_added", created.id, detail);
                         std::cout << created.id << "\n";
                     });
    });
    auto* list = unit->add_subcommand("list", "list org units");
    list->callback([&options]() {
        runWithRedis(options,
                     [](common::EventLoop&, common::RedisClient& redis,
                        const common::Config&) -> Task<void> {
                         Directory dir(redis);
                         for (const auto& u : co_await dir.listUnits()) {
                             std::cout << u.id << "\t" << u.name << "\t"
                                       << (u.parent.empty() ? "-" : u.parent) << "\n";
                         }
                     });
    });
}

void addUser(CLI::App& app, GlobalOptions& options) {
    auto* user = app.add_subcommand("user", "accounts");
    user->require_subcommand(1);
    static signaling::NewUser nu;
    static std::string role = "subject", password;
    static bool passwordStdin = false;
    auto* add = user->add_subcommand("add",
                                     "add an account; prints its id (password from --password, "
                                     "VIGIL_PASSWORD or standard input)");
    add->add_option("--username", nu.username, "login name: 3-32 of a-z 0-9 . - _")->required();
    add->add_option("--name", nu.name, "display name")->required();
    add->add_option("--role", role, "subject, officer or administrator")->capture_default_str();
    add->add_option("--unit", nu.unit, "org unit id")->required();
    add->add_option("--officer", nu.officer, "supervising officer's user id (subjects)");
    add->add_option("--password", password, "password (prefer VIGIL_PASSWORD or stdin)");
    add->add_flag("--password-stdin", passwordStdin, "read the password from standard input");
    add->callback([&options]() {
        runWithRedis(options,
                     [](common::EventLoop&, common::RedisClient& redis,
                        const common::Config& config) -> Task<void> {
                         auto r = signaling::parseRole(role);
                         if (!r)
                             throw ApiError("bad_request",
                                            "role must be subject, officer or administrator");
                         nu.role = *r;
                         std::string pw = readPassword(password, passwordStdin);
                         Directory dir(redis);
                         AuditLog audit(redis);
                         auto created = co_await signaling::createAccount(dir, nu, pw, config);
                         const std::string detail = nlohmann::json{
                             {"username", nu.username},
                             {"role", role},
                             {"unit", nu.unit}}.dump();
                         co_await audit.append(kCliActor, "user_added", created.id, detail);
                         std::cout << created.id << "\n";
                     });
    });
    auto* list = user->add_subcommand("list", "list accounts");
    list->callback([&options]() {
        runWithRedis(options,
                     [](common::EventLoop&, common::RedisClient& redis,
                        const common::Config&) -> Task<void> {
                         Directory dir(redis);
                         for (const auto& u : co_await dir.listUsers()) {
                             std::cout << u.id << "\t" << u.username << "\t" << u.name << "\t"
                                       << signaling::toString(u.role) << "\t" << u.unit
                                       << (u.disabled ? "\tdisabled" : "") << "\n";
                         }
                     });
    });
    static std::string target;
    auto* passwd = user->add_subcommand("passwd", "set an account's password");
    passwd->add_option("--username", target, "login name")->required();
    passwd->add_option("--password", password, "new password (prefer VIGIL_PASSWORD or stdin)");
    passwd->add_flag("--password-stdin", passwordStdin, "read the password from standard input");
    passwd->callback([&options]() {
        runWithRedis(options,
                     [](common::EventLoop&, common::RedisClient& redis,
                        const common::Config& config) -> Task<void> {
                         Directory dir(redis);
                         AuditLog audit(redis);
                         auto u = co_await dir.findUserByUsername(target);
                         if (!u) throw ApiError("not_found", "no user '" + target + "'");
                         std::string pw = readPassword(password, passwordStdin);
                         signaling::checkPasswordStrength(pw, config);
                         co_await dir.setPasswordHash(u->id, common::hashPassword(pw));
                         co_await audit.append(kCliActor, "password_set", u->id, "{}");
                         // Whoever held the old password is signed out everywhere.
                         co_await sessionIndex(redis, config)
                             .endAll(u->id, signaling::session_end::kPasswordChanged);
                         std::cout << "password set for " << u->id << "\n";
                     });
    });
    static bool enable = false;
    auto* disable =
        user->add_subcommand("disable", "disable an account (it can no longer sign in)");
    disable->add_option("--username", target, "login name")->required();
    disable->add_flag("--enable", enable, "enable it again instead");
    disable->callback([&options]() {
        runWithRedis(options,
                     [](common::EventLoop&, common::RedisClient& redis,
                        const common::Config& config) -> Task<void> {
                         Directory dir(redis);
                         AuditLog audit(redis);
                         auto u = co_await dir.findUserByUsername(target);
                         if (!u) throw ApiError("not_found", "no user '" + target + "'");
                         co_await dir.setDisabled(u->id, !enable);
                         if (!enable) {
                             co_await sessionIndex(redis, config)
                                 .endAll(u->id, signaling::session_end::kAccountDisabled);
                         }
                         co_await audit.append(kCliActor, enable ? "user_enabled" : "user_disabled",
                                               u->id, "{}");
                         std::cout << u->id << (enable ? " enabled" : " disabled") << "\n";
                     });
    });
}

void addClass(CLI::App& app, GlobalOptions& options) {
    auto* cls = app.add_subcommand("class", "class sessions");
    cls->require_subcommand(1);
    static std::string title, unit, officer, start, end, enrolUnit, from, to;
    static bool optional = false;
    auto* add = cls->add_subcommand("add", "schedule a class session; prints its id");
    add->add_option("--title", title, "title")->required();
    add->add_option("--unit", unit, "org unit that runs it")->required();
    add->add_option("--officer", officer, "teaching officer's user id")->required();
    add->add_option("--start", start, "start, ISO 8601 (e.g. 2026-12-01T09:00+08:00)")->required();
    add->add_option("--end", end, "end, ISO 8601")->required();
    add->add_option("--enrol-unit", enrolUnit, "enrol every subject of this unit and below");
    add->add_flag("--optional", optional, "does not count towards the monthly required hours");
    add->callback([&options]() {
        runWithRedis(options,
                     [](common::EventLoop&, common::RedisClient& redis,
                        const common::Config& config) -> Task<void> {
                         int offset = config.utcOffsetMinutes();
                         signaling::ClassSession c;
                         c.title = title;
                         c.unit = unit;
                         c.officer = officer;
                         c.start = parseTimeOrThrow(start, "--start", offset);
                         c.end = parseTimeOrThrow(end, "--end", offset);
                         c.required = !optional;
                         c.enrolUnit = enrolUnit;
                         Directory dir(redis);
                         AuditLog audit(redis);
                         auto created = co_await dir.addClass(c);
                         const std::string detail = created.toJson(offset).dump();
                         co_await audit.append(kCliActor, "class_added", created.id, detail);
                         std::cout << created.id << "\n";
                     });
    });
    auto* list = cls->add_subcommand("list", "list class sessions");
    list->add_option("--from", from, "from (ISO 8601); default 30 days ago");
    list->add_option("--to", to, "to (ISO 8601); default in 30 days");
    list->callback([&options]() {
        runWithRedis(options,
                     [](common::EventLoop&, common::RedisClient& redis,
                        const common::Config& config) -> Task<void> {
                         int offset = config.utcOffsetMinutes();
                         common::Millis now = common::nowMillis();
                         common::Millis f = from.empty() ? now - 30LL * 86400000
                                                         : parseTimeOrThrow(from, "--from", offset);
                         common::Millis t = to.empty() ? now + 30LL * 86400000
                                                       : parseTimeOrThrow(to, "--to", offset);
                         Directory dir(redis);
                         for (const auto& c : co_await dir.listClasses(f, t)) {
                             std::cout << c.id << "\t" << common::formatIso8601(c.start, offset)
                                       << "\t" << common::formatIso8601(c.end, offset) << "\t"
                                       << signaling::toString(c.state) << "\t" << c.unit << "\t"
                                       << c.title << "\n";
                         }
                     });
    });
}

void addEnrol(CLI::App& app, GlobalOptions& options) {
    auto* enrol = app.add_subcommand("enrol", "enrol subjects in a class session");
    static std::string classId;
    static std::vector<std::string> subjects;
    enrol->add_option("--class", classId, "class id")->required();
    enrol->add_option("--subject", subjects, "subject user id (repeat for several)")->required();
    enrol->callback([&options]() {
        runWithRedis(options,
                     [](common::EventLoop&, common::RedisClient& redis,
                        const common::Config&) -> Task<void> {
                         Directory dir(redis);
                         AuditLog audit(redis);
                         co_await dir.enrol(classId, subjects);
                         const std::string detail = nlohmann::json{{"subjects", subjects}}.dump();
                         co_await audit.append(kCliActor, "enrolled", classId, detail);
                         std::cout << "enrolled " << subjects.size() << " subject(s) in " << classId
                                   << "\n";
                     });
    });
}

void addAudit(CLI::App& app, GlobalOptions& options) {
    auto* audit = app.add_subcommand("audit", "the audit log");
    audit->require_subcommand(1);
    auto* verify = audit->add_subcommand(
        "verify",
        "check the audit log's hash chain against the anchor's checkpoints; names the first "
        "broken entry");
    auto anchors = std::make_shared<std::vector<std::string>>();
    verify->add_option("--anchor", *anchors,
                       "an anchor file to check against, besides [audit] anchor_file (another "
                       "node's; signed with the same [audit] anchor_key_file)");
    verify->callback([&options, anchors]() {
        runWithRedis(options,
                     [anchors](common::EventLoop&, common::RedisClient& redis,
                               const common::Config& config) -> Task<void> {
                         std::vector<std::string> files = *anchors;
                         if (!config.audit.anchorFile.empty())
                             files.insert(files.begin(), config.audit.anchorFile);
                         std::vector<signaling::AuditAnchor::Checkpoint> checkpoints;
                         if (!files.empty()) {
                             const std::string key =
                                 common::loadOrCreateSecretKey(config.audit.anchorKeyFile);
                             for (const auto& file : files) {
                                 auto contents = signaling::AuditAnchor::load(file, key);
                                 if (contents.problem) {
                                     std::cout << "BROKEN anchor " << file << ": "
                                               << *contents.problem << "\n";
                                     std::exit(3);
                                 }
                                 checkpoints.insert(checkpoints.end(), contents.checkpoints.begin(),
                                                    contents.checkpoints.end());
                             }
                         }
                         AuditLog log(redis);
                         auto broken = co_await log.verify(checkpoints);
                         if (broken) {
                             std::cout << "BROKEN at entry " << broken->index << " (" << broken->id
                                       << "): " << broken->reason << "\n";
                             std::exit(3);
                         }
                         auto length = co_await redis.cmd("XLEN", signaling::keys::kAudit);
                         if (length.asInteger() == 0) {
                             // A server writes entries from its first sign-in on: an empty
                             // log was deleted (or this is the wrong Redis), never intact.
                             std::cout << "BROKEN: the audit log is missing (no entries in "
                                       << signaling::keys::kAudit << ")\n";
                             std::exit(3);
                         }
                         std::cout << "intact: " << length.asInteger() << " entries, "
                                   << checkpoints.size() << " checkpoint(s) matched\n";
                     });
    });
}
}  // namespace

void addAdminCommands(CLI::App& app, GlobalOptions& options) {
    addOrgUnit(app, options);
    addUser(app, options);
    addClass(app, options);
    addEnrol(app, options);
    addAudit(app, options);
}

}  // namespace vigil::app
