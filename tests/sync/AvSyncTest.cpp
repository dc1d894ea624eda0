// A class's recording keeps sound and picture together: a teacher publishes a picture that
// flashes white and a sound that beeps at the same instants of its own clock, at irregular
// gaps, for VIGIL_AV_SYNC_SECONDS (default 600); the class ends; every chunk of the recording
// is decoded in order onto one timeline; each flash found is paired with the nearest beep.
// Required: at least 90% of the flashes sent come back paired, no pair more than 100 ms
// apart, and no drift of the offset across the recording.
//
// Chunks are 60 s, so that chunk boundaries fall inside the recording; VIGIL_AV_SYNC_CHUNK_SECONDS
// changes that for short runs (e.g. VIGIL_AV_SYNC_SECONDS=30 VIGIL_AV_SYNC_CHUNK_SECONDS=10).

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include "MediaFixture.hpp"
#include "RecordedOnsets.hpp"
#include "SyncAnalysis.hpp"
#include "SyncPublisher.hpp"

using namespace vigil::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr double kMaxOffsetMs = 100.0;
constexpr double kMinPairedShare = 0.9;
// An offset that creeps by half the budget within one recording is drift, even while every
// pair is still within the budget.
constexpr double kMaxDriftMs = 50.0;
// What encoding alone may shift a beep against its flash: Opus' look-ahead (6.5 ms) and the
// resolution of the beep detector (1 ms; flashes start exactly on a frame).
constexpr double kReferenceToleranceMs = 10.0;
constexpr auto kLead = 2s;  // Dark and silent before the first event.
constexpr auto kTail = 2s;  // After the last one, before the class ends.

// The 1, 5 and 15 minute load averages: a starved machine delays packets.
std::string loadAverage() {
    std::ifstream in("/proc/loadavg");
    std::string one, five, fifteen;
    in >> one >> five >> fifteen;
    return one + " " + five + " " + fifteen;
}

int envSeconds(const char* name, int fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return fallback;
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    return end != nullptr && *end == '\0' && n > 0 ? static_cast<int>(n) : fallback;
}

class AvSyncTest : public MediaTest {
protected:
    std::map<std::string, std::string> mediaEnv() const override {
        // 60 s chunks: a 10-minute recording crosses about ten chunk boundaries.
        return {{"VIGIL_RECORDING_CHUNK_SECONDS",
                 std::to_string(envSeconds("VIGIL_AV_SYNC_CHUNK_SECONDS", 60))}};
    }
};

}  // namespace

// The measuring chain on its own: the same picture and sound encoded and muxed locally, with
// no network and no server, come back in sync. A failure here is the test's, not the server's.
TEST(AvSyncReferenceTest, PatternMuxedLocallyMeasuresInSync) {
    const std::string dir = makeTempDir("vigil-avsync");
    const std::string path = dir + "/reference.webm";
    LocalRecording local = SyncPublisher::recordLocally(path, 1s, 12s);
    ASSERT_TRUE(local.error.empty()) << local.error;
    RecordedOnsets onsets = findOnsets({path});
    ASSERT_TRUE(onsets.error.empty()) << onsets.error;
    SyncReport report = analyseSync(onsets.flashes, onsets.beeps, local.schedule, local.flashes);
    std::cout << "Reference (muxed locally):\n" << report.summary() << std::endl;
    EXPECT_EQ(local.flashes, static_cast<int>(local.schedule.events.size()));
    EXPECT_EQ(report.eventsPaired, local.flashes);
    EXPECT_LE(report.maxAbsMs, kReferenceToleranceMs);
    EXPECT_LE(report.timelineSpreadMs, kReferenceToleranceMs);
    std::filesystem::remove_all(dir);
}

TEST_F(AvSyncTest, RecordingKeepsAudioAndVideoWithin100Milliseconds) {
    const int seconds = envSeconds("VIGIL_AV_SYNC_SECONDS", 600);
    const std::string loadAtStart = loadAverage();
    auto teacher = joinC1("officer.wang");
    auto publisher = SyncPublisher::publish(*teacher);
    ASSERT_TRUE(publisher->lastError().empty()) << publisher->lastError();
    ASSERT_TRUE(publisher->waitConnected(15s)) << "ICE did not connect";
    ASSERT_TRUE(publisher->waitForFrames(SyncPublisher::kFps, 15s)) << "no video was sent";
    auto schedule = publisher->arm(kLead, std::chrono::seconds(seconds));
    ASSERT_TRUE(schedule.has_value()) << "no raw video frame was seen";
    ASSERT_FALSE(schedule->events.empty());

    // Publish until the last event and the tail have passed on the publisher's clock,
    // heartbeating as a browser does.
    const std::int64_t until = schedule->endNs() + std::chrono::nanoseconds(kTail).count();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds) + 60s;
    auto nextHeartbeat = std::chrono::steady_clock::now();
    while (publisher->runningTimeNs() < until) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the publisher's clock stalled";
        ASSERT_TRUE(publisher->lastError().empty()) << publisher->lastError();
        if (std::chrono::steady_clock::now() >= nextHeartbeat) {
            ASSERT_TRUE(stillServing(*teacher));
            nextHeartbeat += 10s;
        }
        std::this_thread::sleep_for(200ms);
    }
    const int flashesSent = publisher->flashesWritten();
    const int beepsSent = publisher->beepsWritten();
    EXPECT_EQ(flashesSent, static_cast<int>(schedule->events.size()));
    EXPECT_EQ(beepsSent, static_cast<int>(schedule->events.size()));

    json ended = teacher->request({{"type", "end_class"}, {"class", "c1"}});
    ASSERT_EQ(ended.value("type", ""), "ok") << ended.dump();
    publisher->stop();

    std::string token = login(port(), "admin", kDemoPassword, nullptr);
    json recording;
    ASSERT_TRUE(waitUntil(
        [&]() {
            auto list = getJson(port(), "/api/recordings?class=c1", token);
            if (list.status != 200 || !list.body.is_object() || list.body["recordings"].empty() ||
                list.body["recordings"][0].value("state", "") != "complete") {
                return false;
            }
            recording = list.body["recordings"][0];
            return true;
        },
        60s, 200ms))
        << "no finished recording of c1 was listed";
    const std::string id = recording["id"];
    auto detail = getJson(port(), "/api/recordings/" + id, token);
    ASSERT_EQ(detail.status, 200) << detail.raw;
    const json& chunks = detail.body["chunks"];

    // The chunk files in recording order (their names carry the index).
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(recordingDir)) {
        if (entry.is_regular_file()) files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    ASSERT_EQ(files.size(), chunks.size()) << detail.raw;
    ASSERT_FALSE(files.empty());

    RecordedOnsets onsets = findOnsets(files);
    ASSERT_TRUE(onsets.error.empty()) << onsets.error;
    std::ostringstream chunkLines;
    chunkLines << std::fixed << std::setprecision(3);
    for (const auto& c : onsets.chunks) {
        chunkLines << "  " << std::filesystem::path(c.path).filename().string() << ": "
                   << c.firstSeconds << " .. " << c.endSeconds << " s (placed +" << c.offsetSeconds
                   << "), " << c.videoFrames << " frames, " << c.audioSamples << " samples, "
                   << c.flashes << " flashes, " << c.beeps << " beeps; holes " << c.videoHoles
                   << " video, " << c.audioHoles << " audio (longest " << c.longestHoleSeconds
                   << " s), " << c.backwardSteps << " steps back\n";
    }

    SyncReport report = analyseSync(onsets.flashes, onsets.beeps, *schedule, flashesSent,
                                    onsets.flashLeads, onsets.beepLeads);
    std::cout << "A/V sync over " << seconds << " s in " << files.size() << " chunks "
              << "(load average at start " << loadAtStart << ", at end " << loadAverage() << "):\n"
              << chunkLines.str() << report.summary() << std::endl;
    RecordProperty("av_sync_pairs", static_cast<int>(report.pairs.size()));
    RecordProperty("av_sync_mean_ms", std::to_string(report.meanMs));
    RecordProperty("av_sync_max_abs_ms", std::to_string(report.maxAbsMs));
    RecordProperty("av_sync_drift_ms", std::to_string(report.driftMs));

    EXPECT_GE(report.pairedShare(), kMinPairedShare)
        << "too few of the " << flashesSent << " flashes sent came back with a beep";
    std::ostringstream outside;
    int outsideCount = 0;
    int afterLoss = 0;
    for (const auto& p : report.pairs) {
        if (std::fabs(p.offsetMs()) <= kMaxOffsetMs) continue;
        // Seen late only because the frames or the sound before it were lost: the loss is
        // bounded below.
        if (std::fabs(p.leastOffsetMs()) <= kMaxOffsetMs) {
            ++afterLoss;
            std::cout << "  flash at " << p.video << " s after " << p.videoLost * 1000.0
                      << " ms of lost picture, beep after " << p.audioLost * 1000.0
                      << " ms of lost sound: " << p.offsetMs() << " ms, at least "
                      << p.leastOffsetMs() << " ms\n";
            continue;
        }
        if (++outsideCount <= 20) {
            outside << "\n  flash at " << p.video << " s, beep at " << p.audio
                    << " s: " << p.offsetMs() << " ms";
        }
    }
    EXPECT_LE(afterLoss, static_cast<int>(report.pairs.size()) / 100)
        << "more than 1% of flashes or beeps were found late after lost picture or sound";
    EXPECT_EQ(outsideCount, 0) << "pairs more than " << kMaxOffsetMs
                               << " ms apart (first 20):" << outside.str();
    EXPECT_LE(std::fabs(report.driftMs), kMaxDriftMs) << "the offset drifts";
    EXPECT_LE(std::fabs(report.lastMeanMs - report.firstMeanMs), kMaxDriftMs)
        << "the offset drifts";
}
