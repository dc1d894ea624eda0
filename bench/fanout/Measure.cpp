#include "Measure.hpp"

#include <sys/resource.h>

#include <optional>
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
};

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
