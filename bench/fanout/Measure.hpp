#pragma once
// One measuring window: what the server used (from /proc) and what the viewers got, between
// two snapshots taken `seconds` apart.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "Audience.hpp"
#include "Processes.hpp"

namespace fanout {

struct Window {
    int viewers = 0;                      // viewers present (failed ones included)
    int receiving = 0;                    // ...of which got at least one frame in the window
    int cameras = 0;                      // subjects publishing a camera
    std::map<std::string, int> failures;  // set-up failures of this step, by reason
    double seconds = 0;
    double serverCpuPercent = 0;  // of one core
    double benchCpuPercent = 0;   // this process: publisher and viewers
    // Other processes' share of the server's and the bench's CPUs (-1: not pinned).
    double othersOnServerCore = -1;
    double othersOnBenchCore = -1;
    ws_load::ProcSample serverEnd;
    int framesSent = 0;
    double videoKbps = 0;          // the publisher's encoder output
    long long framesExpected = 0;  // framesSent x viewers
    long long framesGot = 0;
    std::vector<double> latencyMs;
    int unreadableStamps = 0;
    long long camerasSampled = 0;  // camera pictures the server decoded, from Redis
};

struct Probes {
    pid_t server = 0;
    const vigil::testing::MediaPeer* publisher = nullptr;
    Audience* audience = nullptr;                 // none: no viewers
    std::function<long long()> camerasSampled;    // none: not counted
    std::function<void(int second)> everySecond;  // e.g. the cameras' heartbeats
    const std::atomic<bool>* interrupted = nullptr;
    int serverCore = -1;  // where the server and this process are pinned; -1: not pinned
    int benchCore = -1;
};

// Waits `seconds` between two snapshots; throws std::runtime_error if the server is gone.
Window measure(const Probes& probes, int seconds);

}  // namespace fanout
