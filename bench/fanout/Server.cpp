#include "Server.hpp"

#include <hiredis/hiredis.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "HttpProbe.hpp"
#include "vigil/signaling/Keys.hpp"

namespace fanout {

namespace {

constexpr auto kStartLimit = std::chrono::seconds(20);
constexpr auto kCliLimit = std::chrono::seconds(30);
constexpr auto kHttpTimeout = std::chrono::seconds(10);

std::string lastLines(const std::string& path) {
    std::string out;
    for (const auto& line : ws_load::tailLog(path, 10)) out += "\n  " + line;
    return out;
}

}  // namespace

Server::Server(ServerSpec spec) : spec_(std::move(spec)) {
    redis_ = ws_load::startRedis(spec_.dir, spec_.openFiles);
    port_ = ws_load::freeLoopbackPort();
    log_ = spec_.dir + "/vigil.log";
    ws_load::SpawnSpec s;
    if (spec_.core >= 0) s.argv = {"taskset", "-c", std::to_string(spec_.core)};
    for (std::string arg :
         {spec_.vigil, std::string("serve"), std::string("--config"), spec_.config})
        s.argv.push_back(arg);
    // Media on loopback as well as signaling: libnice would otherwise gather on the host's
    // other interfaces.
    s.env = {"VIGIL_REDIS_URL=" + redis_.url(), "VIGIL_SERVER_PORT=" + std::to_string(port_),
             "VIGIL_SERVER_LISTEN=127.0.0.1", "VIGIL_MEDIA_ICE_ADDRESSES=127.0.0.1",
             // The bench's peers trickle 127.0.0.1 candidates, dropped by default.
             "VIGIL_MEDIA_ALLOW_LOOPBACK_CANDIDATES=true", "VIGIL_SERVER_ROLES=signaling,media",
             "VIGIL_RECORDING_ENABLED=false", "VIGIL_LOG_LEVEL=info", "LIBC_FATAL_STDERR_=1"};
    s.env.insert(s.env.end(), spec_.env.begin(), spec_.env.end());
    s.workDir = spec_.sourceDir;
    s.logPath = log_;
    s.openFiles = spec_.openFiles;
    server_ = ws_load::Child(s);
    const auto deadline = std::chrono::steady_clock::now() + kStartLimit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!server_.running()) {
            throw std::runtime_error("vigil serve exited at start (" + server_.stop() + ")" +
                                     lastLines(log_));
        }
        auto r = ws_load::httpRequest("127.0.0.1", port_, "GET", "/healthz", "",
                                      std::chrono::seconds(2));
        if (r.status == 200) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("vigil serve did not answer /healthz in time" + lastLines(log_));
}

void Server::cli(const std::vector<std::string>& args, const std::string& password) {
    ws_load::SpawnSpec s;
    s.argv = {spec_.vigil, "--config", spec_.config};
    s.argv.insert(s.argv.end(), args.begin(), args.end());
    s.env = {"VIGIL_REDIS_URL=" + redis_.url(), "VIGIL_LOG_LEVEL=warn"};
    if (!password.empty()) s.env.push_back("VIGIL_PASSWORD=" + password);
    s.workDir = spec_.sourceDir;
    s.logPath = spec_.dir + "/cli.log";
    ws_load::Child child(s);
    int status = -1;
    if (!child.wait(kCliLimit, &status) || status != 0) {
        throw std::runtime_error("vigil " + args.front() + " " + args.at(1) + " failed (status " +
                                 std::to_string(status) + ")" + lastLines(s.logPath));
    }
}

Login Server::login(const std::string& username, const std::string& password) {
    const std::string body = nlohmann::json{{"username", username}, {"password", password}}.dump();
    auto r = ws_load::httpRequest("127.0.0.1", port_, "POST", "/api/login", body, kHttpTimeout);
    auto reply = nlohmann::json::parse(r.body, nullptr, false);
    if (r.status != 200 || !reply.is_object() || !reply.contains("user")) {
        throw std::runtime_error("login as " + username + ": HTTP " + std::to_string(r.status) +
                                 " " + r.error + r.body);
    }
    return {reply.value("token", ""), reply["user"].value("id", "")};
}

long long Server::camerasSampled(const std::string& classId) {
    timeval timeout{2, 0};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", redis_.port, timeout);
    long long total = -1;
    if (c != nullptr && c->err == 0) {
        if (auto* auth =
                static_cast<redisReply*>(redisCommand(c, "AUTH %s", redis_.password.c_str())))
            freeReplyObject(auth);
        const std::string key = vigil::signaling::keys::sampleCount(classId);
        auto* reply = static_cast<redisReply*>(redisCommand(c, "HVALS %s", key.c_str()));
        if (reply != nullptr && reply->type == REDIS_REPLY_ARRAY) {
            total = 0;
            for (size_t i = 0; i < reply->elements; ++i)
                total += std::stoll(reply->element[i]->str);
        }
        if (reply != nullptr) freeReplyObject(reply);
    }
    if (c != nullptr) redisFree(c);
    return total;
}

std::string Server::stop() {
    std::string exit = server_.stop(std::chrono::seconds(15));
    redis_.child.stop(std::chrono::seconds(5));
    return exit;
}

}  // namespace fanout
