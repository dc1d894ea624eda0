#pragma once
// Real components for integration tests: a private redis-server on a free port, the real
// `vigil` binary as a child process, and a small blocking HTTP client.

#include <sys/types.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vigil::testing {

int freePort();
std::string makeTempDir(const std::string& prefix);
// Absolute path of a file installed by scripts/assets under var/testdata/, e.g.
// testdataPath("photos/group_faces.jpg").
std::string testdataPath(const std::string& relative);

// One entry of a Redis Stream.
struct StreamEntry {
    std::string id;                             // "<ms>-<seq>"
    std::map<std::string, std::string> fields;  // A missing field reads as "".

    // The time Redis stored the entry (the id's milliseconds part).
    long long idMillis() const;
    std::string operator[](const std::string& field) const {
        auto it = fields.find(field);
        return it == fields.end() ? std::string() : it->second;
    }
};

// Runs with a password, as a deployment does (`requirepass`, a fresh random one per server):
// url() carries it, cli() passes it, and a client that forgets it is refused.
class RedisServer {
public:
    RedisServer();
    ~RedisServer();
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    int port() const { return port_; }
    const std::string& password() const { return password_; }
    std::string url() const {
        return "redis://:" + password_ + "@127.0.0.1:" + std::to_string(port_) + "/0";
    }
    // The same address without the password (for VIGIL_REDIS_PASSWORD, or to be refused).
    std::string urlWithoutPassword() const {
        return "redis://127.0.0.1:" + std::to_string(port_) + "/0";
    }
    // Runs redis-cli against this server and returns its output (trailing newline removed).
    std::string cli(const std::vector<std::string>& args) const;
    // The same with `redis-cli --json`: the reply as JSON (null if it is not JSON).
    nlohmann::json cliJson(const std::vector<std::string>& args) const;
    // Every entry of the stream `key`, oldest first (XRANGE key - +).
    std::vector<StreamEntry> xrange(const std::string& key) const;
    // SIGTERM and wait (Redis writes its append-only file on the way out).
    void stop();
    // Starts it again on the same port and data directory, after stop().
    void restart();
    // SIGSTOP / SIGCONT: Redis stalls with its connections open (commands go unanswered),
    // as a long fork, a slow disk or `DEBUG SLEEP` would make it.
    void pause();
    void resume();

private:
    bool launch();

    int port_{0};
    pid_t pid_{-1};
    std::string dir_;
    std::string password_;
};

struct CommandResult {
    int exitCode{-1};
    std::string output;  // stdout and stderr together
};

// Runs `vigil ARGS...` with the environment `env` added; waits for it.
CommandResult runVigil(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env);

class VigilServer {
public:
    // Starts `vigil serve` on a free port against `redisUrl`; waits until /healthz answers.
    VigilServer(const std::string& redisUrl, std::map<std::string, std::string> env = {});
    ~VigilServer();
    VigilServer(const VigilServer&) = delete;
    VigilServer& operator=(const VigilServer&) = delete;

    int port() const { return port_; }
    pid_t pid() const { return pid_; }
    // SIGKILL: a crash, as far as the records are concerned.
    void kill();
    // SIGTERM and wait; returns the exit status.
    int stop();
    // Starts it again with the same port and environment.
    void restart();
    const std::string& logPath() const { return logPath_; }

private:
    void launch();

    std::string redisUrl_;
    std::map<std::string, std::string> env_;
    int port_{0};
    pid_t pid_{-1};
    std::string logPath_;
};

struct HttpResult {
    int status{0};
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
};

// `headers`: extra request headers, e.g. {{"Range", "bytes=0-99"}}.
HttpResult httpRequest(int port, const std::string& method, const std::string& path,
                       const std::string& body = "", const std::string& token = "",
                       const std::map<std::string, std::string>& headers = {});

// POST /api/login; returns the token or "" (and the full result through `out`).
std::string login(int port, const std::string& username, const std::string& password,
                  HttpResult* out = nullptr);

}  // namespace vigil::testing
