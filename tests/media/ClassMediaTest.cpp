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
        ASSERT_TRUE(viewers.back()->lastError().empty()) << name << ": " << viewers.back()->lastError();
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
