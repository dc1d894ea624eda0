// ws_load: a load benchmark for the signaling role. It starts a private redis-server and
// `vigil serve` (or uses a running pair given by --url and --redis), seeds N subjects and
// their classes straight into Redis, times a few real password logins, then opens N
// concurrent WebSocket clients that authenticate, join their class and send heartbeats for
// --hold seconds. It prints one table: connections, failures by error code, join latency,
// message rates, and the server's memory, CPU and threads. See bench/README.md.
//
// Exit status: 0 when the run happened (whatever the figures), 1 when it could not (the
// server or Redis did not start, seeding failed), 2 for a bad command line, 3 when the
// time cap killed the run.

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "Fleet.hpp"
#include "HttpProbe.hpp"
#include "Options.hpp"
#include "Processes.hpp"
#include "Run.hpp"
#include "Seed.hpp"
#include "vigil/common/Config.hpp"
#include "vigil/common/Crypto.hpp"

namespace ws_load {

namespace {

using std::chrono::seconds;

std::atomic<bool> gInterrupted{false};

constexpr int kServerStartSeconds = 20;
constexpr int kSettleSeconds = 45;      // ramp allowance beyond its nominal length
constexpr int kCloseSeconds = 15;       // for the clients to close and the server to record it
constexpr int kCliSeconds = 15;         // vigil user add
constexpr int kLoginPhaseSeconds = 20;  // however many logins fit
constexpr int kCapSlackSeconds = 120;   // the rest: start, seeding, logins, close, stop

void onInterrupt(int) {
    // The first Ctrl-C ends the current phase and cleans up; a second one gives up at once
    // (the children still get SIGTERM from the kernel: PR_SET_PDEATHSIG).
    if (gInterrupted.exchange(true)) _exit(130);
}

void installSignalHandlers() {
    struct sigaction action {};
    action.sa_handler = onInterrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    signal(SIGPIPE, SIG_IGN);
}

void say(const std::string& line) {
    std::cerr << "ws_load: " << line << std::endl;
}

bool serverHealthy(const HostPort& http) {
    auto r = httpRequest(http.host, http.port, "GET", "/healthz", "", std::chrono::seconds(2));
    return r.status == 200;
}

Child startServer(const Options& opt, const std::string& redisUrl, int port,
                  const std::string& logPath, long openFiles) {
    SpawnSpec spec;
    spec.argv = {opt.vigil, "serve", "--config", opt.config};
    spec.env = {"VIGIL_REDIS_URL=" + redisUrl, "VIGIL_SERVER_PORT=" + std::to_string(port),
                "VIGIL_SERVER_LISTEN=127.0.0.1", "VIGIL_MEDIA_ICE_ADDRESSES=127.0.0.1",
                "VIGIL_LOG_LEVEL=warn",
                // Every client comes from 127.0.0.1: no per-address connection limit.
                "VIGIL_SERVER_MAX_CONNECTIONS_PER_ADDRESS=0",
                // glibc's "double free" and similar reports go to the log, not to a tty.
                "LIBC_FATAL_STDERR_=1"};
    // As scripts/run does: relative paths in the configuration (web_root) resolve here.
    spec.workDir = WS_LOAD_SOURCE_DIR;
    spec.logPath = logPath;
    spec.openFiles = openFiles;
    return Child(spec);
}

// Starts redis-server and vigil serve; false (with a message) if either did not come up.
bool launch(const Options& opt, const TempDir& tmp, long openFiles, Target& t) {
    try {
        std::filesystem::create_directories(tmp.path() + "/redis");
        t.redis = startRedis(tmp.path() + "/redis", openFiles);
        t.redisUrl = t.redis->url();
        t.http = {"127.0.0.1", freeLoopbackPort()};
        t.serverLog = tmp.path() + "/vigil.log";
        t.server = startServer(opt, t.redisUrl, t.http.port, t.serverLog, openFiles);
        t.serverPid = t.server->pid();
    } catch (const std::exception& e) {
        say(std::string("cannot start: ") + e.what());
        return false;
    }
    auto deadline = Clock::now() + seconds(kServerStartSeconds);
    while (Clock::now() < deadline && !gInterrupted) {
        if (!t.server->running()) {
            say("vigil serve exited at start (" + t.server->stop() + "); its log:");
            for (const auto& l : tailLog(t.serverLog, 30)) std::cerr << "  " << l << "\n";
            return false;
        }
        if (serverHealthy(t.http)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    say("vigil serve did not answer /healthz within " + std::to_string(kServerStartSeconds) + " s");
    return false;
}

bool attach(const Options& opt, Target& t) {
    t.http = parseServerUrl(opt.url);
    t.redisUrl = opt.redis;
    t.serverPid = opt.serverPid;
    if (!serverHealthy(t.http)) {
        say("no healthy server at " + opt.url + " (GET /healthz)");
        return false;
    }
    return true;
}

// One account made with the admin CLI (as an administrator would), then `count` timed
// POST /api/login round trips, one after another.
LoginSample sampleLogins(const Options& opt, const Target& t, const SeedResult& seed,
                         const std::string& logPath, int count) {
    LoginSample out;
    if (count == 0) {
        out.note = "not measured (--logins 0)";
        return out;
    }
    const std::string username = seed.tag + ".login";
    const std::string password = "Load!" + seed.tag + "-pw";
    SpawnSpec spec;
    spec.argv = {opt.vigil,    "--config", opt.config,    "user",       "add",
                 "--username", username,   "--name",      "Load login", "--role",
                 "subject",    "--unit",   seed.rootUnit, "--password", password};
    spec.env = {"VIGIL_REDIS_URL=" + t.redisUrl, "VIGIL_LOG_LEVEL=warn"};
    spec.workDir = WS_LOAD_SOURCE_DIR;
    spec.logPath = logPath;
    Child cli(spec);
    int status = -1;
    if (!cli.wait(seconds(kCliSeconds), &status) || status != 0) {
        out.note =
            "vigil user add failed (status " + std::to_string(status) + ", see " + logPath + ")";
        return out;
    }
    const std::string body = nlohmann::json{{"username", username}, {"password", password}}.dump();
    const auto deadline = Clock::now() + seconds(kLoginPhaseSeconds);
    for (int i = 0; i < count && !gInterrupted && Clock::now() < deadline; ++i) {
        auto started = Clock::now();
        auto r = httpRequest(t.http.host, t.http.port, "POST", "/api/login", body, seconds(10));
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
        if (r.status == 200) {
            out.ms.push_back(ms);
        } else {
            ++out.failures[r.status != 0 ? "HTTP " + std::to_string(r.status) : r.error];
        }
    }
    return out;
}

// After the clients close, the server records a leave per subject; wait for that.
AfterClose awaitLeaves(RedisSync& redis, const SeedResult& seed) {
    AfterClose out;
    auto started = Clock::now();
    auto deadline = started + seconds(kCloseSeconds);
    try {
        do {
            out.openIntervals = openIntervals(redis, seed.classIds);
            if (out.openIntervals == 0) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        } while (Clock::now() < deadline);
        out.attendanceEvents = attendanceEvents(redis, seed.classIds);
    } catch (const std::exception& e) {
        out.error = e.what();
    }
    out.intervalsSeconds = std::chrono::duration<double>(Clock::now() - started).count();
    return out;
}

std::vector<ClientSpec> clientSpecs(const SeedResult& seed) {
    std::vector<ClientSpec> specs;
    for (const auto& c : seed.clients) specs.push_back({c.token, c.classId, c.teacher});
    return specs;
}

double ownCpuSeconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
    return secs(usage.ru_utime) + secs(usage.ru_stime);
}

void noteServerAlive(Run& run, const char* phase) {
    if (!run.serverDied.empty() || !run.target.server || run.target.server->running()) return;
    run.serverDied = phase;
    say(std::string("the server is gone (during ") + phase + ")");
}

// The WebSocket part: ramp, hold, close, with process samples between the phases.
void runClients(Run& run, Fleet& fleet, RedisSync& redis) {
    const Options& opt = run.opt;
    const pid_t redisPid = run.target.redis ? run.target.redis->child.pid() : 0;
    const int nominalRamp = static_cast<int>(
        (run.seed.clients.size() / static_cast<size_t>(opt.rampBatch) + 1) * opt.rampStepMs / 1000);
    const double cpuAtStart = ownCpuSeconds();
    say("ramp: " + std::to_string(run.seed.clients.size()) + " connections, " +
        std::to_string(opt.rampBatch) + " every " + std::to_string(opt.rampStepMs) + " ms");
    run.rampSeconds = fleet.ramp(seconds(nominalRamp + kSettleSeconds));
    run.samples.serverRamped = sampleProcess(run.target.serverPid);
    run.openAfterRamp = fleet.openNow();
    noteServerAlive(run, "the ramp");
    say("hold: " + std::to_string(fleet.openNow()) + " open, " + std::to_string(fleet.joinedNow()) +
        " in class, for " + std::to_string(opt.holdSeconds) + " s");
    run.holdStart = fleet.stats().total;
    run.holdSeconds = fleet.hold(seconds(opt.holdSeconds));
    run.holdEnd = fleet.stats().total;
    run.openAtHoldEnd = fleet.openNow();
    run.joinedAtHoldEnd = fleet.joinedNow();
    run.samples.serverHeld = sampleProcess(run.target.serverPid);
    run.samples.redisHeld = sampleProcess(redisPid);
    noteServerAlive(run, "the hold");
    say("closing");
    const int stillOpen = fleet.closeAll(seconds(kCloseSeconds));
    run.benchCpuSeconds = ownCpuSeconds() - cpuAtStart;
    run.afterClose = awaitLeaves(redis, run.seed);
    run.afterClose.stillOpen = stillOpen;
    run.samples.serverAfter = sampleProcess(run.target.serverPid);
    noteServerAlive(run, "the close");
}

void stopTarget(Run& run) {
    if (run.target.server) {
        run.serverExit = run.target.server->stop(seconds(10));
        run.serverProblemLines = grepLog(run.target.serverLog,
                                         {" warning [", " error [", " critical [", "terminate",
                                          "Sanitizer", "free(", "corrupted", "Segmentation"},
                                         12, &run.serverProblems);
    }
    if (run.target.redis) run.redisExit = run.target.redis->child.stop(seconds(5));
}

int capSeconds(const Options& opt) {
    int clients = opt.clients + (opt.teachers ? opt.clients / opt.classSize + 1 : 0);
    int ramp = (clients / opt.rampBatch + 1) * opt.rampStepMs / 1000;
    return opt.holdSeconds + ramp + kSettleSeconds + kCapSlackSeconds;
}

void makePathsAbsolute(Options& opt) {
    // The server runs in the source folder; the user's relative paths mean their own.
    if (opt.vigil.find('/') != std::string::npos) opt.vigil = std::filesystem::absolute(opt.vigil);
    opt.config = std::filesystem::absolute(opt.config);
}

// Everything after the target is up; returns the process exit status.
int runAgainst(Run& run, TempDir& tmp) {
    const pid_t redisPid = run.target.redis ? run.target.redis->child.pid() : 0;
    run.samples.serverStart = sampleProcess(run.target.serverPid);
    std::optional<RedisSync> redis;
    try {
        redis.emplace(run.target.redisUrl);
        say("seeding " + std::to_string(run.opt.clients) + " subjects");
        auto config = vigil::common::Config::load(run.opt.config);
        SeedPlan plan{run.opt.clients, run.opt.classSize, run.opt.teachers,
                      config.auth.sessionIdleMinutes * 60};
        run.seed = seedDirectory(*redis, plan);
    } catch (const std::exception& e) {
        say(std::string("seeding failed: ") + e.what());
        return 1;
    }
    say("timing " + std::to_string(run.opt.loginSamples) + " password logins");
    run.logins =
        sampleLogins(run.opt, run.target, run.seed, tmp.path() + "/cli.log", run.opt.loginSamples);
    run.samples.serverIdle = sampleProcess(run.target.serverPid);
    run.samples.redisIdle = sampleProcess(redisPid);

    FleetConfig fc;
    fc.host = run.target.http.host;
    fc.port = run.target.http.port;
    fc.rampBatch = run.opt.rampBatch;
    fc.rampStep = std::chrono::milliseconds(run.opt.rampStepMs);
    fc.heartbeat = seconds(run.opt.heartbeatSeconds);
    fc.interrupted = &gInterrupted;
    Fleet fleet(fc, clientSpecs(run.seed));
    try {
        fleet.start();
    } catch (const std::exception& e) {
        say(std::string("cannot start the clients: ") + e.what());
        return 1;
    }
    runClients(run, fleet, *redis);
    stopTarget(run);
    run.interrupted = gInterrupted;
    printReport(run, fleet.stats());
    return 0;
}

int main(int argc, char** argv) {
    Run run;
    run.opt = parseOptions(argc, argv);
    run.loadAtStart = loadAverage();
    makePathsAbsolute(run.opt);
    installSignalHandlers();
    vigil::common::initCrypto();
    const long clients = run.opt.clients + run.opt.clients / run.opt.classSize + 1;
    run.openFiles = raiseOpenFileLimit(clients + 1024);
    if (run.openFiles < clients + 64) {
        say("warning: open-file limit " + std::to_string(run.openFiles) + " is below " +
            std::to_string(clients + 64) + "; some connections will fail");
    }
    armWatchdog(static_cast<unsigned>(capSeconds(run.opt)));
    TempDir tmp;
    if (run.opt.keep) {
        tmp.keep();
        say("keeping " + tmp.path());
    }
    bool up = run.opt.external() ? attach(run.opt, run.target)
                                 : launch(run.opt, tmp, run.openFiles, run.target);
    if (!up) {
        stopTarget(run);
        return 1;
    }
    int status = runAgainst(run, tmp);
    stopTarget(run);
    return status;
}

}  // namespace

}  // namespace ws_load

int main(int argc, char** argv) {
    return ws_load::main(argc, argv);
}
