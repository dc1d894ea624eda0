#pragma once
// The system under test: a private redis-server and `vigil serve` pinned to one CPU, the
// admin CLI against them, password logins, and what the server wrote to Redis.

#include <sys/types.h>

#include <string>
#include <vector>

#include "Processes.hpp"

namespace fanout {

struct ServerSpec {
    std::string vigil;
    std::string config;
    std::string sourceDir;  // the server runs here: relative paths of the configuration
    std::string dir;        // Redis data and every log
    int core = -1;          // pin the server to this CPU; -1: leave it free
    long openFiles = 0;
    std::vector<std::string> env;  // more "NAME=value" settings for the server
};

struct Login {
    std::string token;
    std::string userId;
};

class Server {
public:
    // Starts Redis, then the server with the media role, recording off and its log at info
    // level in dir/vigil.log. Throws std::runtime_error if either does not come up.
    explicit Server(ServerSpec spec);

    pid_t pid() const { return server_.pid(); }
    int port() const { return port_; }
    const std::string& logPath() const { return log_; }
    bool running() { return server_.running(); }

    // `vigil ARGS...` against this Redis, with VIGIL_PASSWORD set when `password` is not
    // empty. Throws with the end of its output unless it exits 0.
    void cli(const std::vector<std::string>& args, const std::string& password = "");
    // POST /api/login. Throws when refused.
    Login login(const std::string& username, const std::string& password);
    // Camera pictures the server has sampled in class `classId`, every subject together.
    long long camerasSampled(const std::string& classId);
    // SIGTERM, then Redis; the server's exit status as text.
    std::string stop();

private:
    ServerSpec spec_;
    ws_load::StartedRedis redis_;
    ws_load::Child server_;
    int port_ = 0;
    std::string log_;
};

}  // namespace fanout
