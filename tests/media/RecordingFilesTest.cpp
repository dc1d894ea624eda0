// A class's recording as it lands on disk: chunks that are complete WebM files (duration,
// seek index, audio and video), their digests in the records, the teacher as its source, and
// `vigil recording verify`; one recording per class session however often the teacher's
// camera restarts (a segment each time), and a recording left open by a crash closed as
// interrupted at its last chunk when the server starts again.

#include <gst/pbutils/pbutils.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "MediaFixture.hpp"
#include "vigil/common/Crypto.hpp"

using namespace vigil::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class RecordingFilesTest : public MediaTest {
protected:
    std::map<std::string, std::string> mediaEnv() const override {
        return {{"VIGIL_RECORDING_CHUNK_SECONDS", "3"}};
    }

    // c1's recordings once `pred` holds for the list (15 s), else the last list seen.
    json c1RecordingsWhen(const std::string& token, const std::function<bool(const json&)>& pred) {
        json last;
        waitUntil(
            [&]() {
                auto list = getJson(port(), "/api/recordings?class=c1", token);
                if (list.status != 200 || !list.body.is_object()) return false;
                last = list.body["recordings"];
                return pred(last);
            },
            15s, 200ms);
        return last;
    }
};

bool oneRecordingIn(const json& list, const std::string& state, size_t segments) {
    return list.is_array() && list.size() == 1 && list[0].value("state", "") == state &&
           list[0].value("segments", json::array()).size() == segments;
}

struct FileFacts {
    bool ok{false};
    double seconds{0};
    bool seekable{false};
    int video{0};
    int audio{0};
    std::string error;
};

FileFacts discover(const std::string& path) {
    gst_init(nullptr, nullptr);
    FileFacts facts;
    GError* err = nullptr;
    GstDiscoverer* discoverer = gst_discoverer_new(10 * GST_SECOND, &err);
    if (discoverer == nullptr) {
        facts.error = err != nullptr ? err->message : "no discoverer";
        if (err != nullptr) g_error_free(err);
        return facts;
    }
    gchar* uri = gst_filename_to_uri(path.c_str(), nullptr);
    GstDiscovererInfo* info = gst_discoverer_discover_uri(discoverer, uri, &err);
    g_free(uri);
    if (info == nullptr || gst_discoverer_info_get_result(info) != GST_DISCOVERER_OK) {
        facts.error = err != nullptr ? err->message : "not discovered";
    } else {
        facts.ok = true;
        facts.seconds = static_cast<double>(gst_discoverer_info_get_duration(info)) / GST_SECOND;
        facts.seekable = gst_discoverer_info_get_seekable(info);
        GList* videos = gst_discoverer_info_get_video_streams(info);
        GList* audios = gst_discoverer_info_get_audio_streams(info);
        facts.video = static_cast<int>(g_list_length(videos));
        facts.audio = static_cast<int>(g_list_length(audios));
        gst_discoverer_stream_info_list_free(videos);
        gst_discoverer_stream_info_list_free(audios);
    }
    if (err != nullptr) g_error_free(err);
    if (info != nullptr) g_object_unref(info);
    g_object_unref(discoverer);
    return facts;
}

}  // namespace

TEST_F(RecordingFilesTest, ChunksArePlayableFilesWhoseDigestsVerify) {
    auto teacher = joinC1("officer.wang");
    auto publisher = MediaPeer::publish(*teacher, "main");
    ASSERT_TRUE(publisher->lastError().empty()) << publisher->lastError();
    ASSERT_TRUE(publisher->waitForFrames(15 * 8, 15s));
    // Ending the class ends the recording: its last chunk is closed and the recording finished.
    json ended = teacher->request({{"type", "end_class"}, {"class", "c1"}});
    ASSERT_EQ(ended.value("type", ""), "ok") << ended.dump();

    std::string token = login(port(), "admin", kDemoPassword, nullptr);
    json recording;
    for (int i = 0; i < 100; ++i) {
        auto list = getJson(port(), "/api/recordings?class=c1", token);
        if (list.status == 200 && !list.body["recordings"].empty() &&
            list.body["recordings"][0].value("state", "") == "complete") {
            recording = list.body["recordings"][0];
            break;
        }
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(recording.is_object()) << "no complete recording of c1 was listed";
    EXPECT_EQ(recording.value("source", ""), demo::kOfficerWang) << "the teacher's recording";
    std::string id = recording["id"];
    auto detail = getJson(port(), "/api/recordings/" + id, token);
    ASSERT_EQ(detail.status, 200) << detail.raw;
    const json& chunks = detail.body["chunks"];
    ASSERT_GE(chunks.size(), 2u) << "8 s in 3 s chunks should make at least two: " << detail.raw;

    // The files themselves, as the recording directory holds them.
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(recordingDir)) {
        if (entry.is_regular_file()) files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    ASSERT_EQ(files.size(), chunks.size());
    double total = 0;
    for (const auto& file : files) {
        FileFacts facts = discover(file);
        ASSERT_TRUE(facts.ok) << file << ": " << facts.error;
        EXPECT_GT(facts.seconds, 0.5) << file << " has no duration";
        EXPECT_TRUE(facts.seekable) << file << " is not seekable";
        EXPECT_EQ(facts.video, 1) << file;
        EXPECT_EQ(facts.audio, 1) << file;
        total += facts.seconds;
    }
    EXPECT_GT(total, 6.0) << "the chunks hold less than was published";

    auto verify = vigilCli(redis, {"recording", "verify", id});
    EXPECT_EQ(verify.exitCode, 0) << verify.output;
    // One changed byte is found.
    {
        std::fstream f(files.front(), std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(200);
        char c = 0;
        f.read(&c, 1);
        f.seekp(200);
        c = static_cast<char>(c ^ 0x5a);
        f.write(&c, 1);
    }
    verify = vigilCli(redis, {"recording", "verify", id});
    EXPECT_EQ(verify.exitCode, 1) << verify.output;
    EXPECT_NE(verify.output.find("MISMATCH"), std::string::npos) << verify.output;
}

TEST_F(RecordingFilesTest, OneRecordingPerClassSessionWithASegmentPerCameraRestart) {
    vigil::common::initCrypto();
    std::string admin = login(port(), "admin", kDemoPassword, nullptr);
    auto teacher = joinC1("officer.wang");
    auto first = MediaPeer::publish(*teacher, "main");
    ASSERT_TRUE(first->lastError().empty()) << first->lastError();
    ASSERT_TRUE(first->waitForFrames(15 * 4, 15s));
    // The camera stops: the publisher left, so the recording is complete for now.
    first->stop();
    json list =
        c1RecordingsWhen(admin, [](const json& l) { return oneRecordingIn(l, "complete", 1); });
    ASSERT_TRUE(oneRecordingIn(list, "complete", 1)) << list.dump();
    const std::string id = list[0]["id"];

    // The camera is republished: the same recording records again, in a second segment.
    auto second = MediaPeer::publish(*teacher, "main");
    ASSERT_TRUE(second->lastError().empty()) << second->lastError();
    ASSERT_TRUE(second->waitForFrames(15 * 4, 15s));
    // The officer's page reloads: the socket goes with its session (the console was alone in
    // the class, so the class's media room closes too), and the new page publishes again.
    second->stop(false);
    second.reset();
    teacher.reset();
    teacher = joinC1("officer.wang");
    auto third = MediaPeer::publish(*teacher, "main");
    ASSERT_TRUE(third->lastError().empty()) << third->lastError();
    ASSERT_TRUE(third->waitForFrames(15 * 4, 15s));
    list = c1RecordingsWhen(admin, [](const json& l) { return oneRecordingIn(l, "recording", 3); });
    ASSERT_TRUE(oneRecordingIn(list, "recording", 3))
        << "recording while the teacher is live: " << list.dump();

    json ended = teacher->request({{"type", "end_class"}, {"class", "c1"}});
    ASSERT_EQ(ended.value("type", ""), "ok") << ended.dump();
    list = c1RecordingsWhen(admin, [](const json& l) { return oneRecordingIn(l, "complete", 3); });
    ASSERT_TRUE(oneRecordingIn(list, "complete", 3))
        << "one recording of the class session, three segments, complete: " << list.dump();
    const json& recording = list[0];
    EXPECT_EQ(recording["id"], id);
    EXPECT_EQ(recording["complete"], true);
    EXPECT_EQ(recording["source"], demo::kOfficerWang);
    ASSERT_TRUE(recording["class_session"].is_object()) << recording.dump();
    EXPECT_EQ(recording["class_session"]["id"], "c1");
    EXPECT_FALSE(recording["class_session"].value("title", "").empty());
    EXPECT_FALSE(recording["class_session"].value("start", "").empty());
    EXPECT_EQ(recording["class_session"]["state"], "ended");
    for (const auto& segment : recording["segments"]) {
        EXPECT_EQ(segment["state"], "complete") << segment.dump();
        EXPECT_GE(segment.value("chunk_count", 0), 1) << segment.dump();
    }

    // The chunks play one after the other across the segments, each as its digest says.
    auto detail = getJson(port(), "/api/recordings/" + id, admin);
    ASSERT_EQ(detail.status, 200) << detail.raw;
    const json& chunks = detail.body["chunks"];
    ASSERT_EQ(chunks.size(), static_cast<size_t>(recording.value("chunk_count", 0)));
    std::set<int> segmentsSeen;
    for (size_t i = 0; i < chunks.size(); ++i) {
        const json& c = chunks[i];
        EXPECT_EQ(c["index"], i);
        segmentsSeen.insert(c.value("segment", 0));
        if (i > 0) {
            EXPECT_GE(c.value("segment", 0), chunks[i - 1].value("segment", 0)) << "in time order";
            EXPECT_GE(c.value("start", ""), chunks[i - 1].value("start", "")) << "in time order";
        }
        auto file = httpRequest(port(), "GET", c.value("url", ""), "", admin);
        ASSERT_EQ(file.status, 200) << c.dump();
        EXPECT_EQ(vigil::common::sha256Hex(file.body), c["sha256"]) << c.dump();
    }
    EXPECT_EQ(segmentsSeen, (std::set<int>{1, 2, 3}));
    // Every segment's files are whole WebM files, none overwritten by a later segment.
    size_t files = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(recordingDir)) {
        if (!entry.is_regular_file()) continue;
        ++files;
        FileFacts facts = discover(entry.path().string());
        EXPECT_TRUE(facts.ok) << entry.path() << ": " << facts.error;
    }
    EXPECT_EQ(files, chunks.size());
    auto verify = vigilCli(redis, {"recording", "verify", id});
    EXPECT_EQ(verify.exitCode, 0) << verify.output;
}

TEST_F(RecordingFilesTest, ARecordingLeftOpenByACrashIsClosedAsInterruptedAtItsLastChunk) {
    std::string admin = login(port(), "admin", kDemoPassword, nullptr);
    auto teacher = joinC1("officer.wang");
    auto publisher = MediaPeer::publish(*teacher, "main");
    ASSERT_TRUE(publisher->lastError().empty()) << publisher->lastError();
    json list = c1RecordingsWhen(
        admin, [](const json& l) { return l.size() == 1 && l[0].value("chunk_count", 0) >= 2; });
    ASSERT_TRUE(list.size() == 1 && list[0].value("chunk_count", 0) >= 2) << list.dump();
    const std::string id = list[0]["id"];

    // The server dies mid-class; its recording is left "recording".
    server->kill();
    publisher->stop(false);
    publisher.reset();
    teacher.reset();
    EXPECT_EQ(redis.cli({"HGET", "vigil:rec:" + id, "state"}), "recording");
    server->restart();

    admin = login(port(), "admin", kDemoPassword, nullptr);
    auto detail = getJson(port(), "/api/recordings/" + id, admin);
    ASSERT_EQ(detail.status, 200) << detail.raw;
    EXPECT_EQ(detail.body["state"], "interrupted") << detail.raw;
    EXPECT_EQ(detail.body["complete"], false);
    ASSERT_EQ(detail.body["segments"].size(), 1u) << detail.raw;
    EXPECT_EQ(detail.body["segments"][0]["state"], "interrupted");
    const json& chunks = detail.body["chunks"];
    ASSERT_FALSE(chunks.empty());
    EXPECT_EQ(detail.body["end"], chunks.back()["end"]) << "it ends at its last chunk";
    EXPECT_EQ(detail.body["segments"][0]["end"], chunks.back()["end"]);

    // The teacher comes back to the same class session: the same recording goes on in a new
    // segment, and stays marked interrupted when the class ends.
    teacher = joinC1("officer.wang");
    publisher = MediaPeer::publish(*teacher, "main");
    ASSERT_TRUE(publisher->lastError().empty()) << publisher->lastError();
    ASSERT_TRUE(publisher->waitForFrames(15 * 4, 15s));
    json ended = teacher->request({{"type", "end_class"}, {"class", "c1"}});
    ASSERT_EQ(ended.value("type", ""), "ok") << ended.dump();
    // The recording reads interrupted from its first segment on: wait for the second to close.
    auto secondClosed = [](const json& l) {
        return oneRecordingIn(l, "interrupted", 2) && l[0]["segments"][1]["state"] != "recording";
    };
    list = c1RecordingsWhen(admin, secondClosed);
    ASSERT_TRUE(oneRecordingIn(list, "interrupted", 2)) << list.dump();
    EXPECT_EQ(list[0]["id"], id);
    EXPECT_EQ(list[0]["segments"][0]["state"], "interrupted");
    EXPECT_EQ(list[0]["segments"][1]["state"], "complete");
}
