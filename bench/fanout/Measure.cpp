#include "Measure.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fanout {

namespace {

using Clock = std::chrono::steady_clock;

struct Snapshot {
    Clock::time_point at;
    ws_load::ProcSample server;
    double benchCpuSeconds = 0;
    int framesSent = 0;
    long long bytesSent = 0;
    std::vector<int> frames;
    long long camerasSampled = 0;
    double serverCoreBusy = 0;
    double benchCoreBusy = 0;
};

// Seconds CPU `core` has not been idle since boot, from /proc/stat; 0 for none.
double coreBusySeconds(int core) {
    if (core < 0) return 0;
    std::ifstream stat("/proc/stat");
    const std::string name = "cpu" + std::to_string(core);
    for (std::string line; std::getline(stat, line);) {
        std::istringstream fields(line);
        std::string label;
        fields >> label;
        if (label != name) continue;
        unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0,
                           softirq = 0, steal = 0;
        fields >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
        return static_cast<double>(user + nice + system + irq + softirq + steal) /
               static_cast<double>(sysconf(_SC_CLK_TCK));
    }
    return 0;
}

double ownCpuSeconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto secs = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    return secs(usage.ru_utime) + secs(usage.ru_stime);
}

Snapshot snapshot(const Probes& p) {
    Snapshot s;
    auto server = ws_load::sampleProcess(p.server);
    if (!server) throw std::runtime_error("the server is gone");
    s.server = *server;
    s.at = Clock::now();
    s.benchCpuSeconds = ownCpuSeconds();
    s.framesSent = p.publisher->videoFramesSent();
    s.bytesSent = p.publisher->videoBytesSent();
    if (p.audience != nullptr) s.frames = p.audience->frames();
    if (p.camerasSampled) s.camerasSampled = p.camerasSampled();
    s.serverCoreBusy = coreBusySeconds(p.serverCore);
    s.benchCoreBusy = coreBusySeconds(p.benchCore);
    return s;
}

}  // namespace

Window measure(const Probes& probes, int seconds) {
    if (probes.audience != nullptr) probes.audience->takeLatencySamples();  // before the window
    const int unreadableBefore =
        probes.audience != nullptr ? probes.audience->unreadableStamps() : 0;
    const Snapshot start = snapshot(probes);
    for (int s = 1; s <= seconds; ++s) {
        std::this_thread::sleep_until(start.at + std::chrono::seconds(s));
        if (probes.interrupted != nullptr && *probes.interrupted) break;
        if (probes.everySecond) probes.everySecond(s);
    }
    const Snapshot end = snapshot(probes);

    Window w;
    w.seconds = std::chrono::duration<double>(end.at - start.at).count();
    w.serverCpuPercent = 100.0 * (end.server.cpuSeconds - start.server.cpuSeconds) / w.seconds;
    w.benchCpuPercent = 100.0 * (end.benchCpuSeconds - start.benchCpuSeconds) / w.seconds;
    if (probes.serverCore >= 0 && probes.benchCore >= 0) {
        auto percent = [&w](double busy) { return 100.0 * busy / w.seconds; };
        w.othersOnServerCore =
            std::max(0.0, percent(end.serverCoreBusy - start.serverCoreBusy) - w.serverCpuPercent);
        w.othersOnBenchCore =
            std::max(0.0, percent(end.benchCoreBusy - start.benchCoreBusy) - w.benchCpuPercent);
    }
    w.serverEnd = end.server;
    w.framesSent = end.framesSent - start.framesSent;
    w.videoKbps = static_cast<double>(end.bytesSent - start.bytesSent) * 8 / 1000 / w.seconds;
    w.viewers = static_cast<int>(end.frames.size());
    w.framesExpected = static_cast<long long>(w.framesSent) * w.viewers;
    for (size_t i = 0; i < end.frames.size(); ++i) {
        const int got = end.frames[i] - (i < start.frames.size() ? start.frames[i] : 0);
        w.framesGot += got;
        if (got > 0) ++w.receiving;
    }
    if (probes.audience != nullptr) {
        w.latencyMs = probes.audience->takeLatencySamples();
        w.unreadableStamps = probes.audience->unreadableStamps() - unreadableBefore;
    }
    w.camerasSampled = end.camerasSampled - start.camerasSampled;
    return w;
}

}  // namespace fanout
