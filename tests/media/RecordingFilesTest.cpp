// A class's recording as it lands on disk: chunks that are complete WebM files (duration,
// seek index, audio and video), their digests in the records, the teacher as its source, and
// `vigil recording verify`.

#include <gst/pbutils/pbutils.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "MediaFixture.hpp"

using namespace vigil::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class RecordingFilesTest : public MediaTest {
protected:
    std::map<std::string, std::string> mediaEnv() const override {
        return {{"VIGIL_RECORDING_CHUNK_SECONDS", "3"}};
    }
};

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
            list.body["recordings"][0].value("state", "") == "finished") {
            recording = list.body["recordings"][0];
            break;
        }
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(recording.is_object()) << "no finished recording of c1 was listed";
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
