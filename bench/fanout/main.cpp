// fanout: a benchmark of the media role's fan-out. It starts a private redis-server and
// `vigil serve` pinned to one CPU, pins itself to another, seeds the demo organisation with
// the admin CLI, and has officer.wang publish 1280x720 VP8 at 1 Mbps, 30 fps into class c1.
// After a publisher-only baseline it adds viewers step by step (--viewers) and, for each
// step, prints the server's CPU, memory and threads per viewer, the frames lost and the
// glass-to-glass latency. Last, subjects publish presence cameras, which the server samples
// every [media] sample_seconds. See bench/README.md.
//
// Exit status: 0 when the run happened (whatever the figures), 1 when it could not (the
// server or Redis did not start, seeding or publishing failed, the server died), 2 for a bad
// command line, 3 when the time cap stopped it.

#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <thread>

#include "Audience.hpp"
#include "Cameras.hpp"
#include "Measure.hpp"
#include "Options.hpp"
#include "Participant.hpp"
#include "Report.hpp"
#include "Seed.hpp"
#include "Server.hpp"
#include "vigil/common/Config.hpp"

namespace fanout {

namespace {

using vigil::testing::MediaPeer;

std::atomic<bool> gInterrupted{false};

constexpr auto kSettle = std::chrono::seconds(3);  // after a change, before measuring
constexpr auto kPublishLimit = std::chrono::seconds(15);
constexpr unsigned kSlackSeconds = 300;         // start, seeding, teardown
constexpr unsigned kSecondsPerViewerSetUp = 1;  // generous: sign-in, join, negotiation

void say(const std::string& text) {
    std::cerr << "fanout: " << text << std::endl;
}

void onInterrupt(int) {
    // The first Ctrl-C ends the current window and cleans up; a second one gives up at once
    // (the children still get SIGTERM: PR_SET_PDEATHSIG).
    if (gInterrupted.exchange(true)) _exit(130);
}

void onTimeCap(int) {
    static const char kMessage[] = "fanout: time cap reached; stopping\n";
    ssize_t ignored = write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    (void)ignored;
    _exit(3);  // The children get SIGTERM from the kernel.
}

void installSignalHandlers(unsigned capSeconds) {
    struct sigaction action {};
    action.sa_handler = onInterrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    action.sa_handler = onTimeCap;
    sigaction(SIGALRM, &action, nullptr);
    signal(SIGPIPE, SIG_IGN);
    alarm(capSeconds);
}

unsigned capSeconds(const Options& opt) {
    const unsigned windows = static_cast<unsigned>(opt.viewers.size()) + 3;
    const unsigned viewers = static_cast<unsigned>(opt.viewers.empty() ? 0 : opt.viewers.back());
    return windows * static_cast<unsigned>(opt.seconds + 10) +
           (viewers + static_cast<unsigned>(opt.cameras)) * kSecondsPerViewerSetUp + kSlackSeconds;
}

// Called before any thread exists: every thread started later inherits it.
bool pinTo(int core) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(core, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0;
}

std::vector<std::string> tokensOf(const std::vector<Login>& logins) {
    std::vector<std::string> out;
    for (const auto& l : logins) out.push_back(l.token);
    return out;
}

void settle() {
    std::this_thread::sleep_for(kSettle);
}

// Lines of the server log at warning level or above, and the first few of them.
void reportServerLog(Report& report, const std::string& path) {
    size_t total = 0;
    auto lines = ws_load::grepLog(
        path, {" warning [", " error [", " critical [", "terminate", "Sanitizer", "Segmentation"},
        10, &total);
    report.note("server log: " + std::to_string(total) + " lines at warning or above");
    for (const auto& l : lines) report.note("  " + l);
}

int run(const Options& opt, const std::string& dir, long openFiles) {
    ServerSpec spec{opt.vigil, opt.config, FANOUT_SOURCE_DIR, dir, opt.serverCore, openFiles};
    std::optional<Server> server;
    Accounts accounts;
    try {
        server.emplace(spec);
        say("seeding the demo organisation and " + std::to_string(opt.cameras) + " subjects");
        accounts = seedAccounts(*server, opt.cameras);
    } catch (const std::exception& e) {
        say(std::string("cannot set up: ") + e.what());
        return 1;
    }
    const int sampleSeconds = vigil::common::Config::load(opt.config).media.sampleSeconds;

    auto teacher = joinClass(server->port(), accounts.teacher.token, kClassId);
    vigil::testing::PeerOptions camera;
    camera.width = 1280;
    camera.height = 720;
    camera.fps = 30;
    camera.videoBitrateKbps = 1000;
    camera.audio = opt.audio;
    camera.pattern = opt.pattern;
    camera.stampTime = true;
    auto publisher = MediaPeer::publish(*teacher, "main", camera);
    if (!publisher->lastError().empty() || !publisher->waitConnected(kPublishLimit) ||
        !publisher->waitForFrames(camera.fps, kPublishLimit)) {
        say("the teacher could not publish: " + publisher->lastError());
        return 1;
    }
    settle();

    Report report(std::cout);
    Probes probes;
    probes.server = server->pid();
    probes.publisher = publisher.get();
    probes.interrupted = &gInterrupted;
    if (opt.serverCore >= 0) {
        probes.serverCore = opt.serverCore;
        probes.benchCore = opt.benchCore;
    }
    say("measuring the publisher alone for " + std::to_string(opt.seconds) + " s");
    const Window alone = measure(probes, opt.seconds);
    report.baseline(alone, "publisher only");

    Audience audience(server->port(), kClassId, accounts.teacher.userId,
                      tokensOf(accounts.audience), opt.decoders);
    probes.audience = &audience;
    for (int n : opt.viewers) {
        if (gInterrupted) break;
        say("adding viewers up to " + std::to_string(n));
        auto failures = audience.growTo(n);
        settle();
        say("measuring " + std::to_string(n) + " viewers for " + std::to_string(opt.seconds) +
            " s");
        Window w = measure(probes, opt.seconds);
        w.failures = std::move(failures);
        report.viewers(w);
    }
    say("closing every viewer's socket");
    audience.clear();
    probes.audience = nullptr;
    settle();
    const Window after = measure(probes, opt.seconds);
    report.baseline(after, "publisher only, after the viewers left");

    if (opt.cameras > 0 && !gInterrupted) {
        say("publishing " + std::to_string(opt.cameras) + " presence cameras");
        Cameras cameras(server->port(), kClassId);
        auto failures = cameras.start(tokensOf(accounts.subjects));
        cameras.heartbeat();
        settle();
        probes.camerasSampled = [&server]() { return server->camerasSampled(kClassId); };
        probes.everySecond = [&cameras](int second) {
            if (second % 10 == 0) cameras.heartbeat();
        };
        Window w = measure(probes, opt.seconds);
        w.cameras = cameras.publishing();
        w.failures = std::move(failures);
        report.cameras(w, after, opt.cameras, sampleSeconds);
    }

    report.note("");
    report.note("teacher: " + std::to_string(camera.width) + "x" + std::to_string(camera.height) +
                " VP8, target " + std::to_string(camera.videoBitrateKbps) + " kbps; sent " +
                std::to_string(static_cast<int>(alone.videoKbps)) + " kbps at " +
                std::to_string(static_cast<int>(alone.framesSent / alone.seconds + 0.5)) +
                " fps in the baseline" + (opt.audio ? ", plus Opus" : ""));
    publisher->stop();
    teacher.reset();
    const bool died = !server->running();
    const std::string exit = server->stop();
    report.note("server: " + exit + (died ? " (it died during the run)" : ""));
    reportServerLog(report, server->logPath());
    report.note("load average (1 min) at the end: " + ws_load::loadAverage());
    return died ? 1 : 0;
}

int main(int argc, char** argv) {
    Options opt = parseOptions(argc, argv);
    if (opt.vigil.find('/') != std::string::npos) opt.vigil = std::filesystem::absolute(opt.vigil);
    opt.config = std::filesystem::absolute(opt.config);
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (opt.serverCore >= cpus || opt.benchCore >= cpus || opt.serverCore == opt.benchCore) {
        say("no pinning: this host has " + std::to_string(cpus) +
            " CPUs; the figures will mix server and bench");
        opt.serverCore = -1;
    } else if (!pinTo(opt.benchCore)) {
        say("cannot pin this process to CPU " + std::to_string(opt.benchCore));
    }
    installSignalHandlers(capSeconds(opt));
    const long openFiles = ws_load::raiseOpenFileLimit(65536);
    std::string dir = "/tmp/fanout.XXXXXX";
    if (mkdtemp(dir.data()) == nullptr) {
        say("cannot make a temporary folder");
        return 1;
    }
    say("load average (1 min) at the start: " + ws_load::loadAverage() + "; logs in " + dir);
    int status = 1;
    try {
        status = run(opt, dir, openFiles);
    } catch (const std::exception& e) {
        say(std::string("stopped: ") + e.what());
    }
    if (opt.keep || status != 0) {
        say("kept " + dir);
    } else {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
    return status;
}

}  // namespace

}  // namespace fanout

int main(int argc, char** argv) {
    return fanout::main(argc, argv);
}
