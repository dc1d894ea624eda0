// Presence verification end to end: a real server with the media role and the vision
// models, real GStreamer peers publishing a subject's camera from a recorded webcam clip, a
// test pattern or a still photo, and a reference enrolled over REST from a second clip of
// the same man. The officer's connection must see the judged samples, the alerts and the
// credited time.

#include <filesystem>
#include <fstream>
#include <iterator>

#include "MediaFixture.hpp"

using namespace vigil::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class PresenceMediaTest : public MediaTest {
protected:
    std::map<std::string, std::string> mediaEnv() const override {
        return {{"VIGIL_MEDIA_SAMPLE_SECONDS", "2"},
                {"VIGIL_PRESENCE_CREDIT_POLICY", "verified"},
                {"VIGIL_PRESENCE_ABSENT_AFTER_SECONDS", "5"},
                {"VIGIL_PRESENCE_ABSENT_ALERT_SECONDS", "8"},
                {"VIGIL_PRESENCE_NO_FRAME_SECONDS", "20"}};
    }

    static PeerOptions camera() {
        PeerOptions options;
        options.width = 320;
        options.height = 240;
        options.fps = 5;
        options.audio = false;
        return options;
    }

    void TearDown() override {
        peer.reset();
        subject.reset();
        teacher.reset();
        MediaTest::TearDown();
    }

    // The teacher and subject01 in c1, subject01 publishing `options` as the camera.
    ::testing::AssertionResult startCamera(const PeerOptions& options) {
        teacher = joinC1("officer.wang");
        subject = joinC1("subject01");
        peer = MediaPeer::publish(*subject, "camera", options);
        if (!peer->lastError().empty()) return ::testing::AssertionFailure() << peer->lastError();
        if (!peer->waitConnected(10s)) return ::testing::AssertionFailure() << "not connected";
        return ::testing::AssertionSuccess();
    }

    std::unique_ptr<WsClient> teacher;
    std::unique_ptr<WsClient> subject;
    std::unique_ptr<MediaPeer> peer;  // Before the connections it publishes through go.

    static std::string readFile(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

    // Enrols subject01 from the first frame of the second clip that passes the quality gate
    // (every 30th frame is tried). Returns the HTTP status of the accepted upload, or of the
    // last refusal.
    int enrolSubject01FromCap13(std::string* refused = nullptr) {
        std::string token = login(port(), "officer.wang", kDemoPassword);
        int status = 0;
        for (int frame = 0; frame < 300; frame += 30) {
            char name[32];
            std::snprintf(name, sizeof name, "video/cap13/%05d.jpg", frame);
            auto result =
                httpRequest(port(), "POST", "/api/subjects/" + demo::kSubject01 + "/references",
                            readFile(testdataPath(name)), token, {{"Content-Type", "image/jpeg"}});
            status = result.status;
            if (status == 201) return status;
            if (refused != nullptr) *refused = result.body;
        }
        return status;
    }

    // subject01 enrolled, his camera showing `options`, judged at least once.
    ::testing::AssertionResult startEnrolledCamera(const PeerOptions& options) {
        std::string refused;
        if (enrolSubject01FromCap13(&refused) != 201)
            return ::testing::AssertionFailure() << "not enrolled: " << refused;
        if (auto started = startCamera(options); !started) return started;
        if (!waitForPush(*teacher, "presence", {{"subject", demo::kSubject01}}, 20s))
            return ::testing::AssertionFailure() << "no presence sample within 20 s";
        return ::testing::AssertionSuccess();
    }

    // The teacher orders `challenge`; returns the check's id ("" if refused). With `shown`,
    // the subject's page confirms the instruction is on screen, as the web app does.
    std::string orderChallenge(const std::string& challenge, int seconds, bool shown) {
        json reply = teacher->request({{"type", "spot_check"},
                                       {"subject", demo::kSubject01},
                                       {"challenge", challenge},
                                       {"seconds", seconds}});
        EXPECT_EQ(outcome(reply), "ok") << reply.dump();
        std::string check = reply.value("check", "");
        if (!shown || check.empty()) return check;
        auto told = waitForPush(*subject, "spot_check", {{"check", check}}, 5s);
        EXPECT_TRUE(told);
        // The camera is asked for the challenge's rate: a blink needs 10 frames a second.
        if (told) {
            EXPECT_EQ(told->value("camera_fps", 0), challenge == "blink" ? 10 : 5);
        }
        json ack = subject->request({{"type", "spot_check_reply"}, {"check", check}});
        EXPECT_EQ(ack.value("outcome", ""), "pending") << ack.dump();
        return check;
    }
};

json attendanceOf(int port, const std::string& token, const std::string& subject) {
    auto result = getJson(port, "/api/classes/" + demo::kClassToday + "/attendance", token);
    for (const auto& row : result.body.value("attendance", json::array())) {
        if (row.value("subject", "") == subject) return row;
    }
    return nullptr;
}

}  // namespace

TEST_F(PresenceMediaTest, EnrolledSubjectOnCameraIsVerifiedPresentAndCreditedTimeGrows) {
    std::string refused;
    ASSERT_EQ(enrolSubject01FromCap13(&refused), 201) << refused;
    // The demo class starts in five minutes, and time before a class's start is never
    // credited: move its start ten minutes back.
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    redis.cli({"HSET", "vigil:class:" + demo::kClassToday, "start", std::to_string(now - 600000)});
    auto options = camera();
    options.imageSequence = testdataPath("video/cap12/%05d.jpg");
    ASSERT_TRUE(startCamera(options));
    auto verified = waitForPush(
        *teacher, "presence",
        {{"subject", demo::kSubject01}, {"outcome", "verified"}, {"state", "present"}}, 30s);
    ASSERT_TRUE(verified) << "no verified presence within 30 s";
    EXPECT_GE((*verified)["score"].get<double>(), 0.3);
    // The subject sees his own verdict too (the classroom's presence indicator).
    EXPECT_TRUE(waitForPush(*subject, "presence",
                            {{"subject", demo::kSubject01}, {"outcome", "verified"}}, 15s));

    json roster = teacher->request({{"type", "roster"}});
    bool shown = false;
    for (const auto& p : roster.value("participants", json::array())) {
        if (p.value("id", "") == demo::kSubject01) shown = p.value("presence", "") == "present";
    }
    EXPECT_TRUE(shown) << roster.dump();

    // Credited time: only minutes with verified samples count, and it grows while they come.
    std::string admin = login(port(), "officer.wang", kDemoPassword);
    json first;
    ASSERT_TRUE(waitUntil(
        [&]() {
            first = attendanceOf(port(), admin, demo::kSubject01);
            return first.is_object() && first.value("seconds_credited", 0) > 0;
        },
        15s, 500ms))
        << first.dump();
    std::this_thread::sleep_for(4s);
    json second = attendanceOf(port(), admin, demo::kSubject01);
    EXPECT_GT(second.value("seconds_credited", 0), first.value("seconds_credited", 0))
        << first.dump() << " then " << second.dump();
    EXPECT_GT(second.value("samples_verified", 0), 0) << second.dump();

    auto events = attendanceEvents(redis, demo::kClassToday);
    auto samples = eventsOf(events, "presence", demo::kSubject01);
    EXPECT_GE(samples.size(), 1u);
}

TEST_F(PresenceMediaTest, TestPatternIsNoFaceAndRaisesTheAbsentAlert) {
    auto options = camera();
    options.pattern = "smpte";  // Colour bars: bright, sharp, and no face.
    ASSERT_TRUE(startCamera(options));
    // The alert may come before or after the first judged sample: watch for both at once.
    bool noFace = false;
    bool absent = false;
    teacher->waitFor(
        [&](const json& m) {
            if (m.value("subject", "") != demo::kSubject01) return false;
            noFace = noFace ||
                     (m.value("type", "") == "presence" && m.value("outcome", "") == "no_face");
            absent = absent || (m.value("type", "") == "alert" && m.value("kind", "") == "absent");
            return noFace && absent;
        },
        30s);
    EXPECT_TRUE(noFace) << "the test pattern was not judged no_face";
    ASSERT_TRUE(absent) << "no absent alert";
    // Stored, and listed for the officer.
    std::string token = login(port(), "officer.wang", kDemoPassword);
    auto list = getJson(port(), "/api/alerts?class=" + demo::kClassToday, token);
    bool listed = false;
    for (const auto& a : list.body.value("alerts", json::array()))
        listed = listed || a.value("kind", "") == "absent";
    EXPECT_TRUE(listed) << list.raw;
    EXPECT_FALSE(
        eventsOf(attendanceEvents(redis, demo::kClassToday), "alert", demo::kSubject01).empty());
}

TEST_F(PresenceMediaTest, StillGroupPhotoIsSeveralFaces) {
    auto options = camera();
    options.width = 640;
    options.height = 480;
    options.stillImage = testdataPath("photos/group_faces.jpg");
    ASSERT_TRUE(startCamera(options));
    EXPECT_TRUE(waitForPush(*teacher, "presence",
                            {{"subject", demo::kSubject01}, {"outcome", "several_faces"}}, 20s))
        << "the group photo was not judged several_faces";
    EXPECT_TRUE(waitForPush(*teacher, "alert",
                            {{"subject", demo::kSubject01}, {"kind", "several_faces"}}, 10s));
}

TEST_F(PresenceMediaTest, StillPhotoFailsTheLivenessSpotCheck) {
    auto options = camera();
    options.stillImage = testdataPath("photos/franck_02221.jpg");
    ASSERT_TRUE(startCamera(options));
    ASSERT_TRUE(waitForPush(*teacher, "presence", {{"subject", demo::kSubject01}}, 20s));
    json reply = teacher->request({{"type", "spot_check"},
                                   {"subject", demo::kSubject01},
                                   {"challenge", "turn_left"},
                                   {"seconds", 6}});
    ASSERT_EQ(outcome(reply), "ok") << reply.dump();
    EXPECT_EQ(reply.value("challenge", ""), "turn_left");
    EXPECT_TRUE(reply.value("camera", false)) << reply.dump();
    std::string check = reply.value("check", "");
    auto told = waitForPush(*subject, "spot_check", {{"check", check}}, 5s);
    ASSERT_TRUE(told);
    EXPECT_EQ((*told).value("challenge", ""), "turn_left");
    EXPECT_FALSE((*told).value("instruction", "").empty());
    // The subject's own reply does not decide a liveness check.
    json ack = subject->request({{"type", "spot_check_reply"}, {"check", check}});
    EXPECT_EQ(ack.value("outcome", ""), "pending") << ack.dump();
    auto result = waitForPush(*teacher, "spot_check_result", {{"check", check}}, 15s);
    ASSERT_TRUE(result);
    EXPECT_EQ((*result).value("outcome", ""), "failed") << result->dump();
    EXPECT_TRUE(waitForPush(*teacher, "alert",
                            {{"subject", demo::kSubject01}, {"kind", "spot_check_failed"}}, 5s));
}

TEST_F(PresenceMediaTest, ReferenceUploadsAreGatedScopedAndAudited) {
    std::string officer = login(port(), "officer.wang", kDemoPassword);
    std::string path = "/api/subjects/" + demo::kSubject01 + "/references";
    // Not a photo, a photo without a face, several faces: refused with a stable code.
    auto garbage = httpRequest(port(), "POST", path, "not an image", officer);
    EXPECT_EQ(garbage.status, 422) << garbage.body;
    EXPECT_NE(garbage.body.find("bad_image"), std::string::npos) << garbage.body;
    auto group = httpRequest(port(), "POST", path, readFile(testdataPath("photos/group_faces.jpg")),
                             officer);
    EXPECT_EQ(group.status, 422) << group.body;
    EXPECT_NE(group.body.find("several_faces"), std::string::npos) << group.body;
    // A subject may not enrol; an officer of another unit does not see the subject.
    std::string subjectToken = login(port(), "subject01", kDemoPassword);
    auto self = httpRequest(port(), "POST", path, readFile(testdataPath("photos/franck_02221.jpg")),
                            subjectToken);
    EXPECT_EQ(self.status, 403) << self.body;
    // Accepted: listed without the photo, the photo served to the officer only.
    auto ok = httpRequest(port(), "POST", path, readFile(testdataPath("photos/franck_02221.jpg")),
                          officer);
    ASSERT_EQ(ok.status, 201) << ok.body;
    std::string ref = json::parse(ok.body)["reference"]["id"];
    auto list = getJson(port(), path, officer);
    ASSERT_EQ(list.status, 200);
    ASSERT_EQ(list.body["references"].size(), 1u);
    EXPECT_FALSE(list.body["references"][0].contains("embedding"));
    auto image = httpRequest(port(), "GET", path + "/" + ref + "/image", "", officer);
    EXPECT_EQ(image.status, 200);
    EXPECT_EQ(image.body, readFile(testdataPath("photos/franck_02221.jpg")));
    EXPECT_EQ(httpRequest(port(), "GET", path + "/" + ref + "/image").status, 401);
    // Stored sealed: the photo's bytes are not in Redis as they are.
    auto stored = redis.cli({"GET", "vigil:refimg:" + demo::kSubject01 + ":" + ref});
    EXPECT_GT(stored.size(), 1000u);
    EXPECT_EQ(stored.find("JFIF"), std::string::npos);
    auto removed = httpRequest(port(), "DELETE", path + "/" + ref, "", officer);
    EXPECT_EQ(removed.status, 200) << removed.body;
    EXPECT_EQ(getJson(port(), path, officer).body["references"].size(), 0u);
}

TEST_F(PresenceMediaTest, SomeoneElseOnCameraIsNotMatchedAndRaisesTheAlert) {
    std::string refused;
    ASSERT_EQ(enrolSubject01FromCap13(&refused), 201) << refused;
    auto options = camera();
    options.stillImage = testdataPath("photos/audrey.jpg");
    ASSERT_TRUE(startCamera(options));
    bool notMatched = false;
    bool alerted = false;
    teacher->waitFor(
        [&](const json& m) {
            if (m.value("subject", "") != demo::kSubject01) return false;
            notMatched = notMatched || (m.value("type", "") == "presence" &&
                                        m.value("outcome", "") == "not_matched");
            alerted =
                alerted || (m.value("type", "") == "alert" && m.value("kind", "") == "not_matched");
            return notMatched && alerted;
        },
        30s);
    EXPECT_TRUE(notMatched) << "another person's face was not judged not_matched";
    EXPECT_TRUE(alerted) << "no not_matched alert";
}

TEST_F(PresenceMediaTest, TheEnrolledManTurningHisHeadPassesTheLivenessSpotCheck) {
    auto options = camera();
    options.imageSequence = testdataPath("video/cap12/%05d.jpg");
    ASSERT_TRUE(startEnrolledCamera(options));
    // The clip (53 s, looped) turns right twice; a minute covers a whole loop. The page shows
    // the instruction at once: only frames from then on are judged.
    std::string check = orderChallenge("turn_right", 60, true);
    auto result = waitForPush(*teacher, "spot_check_result", {{"check", check}}, 70s);
    ASSERT_TRUE(result);
    EXPECT_EQ((*result).value("outcome", ""), "passed") << result->dump();
    EXPECT_EQ((*result).value("identity", ""), "checked") << result->dump();
    // The subject is guided while it runs and told the decision.
    EXPECT_TRUE(
        waitForPush(*subject, "spot_check_result", {{"check", check}, {"outcome", "passed"}}, 5s));
    // Pushes that the waits above passed over stay queued.
    EXPECT_TRUE(waitForPush(*subject, "spot_check_progress", {{"check", check}}, 2s))
        << "no spot_check_progress reached the subject";
}

// The instruction never reached the subject's screen (no reply from the page): nothing the
// camera showed meanwhile can pass the check.
TEST_F(PresenceMediaTest, AChallengeNeverShownFailsAsNotShown) {
    auto options = camera();
    options.imageSequence = testdataPath("video/cap12/%05d.jpg");
    ASSERT_TRUE(startEnrolledCamera(options));
    std::string check = orderChallenge("turn_right", 6, false);
    auto result = waitForPush(*teacher, "spot_check_result", {{"check", check}}, 15s);
    ASSERT_TRUE(result);
    EXPECT_EQ((*result).value("outcome", ""), "failed") << result->dump();
    EXPECT_EQ((*result).value("detail", "").rfind("not_shown", 0), 0u) << result->dump();
}

// Someone else in front of the subject's camera: the spot check fails on identity, whatever
// the movement.
TEST_F(PresenceMediaTest, AnImpostorFailsTheSpotCheck) {
    auto options = camera();
    options.stillImage = testdataPath("photos/audrey.jpg");
    ASSERT_TRUE(startEnrolledCamera(options));
    std::string check = orderChallenge("blink", 6, true);
    EXPECT_TRUE(waitForPush(*subject, "spot_check_progress",
                            {{"check", check}, {"hint", "not_matched"}}, 10s))
        << "the guidance never said the face is not the subject's";
    auto result = waitForPush(*subject, "spot_check_result", {{"check", check}}, 15s);
    ASSERT_TRUE(result);
    EXPECT_EQ((*result).value("outcome", ""), "failed") << result->dump();
    EXPECT_EQ((*result).value("detail", "").rfind("not_matched", 0), 0u) << result->dump();
    EXPECT_EQ((*result).value("identity", ""), "checked") << result->dump();
}

// No reference enrolled: a face is seen, never accused. The officer sees `unenrolled`, the
// subject is listed as still to enrol, and a frame of his live camera enrols him.
TEST_F(PresenceMediaTest, WithoutAReferenceTheSubjectIsUnenrolledNotAccused) {
    std::string officer = login(port(), "officer.wang", kDemoPassword);
    auto missing = getJson(port(), "/api/references/missing", officer);
    ASSERT_EQ(missing.status, 200) << missing.raw;
    auto listed = [&](const json& body) {
        for (const auto& s : body.value("subjects", json::array()))
            if (s.value("id", "") == demo::kSubject01) return true;
        return false;
    };
    EXPECT_TRUE(listed(missing.body)) << missing.raw;
    EXPECT_EQ(getJson(port(), "/api/references/missing", login(port(), "subject01", kDemoPassword))
                  .status,
              403);

    auto options = camera();
    options.imageSequence = testdataPath("video/cap12/%05d.jpg");
    ASSERT_TRUE(startCamera(options));
    auto unenrolled = waitForPush(
        *teacher, "presence",
        {{"subject", demo::kSubject01}, {"outcome", "unenrolled"}, {"state", "present"}}, 30s);
    ASSERT_TRUE(unenrolled) << "no unenrolled presence within 30 s";
    EXPECT_TRUE(waitForPush(*subject, "presence",
                            {{"subject", demo::kSubject01}, {"outcome", "unenrolled"}}, 10s));
    // Several samples (one every 2 s) later: still no mismatch, no alert of any kind.
    auto accused = teacher->waitFor(
        [](const json& m) {
            return m.value("subject", "") == demo::kSubject01 &&
                   (m.value("type", "") == "alert" || m.value("outcome", "") == "not_matched");
        },
        8s);
    EXPECT_FALSE(accused) << accused->dump();
    json roster = teacher->request({{"type", "roster"}});
    bool shown = false;
    for (const auto& p : roster.value("participants", json::array())) {
        if (p.value("id", "") == demo::kSubject01)
            shown = p.value("outcome", "") == "unenrolled" && p.value("presence", "") == "present";
    }
    EXPECT_TRUE(shown) << roster.dump();

    // Enrolled from a frame of the live camera, by the class's teacher only.
    std::string frame = readFile(testdataPath("video/cap12/00010.jpg"));
    std::string path =
        "/api/subjects/" + demo::kSubject01 + "/references?source=class&class=" + demo::kClassToday;
    // Not for a subject who is not in the class now, and never by a subject.
    auto absent = httpRequest(
        port(), "POST",
        "/api/subjects/" + demo::kSubject02 + "/references?source=class&class=" + demo::kClassToday,
        frame, officer, {{"Content-Type", "image/jpeg"}});
    EXPECT_EQ(absent.status, 403) << absent.body;
    auto self = httpRequest(port(), "POST", path, frame, login(port(), "subject01", kDemoPassword),
                            {{"Content-Type", "image/jpeg"}});
    EXPECT_EQ(self.status, 403) << self.body;
    auto enrolled =
        httpRequest(port(), "POST", path, frame, officer, {{"Content-Type", "image/jpeg"}});
    ASSERT_EQ(enrolled.status, 201) << enrolled.body;
    EXPECT_EQ(json::parse(enrolled.body)["reference"].value("source", ""), "class");
    EXPECT_FALSE(listed(getJson(port(), "/api/references/missing", officer).body));
    EXPECT_TRUE(waitForPush(*teacher, "presence",
                            {{"subject", demo::kSubject01}, {"outcome", "verified"}}, 20s))
        << "not verified after enrolment from the live camera";
}

class FrozenCameraTest : public PresenceMediaTest {
protected:
    std::map<std::string, std::string> mediaEnv() const override {
        auto env = PresenceMediaTest::mediaEnv();
        env["VIGIL_PRESENCE_FROZEN_SECONDS"] = "5";
        return env;
    }
};

TEST_F(FrozenCameraTest, TheSamePictureOverAndOverIsCameraOff) {
    auto options = camera();
    options.stillImage = testdataPath("photos/franck_02221.jpg");
    ASSERT_TRUE(startCamera(options));
    EXPECT_TRUE(waitForPush(*teacher, "presence",
                            {{"subject", demo::kSubject01}, {"outcome", "camera_off"}}, 25s))
        << "a frozen picture was not judged camera_off";
}
