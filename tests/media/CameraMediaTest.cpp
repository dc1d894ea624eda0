// A subject's presence camera through the real server: sampled about once a second into the
// teachers' roster (from a test pattern, a recorded face clip or a still photo), viewable by
// teachers, and never offered to another subject.

#include <filesystem>
#include <mutex>

#include "MediaFixture.hpp"

using namespace vigil::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class CameraMediaTest : public MediaTest {
protected:
    std::map<std::string, std::string> mediaEnv() const override {
        return {{"VIGIL_MEDIA_SAMPLE_SECONDS", "1"}};
    }

    static PeerOptions cameraOptions() {
        PeerOptions options;
        options.width = 320;
        options.height = 240;
        options.fps = 5;
        options.audio = false;
        options.pattern = "ball";
        return options;
    }

    // Publishes `options` as subject01's camera and expects the teacher's roster to count two
    // samples: the first could come from the first key frame alone; the second shows that
    // sampling goes on with later key frames.
    void expectSamplesFrom(const PeerOptions& options);
};

// `subject`'s row in a roster requested by `teacher`, or null.
json rosterRow(WsClient& teacher, const std::string& subject) {
    json reply = teacher.request({{"type", "roster"}});
    EXPECT_EQ(outcome(reply), "ok") << reply.dump();
    for (const auto& p : reply.value("participants", json::array())) {
        if (p.value("id", "") == subject) return p;
    }
    return nullptr;
}

long long samplesOf(const json& row) {
    return row.is_object() && row.contains("samples") && row["samples"].is_number_integer()
               ? row["samples"].get<long long>()
               : -1;
}

bool announcesCamera(const json& publishers) {
    for (const auto& p : publishers) {
        if (p.value("stream", "") == "camera") return true;
    }
    return false;
}

}  // namespace

void CameraMediaTest::expectSamplesFrom(const PeerOptions& options) {
    auto teacher = joinC1("officer.wang");
    auto subject = joinC1("subject01");
    auto camera = MediaPeer::publish(*subject, "camera", options);
    ASSERT_TRUE(camera->lastError().empty()) << camera->lastError();
    ASSERT_TRUE(camera->waitConnected(10s));
    ASSERT_TRUE(waitForPush(*teacher, "publisher_ready",
                            {{"source", demo::kSubject01}, {"stream", "camera"}}, 10s))
        << "the teacher was not told about the camera";
    json row;
    EXPECT_TRUE(waitUntil(
        [&]() {
            row = rosterRow(*teacher, demo::kSubject01);
            return samplesOf(row) >= 2;
        },
        10s, 250ms))
        << "roster row " << row.dump() << ", frames sent " << camera->videoFramesSent();
    EXPECT_TRUE(camera->lastError().empty()) << camera->lastError();
}

TEST_F(CameraMediaTest, SamplesGrowAboutOnceASecondAndTheTeacherSeesTheCamera) {
    auto teacher = joinC1("officer.wang");
    auto subject = joinC1("subject01");
    auto camera = MediaPeer::publish(*subject, "camera", cameraOptions());
    ASSERT_TRUE(camera->lastError().empty()) << camera->lastError();
    ASSERT_TRUE(camera->waitConnected(10s));
    ASSERT_TRUE(waitForPush(
        *teacher, "publisher_ready",
        {{"class", demo::kClassToday}, {"source", demo::kSubject01}, {"stream", "camera"}}, 10s))
        << "the teacher was not told about the camera";

    json row;
    ASSERT_TRUE(waitUntil(
        [&]() {
            row = rosterRow(*teacher, demo::kSubject01);
            return samplesOf(row) >= 1;
        },
        10s, 250ms))
        << "no sample within 10 s; roster row " << row.dump() << ", frames sent "
        << camera->videoFramesSent();
    ASSERT_TRUE(row["last_sample"].is_string()) << row.dump();
    EXPECT_FALSE(row["last_sample"].get<std::string>().empty());

    // A fixed window against the configured 1 s: about six samples in six seconds.
    long long before = samplesOf(row);
    std::string lastBefore = row["last_sample"];
    auto windowStart = std::chrono::steady_clock::now();
    std::this_thread::sleep_until(windowStart + 6s);
    json after = rosterRow(*teacher, demo::kSubject01);
    long long grown = samplesOf(after) - before;
    EXPECT_GE(grown, 4) << "before " << before << ", after " << after.dump();
    EXPECT_LE(grown, 8) << "before " << before << ", after " << after.dump();
    ASSERT_TRUE(after["last_sample"].is_string()) << after.dump();
    EXPECT_NE(after["last_sample"].get<std::string>(), lastBefore) << "last_sample did not move";

    // Roster pushes carry the counts too.
    auto pushed = waitForRoster(
        *teacher,
        [&](const json& participants) {
            for (const auto& p : participants) {
                if (p.value("id", "") == demo::kSubject01 && samplesOf(p) > before) return true;
            }
            return false;
        },
        5s);
    EXPECT_TRUE(pushed) << "no roster push with the grown sample count";

    auto view = MediaPeer::subscribe(*teacher, demo::kSubject01, "camera");
    ASSERT_TRUE(view->lastError().empty()) << view->lastError();
    EXPECT_TRUE(view->waitForFrames(10, 10s))
        << "the teacher decoded " << view->videoFramesDecoded() << " camera frames; error "
        << view->lastError();
}

TEST_F(CameraMediaTest, CameraIsNeverOfferedToAnotherSubject) {
    auto teacher = joinC1("officer.wang");
    auto owner = joinC1("subject01");
    json otherJoin;
    auto other = joinC1("subject02", &otherJoin);
    EXPECT_FALSE(announcesCamera(otherJoin["publishers"])) << otherJoin.dump();

    auto camera = MediaPeer::publish(*owner, "camera", cameraOptions());
    ASSERT_TRUE(camera->lastError().empty()) << camera->lastError();
    ASSERT_TRUE(camera->waitConnected(10s));
    ASSERT_TRUE(waitForPush(*teacher, "publisher_ready",
                            {{"source", demo::kSubject01}, {"stream", "camera"}}, 10s))
        << "the teacher was not told about the camera";

    // With only a camera up, a subject's default subscribe finds no publisher.
    EXPECT_TRUE(refusedWith(*other, {{"type", "subscribe"}}, "no_publisher"));
    EXPECT_TRUE(refusedWith(
        *other, {{"type", "subscribe"}, {"source", demo::kSubject01}, {"stream", "camera"}},
        "forbidden"));

    auto main = MediaPeer::publish(*teacher, "main");
    ASSERT_TRUE(main->lastError().empty()) << main->lastError();
    ASSERT_TRUE(waitForPush(*other, "publisher_ready",
                            {{"source", demo::kOfficerWang}, {"stream", "main"}}, 10s));

    // The default subscribe gets the teacher's main stream: the reply names it, and the
    // viewer hears audio, which the camera does not carry.
    std::mutex mutex;
    std::vector<json> subscribeReplies;
    int listener = other->addListener([&](const json& m) {
        if (m.value("type", "") == "ok" && m.contains("source")) {
            std::lock_guard lock(mutex);
            subscribeReplies.push_back(m);
        }
        return false;
    });
    auto view = MediaPeer::subscribe(*other, "");
    other->removeListener(listener);
    ASSERT_TRUE(view->lastError().empty()) << view->lastError();
    {
        std::lock_guard lock(mutex);
        ASSERT_EQ(subscribeReplies.size(), 1u);
        EXPECT_EQ(subscribeReplies[0].value("source", ""), demo::kOfficerWang)
            << subscribeReplies[0].dump().substr(0, 300);
        EXPECT_EQ(subscribeReplies[0].value("stream", ""), "main")
            << subscribeReplies[0].dump().substr(0, 300);
    }
    EXPECT_TRUE(view->waitForFrames(5, 10s)) << "error " << view->lastError();
    EXPECT_TRUE(waitUntil([&]() { return view->audioBuffersDecoded() > 0; }, 5s))
        << "no audio: not the teacher's main stream";

    EXPECT_TRUE(refusedWith(
        *other, {{"type", "subscribe"}, {"source", demo::kSubject01}, {"stream", "camera"}},
        "forbidden"));

    // The camera was never announced to the other subject, and a late joiner is not told.
    auto leaked = waitForPush(*other, "publisher_ready", {{"stream", "camera"}}, 3s);
    EXPECT_FALSE(leaked) << leaked->dump();
    json lateJoin;
    auto late = joinC1("subject03", &lateJoin);
    EXPECT_FALSE(announcesCamera(lateJoin["publishers"])) << lateJoin.dump();
    EXPECT_TRUE(stillServing(*other));

    // A teacher joining late is told about it.
    json liJoin;
    auto li = joinC1("officer.li", &liJoin);
    EXPECT_TRUE(announcesCamera(liJoin["publishers"])) << liJoin.dump();
}

// The camera shows a recorded face clip (JPEG frames, looped) instead of a test pattern: the
// server's key-frame sampling decodes real pictures.
TEST_F(CameraMediaTest, SamplesArriveFromARecordedFaceClip) {
    PeerOptions options = cameraOptions();
    options.imageSequence = testdataPath("video/cap12/%05d.jpg");
    ASSERT_TRUE(std::filesystem::exists(testdataPath("video/cap12/00000.jpg")))
        << "run scripts/assets";
    expectSamplesFrom(options);
}

// A still photo shown as video (several faces, another aspect than the camera's) is sampled
// as well.
TEST_F(CameraMediaTest, SamplesArriveFromAStillPhoto) {
    PeerOptions options = cameraOptions();
    options.stillImage = testdataPath("photos/group_faces.jpg");
    ASSERT_TRUE(std::filesystem::exists(options.stillImage)) << "run scripts/assets";
    expectSamplesFrom(options);
}
