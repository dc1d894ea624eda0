// Viewers coming and going must not cost the server anything once they are gone: after 200
// subscribe/stop cycles its thread count and resident memory are back within 5% of where
// they were after a short warm-up (which fills GStreamer's and GLib's one-time caches).

#include <thread>

#include "MediaFixture.hpp"
#include "MediaProbe.hpp"

using namespace vigil::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {
class MediaLeakTest : public MediaTest {
protected:
    std::map<std::string, std::string> mediaEnv() const override {
        // Under AddressSanitizer, freed memory sits in a quarantine that would read as growth.
        return {{"ASAN_OPTIONS",
                 "quarantine_size_mb=0:thread_local_quarantine_size_kb=0:"
                 "allocator_release_to_os_interval_ms=0:detect_leaks=0"},
                // The student sends no heartbeats while it cycles.
                {"VIGIL_ATTENDANCE_HEARTBEAT_TIMEOUT_SECONDS", "3600"}};
    }
};
}  // namespace

TEST_F(MediaLeakTest, ViewerCyclesReturnThreadsAndMemory) {
    auto teacher = joinC1("officer.wang");
    auto publisher = MediaPeer::publish(*teacher, "main");
    ASSERT_TRUE(publisher->lastError().empty()) << publisher->lastError();
    auto student = joinC1Watching("subject01", "u3");
    ASSERT_FALSE(HasFailure());

    int failures = 0;
    auto cycle = [&]() {
        auto viewer = MediaPeer::subscribe(*student, "u3");
        if (!viewer->lastError().empty() || !viewer->waitConnected(5s)) ++failures;
        viewer->stop();
    };
    for (int i = 0; i < 40; ++i) cycle();
    std::this_thread::sleep_for(1500ms);
    ProcessStats before = processStats(server->pid());
    ASSERT_GT(before.threads, 0);
    for (int i = 0; i < 200; ++i) cycle();
    std::this_thread::sleep_for(1500ms);
    ProcessStats after = processStats(server->pid());
    EXPECT_EQ(failures, 0) << "viewers that did not connect";
    EXPECT_LE(after.threads, before.threads + before.threads / 20)
        << "threads " << before.threads << " -> " << after.threads;
    EXPECT_LE(after.rssKb, before.rssKb + before.rssKb / 20)
        << "RSS " << before.rssKb << " KiB -> " << after.rssKb << " KiB";
    // And the class still works.
    auto last = MediaPeer::subscribe(*student, "u3");
    EXPECT_TRUE(last->waitForFrames(5, 10s)) << last->lastError();
}
