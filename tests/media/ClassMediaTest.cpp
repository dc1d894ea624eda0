// A live class's media through the real server: the teacher publishes a test pattern and
// tone from a GStreamer webrtcbin peer, subjects view it and their decoders count frames.

#include <thread>

#include "MediaFixture.hpp"

using namespace vigil::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {
class ClassMediaTest : public MediaTest {};
}  // namespace

TEST_F(ClassMediaTest, TenViewersDecodeNearlyEveryFrame) {
    auto names = addSubjects(7);
    names.insert(names.begin(), {"subject01", "subject02", "subject03"});
    auto teacher = joinC1("officer.wang");
    PeerOptions options;
    options.fps = 15;
    auto publisher = MediaPeer::publish(*teacher, "main", options);
    ASSERT_TRUE(publisher->lastError().empty()) << publisher->lastError();
    ASSERT_TRUE(publisher->waitConnected(10s));

    std::vector<std::unique_ptr<WsClient>> sockets;
    std::vector<std::unique_ptr<MediaPeer>> viewers;
    for (const auto& name : names) {
        json join;
        sockets.push_back(joinC1(name, &join));
        // The join says who publishes once the stream is up; until then publisher_ready will.
        if (join["publishers"].empty()) {
            ASSERT_TRUE(waitForPush(*sockets.back(), "publisher_ready", {{"source", "u3"}}, 10s));
        }
        viewers.push_back(MediaPeer::subscribe(*sockets.back(), "u3"));
        ASSERT_TRUE(viewers.back()->lastError().empty())
            << name << ": " << viewers.back()->lastError();
    }
    for (auto& v : viewers) {
        EXPECT_TRUE(v->waitConnected(10s)) << "a viewer did not connect";
        ASSERT_TRUE(v->waitForFrames(5, 10s))
            << "a viewer decoded nothing; key frames sent " << publisher->keyFramesSent()
            << ", audio " << v->audioBuffersDecoded() << ", error " << v->lastError();
    }
    // Count over a fixed window: frames sent by the publisher against frames decoded.
    std::vector<int> before;
    for (auto& v : viewers) before.push_back(v->videoFramesDecoded());
    int sentBefore = publisher->videoFramesSent();
    std::this_thread::sleep_for(6s);
    int sent = publisher->videoFramesSent() - sentBefore;
    ASSERT_GE(sent, 60) << "the publisher sent too little to judge";
    for (size_t i = 0; i < viewers.size(); ++i) {
        int decoded = viewers[i]->videoFramesDecoded() - before[i];
        EXPECT_GE(decoded, sent * 9 / 10) << names[i] << " decoded " << decoded << " of " << sent;
        EXPECT_GT(viewers[i]->audioBuffersDecoded(), 0) << names[i] << " heard nothing";
    }
}

TEST_F(ClassMediaTest, LateJoinerSeesAPictureWithinASecond) {
    auto teacher = joinC1("officer.wang");
    auto publisher = MediaPeer::publish(*teacher, "main");
    ASSERT_TRUE(publisher->lastError().empty()) << publisher->lastError();
    // Listed in the join reply or announced after it: over loopback ICE the stream can be up
    // before the subject joins.
    auto early = joinC1Watching("subject01", "u3");
    ASSERT_FALSE(HasFailure());
    // Long after the publisher's first key frame, which the newcomer never saw.
    std::this_thread::sleep_for(4s);
    int keyFramesBefore = publisher->keyFramesSent();
    auto late = joinC1("subject02");
    auto viewer = MediaPeer::subscribe(*late, "u3");
    ASSERT_TRUE(viewer->lastError().empty()) << viewer->lastError();
    ASSERT_TRUE(viewer->waitForFrames(1, 5s));
    EXPECT_LT(viewer->firstFrameMs(), 1000)
        << "first picture after " << viewer->firstFrameMs() << " ms";
    EXPECT_GT(publisher->keyFramesSent(), keyFramesBefore) << "the server asked for no key frame";
}

TEST_F(ClassMediaTest, ViewersAreToldWhenThePublisherLeavesAndResumeWhenItReturns) {
    auto teacher = joinC1("officer.wang");
    auto publisher = MediaPeer::publish(*teacher, "main");
    ASSERT_TRUE(publisher->lastError().empty()) << publisher->lastError();
    auto student = joinC1Watching("subject01", "u3");
    ASSERT_FALSE(HasFailure());
    auto viewer = MediaPeer::subscribe(*student, "u3");
    ASSERT_TRUE(viewer->waitForFrames(10, 10s)) << viewer->lastError();

    publisher->stop();
    auto left = waitForPush(*student, "publisher_left", {{"source", "u3"}, {"class", "c1"}}, 5s);
    ASSERT_TRUE(left);
    EXPECT_EQ((*left)["stream"], "main");
    EXPECT_FALSE((*left).value("reason", "").empty()) << left->dump();
    // The old view session is gone on the server.
    json stale = student->request({{"type", "ice_restart"}, {"session", viewer->session()}});
    EXPECT_EQ(stale.value("code", ""), "unknown_session") << stale.dump();
    viewer.reset();

    auto again = MediaPeer::publish(*teacher, "main");
    ASSERT_TRUE(again->lastError().empty()) << again->lastError();
    ASSERT_TRUE(waitForPush(*student, "publisher_ready", {{"source", "u3"}}, 10s));
    auto resumed = MediaPeer::subscribe(*student, "u3");
    ASSERT_TRUE(resumed->lastError().empty()) << resumed->lastError();
    EXPECT_TRUE(resumed->waitForFrames(10, 10s)) << "no picture after the publisher returned";
}

TEST_F(ClassMediaTest, AViewerRecoversByIceRestartWithoutRejoining) {
    auto teacher = joinC1("officer.wang");
    auto publisher = MediaPeer::publish(*teacher, "main");
    auto student = joinC1Watching("subject01", "u3");
    ASSERT_FALSE(HasFailure());
    auto viewer = MediaPeer::subscribe(*student, "u3");
    ASSERT_TRUE(viewer->waitForFrames(10, 10s)) << viewer->lastError();
    std::string session = viewer->session();
    viewer->restartIce();
    ASSERT_TRUE(viewer->lastError().empty()) << viewer->lastError();
    EXPECT_EQ(viewer->session(), session);
    int before = viewer->videoFramesDecoded();
    EXPECT_TRUE(viewer->waitForFrames(before + 30, 10s)) << "no frames after the ICE restart";
    // Still in the class: the restart wrote no leave.
    EXPECT_TRUE(eventsOf(attendanceEvents(redis, "c1"), "leave", demo::kSubject01).empty());
}
