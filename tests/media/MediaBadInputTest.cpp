// Media signaling fed wrong, malformed or unauthorised requests: each gets an error reply with
// its documented code, and the server keeps serving the connection afterwards.

#include <algorithm>
#include <random>
#include <thread>

#include "MediaFixture.hpp"

using namespace vigil::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class MediaBadInputTest : public MediaTest {};

const std::string kSessionHeader =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n";

const std::string kFingerprint =
    "a=fingerprint:sha-256 "
    "4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:4F:83:7B:39:2F:5E:1A:2B:3C:4D:"
    "5E:6F\r\n";

// One send-only m-line in `codec` at payload type 98.
std::string mediaLine(const std::string& kind, const std::string& codec, int mid) {
    std::string line = "m=" + kind + " 9 UDP/TLS/RTP/SAVPF 98\r\n";
    line += "c=IN IP4 0.0.0.0\r\n";
    line += "a=mid:" + std::to_string(mid) + "\r\n";
    line += "a=sendonly\r\na=rtcp-mux\r\n";
    line += "a=ice-ufrag:Vq3x\r\na=ice-pwd:8hV2cKp1t0Yq7mBv4nR6sZ2e\r\n";
    line += kFingerprint;
    line += "a=setup:actpass\r\n";
    line += "a=rtpmap:98 " + codec + "\r\n";
    return line;
}

json offer(const std::string& sdp, const std::string& stream = "main") {
    return {{"type", "offer"}, {"stream", stream}, {"sdp", sdp}};
}

// Random text that is not an offer the server can take: printable noise, SDP-like lines
// without an origin, or a proper header whose media lines name no codec the server takes.
std::string garbageSdp(std::mt19937& rng) {
    std::uniform_int_distribution<int> kindOf(0, 3);
    std::uniform_int_distribution<int> lengthOf(1, 600);
    std::uniform_int_distribution<int> printable(0x20, 0x7e);
    std::uniform_int_distribution<int> lineCount(1, 20);
    const std::string letters = "vstcbmaekzirup";
    std::uniform_int_distribution<size_t> letterOf(0, letters.size() - 1);
    auto noise = [&](int n) {
        std::string s;
        for (int i = 0; i < n; ++i) s += static_cast<char>(printable(rng));
        return s;
    };
    switch (kindOf(rng)) {
        case 0:
            return noise(lengthOf(rng));
        case 1: {
            std::string s = "v=0\r\n";
            for (int i = lineCount(rng); i > 0; --i) {
                s += std::string(1, letters[letterOf(rng)]) + "=" + noise(lengthOf(rng) / 10) +
                     "\r\n";
            }
            return s;
        }
        case 2: {
            std::string s = kSessionHeader;
            const char* codecs[] = {"VP9/90000", "AV1/90000", "H265/90000", "PCMU/8000",
                                    "G722/8000"};
            std::uniform_int_distribution<int> codecOf(0, 4);
            for (int i = lineCount(rng) / 4; i >= 0; --i) {
                s += mediaLine(i % 2 == 0 ? "video" : "audio", codecs[codecOf(rng)], i);
            }
            return s;
        }
        default:
            // Bytes of an offer, shuffled: never a valid header.
            std::string s = "x" + kSessionHeader + mediaLine("video", "VP8/90000", 0);
            std::shuffle(s.begin() + 1, s.end(), rng);
            return s;
    }
}

}  // namespace

TEST_F(MediaBadInputTest, GarbageSdpIsBadSdp) {
    auto teacher = joinC1("officer.wang");
    EXPECT_TRUE(refusedWith(*teacher, offer("this is not an SDP"), "bad_sdp"));
    EXPECT_TRUE(refusedWith(*teacher, offer("v=0\r\ns=-\r\nt=0 0\r\n"), "bad_sdp"))
        << "an SDP without an o= line";
    EXPECT_TRUE(
        refusedWith(*teacher, offer("v=1\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"), "bad_sdp"))
        << "an SDP of another version";
    EXPECT_TRUE(stillServing(*teacher));
}

TEST_F(MediaBadInputTest, SdpWithoutMediaLinesIsNoMedia) {
    auto teacher = joinC1("officer.wang");
    EXPECT_TRUE(refusedWith(*teacher, offer(kSessionHeader), "no_media"));
    EXPECT_TRUE(stillServing(*teacher));
}

TEST_F(MediaBadInputTest, OnlyAnUnsupportedCodecIsNoMedia) {
    auto teacher = joinC1("officer.wang");
    EXPECT_TRUE(refusedWith(
        *teacher,
        offer(kSessionHeader + "a=group:BUNDLE 0\r\n" + mediaLine("video", "VP9/90000", 0)),
        "no_media"));
    EXPECT_TRUE(refusedWith(
        *teacher,
        offer(kSessionHeader + "a=group:BUNDLE 0\r\n" + mediaLine("audio", "PCMU/8000", 0)),
        "no_media"));
    // Opus on a video line is not a usable video line either.
    EXPECT_TRUE(refusedWith(
        *teacher,
        offer(kSessionHeader + "a=group:BUNDLE 0\r\n" + mediaLine("video", "opus/48000/2", 0)),
        "no_media"));
    EXPECT_TRUE(stillServing(*teacher));
}

TEST_F(MediaBadInputTest, AnswerForUnknownSessionIsUnknownSession) {
    auto subject = joinC1("subject01");
    EXPECT_TRUE(refusedWith(*subject,
                            {{"type", "answer"},
                             {"session", "m0123abcd"},
                             {"sdp", kSessionHeader + mediaLine("video", "VP8/90000", 0)}},
                            "unknown_session"));
    EXPECT_TRUE(stillServing(*subject));
}

TEST_F(MediaBadInputTest, IceBeforeAnyOfferIsUnknownSession) {
    auto teacher = joinC1("officer.wang");
    EXPECT_TRUE(refusedWith(*teacher,
                            {{"type", "ice"},
                             {"session", "m0123abcd"},
                             {"candidate", "candidate:1 1 UDP 2122260223 192.0.2.1 54400 typ host"},
                             {"sdpMLineIndex", 0}},
                            "unknown_session"));
    EXPECT_TRUE(refusedWith(*teacher,
                            {{"type", "ice"}, {"session", "m0123abcd"}, {"candidate", ""}},
                            "unknown_session"))
        << "end of candidates";
    EXPECT_TRUE(refusedWith(*teacher, {{"type", "ice_restart"}, {"session", "m0123abcd"}},
                            "unknown_session"));
    EXPECT_TRUE(stillServing(*teacher));
}

TEST_F(MediaBadInputTest, SecondTeacherPublishingMainGetsPublisherExists) {
    auto wang = joinC1("officer.wang");
    auto first = MediaPeer::publish(*wang, "main");
    ASSERT_TRUE(first->lastError().empty()) << first->lastError();
    ASSERT_TRUE(first->waitConnected(10s));

    json liJoin;
    auto li = joinC1("officer.li", &liJoin);
    ASSERT_EQ(liJoin.value("role", "teacher"), "teacher") << liJoin.dump();
    if (liJoin["publishers"].empty()) {
        ASSERT_TRUE(waitForPush(*li, "publisher_ready", {{"source", demo::kOfficerWang}}, 10s));
    }
    auto second = MediaPeer::publish(*li, "main");
    EXPECT_EQ(second->lastError(), "publisher_exists");
    EXPECT_TRUE(second->session().empty()) << "a refused publisher kept a session";
    EXPECT_TRUE(stillServing(*li));

    // The first publisher still serves the class.
    auto viewerWs = joinC1Watching("subject02", demo::kOfficerWang);
    auto viewer = MediaPeer::subscribe(*viewerWs, "");
    ASSERT_TRUE(viewer->lastError().empty()) << viewer->lastError();
    EXPECT_TRUE(viewer->waitForFrames(5, 10s)) << "error " << viewer->lastError();
}

TEST_F(MediaBadInputTest, SubjectPublishingMainIsForbidden) {
    auto subject = joinC1("subject01");
    auto peer = MediaPeer::publish(*subject, "main");
    EXPECT_EQ(peer->lastError(), "forbidden");
    EXPECT_TRUE(peer->session().empty());
    EXPECT_TRUE(stillServing(*subject));
}

TEST_F(MediaBadInputTest, SubjectSubscribingToAnotherSubjectsCameraIsForbidden) {
    auto owner = joinC1("subject01");
    PeerOptions camera;
    camera.fps = 5;
    camera.audio = false;
    auto published = MediaPeer::publish(*owner, "camera", camera);
    ASSERT_TRUE(published->lastError().empty()) << published->lastError();

    auto other = joinC1("subject02");
    auto peer = MediaPeer::subscribe(*other, demo::kSubject01, "camera");
    EXPECT_EQ(peer->lastError(), "forbidden");
    EXPECT_TRUE(refusedWith(*other, {{"type", "subscribe"}, {"stream", "camera"}}, "forbidden"))
        << "without a source";
    EXPECT_TRUE(stillServing(*other));
}

TEST_F(MediaBadInputTest, SubscribeWhenNobodyPublishesIsNoPublisher) {
    auto subject = joinC1("subject01");
    EXPECT_TRUE(refusedWith(*subject, {{"type", "subscribe"}}, "no_publisher"));
    EXPECT_TRUE(refusedWith(*subject, {{"type", "subscribe"}, {"source", demo::kOfficerWang}},
                            "no_publisher"));
    EXPECT_TRUE(stillServing(*subject));
}

TEST_F(MediaBadInputTest, MediaOutsideAClassIsBadRequest) {
    auto officer = connectAs(port(), "officer.wang");
    EXPECT_TRUE(refusedWith(*officer, offer(kSessionHeader + mediaLine("video", "VP8/90000", 0)),
                            "bad_request"));
    EXPECT_TRUE(refusedWith(*officer, {{"type", "subscribe"}}, "bad_request"));
    // Naming a call that does not exist is no way in either.
    EXPECT_TRUE(refusedWith(*officer,
                            {{"type", "offer"},
                             {"call", "k00000000"},
                             {"sdp", kSessionHeader + mediaLine("video", "VP8/90000", 0)}},
                            "bad_request"));
    EXPECT_TRUE(stillServing(*officer));
}

TEST_F(MediaBadInputTest, UnknownStreamIsBadRequest) {
    auto teacher = joinC1("officer.wang");
    EXPECT_TRUE(refusedWith(*teacher,
                            offer(kSessionHeader + mediaLine("video", "VP8/90000", 0), "screen"),
                            "bad_request"));
    auto subject = joinC1("subject01");
    EXPECT_TRUE(
        refusedWith(*subject, {{"type", "subscribe"}, {"stream", "screen"}}, "bad_request"));
    EXPECT_TRUE(stillServing(*teacher));
    EXPECT_TRUE(stillServing(*subject));
}

TEST_F(MediaBadInputTest, StopMediaOfAnotherConnectionsSessionIsUnknownSession) {
    auto teacher = joinC1("officer.wang");
    auto publisher = MediaPeer::publish(*teacher, "main");
    ASSERT_TRUE(publisher->lastError().empty()) << publisher->lastError();
    ASSERT_FALSE(publisher->session().empty());
    ASSERT_TRUE(publisher->waitConnected(10s));

    auto subject = joinC1Watching("subject01", demo::kOfficerWang);
    EXPECT_TRUE(refusedWith(*subject, {{"type", "stop_media"}, {"session", publisher->session()}},
                            "unknown_session"));
    EXPECT_TRUE(refusedWith(*subject,
                            {{"type", "ice"}, {"session", publisher->session()}, {"candidate", ""}},
                            "unknown_session"));
    // The same user on another tab does not own it either.
    auto otherTab = connectAs(port(), "officer.wang");
    EXPECT_TRUE(refusedWith(*otherTab, {{"type", "stop_media"}, {"session", publisher->session()}},
                            "unknown_session"));
    EXPECT_TRUE(stillServing(*subject));

    // The session lives on: a viewer still gets the teacher's picture.
    EXPECT_FALSE(waitForPush(*subject, "publisher_left", json::object(), 500ms))
        << "the publisher was stopped by someone else";
    auto viewer = MediaPeer::subscribe(*subject, demo::kOfficerWang);
    ASSERT_TRUE(viewer->lastError().empty()) << viewer->lastError();
    EXPECT_TRUE(viewer->waitForFrames(5, 10s)) << "error " << viewer->lastError();
}

// Candidates pointing where the media server must never send (signaling/src/CandidateFilter):
// answered ok with the reason they were ignored, and the session carries on. This stack
// allows loopback candidates (its peers are on 127.0.0.1); the rest are dropped.
TEST_F(MediaBadInputTest, CandidatesTheServerMustNotContactAreIgnored) {
    auto teacher = joinC1("officer.wang");
    auto publisher = MediaPeer::publish(*teacher, "main");
    ASSERT_TRUE(publisher->lastError().empty()) << publisher->lastError();
    ASSERT_TRUE(publisher->waitConnected(10s));
    auto ice = [&](const std::string& address, int port) {
        return teacher->request({{"type", "ice"},
                                 {"session", publisher->session()},
                                 {"sdpMLineIndex", 0},
                                 {"candidate", "candidate:9 1 udp 2122260223 " + address + " " +
                                                   std::to_string(port) + " typ host"}});
    };
    const std::vector<std::pair<std::pair<std::string, int>, std::string>> dropped{
        {{"169.254.169.254", 80}, "link-local"},          {{"0.0.0.0", 40000}, "unspecified"},
        {{"224.0.0.251", 5353}, "multicast or reserved"}, {{"fe80::1", 40000}, "link-local"},
        {{"metadata.internal", 80}, "host name"},         {{"192.0.2.10", port()}, "service port"}};
    for (const auto& [target, reason] : dropped) {
        auto reply = ice(target.first, target.second);
        EXPECT_EQ(reply["type"], "ok") << reply.dump();
        EXPECT_EQ(reply.value("ignored", ""), reason) << target.first << ": " << reply.dump();
    }
    auto loopback = ice("127.0.0.1", 40000);
    EXPECT_EQ(loopback["type"], "ok") << loopback.dump();
    EXPECT_FALSE(loopback.contains("ignored")) << "allowed in this stack: " << loopback.dump();
    // The session carries on: a viewer still gets the teacher's picture.
    auto subject = joinC1Watching("subject01", demo::kOfficerWang);
    auto viewer = MediaPeer::subscribe(*subject, demo::kOfficerWang);
    ASSERT_TRUE(viewer->lastError().empty()) << viewer->lastError();
    EXPECT_TRUE(viewer->waitForFrames(5, 10s)) << "error " << viewer->lastError();
}

// A viewer that asks for a stream and goes away before answering the server's offer, by
// stop_media or by closing its socket: the session ends and the server carries on.
TEST_F(MediaBadInputTest, ViewSessionAbandonedBeforeItsAnswerEndsCleanly) {
    auto teacher = joinC1("officer.wang");
    auto publisher = MediaPeer::publish(*teacher, "main");
    ASSERT_TRUE(publisher->lastError().empty()) << publisher->lastError();
    auto subject = joinC1Watching("subject01", demo::kOfficerWang);
    for (int i = 0; i < 3; ++i) {
        json view = subject->request({{"type", "subscribe"}});
        ASSERT_EQ(outcome(view), "ok") << view.dump().substr(0, 300);
        // Let the publisher's packets reach the unanswered session before it is stopped.
        ASSERT_TRUE(publisher->waitForFrames(publisher->videoFramesSent() + 5, 5s));
        json stop;
        try {
            stop = subject->request({{"type", "stop_media"}, {"session", view["session"]}}, 5s);
        } catch (const std::exception& e) {
            FAIL() << "stop_media of an unanswered view session (round " << i
                   << ") got no reply in 5 s: the server stopped serving (" << e.what() << ")";
        }
        EXPECT_EQ(outcome(stop), "ok") << stop.dump();
        EXPECT_TRUE(refusedWith(*subject, {{"type", "stop_media"}, {"session", view["session"]}},
                                "unknown_session"))
            << "a stopped session is gone";
    }
    {
        auto leaving = joinC1Watching("subject02", demo::kOfficerWang);
        json view = leaving->request({{"type", "subscribe"}});
        ASSERT_EQ(outcome(view), "ok") << view.dump().substr(0, 300);
        ASSERT_TRUE(publisher->waitForFrames(publisher->videoFramesSent() + 5, 5s));
        leaving->close();
        ASSERT_TRUE(leaving->waitClosed(5s));
    }
    EXPECT_TRUE(stillServing(*teacher));
    EXPECT_TRUE(stillServing(*subject));
    auto viewer = MediaPeer::subscribe(*subject, demo::kOfficerWang);
    ASSERT_TRUE(viewer->lastError().empty()) << viewer->lastError();
    EXPECT_TRUE(viewer->waitForFrames(5, 10s)) << "error " << viewer->lastError();
}

TEST_F(MediaBadInputTest, TwoHundredGarbageOffersAreAllRefused) {
    auto teacher = joinC1("officer.wang");
    std::mt19937 rng(20261129);
    // 40 a second, under the limit of 50: every one must be answered, none rate limited.
    const auto pace = 25ms;
    auto start = std::chrono::steady_clock::now();
    std::map<std::string, int> codes;
    for (int i = 0; i < 200; ++i) {
        std::this_thread::sleep_until(start + i * pace);
        std::string sdp = garbageSdp(rng);
        json reply;
        try {
            reply = teacher->request(offer(sdp), 10s);
        } catch (const std::exception& e) {
            FAIL() << "offer " << i << " got no reply (" << e.what() << "); sdp:\n" << sdp;
        }
        std::string code = outcome(reply);
        ++codes[code];
        ASSERT_TRUE(code == "bad_sdp" || code == "no_media")
            << "offer " << i << ": " << reply.dump() << "\nsdp:\n"
            << sdp;
    }
    EXPECT_TRUE(stillServing(*teacher));
    EXPECT_FALSE(teacher->closed());
    EXPECT_GT(codes["bad_sdp"], 0);
    EXPECT_GT(codes["no_media"], 0);

    // Nothing was left behind: the teacher can still publish a real stream, and a viewer
    // sees it.
    auto publisher = MediaPeer::publish(*teacher, "main");
    ASSERT_TRUE(publisher->lastError().empty()) << publisher->lastError();
    auto subject = joinC1Watching("subject01", demo::kOfficerWang);
    auto viewer = MediaPeer::subscribe(*subject, demo::kOfficerWang);
    ASSERT_TRUE(viewer->lastError().empty()) << viewer->lastError();
    EXPECT_TRUE(viewer->waitForFrames(5, 10s)) << "error " << viewer->lastError();
}
