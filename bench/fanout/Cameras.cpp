#include "Cameras.hpp"

#include <chrono>
#include <exception>

namespace fanout {

namespace {

// What the join reply's `camera` asks of the browser.
vigil::testing::PeerOptions cameraOptions(const nlohmann::json& joinReply) {
    const auto camera = joinReply.value("camera", nlohmann::json::object());
    vigil::testing::PeerOptions o;
    o.width = camera.value("width", 320);
    o.height = camera.value("height", 240);
    o.fps = camera.value("fps", 5);
    o.videoBitrateKbps = camera.value("kbps", 150);
    o.audio = false;
    o.pattern = "ball";  // a moving picture, like a face
    return o;
}

}  // namespace

Cameras::Cameras(int port, std::string classId) : port_(port), classId_(std::move(classId)) {}

Cameras::~Cameras() {
    clear();
}

std::map<std::string, int> Cameras::start(const std::vector<std::string>& tokens) {
    std::map<std::string, int> failures;
    for (const auto& token : tokens) {
        Participant p;
        try {
            nlohmann::json join;
            p.ws = joinClass(port_, token, classId_, &join);
            p.peer = vigil::testing::MediaPeer::publish(*p.ws, "camera", cameraOptions(join));
            if (!p.peer->lastError().empty()) ++failures["offer: " + p.peer->lastError()];
        } catch (const std::exception& e) {
            ++failures[e.what()];
        }
        subjects_.push_back(std::move(p));
    }
    const auto deadline = std::chrono::steady_clock::now() + kConnectLimit;
    for (auto& s : subjects_) {
        if (!s.peer || !s.peer->lastError().empty()) continue;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (!s.peer->waitConnected(left)) ++failures["ICE did not connect"];
    }
    return failures;
}

int Cameras::publishing() const {
    int n = 0;
    for (const auto& s : subjects_) {
        if (s.peer && s.peer->lastError().empty()) ++n;
    }
    return n;
}

void Cameras::heartbeat() {
    for (auto& s : subjects_) {
        if (s.ws && !s.ws->closed()) {
            s.ws->send({{"type", "heartbeat"}, {"id", "hb" + std::to_string(++nextId_)}});
        }
    }
}

void Cameras::clear() {
    for (auto& s : subjects_) {
        if (s.peer) s.peer->stop(false);
    }
    subjects_.clear();
}

}  // namespace fanout
