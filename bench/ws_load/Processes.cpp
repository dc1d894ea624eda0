#include "Processes.hpp"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace ws_load {

namespace {

// Our environment with `extra` ("NAME=value") added or replacing same-named entries.
std::vector<std::string> mergedEnvironment(const std::vector<std::string>& extra) {
    std::map<std::string, std::string> vars;
    auto add = [&vars](const std::string& entry) {
        auto eq = entry.find('=');
        if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry;
    };
    for (char** e = environ; *e != nullptr; ++e) add(*e);
    for (const auto& e : extra) add(e);
    std::vector<std::string> out;
    for (auto& [name, entry] : vars) out.push_back(entry);
    return out;
}

std::vector<char*> cStrings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void execChild(const SpawnSpec& spec, char** argv, char** envp) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // The benchmark died: take the child with it.
    setpgid(0, 0);  // Our Ctrl-C reaches only the benchmark, which stops children in order.
    int log = spec.logPath.empty()
                  ? open("/dev/null", O_WRONLY)
                  : open(spec.logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int devNull = open("/dev/null", O_RDONLY);
    if (devNull >= 0) dup2(devNull, STDIN_FILENO);
    if (log >= 0) {
        dup2(log, STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
    }
    if (spec.openFiles > 0) {
        rlimit limit{static_cast<rlim_t>(spec.openFiles), static_cast<rlim_t>(spec.openFiles)};
        rlimit current{};
        if (getrlimit(RLIMIT_NOFILE, &current) == 0 && current.rlim_max < limit.rlim_max) {
            limit.rlim_cur = limit.rlim_max = current.rlim_max;
        }
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    if (!spec.workDir.empty() && chdir(spec.workDir.c_str()) != 0) _exit(126);
    execvpe(argv[0], argv, envp);
    _exit(127);
}

constexpr size_t kWatchdogSlots = 8;
std::array<std::atomic<pid_t>, kWatchdogSlots> watchdogPids{};

void onWatchdog(int) {
    for (auto& slot : watchdogPids) {
        pid_t pid = slot.load();
        if (pid > 0) kill(pid, SIGKILL);
    }
    static const char kMessage[] = "ws_load: time cap reached; children killed\n";
    ssize_t ignored = write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    (void)ignored;
    _exit(3);
}

std::string waitStatusText(int status) {
    if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        std::string text = "signal " + std::to_string(WTERMSIG(status));
        if (WCOREDUMP(status)) text += " (core dumped)";
        return text;
    }
    return "status " + std::to_string(status);
}

bool redisAnswers(int port, const std::string& password) {
    timeval timeout{1, 0};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeout);
    bool ok = false;
    if (c != nullptr && c->err == 0) {
        if (auto* auth = static_cast<redisReply*>(redisCommand(c, "AUTH %s", password.c_str())))
            freeReplyObject(auth);
        auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"));
        ok = reply != nullptr && reply->type == REDIS_REPLY_STATUS;
        if (reply != nullptr) freeReplyObject(reply);
    }
    if (c != nullptr) redisFree(c);
    return ok;
}

}  // namespace

Child::Child(const SpawnSpec& spec) {
    std::vector<std::string> args = spec.argv;
    std::vector<std::string> env = mergedEnvironment(spec.env);
    auto argv = cStrings(args);
    auto envp = cStrings(env);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid_ == 0) execChild(spec, argv.data(), envp.data());
    registerForWatchdog(pid_);
}

Child::Child(Child&& other) noexcept
    : pid_(other.pid_), termSent_(other.termSent_), exitText_(std::move(other.exitText_)) {
    other.pid_ = -1;
}

Child& Child::operator=(Child&& other) noexcept {
    if (this != &other) {
        stop();
        pid_ = other.pid_;
        termSent_ = other.termSent_;
        exitText_ = std::move(other.exitText_);
        other.pid_ = -1;
    }
    return *this;
}

Child::~Child() {
    stop();
}

std::string Child::reap(int status) {
    unregisterFromWatchdog(pid_);
    pid_ = -1;
    exitText_ = waitStatusText(status);
    if (!termSent_) exitText_ += ", before any SIGTERM (it crashed or quit)";
    return exitText_;
}

bool Child::running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reap(status);
        return false;
    }
    return true;
}

bool Child::wait(std::chrono::milliseconds limit, int* exitStatus) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (pid_ > 0) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            reap(status);
            if (exitStatus != nullptr) *exitStatus = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            stop(std::chrono::milliseconds(0));
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

std::string Child::stop(std::chrono::milliseconds grace) {
    if (pid_ <= 0) return exitText_;
    if (!running()) return exitText_;
    termSent_ = true;
    kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        if (waitpid(pid_, &status, WNOHANG) == pid_) return reap(status) + " after SIGTERM";
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    return reap(status) + " (SIGTERM ignored; killed)";
}

void registerForWatchdog(pid_t pid) {
    for (auto& slot : watchdogPids) {
        pid_t empty = 0;
        if (slot.compare_exchange_strong(empty, pid)) return;
    }
}

void unregisterFromWatchdog(pid_t pid) {
    for (auto& slot : watchdogPids) {
        pid_t expected = pid;
        slot.compare_exchange_strong(expected, 0);
    }
}

void armWatchdog(unsigned seconds) {
    struct sigaction action {};
    action.sa_handler = onWatchdog;
    sigemptyset(&action.sa_mask);
    sigaction(SIGALRM, &action, nullptr);
    alarm(seconds);
}

int freeLoopbackPort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        close(fd);
        throw std::runtime_error("no free port: " + std::string(std::strerror(errno)));
    }
    close(fd);
    return ntohs(addr.sin_port);
}

long raiseOpenFileLimit(long wanted) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
    rlim_t target = static_cast<rlim_t>(wanted);
    if (limit.rlim_max != RLIM_INFINITY && target > limit.rlim_max) target = limit.rlim_max;
    if (target > limit.rlim_cur) {
        limit.rlim_cur = target;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    return static_cast<long>(limit.rlim_cur);
}

std::optional<ProcSample> sampleProcess(pid_t pid) {
    if (pid <= 0) return std::nullopt;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    if (!status || !stat) return std::nullopt;
    ProcSample s;
    std::string line;
    while (std::getline(status, line)) {
        std::istringstream in(line);
        std::string key;
        in >> key;
        if (key == "State:" && line.find('Z') != std::string::npos) return std::nullopt;  // exited
        if (key == "VmRSS:") in >> s.rssKiB;
        if (key == "VmHWM:") in >> s.peakRssKiB;
        if (key == "Threads:") in >> s.threads;
    }
    // The command name (field 2) may hold spaces; utime and stime are fields 14 and 15.
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto close = text.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(text.substr(close + 2));
    std::string skip;
    for (int field = 3; field < 14; ++field) fields >> skip;
    unsigned long long utime = 0, stime = 0;
    fields >> utime >> stime;
    s.cpuSeconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    return s;
}

TempDir::TempDir() {
    std::string pattern = "/tmp/ws_load.XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    if (keep_) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

StartedRedis startRedis(const std::string& dir, long openFiles) {
    StartedRedis r;
    r.port = freeLoopbackPort();
    std::random_device random;
    for (int i = 0; i < 4; ++i) {
        char part[9];
        std::snprintf(part, sizeof part, "%08x", static_cast<unsigned>(random()));
        r.password += part;
    }
    SpawnSpec spec;
    spec.argv = {"/usr/bin/redis-server",
                 "--port",
                 std::to_string(r.port),
                 "--bind",
                 "127.0.0.1",
                 "--dir",
                 dir,
                 "--appendonly",
                 "yes",
                 "--save",
                 "",
                 "--daemonize",
                 "no",
                 "--logfile",
                 dir + "/redis.log",
                 "--requirepass",
                 r.password};
    if (!std::filesystem::exists(spec.argv[0])) spec.argv[0] = "redis-server";
    spec.openFiles = openFiles;
    r.child = Child(spec);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        if (!r.child.running())
            throw std::runtime_error("redis-server exited at start (see redis.log)");
        if (redisAnswers(r.port, r.password)) return r;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("redis-server did not answer PING within 10 s");
}

std::vector<std::string> grepLog(const std::string& path, const std::vector<std::string>& needles,
                                 size_t limit, size_t* total) {
    std::vector<std::string> out;
    size_t count = 0;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        bool hit = false;
        for (const auto& n : needles) hit = hit || line.find(n) != std::string::npos;
        if (!hit) continue;
        ++count;
        if (out.size() < limit) out.push_back(line);
    }
    if (total != nullptr) *total = count;
    return out;
}

std::string loadAverage() {
    std::ifstream in("/proc/loadavg");
    std::string one;
    in >> one;
    return one.empty() ? "n/a" : one;
}

std::vector<std::string> tailLog(const std::string& path, size_t count) {
    std::vector<std::string> lines;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        lines.push_back(line);
        if (lines.size() > count) lines.erase(lines.begin());
    }
    return lines;
}

}  // namespace ws_load
