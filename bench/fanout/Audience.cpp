#include "Audience.hpp"

#include <chrono>
#include <exception>

namespace fanout {

Audience::Audience(int port, std::string classId, std::string source,
                   std::vector<std::string> tokens, int decoders)
    : port_(port),
      classId_(std::move(classId)),
      source_(std::move(source)),
      tokens_(std::move(tokens)),
      decoders_(decoders) {}

Audience::~Audience() {
    clear();
}

std::map<std::string, int> Audience::growTo(int count) {
    std::map<std::string, int> failures;
    const size_t first = viewers_.size();
    for (size_t i = first; i < static_cast<size_t>(count); ++i) {
        Participant p;
        try {
            p.ws = joinClass(port_, tokens_[i % tokens_.size()], classId_);
            vigil::testing::ViewOptions view;
            view.decode = decodes(i);
            view.readStamps = decodes(i);
            p.peer = vigil::testing::MediaPeer::subscribe(*p.ws, source_, "main", "", view);
            if (!p.peer->lastError().empty()) ++failures["subscribe: " + p.peer->lastError()];
        } catch (const std::exception& e) {
            ++failures[e.what()];
        }
        viewers_.push_back(std::move(p));
    }
    // They connect in parallel: one deadline for all.
    const auto deadline = std::chrono::steady_clock::now() + kConnectLimit;
    auto left = [&deadline]() {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
    };
    for (size_t i = first; i < viewers_.size(); ++i) {
        auto& peer = viewers_[i].peer;
        if (!peer || !peer->lastError().empty()) continue;
        if (!peer->waitConnected(left())) {
            ++failures["ICE did not connect"];
        } else if (!peer->waitForFrames(1, left())) {
            ++failures["no video frame"];
        }
    }
    return failures;
}

std::vector<int> Audience::frames() const {
    std::vector<int> out;
    for (size_t i = 0; i < viewers_.size(); ++i) {
        const auto& peer = viewers_[i].peer;
        if (!peer) {
            out.push_back(0);
        } else {
            out.push_back(decodes(i) ? peer->videoFramesDecoded() : peer->videoFramesReceived());
        }
    }
    return out;
}

std::vector<double> Audience::takeLatencySamples() {
    std::vector<double> out;
    for (size_t i = 0; i < viewers_.size() && decodes(i); ++i) {
        if (!viewers_[i].peer) continue;
        auto samples = viewers_[i].peer->takeLatencySamples();
        out.insert(out.end(), samples.begin(), samples.end());
    }
    return out;
}

int Audience::unreadableStamps() const {
    int total = 0;
    for (size_t i = 0; i < viewers_.size() && decodes(i); ++i) {
        if (viewers_[i].peer) total += viewers_[i].peer->unreadableStamps();
    }
    return total;
}

void Audience::clear() {
    for (auto& v : viewers_) {
        if (v.peer) v.peer->stop(false);
    }
    viewers_.clear();
}

}  // namespace fanout
