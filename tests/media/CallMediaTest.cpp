// Supervision calls through the real server: an officer rings a subject, both publish and
// view each other over webrtcbin peers, the call's record in Redis follows each step, and
// the call leaves one recording per party.

#include <set>

#include "MediaFixture.hpp"

using namespace vigil::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class CallMediaTest : public MediaTest {
protected:
    std::string callField(const std::string& callId, const std::string& field) {
        return redis.cli({"HGET", "vigil:call:" + callId, field});
    }

    // The officer rings `subject` and `subjectWs` receives incoming_call; returns the call id
    // (empty after a failure, which is recorded).
    std::string ring(WsClient& officer, WsClient& subjectWs, const std::string& subject) {
        json reply = officer.request({{"type", "call"}, {"subject", subject}});
        EXPECT_EQ(outcome(reply), "ok") << reply.dump();
        std::string callId = reply.value("call", "");
        EXPECT_FALSE(callId.empty()) << reply.dump();
        EXPECT_TRUE(reply["ice_servers"].is_array()) << reply.dump();
        if (callId.empty()) return "";
        auto incoming = waitForPush(subjectWs, "incoming_call", {{"call", callId}}, 5s);
        EXPECT_TRUE(incoming) << "the subject's socket did not ring";
        if (!incoming) return "";
        EXPECT_EQ((*incoming)["from"].value("id", ""), demo::kOfficerWang) << incoming->dump();
        EXPECT_TRUE((*incoming)["ice_servers"].is_array()) << incoming->dump();
        // Both parties are told whether the call is recorded, as the server is configured.
        EXPECT_EQ(reply.value("recording", !recordingOn()), recordingOn()) << reply.dump();
        EXPECT_EQ(incoming->value("recording", !recordingOn()), recordingOn()) << incoming->dump();
        return callId;
    }

    bool recordingOn() const { return mediaEnv().count("VIGIL_RECORDING_ENABLED") == 0; }
};

class CallMediaNoRecordingTest : public CallMediaTest {
protected:
    std::map<std::string, std::string> mediaEnv() const override {
        return {{"VIGIL_RECORDING_ENABLED", "false"}};
    }
};

class CallMediaRingTimeoutTest : public CallMediaTest {
protected:
    std::map<std::string, std::string> mediaEnv() const override {
        return {{"VIGIL_CALLS_RING_SECONDS", "5"}};
    }
};

bool decodedAudio(const MediaPeer& peer) {
    return peer.audioBuffersDecoded() > 0;
}

}  // namespace

TEST_F(CallMediaTest, OfficerAndSubjectSeeAndHearEachOther) {
    auto officer = connectAs(port(), "officer.wang");
    auto subject = connectAs(port(), "subject01");
    std::string callId = ring(*officer, *subject, demo::kSubject01);
    ASSERT_FALSE(callId.empty());
    EXPECT_EQ(callField(callId, "state"), "ringing");
    EXPECT_EQ(callField(callId, "officer"), demo::kOfficerWang);
    EXPECT_EQ(callField(callId, "subject"), demo::kSubject01);

    json accept = subject->request({{"type", "call_accept"}, {"call", callId}});
    ASSERT_EQ(outcome(accept), "ok") << accept.dump();
    EXPECT_TRUE(accept["ice_servers"].is_array()) << accept.dump();
    EXPECT_EQ(accept.value("recording", false), true) << accept.dump();
    ASSERT_TRUE(waitForPush(*officer, "call_state", {{"call", callId}, {"state", "accepted"}}, 5s))
        << "the officer was not told that the call was accepted";
    EXPECT_EQ(callField(callId, "state"), "active");

    PeerOptions officerOptions;
    officerOptions.fps = 15;
    auto officerOut = MediaPeer::publish(*officer, "main", officerOptions, callId);
    ASSERT_TRUE(officerOut->lastError().empty()) << officerOut->lastError();
    PeerOptions subjectOptions;
    subjectOptions.fps = 15;
    subjectOptions.pattern = "ball";
    auto subjectOut = MediaPeer::publish(*subject, "main", subjectOptions, callId);
    ASSERT_TRUE(subjectOut->lastError().empty()) << subjectOut->lastError();

    ASSERT_TRUE(waitForPush(*subject, "publisher_ready",
                            {{"call", callId}, {"source", demo::kOfficerWang}, {"stream", "main"}},
                            10s))
        << "the subject was not told that the officer publishes";
    ASSERT_TRUE(waitForPush(*officer, "publisher_ready",
                            {{"call", callId}, {"source", demo::kSubject01}, {"stream", "main"}},
                            10s))
        << "the officer was not told that the subject publishes";

    auto officerIn = MediaPeer::subscribe(*officer, demo::kSubject01, "main", callId);
    ASSERT_TRUE(officerIn->lastError().empty()) << officerIn->lastError();
    auto subjectIn = MediaPeer::subscribe(*subject, demo::kOfficerWang, "main", callId);
    ASSERT_TRUE(subjectIn->lastError().empty()) << subjectIn->lastError();

    EXPECT_TRUE(officerIn->waitForFrames(30, 15s))
        << "officer decoded " << officerIn->videoFramesDecoded() << " frames of the subject; "
        << "subject sent " << subjectOut->videoFramesSent() << ", error " << officerIn->lastError();
    EXPECT_TRUE(subjectIn->waitForFrames(30, 15s))
        << "subject decoded " << subjectIn->videoFramesDecoded() << " frames of the officer; "
        << "officer sent " << officerOut->videoFramesSent() << ", error " << subjectIn->lastError();
    EXPECT_TRUE(waitUntil([&]() { return decodedAudio(*officerIn); }, 5s))
        << "the officer heard nothing";
    EXPECT_TRUE(waitUntil([&]() { return decodedAudio(*subjectIn); }, 5s))
        << "the subject heard nothing";

    json end = officer->request({{"type", "call_end"}, {"call", callId}});
    ASSERT_EQ(outcome(end), "ok") << end.dump();
    EXPECT_EQ(end.value("state", ""), "ended") << end.dump();
    EXPECT_TRUE(waitForPush(*officer, "call_state", {{"call", callId}, {"state", "ended"}}, 5s))
        << "the officer got no call_state ended";
    auto ended = waitForPush(*subject, "call_state", {{"call", callId}, {"state", "ended"}}, 5s);
    ASSERT_TRUE(ended) << "the subject got no call_state ended";
    EXPECT_EQ(ended->value("by", ""), demo::kOfficerWang) << ended->dump();
    EXPECT_EQ(callField(callId, "state"), "ended");
    EXPECT_EQ(callField(callId, "by"), demo::kOfficerWang);

    // The call's room is gone: publishing in it again is refused.
    EXPECT_TRUE(refusedWith(*subject, {{"type", "offer"}, {"call", callId}, {"sdp", "v=0\r\n"}},
                            "bad_request"));
    EXPECT_TRUE(stillServing(*officer));

    // One recording per party, each named by the party whose audio and video it holds.
    std::string admin = login(port(), "admin", kDemoPassword);
    const std::string byCall = "/api/recordings?call=" + callId;
    json recordings;
    EXPECT_TRUE(waitUntil(
        [&]() {
            auto list = getJson(port(), byCall, admin);
            if (list.status != 200 || list.body["recordings"].size() != 2) return false;
            for (const auto& r : list.body["recordings"]) {
                if (r.value("state", "") != "complete") return false;
            }
            recordings = list.body["recordings"];
            return true;
        },
        15s))
        << "the call's two recordings were not both finished: "
        << getJson(port(), byCall, admin).raw;
    std::set<std::string> sources;
    for (const auto& r : recordings) {
        EXPECT_EQ(r.value("kind", ""), "call") << r.dump();
        EXPECT_EQ(r.value("call", ""), callId) << r.dump();
        sources.insert(r.value("source", ""));
    }
    EXPECT_EQ(sources, (std::set<std::string>{demo::kOfficerWang, demo::kSubject01}));
    auto subjectSide = getJson(port(), byCall + "&source=" + demo::kSubject01, admin);
    ASSERT_EQ(subjectSide.body["recordings"].size(), 1u) << subjectSide.raw;
    EXPECT_EQ(subjectSide.body["recordings"][0]["source"], demo::kSubject01);
}

TEST_F(CallMediaTest, DeclinedCallIsRecordedAndTheOfficerIsTold) {
    auto officer = connectAs(port(), "officer.wang");
    auto subject = connectAs(port(), "subject01");
    std::string callId = ring(*officer, *subject, demo::kSubject01);
    ASSERT_FALSE(callId.empty());

    json decline = subject->request({{"type", "call_decline"}, {"call", callId}});
    ASSERT_EQ(outcome(decline), "ok") << decline.dump();
    EXPECT_EQ(decline.value("state", ""), "declined") << decline.dump();
    auto told = waitForPush(*officer, "call_state", {{"call", callId}}, 5s);
    ASSERT_TRUE(told) << "the officer was not told";
    EXPECT_EQ(told->value("state", ""), "declined") << told->dump();
    EXPECT_EQ(told->value("by", ""), demo::kSubject01) << told->dump();
    EXPECT_EQ(callField(callId, "state"), "declined");

    // It no longer rings: accepting it now is refused, and the officer may ring again.
    json late = subject->request({{"type", "call_accept"}, {"call", callId}});
    EXPECT_NE(outcome(late), "ok") << late.dump();
    std::string again = ring(*officer, *subject, demo::kSubject01);
    EXPECT_FALSE(again.empty());
    EXPECT_NE(again, callId);
}

TEST_F(CallMediaTest, SubjectWhoIsNotSignedInIsOffline) {
    auto officer = connectAs(port(), "officer.wang");
    auto present = connectAs(port(), "subject01");
    EXPECT_TRUE(refusedWith(*officer, {{"type", "call"}, {"subject", demo::kSubject02}},
                            "subject_offline"));
    // Nobody else rang.
    EXPECT_FALSE(waitForPush(*present, "incoming_call", json::object(), 1s));
    EXPECT_TRUE(stillServing(*officer));
}

TEST_F(CallMediaTest, SubjectMayNotPlaceACall) {
    auto subject = connectAs(port(), "subject01");
    auto other = connectAs(port(), "subject02");
    EXPECT_TRUE(
        refusedWith(*subject, {{"type", "call"}, {"subject", demo::kSubject02}}, "forbidden"));
    EXPECT_TRUE(
        refusedWith(*subject, {{"type", "call"}, {"subject", demo::kSubject01}}, "forbidden"));
    EXPECT_FALSE(waitForPush(*other, "incoming_call", json::object(), 1s));
    EXPECT_TRUE(stillServing(*subject));
}

// officer.li supervises zj-hz-xh, which holds every demo subject; officer.wang supervises only
// zj-hz-xh-zt, so subject04 (zj-hz-xh) is outside his unit.
TEST_F(CallMediaTest, OfficerMayNotCallASubjectOutsideHisUnit) {
    auto officer = connectAs(port(), "officer.wang");
    auto outsider = connectAs(port(), "subject04");
    EXPECT_TRUE(
        refusedWith(*officer, {{"type", "call"}, {"subject", demo::kSubject04}}, "forbidden"));
    EXPECT_FALSE(waitForPush(*outsider, "incoming_call", json::object(), 1s))
        << "a refused call rang anyway";
    EXPECT_TRUE(stillServing(*officer));

    // The officer over that unit may.
    auto li = connectAs(port(), "officer.li");
    json reply = li->request({{"type", "call"}, {"subject", demo::kSubject04}});
    EXPECT_EQ(outcome(reply), "ok") << reply.dump();
    EXPECT_TRUE(waitForPush(*outsider, "incoming_call", {{"call", reply.value("call", "")}}, 5s));
}

TEST_F(CallMediaRingTimeoutTest, UnansweredCallEndsAsMissed) {
    auto officer = connectAs(port(), "officer.wang");
    auto subject = connectAs(port(), "subject01");
    auto started = std::chrono::steady_clock::now();
    std::string callId = ring(*officer, *subject, demo::kSubject01);
    ASSERT_FALSE(callId.empty());

    auto missed = waitForPush(*officer, "call_state", {{"call", callId}}, 12s);
    auto elapsed = std::chrono::steady_clock::now() - started;
    ASSERT_TRUE(missed) << "the call never stopped ringing";
    EXPECT_EQ(missed->value("state", ""), "missed") << missed->dump();
    EXPECT_GE(elapsed, 4s) << "the call stopped ringing before ring_seconds";
    auto subjectSide = waitForPush(*subject, "call_state", {{"call", callId}}, 5s);
    ASSERT_TRUE(subjectSide) << "the subject's tab kept ringing";
    EXPECT_EQ(subjectSide->value("state", ""), "missed") << subjectSide->dump();
    EXPECT_EQ(callField(callId, "state"), "missed");
    // A missed call is an alert for the officer, stored and listed.
    auto alert = waitForPush(*officer, "alert", {{"call", callId}, {"kind", "missed_call"}}, 5s);
    EXPECT_TRUE(alert) << "no missed_call alert";
    auto alerts = getJson(port(), "/api/alerts", login(port(), "officer.wang", kDemoPassword)).body;
    bool listed = false;
    for (const auto& a : alerts.value("alerts", json::array()))
        listed = listed || (a.value("call", "") == callId && a.value("kind", "") == "missed_call");
    EXPECT_TRUE(listed) << alerts.dump();

    // Accepting a call that no longer rings is refused (bad_request per the Calls section;
    // not_found also names a call that is over).
    json late = subject->request({{"type", "call_accept"}, {"call", callId}});
    std::string code = outcome(late);
    EXPECT_TRUE(code == "bad_request" || code == "not_found") << late.dump();
    EXPECT_TRUE(stillServing(*subject));
}

TEST_F(CallMediaNoRecordingTest, PartiesAreToldTheCallIsNotRecorded) {
    auto officer = connectAs(port(), "officer.wang");
    auto subject = connectAs(port(), "subject01");
    std::string callId = ring(*officer, *subject, demo::kSubject01);  // checks the ring
    ASSERT_FALSE(callId.empty());
    json accept = subject->request({{"type", "call_accept"}, {"call", callId}});
    ASSERT_EQ(outcome(accept), "ok") << accept.dump();
    EXPECT_EQ(accept.value("recording", true), false) << accept.dump();
    json end = officer->request({{"type", "call_end"}, {"call", callId}});
    EXPECT_EQ(outcome(end), "ok") << end.dump();
}

namespace {

// Presence sampled every second, so that the class's camera samples are seen within a call.
class CallDuringClassTest : public CallMediaTest {
protected:
    std::map<std::string, std::string> mediaEnv() const override {
        return {{"VIGIL_MEDIA_SAMPLE_SECONDS", "1"}};
    }

    // subject01's presence samples so far in c1, from the roster the teacher asks for.
    static long long samplesInClass(WsClient& teacher) {
        json reply = teacher.request({{"type", "roster"}});
        for (const auto& p : reply.value("participants", json::array())) {
            if (p.value("id", "") == demo::kSubject01) return p.value("samples", -1LL);
        }
        return -1;
    }
};

}  // namespace

// A call and a class on the same sockets: the officer calls from the socket that teaches c1,
// the subject accepts on the socket that attends it. While the call runs and after it ends,
// the subject still receives the teacher and the presence camera is still sampled, and the
// attendance record keeps one open interval: ending the call closes only the call's media.
TEST_F(CallDuringClassTest, CallLeavesTheClassAlone) {
    auto officer = joinC1("officer.wang");
    auto teaching = MediaPeer::publish(*officer, "main");
    ASSERT_TRUE(teaching->lastError().empty()) << teaching->lastError();
    auto subject = joinC1Watching("subject01", demo::kOfficerWang);
    auto teacher = MediaPeer::subscribe(*subject, demo::kOfficerWang);
    ASSERT_TRUE(teacher->lastError().empty()) << teacher->lastError();
    PeerOptions cameraOptions;
    cameraOptions.width = 320;
    cameraOptions.height = 240;
    cameraOptions.fps = 5;
    cameraOptions.audio = false;
    auto camera = MediaPeer::publish(*subject, "camera", cameraOptions);
    ASSERT_TRUE(camera->lastError().empty()) << camera->lastError();
    ASSERT_TRUE(teacher->waitForFrames(10, 15s)) << "error " << teacher->lastError();

    // The class goes on: the teacher's frames and the camera's samples grow.
    auto classGoesOn = [&](const char* when) {
        int frames = teacher->videoFramesDecoded();
        long long samples = samplesInClass(*officer);
        EXPECT_TRUE(waitUntil([&]() { return teacher->videoFramesDecoded() > frames + 10; }, 10s))
            << when << ": the subject's view of the teacher stopped at " << frames << " frames; "
            << "error " << teacher->lastError();
        EXPECT_TRUE(waitUntil([&]() { return samplesInClass(*officer) > samples; }, 10s, 250ms))
            << when << ": the presence camera was not sampled beyond " << samples;
    };

    std::string callId = ring(*officer, *subject, demo::kSubject01);
    ASSERT_FALSE(callId.empty());
    json accept = subject->request({{"type", "call_accept"}, {"call", callId}});
    ASSERT_EQ(outcome(accept), "ok") << accept.dump();
    auto officerOut = MediaPeer::publish(*officer, "main", {}, callId);
    ASSERT_TRUE(officerOut->lastError().empty()) << officerOut->lastError();
    auto subjectOut = MediaPeer::publish(*subject, "main", {}, callId);
    ASSERT_TRUE(subjectOut->lastError().empty()) << subjectOut->lastError();
    ASSERT_TRUE(waitForPush(*officer, "publisher_ready",
                            {{"call", callId}, {"source", demo::kSubject01}}, 10s));
    auto officerIn = MediaPeer::subscribe(*officer, demo::kSubject01, "main", callId);
    ASSERT_TRUE(officerIn->lastError().empty()) << officerIn->lastError();
    EXPECT_TRUE(officerIn->waitForFrames(10, 15s))
        << "the officer decoded " << officerIn->videoFramesDecoded() << " frames of the call";
    classGoesOn("during the call");

    json end = officer->request({{"type", "call_end"}, {"call", callId}});
    ASSERT_EQ(outcome(end), "ok") << end.dump();
    ASSERT_TRUE(waitForPush(*subject, "call_state", {{"call", callId}, {"state", "ended"}}, 5s));
    classGoesOn("after the call");

    auto attendance =
        getJson(port(), "/api/classes/c1/attendance", login(port(), "officer.wang", kDemoPassword));
    ASSERT_EQ(attendance.status, 200) << attendance.raw;
    bool seen = false;
    for (const auto& row : attendance.body.value("attendance", json::array())) {
        if (row.value("subject", "") != demo::kSubject01) continue;
        seen = true;
        ASSERT_EQ(row["intervals"].size(), 1u) << "the call broke the interval: " << row.dump();
        EXPECT_TRUE(row["intervals"][0].value("open", false)) << row.dump();
    }
    EXPECT_TRUE(seen) << attendance.raw;
    EXPECT_TRUE(stillServing(*subject));
}
