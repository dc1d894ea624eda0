// checkin_bench: self-service video check-ins decided per minute by a real `vigil serve`
// with presence verification. See bench/README.md.

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "Camera.hpp"
#include "CheckinRun.hpp"
#include "Options.hpp"
#include "Processes.hpp"
#include "Report.hpp"
#include "Server.hpp"
#include "Subjects.hpp"

namespace {

using checkin::Clock;

constexpr long kOpenFiles = 65536;
constexpr unsigned kSetupCapSeconds = 1800;  // preparing the subjects, at most

// Starts every subject's check-in at its place in the window, at most `concurrency` at once.
std::vector<checkin::CheckinOutcome> runWindow(const checkin::Options& o, int port,
                                               const std::vector<checkin::Subject>& subjects,
                                               const checkin::CameraClip& camera,
                                               Clock::time_point windowStart) {
    std::vector<checkin::CheckinOutcome> outcomes(subjects.size());
    const double spacing =
        static_cast<double>(o.windowSeconds - o.tailSeconds) / std::max<size_t>(subjects.size(), 1);
    std::atomic<size_t> next{0};
    std::vector<std::thread> workers;
    const size_t count = std::min<size_t>(static_cast<size_t>(o.concurrency), subjects.size());
    for (size_t w = 0; w < count; ++w) {
        workers.emplace_back([&]() {
            for (size_t i = next++; i < subjects.size(); i = next++) {
                // The planned arrival; a subject whose turn comes while every slot is busy
                // starts late, and its start time shows it.
                std::this_thread::sleep_until(windowStart +
                                              std::chrono::duration_cast<Clock::duration>(
                                                  std::chrono::duration<double>(spacing * i)));
                outcomes[i] = checkin::runCheckin(port, subjects[i], camera, windowStart);
                std::cerr << "." << std::flush;
            }
        });
    }
    for (auto& t : workers) t.join();
    std::cerr << "\n";
    return outcomes;
}

}  // namespace

int main(int argc, char** argv) {
    const checkin::Options o = checkin::parseOptions(argc, argv);
    ws_load::raiseOpenFileLimit(kOpenFiles);
    ws_load::armWatchdog(kSetupCapSeconds + static_cast<unsigned>(o.windowSeconds) + 300);
    ws_load::TempDir dir;
    if (o.keep) dir.keep();
    checkin::RunFigures f;
    f.options = o;
    f.loadBefore = ws_load::loadAverage();
    try {
        const std::string frames = dir.path() + "/camera";
        if (mkdir(frames.c_str(), 0700) != 0) throw std::runtime_error("mkdir " + frames);
        auto camera = checkin::makeCameraClip(o.sourceDir, o.clip, o.firstFrame, o.lastFrame,
                                              o.challenge, frames);
        fanout::ServerSpec spec;
        spec.vigil = o.vigil;
        spec.config = o.config;
        spec.sourceDir = o.sourceDir;
        spec.dir = dir.path();
        spec.core = o.serverCore;
        spec.openFiles = kOpenFiles;
        // One challenge, one the camera's frames perform; the sealed references' key in the
        // run's folder.
        spec.env = {"VIGIL_CHECKIN_CHALLENGES=" + o.challenge,
                    "VIGIL_VISION_REFERENCE_KEY_FILE=" + dir.path() + "/reference.key"};
        std::cerr << "starting redis-server and vigil serve in " << dir.path() << "\n";
        fanout::Server server(spec);
        server.cli({"demo", "seed"});
        auto admin = server.login("admin", "Demo!2026");

        std::cerr << "preparing " << o.subjects << " subjects\n";
        const auto setupStart = Clock::now();
        auto subjects = checkin::prepareSubjects(
            server.port(), admin.token, o.subjects,
            o.sourceDir + "/var/testdata/video/" + o.clip + "/" + o.reference, &f.setupFailures);
        f.setupSeconds = std::chrono::duration<double>(Clock::now() - setupStart).count();
        f.prepared = static_cast<int>(subjects.size());

        std::cerr << "window of " << o.windowSeconds << " s: " << subjects.size() << " check-ins\n";
        f.serverBefore = ws_load::sampleProcess(server.pid());
        std::atomic<bool> sampling{true};
        std::atomic<long> peak{0};
        std::thread sampler([&]() {
            while (sampling) {
                if (auto s = ws_load::sampleProcess(server.pid()))
                    peak = std::max(peak.load(), s->rssKiB);
                std::this_thread::sleep_for(std::chrono::seconds(1));
            }
        });
        const auto windowStart = Clock::now();
        f.outcomes = runWindow(o, server.port(), subjects, camera, windowStart);
        f.elapsedSeconds = std::chrono::duration<double>(Clock::now() - windowStart).count();
        sampling = false;
        sampler.join();
        f.serverAfter = ws_load::sampleProcess(server.pid());
        f.serverPeakRssKiB = peak;
        f.loadAfter = ws_load::loadAverage();
        const std::string exit = server.stop();
        checkin::printReport(std::cout, f);
        std::cout << "  server exit                         " << exit << "\n";
        if (o.keep) std::cout << "  kept                                " << dir.path() << "\n";
    } catch (const std::exception& e) {
        dir.keep();
        std::cerr << "checkin_bench: " << e.what() << "\n  (folder kept: " << dir.path() << ")\n";
        return 1;
    }
    return 0;
}
