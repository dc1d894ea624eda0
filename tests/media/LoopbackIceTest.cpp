// The test stack keeps media on loopback: with media.ice_addresses = ["127.0.0.1"] (set for
// every test server) the server offers ICE candidates on 127.0.0.0/8 only, for a class's
// publish and view sessions and for a supervision call. Every candidate it sends is checked:
// the trickled `ice` pushes and the a=candidate lines of the SDP in its replies.

#include <arpa/inet.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "MediaFixture.hpp"

using namespace vigil::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The connection address of an ICE candidate line ("candidate:F C udp P ADDRESS PORT typ ..."),
// with or without the "a=" of an SDP attribute; empty if the line has none.
std::string candidateAddress(const std::string& line) {
    std::istringstream fields(line);
    std::string field;
    for (int i = 0; i < 5; ++i) {
        if (!(fields >> field)) return "";
    }
    return field;
}

bool inLoopbackNet(const std::string& address) {
    in_addr ip{};
    return inet_pton(AF_INET, address.c_str(), &ip) == 1 && (ntohl(ip.s_addr) >> 24) == 127;
}

// The local address of every UDP socket process `pid` holds, from /proc: the sockets ICE
// bound are where its media goes out and comes in.
std::vector<std::string> udpSocketAddresses(pid_t pid) {
    std::set<std::string> inodes;
    const std::string fdDir = "/proc/" + std::to_string(pid) + "/fd";
    std::error_code ec;
    for (const auto& fd : std::filesystem::directory_iterator(fdDir, ec)) {
        std::string target = std::filesystem::read_symlink(fd.path(), ec).string();
        if (target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
    }
    std::vector<std::string> out;
    for (const bool v6 : {false, true}) {
        std::ifstream table("/proc/" + std::to_string(pid) + (v6 ? "/net/udp6" : "/net/udp"));
        std::string line;
        std::getline(table, line);  // The header.
        while (std::getline(table, line)) {
            std::istringstream f(line);
            std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
            f >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
                timeout >> inode;
            if (inodes.count(inode) == 0) continue;
            // The kernel prints the address as 32-bit words in host order, then ":PORT" in hex.
            const std::string hex = local.substr(0, local.find(':'));
            unsigned char bytes[16] = {};
            for (size_t w = 0; w * 8 < hex.size() && w < 4; ++w) {
                auto word = static_cast<uint32_t>(std::stoul(hex.substr(w * 8, 8), nullptr, 16));
                std::memcpy(bytes + w * 4, &word, 4);
            }
            char text[INET6_ADDRSTRLEN] = {};
            inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, text, sizeof text);
            out.push_back(
                std::string(text) + " port " +
                std::to_string(std::stoul(local.substr(local.find(':') + 1), nullptr, 16)));
        }
    }
    return out;
}

// Watches one WebSocket for what the server says about its own ICE candidates. Add it before
// any MediaPeer on the same client: WsClient offers messages to listeners in the order they
// were added, and this one only looks (it never consumes).
class ServerCandidates {
public:
    explicit ServerCandidates(WsClient& ws) : ws_(ws) {
        listener_ = ws_.addListener([this](const json& m) {
            observe(m);
            return false;
        });
    }
    ~ServerCandidates() { ws_.removeListener(listener_); }
    ServerCandidates(const ServerCandidates&) = delete;
    ServerCandidates& operator=(const ServerCandidates&) = delete;

    // "session: candidate" for every candidate seen so far.
    std::vector<std::string> all() const {
        std::lock_guard lock(mutex_);
        return candidates_;
    }
    // The server said that gathering ended (an empty `ice` candidate) for every session it
    // described.
    bool gatheringDone() const {
        std::lock_guard lock(mutex_);
        return !sessions_.empty() && sessions_ == finished_;
    }
    std::string sessionsText() const {
        std::lock_guard lock(mutex_);
        std::string out;
        for (const auto& s : sessions_) out += s + (finished_.count(s) != 0 ? " (done) " : " ");
        return out;
    }

private:
    void observe(const json& m) {
        const std::string session = m.value("session", "");
        std::lock_guard lock(mutex_);
        if (m.value("type", "") == "ice" && m.contains("candidate")) {
            sessions_.insert(session);
            const std::string candidate =
                m["candidate"].is_string() ? m["candidate"].get<std::string>() : "?";
            if (candidate.empty()) {
                finished_.insert(session);
            } else {
                candidates_.push_back(session + ": " + candidate);
            }
        }
        if (m.contains("sdp") && m["sdp"].is_string() && !session.empty()) {
            sessions_.insert(session);
            std::istringstream lines(m["sdp"].get<std::string>());
            std::string line;
            while (std::getline(lines, line)) {
                if (!line.empty() && line.back() == '\r') line.pop_back();
                if (line.rfind("a=candidate:", 0) == 0)
                    candidates_.push_back(session + ": " + line);
            }
        }
    }

    WsClient& ws_;  // Passed by argument.
    int listener_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> candidates_;
    std::set<std::string> sessions_;
    std::set<std::string> finished_;
};

class LoopbackIceTest : public MediaTest {
protected:
    // Every session seen on `watches` finished gathering; at least one candidate arrived, and
    // every one of them is on 127.0.0.0/8.
    void expectOnlyLoopback(const std::vector<const ServerCandidates*>& watches) {
        for (const auto* w : watches) {
            EXPECT_TRUE(waitUntil([w]() { return w->gatheringDone(); }, 10s))
                << "the server did not end gathering for every session: " << w->sessionsText();
        }
        std::vector<std::string> all;
        for (const auto* w : watches) {
            auto some = w->all();
            all.insert(all.end(), some.begin(), some.end());
        }
        ASSERT_FALSE(all.empty()) << "the server offered no ICE candidate at all";
        std::string outside;
        for (const auto& c : all) {
            std::string line = c.substr(c.find(": ") + 2);
            if (line.rfind("a=", 0) == 0) line.erase(0, 2);
            if (!inLoopbackNet(candidateAddress(line))) outside += "\n  " + c;
        }
        EXPECT_TRUE(outside.empty())
            << "candidates outside 127.0.0.0/8 (of " << all.size() << "):" << outside;
    }

    // Nothing of `pid`'s UDP (the server's ICE sockets, the test peers') is bound off loopback.
    static void expectUdpOnLoopback(pid_t pid, const std::string& who) {
        auto sockets = udpSocketAddresses(pid);
        EXPECT_FALSE(sockets.empty()) << who << " has no UDP socket: the check would see nothing";
        std::string outside;
        for (const auto& s : sockets) {
            if (!inLoopbackNet(s.substr(0, s.find(' ')))) outside += "\n  " + s;
        }
        EXPECT_TRUE(outside.empty()) << who << " has UDP sockets off loopback:" << outside;
    }
};

}  // namespace

TEST(LoopbackIceAddressTest, ReadsTheAddressOfACandidate) {
    EXPECT_EQ(candidateAddress("candidate:1 1 UDP 2015363327 127.0.0.1 41527 typ host"),
              "127.0.0.1");
    EXPECT_EQ(candidateAddress("candidate:2 1 UDP 2015363327 fd00::2 41527 typ host"), "fd00::2");
    EXPECT_EQ(candidateAddress("candidate:2 1 UDP"), "");
    EXPECT_TRUE(inLoopbackNet("127.0.0.1"));
    EXPECT_TRUE(inLoopbackNet("127.3.2.1"));
    for (const char* other : {"192.0.2.2", "128.0.0.1", "::1", "fd00::2", "x.local", ""})
        EXPECT_FALSE(inLoopbackNet(other)) << other;
}

TEST_F(LoopbackIceTest, ClassPublishAndViewOfferOnlyLoopbackCandidates) {
    auto teacher = joinC1("officer.wang");
    ServerCandidates teacherSide(*teacher);
    auto publisher = MediaPeer::publish(*teacher, "main");
    ASSERT_TRUE(publisher->lastError().empty()) << publisher->lastError();

    auto subject = joinC1Watching("subject01", demo::kOfficerWang);
    ServerCandidates subjectSide(*subject);
    auto viewer = MediaPeer::subscribe(*subject, demo::kOfficerWang);
    ASSERT_TRUE(viewer->lastError().empty()) << viewer->lastError();

    // Media flows over the pairs those candidates make.
    EXPECT_TRUE(publisher->waitConnected(10s)) << publisher->lastError();
    EXPECT_TRUE(viewer->waitForFrames(5, 15s))
        << "decoded " << viewer->videoFramesDecoded() << ", error " << viewer->lastError();
    expectOnlyLoopback({&teacherSide, &subjectSide});
    expectUdpOnLoopback(server->pid(), "vigil serve");
    expectUdpOnLoopback(::getpid(), "the test peers");
}

TEST_F(LoopbackIceTest, SupervisionCallOffersOnlyLoopbackCandidates) {
    auto officer = connectAs(port(), "officer.wang");
    auto subject = connectAs(port(), "subject01");
    ServerCandidates officerSide(*officer);
    ServerCandidates subjectSide(*subject);

    json call = officer->request({{"type", "call"}, {"subject", demo::kSubject01}});
    ASSERT_EQ(outcome(call), "ok") << call.dump();
    const std::string callId = call.value("call", "");
    ASSERT_TRUE(waitForPush(*subject, "incoming_call", {{"call", callId}}, 5s));
    json accept = subject->request({{"type", "call_accept"}, {"call", callId}});
    ASSERT_EQ(outcome(accept), "ok") << accept.dump();

    auto officerOut = MediaPeer::publish(*officer, "main", {}, callId);
    ASSERT_TRUE(officerOut->lastError().empty()) << officerOut->lastError();
    auto subjectOut = MediaPeer::publish(*subject, "main", {}, callId);
    ASSERT_TRUE(subjectOut->lastError().empty()) << subjectOut->lastError();
    ASSERT_TRUE(waitForPush(*subject, "publisher_ready",
                            {{"call", callId}, {"source", demo::kOfficerWang}}, 10s));
    ASSERT_TRUE(waitForPush(*officer, "publisher_ready",
                            {{"call", callId}, {"source", demo::kSubject01}}, 10s));
    auto officerIn = MediaPeer::subscribe(*officer, demo::kSubject01, "main", callId);
    ASSERT_TRUE(officerIn->lastError().empty()) << officerIn->lastError();
    auto subjectIn = MediaPeer::subscribe(*subject, demo::kOfficerWang, "main", callId);
    ASSERT_TRUE(subjectIn->lastError().empty()) << subjectIn->lastError();

    EXPECT_TRUE(officerIn->waitForFrames(5, 15s)) << officerIn->lastError();
    EXPECT_TRUE(subjectIn->waitForFrames(5, 15s)) << subjectIn->lastError();
    expectOnlyLoopback({&officerSide, &subjectSide});
    expectUdpOnLoopback(server->pid(), "vigil serve");
}
