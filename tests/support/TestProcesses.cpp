#include "TestProcesses.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace vigil::testing {

namespace {
pid_t spawnProcess(const std::vector<std::string>& argv,
                   const std::map<std::string, std::string>& env, const std::string& outputPath) {
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
        int fd = open(outputPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    return pid;
}

int waitExit(pid_t pid, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The folder of each running RedisServer by URL (the URL holds its random password, so it
// names one server): the audit anchor of a Redis lives beside its data, as one file per
// deployment would, instead of one file shared by every test's Redis.
std::map<std::string, std::string>& redisDirs() {
    static std::map<std::string, std::string> dirs;
    return dirs;
}

// VIGIL_AUDIT_ANCHOR_FILE and its key for a vigil process on `redisUrl`, unless `env` names
// them already.
void addAnchorEnv(const std::string& redisUrl, std::map<std::string, std::string>& env) {
    auto it = redisDirs().find(redisUrl);
    if (it == redisDirs().end()) return;
    env.emplace("VIGIL_AUDIT_ANCHOR_FILE", it->second + "/audit-anchor.log");
    env.emplace("VIGIL_AUDIT_ANCHOR_KEY_FILE", it->second + "/audit-anchor.key");
}

std::map<std::string, std::string> baseEnv(const std::string& redisUrl) {
    return {{"VIGIL_REDIS_URL", redisUrl},
            {"VIGIL_LOG_LEVEL", "info"},
            {"VIGIL_SERVER_LISTEN", "127.0.0.1"},
            // Media stays on loopback too: without it libnice gathers on every other interface.
            {"VIGIL_MEDIA_ICE_ADDRESSES", "127.0.0.1"},
            // ...and the test peers' candidates are on 127.0.0.1, which a server drops by default.
            {"VIGIL_MEDIA_ALLOW_LOOPBACK_CANDIDATES", "true"},
            {"VIGIL_SERVER_WEB_ROOT", std::string(VIGIL_SOURCE_DIR) + "/web"},
            // The models scripts/setup installed; the reference key in the build tree.
            {"VIGIL_VISION_MODELS_DIR", std::string(VIGIL_SOURCE_DIR) + "/var/models"},
            {"VIGIL_VISION_REFERENCE_KEY_FILE", "test-reference.key"},
            // Most tests check the attendance rules of joins and leaves without any camera;
            // the presence tests switch verified crediting back on.
            {"VIGIL_PRESENCE_CREDIT_POLICY", "connected"}};
}
}  // namespace

int freePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    int port = ntohs(addr.sin_port);
    close(fd);
    return port;
}

std::string makeTempDir(const std::string& prefix) {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    return buf.data();
}

std::string testdataPath(const std::string& relative) {
    return std::string(VIGIL_SOURCE_DIR) + "/var/testdata/" + relative;
}

namespace {
// 24 hex digits from /dev/urandom: safe in a URL and on a shell command line unquoted.
std::string randomPassword() {
    std::ifstream in("/dev/urandom", std::ios::binary);
    std::string out;
    static const char* hex = "0123456789abcdef";
    for (int i = 0; i < 12; ++i) {
        auto byte = static_cast<unsigned char>(in.get());
        out += hex[byte >> 4];
        out += hex[byte & 15];
    }
    return out;
}
}  // namespace

RedisServer::RedisServer() {
    dir_ = makeTempDir("vigil-redis");
    password_ = randomPassword();
    for (int attempt = 0; attempt < 5; ++attempt) {
        port_ = freePort();
        if (launch()) {
            redisDirs()[url()] = dir_;  // The URL names the port: known only now.
            return;
        }
    }
    throw std::runtime_error("redis-server did not start; see " + dir_ + "/redis.log");
}

bool RedisServer::launch() {
    pid_ = spawnProcess(
        {"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--dir", dir_,
         "--appendonly", "yes", "--save", "", "--requirepass", password_},
        {}, dir_ + "/redis.log");
    for (int i = 0; i < 100; ++i) {
        if (cli({"PING"}) == "PONG") return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return false;
}

void RedisServer::restart() {
    stop();
    for (int attempt = 0; attempt < 20; ++attempt) {
        if (launch()) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("redis-server did not start again; see " + dir_ + "/redis.log");
}

RedisServer::~RedisServer() {
    redisDirs().erase(url());
    stop();
}

void RedisServer::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    waitExit(pid_, std::chrono::seconds(10));
    pid_ = -1;
}

void RedisServer::pause() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void RedisServer::resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
}

namespace {
std::string runRedisCli(int port, const std::string& password, const std::string& options,
                        const std::vector<std::string>& args) {
    // REDISCLI_AUTH rather than -a: no warning line in the output.
    std::string cmd =
        "REDISCLI_AUTH=" + password + " redis-cli -p " + std::to_string(port) + options;
    for (const auto& a : args) {
        std::string quoted = "'";
        for (char c : a) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
        cmd += " " + quoted + "'";
    }
    cmd += " 2>&1";
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
        pclose(p);
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}
}  // namespace

std::string RedisServer::cli(const std::vector<std::string>& args) const {
    return runRedisCli(port_, password_, "", args);
}

nlohmann::json RedisServer::cliJson(const std::vector<std::string>& args) const {
    auto j = nlohmann::json::parse(runRedisCli(port_, password_, " --json", args), nullptr, false);
    return j.is_discarded() ? nlohmann::json() : j;
}

long long StreamEntry::idMillis() const {
    return std::atoll(id.substr(0, id.find('-')).c_str());
}

std::vector<StreamEntry> RedisServer::xrange(const std::string& key) const {
    std::vector<StreamEntry> out;
    auto reply = cliJson({"XRANGE", key, "-", "+"});
    if (!reply.is_array()) return out;
    for (const auto& entry : reply) {
        if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_array())
            continue;
        StreamEntry e;
        e.id = entry[0].get<std::string>();
        const auto& kv = entry[1];
        for (size_t i = 0; i + 1 < kv.size(); i += 2) {
            if (kv[i].is_string() && kv[i + 1].is_string())
                e.fields[kv[i].get<std::string>()] = kv[i + 1].get<std::string>();
        }
        out.push_back(std::move(e));
    }
    return out;
}

CommandResult runVigil(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env) {
    const std::string dir = makeTempDir("vigil-cli");
    const std::string out = dir + "/out.txt";
    std::vector<std::string> argv{VIGIL_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    if (std::find(args.begin(), args.end(), "--config") == args.end()) {
        argv.push_back("--config");
        argv.push_back(std::string(VIGIL_SOURCE_DIR) + "/config/vigil.toml");
    }
    std::map<std::string, std::string> fullEnv = env;
    if (auto url = env.find("VIGIL_REDIS_URL"); url != env.end())
        addAnchorEnv(url->second, fullEnv);
    pid_t pid = spawnProcess(argv, fullEnv, out);
    CommandResult r;
    r.exitCode = waitExit(pid, std::chrono::seconds(60));
    r.output = readFile(out);
    ::unlink(out.c_str());
    ::rmdir(dir.c_str());
    return r;
}

VigilServer::VigilServer(const std::string& redisUrl, std::map<std::string, std::string> env)
    : redisUrl_(redisUrl), env_(std::move(env)) {
    port_ = freePort();
    logPath_ = makeTempDir("vigil-serve") + "/vigil.log";
    launch();
}

VigilServer::~VigilServer() {
    if (pid_ > 0) stop();
}

void VigilServer::launch() {
    auto env = baseEnv(redisUrl_);
    env["VIGIL_SERVER_PORT"] = std::to_string(port_);
    for (const auto& [k, v] : env_) env[k] = v;
    addAnchorEnv(env["VIGIL_REDIS_URL"], env);
    pid_ = spawnProcess(
        {VIGIL_BINARY, "serve", "--config", std::string(VIGIL_SOURCE_DIR) + "/config/vigil.toml"},
        env, logPath_);
    // Loading the vision models under the sanitizers takes seconds, many more on a host busy
    // with other tests: wait on the deadline, not on a count of tries.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(45);
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("vigil serve exited at start:\n" + readFile(logPath_));
        }
        try {
            if (httpRequest(port_, "GET", "/healthz").status == 200) return;
        } catch (const std::exception&) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("vigil serve did not become healthy:\n" + readFile(logPath_));
}

void VigilServer::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

int VigilServer::stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int code = waitExit(pid_, std::chrono::seconds(15));
    pid_ = -1;
    return code;
}

void VigilServer::restart() {
    if (pid_ > 0) stop();
    launch();
}

HttpResult httpRequest(int port, const std::string& method, const std::string& path,
                       const std::string& body, const std::string& token,
                       const std::map<std::string, std::string>& headers) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    timeval tv{15, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(fd);
        throw std::runtime_error("connect failed");
    }
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
    for (const auto& [name, value] : headers) req += name + ": " + value + "\r\n";
    if (!body.empty() || method == "POST") {
        req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\n";
    }
    req += "\r\n" + body;
    size_t sent = 0;
    while (sent < req.size()) {
        ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
    }
    std::string raw;
    char buf[16384];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) raw.append(buf, static_cast<size_t>(n));
    close(fd);
    HttpResult r;
    auto headerEnd = raw.find("\r\n\r\n");
    if (raw.rfind("HTTP/1.", 0) != 0 || headerEnd == std::string::npos) {
        throw std::runtime_error("bad HTTP response: " + raw.substr(0, 200));
    }
    r.status = std::atoi(raw.c_str() + 9);
    std::istringstream hs(raw.substr(0, headerEnd));
    std::string line;
    std::getline(hs, line);
    while (std::getline(hs, line)) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
        while (!value.empty() && (value.back() == '\r')) value.pop_back();
        r.headers[name] = value;
    }
    r.body = raw.substr(headerEnd + 4);
    if (r.headers.count("transfer-encoding") && r.headers["transfer-encoding"] == "chunked") {
        std::string decoded;
        size_t pos = 0;
        while (pos < r.body.size()) {
            size_t eol = r.body.find("\r\n", pos);
            if (eol == std::string::npos) break;
            size_t len = std::stoul(r.body.substr(pos, eol - pos), nullptr, 16);
            if (len == 0) break;
            decoded += r.body.substr(eol + 2, len);
            pos = eol + 2 + len + 2;
        }
        r.body = decoded;
    }
    return r;
}

std::string login(int port, const std::string& username, const std::string& password,
                  HttpResult* out) {
    nlohmann::json body{{"username", username}, {"password", password}};
    HttpResult r = httpRequest(port, "POST", "/api/login", body.dump());
    if (out != nullptr) *out = r;
    if (r.status != 200) return "";
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_object() ? j.value("token", "") : "";
}

}  // namespace vigil::testing
