#pragma once
// Child processes (redis-server, vigil serve, the vigil admin CLI) and what /proc says about
// them. Every child gets SIGTERM if the benchmark dies, so nothing outlives it.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ws_load {

struct SpawnSpec {
    std::vector<std::string> argv;
    std::vector<std::string> env;  // "NAME=value", added to (and overriding) our environment
    std::string workDir;           // empty: ours
    std::string logPath;           // stdout and stderr go here; empty: /dev/null
    long openFiles = 0;            // RLIMIT_NOFILE for the child; 0: inherit
};

class Child {
public:
    Child() = default;
    explicit Child(const SpawnSpec& spec);  // throws std::runtime_error if fork fails
    Child(Child&& other) noexcept;
    Child& operator=(Child&& other) noexcept;
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child();  // stop(): a child never outlives its owner

    pid_t pid() const { return pid_; }
    bool running();
    // SIGTERM, then SIGKILL after `grace`. Returns the wait status text ("exit 0 after
    // SIGTERM", "signal 11, before any SIGTERM ..."), or "" if there was no child.
    std::string stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
    // Waits up to `limit` for the child to end by itself; false if it had to be killed.
    bool wait(std::chrono::milliseconds limit, int* exitStatus);

private:
    std::string reap(int status);

    pid_t pid_ = -1;
    bool termSent_ = false;  // an exit before this is the child's own doing
    std::string exitText_;
};

// The pids the watchdog kills if the run overstays its time cap.
void registerForWatchdog(pid_t pid);
void unregisterFromWatchdog(pid_t pid);
// After `seconds`, kill every registered child and exit with status 3.
void armWatchdog(unsigned seconds);

// A port on 127.0.0.1 that was free a moment ago.
int freeLoopbackPort();

// Raises our own RLIMIT_NOFILE to `wanted` (or the hard limit); returns the new soft limit.
long raiseOpenFileLimit(long wanted);

struct ProcSample {
    long rssKiB = 0;      // VmRSS
    long peakRssKiB = 0;  // VmHWM
    int threads = 0;
    double cpuSeconds = 0;  // utime + stime
};

// Reads /proc/<pid>/status and /proc/<pid>/stat; nothing if the process is gone.
std::optional<ProcSample> sampleProcess(pid_t pid);

// A private folder under /tmp, removed with everything in it unless kept.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    void keep() { keep_ = true; }

private:
    std::string path_;
    bool keep_ = false;
};

// redis-server on a free loopback port with AOF on, data in `dir`, and a random password
// (as a deployment runs it); waits for PING. Throws std::runtime_error if it does not answer
// within 10 s.
struct StartedRedis {
    Child child;
    int port = 0;
    std::string password;
    std::string url() const {
        return "redis://:" + password + "@127.0.0.1:" + std::to_string(port) + "/0";
    }
};
StartedRedis startRedis(const std::string& dir, long openFiles);

// Lines of a log file that contain one of `needles`, at most `limit` of them.
std::vector<std::string> grepLog(const std::string& path, const std::vector<std::string>& needles,
                                 size_t limit, size_t* total);

// The host's 1-minute load average: figures from a busy machine are not comparable.
std::string loadAverage();

// The last `count` lines of a log file.
std::vector<std::string> tailLog(const std::string& path, size_t count);

}  // namespace ws_load
