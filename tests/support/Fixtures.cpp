#include "Fixtures.hpp"

#include <ctime>
#include <sstream>
#include <stdexcept>

namespace vigil::testing {

long long nowMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string isoAt(long long ms, int offsetMinutes) {
    long long seconds =
        (ms >= 0 ? ms / 1000 : (ms - 999) / 1000) + static_cast<long long>(offsetMinutes) * 60;
    std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    int off = offsetMinutes < 0 ? -offsetMinutes : offsetMinutes;
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  offsetMinutes < 0 ? '-' : '+', off / 60, off % 60);
    return buf;
}

CommandResult vigilCli(const RedisServer& redis, const std::vector<std::string>& args,
                       std::map<std::string, std::string> extraEnv) {
    std::map<std::string, std::string> env{{"VIGIL_REDIS_URL", redis.url()},
                                           {"VIGIL_LOG_LEVEL", "off"}};
    for (auto& [k, v] : extraEnv) env[k] = v;
    return runVigil(args, env);
}

std::string vigilOk(const RedisServer& redis, const std::vector<std::string>& args) {
    auto r = vigilCli(redis, args);
    if (r.exitCode != 0) {
        std::string cmd;
        for (const auto& a : args) cmd += " " + a;
        throw std::runtime_error("vigil" + cmd + " exited " + std::to_string(r.exitCode) + ":\n" +
                                 r.output);
    }
    std::istringstream in(r.output);
    std::string line, last;
    while (std::getline(in, line)) {
        if (!line.empty()) last = line;
    }
    return last;
}

void seedDemo(const RedisServer& redis) {
    vigilOk(redis, {"demo", "seed"});
}

std::string addClass(const RedisServer& redis, const std::string& title, const std::string& unit,
                     const std::string& officer, long long startMs, long long endMs,
                     const std::string& enrolUnit, bool optional) {
    std::vector<std::string> args{"class",   "add",          "--title",   title,
                                  "--unit",  unit,           "--officer", officer,
                                  "--start", isoAt(startMs), "--end",     isoAt(endMs)};
    if (!enrolUnit.empty()) {
        args.push_back("--enrol-unit");
        args.push_back(enrolUnit);
    }
    if (optional) args.push_back("--optional");
    return vigilOk(redis, args);
}

std::unique_ptr<WsClient> connectAs(int port, const std::string& username,
                                    nlohmann::json* authReply, const std::string& password) {
    HttpResult result;
    std::string token = login(port, username, password, &result);
    if (token.empty()) {
        throw std::runtime_error("login as " + username +
                                 " failed: " + std::to_string(result.status) + " " + result.body);
    }
    auto ws = std::make_unique<WsClient>(port);
    auto reply = ws->request({{"type", "auth"}, {"token", token}});
    if (reply.value("type", "") != "ok")
        throw std::runtime_error("auth as " + username + " failed: " + reply.dump());
    if (authReply != nullptr) *authReply = reply;
    return ws;
}

JsonResult getJson(int port, const std::string& path, const std::string& token) {
    HttpResult r = httpRequest(port, "GET", path, "", token);
    JsonResult out;
    out.status = r.status;
    out.raw = r.body;
    out.headers = r.headers;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_discarded()) out.body = j;
    return out;
}

std::vector<StreamEntry> attendanceEvents(const RedisServer& redis, const std::string& classId) {
    return redis.xrange("vigil:att:" + classId);
}

std::vector<StreamEntry> eventsOf(const std::vector<StreamEntry>& events, const std::string& kind,
                                  const std::string& subject) {
    std::vector<StreamEntry> out;
    for (const auto& e : events) {
        if (e["kind"] == kind && (subject.empty() || e["subject"] == subject)) out.push_back(e);
    }
    return out;
}

nlohmann::json openInterval(const RedisServer& redis, const std::string& classId,
                            const std::string& subject) {
    auto j = nlohmann::json::parse(redis.cli({"HGET", "vigil:open:" + classId, subject}), nullptr,
                                   false);
    return j.is_object() ? j : nlohmann::json();
}

std::vector<nlohmann::json> collect(WsClient& ws,
                                    const std::function<bool(const nlohmann::json&)>& pred,
                                    std::chrono::milliseconds quiet) {
    std::vector<nlohmann::json> out;
    while (auto m = ws.waitFor(pred, quiet)) out.push_back(*m);
    return out;
}

bool hasParticipant(const nlohmann::json& participants, const std::string& subject) {
    if (!participants.is_array()) return false;
    for (const auto& p : participants) {
        if (p.value("id", "") == subject) return true;
    }
    return false;
}

std::optional<nlohmann::json> waitForRoster(
    WsClient& ws, const std::function<bool(const nlohmann::json& participants)>& pred,
    std::chrono::milliseconds timeout) {
    // Roster pushes are taken in arrival order, so an older one cannot stand in for a newer.
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        auto m = ws.waitFor(
            [](const nlohmann::json& j) {
                return j.value("type", "") == "roster" && !j.contains("re") &&
                       j.contains("participants");
            },
            left);
        if (!m) return std::nullopt;
        if (pred((*m)["participants"])) return m;
    }
}

void addInterval(const RedisServer& redis, const std::string& classId, const std::string& subject,
                 const std::string& conn, long long join, long long leave,
                 const std::string& reason) {
    const std::string key = "vigil:att:" + classId;
    redis.cli({"XADD", key, "*", "kind", "join", "subject", subject, "ts", std::to_string(join),
               "conn", conn, "node", "fixture:1"});
    redis.cli({"XADD", key, "*", "kind", "leave", "subject", subject, "ts", std::to_string(leave),
               "reason", reason, "conn", conn, "node", "fixture:1"});
}

}  // namespace vigil::testing
