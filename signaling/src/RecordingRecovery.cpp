#include "vigil/signaling/RecordingRecovery.hpp"

#include <map>

#include "vigil/common/Log.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::Millis;
using common::Task;

namespace {
VIGIL_LOG_CATEGORY(recordingRecoveryLog, "recording-recovery")

// How long after its class or call ended a segment may still wait for its last chunk: the
// recorder gives the muxer 10 s to close the file, then it is hashed and stored.
constexpr Millis kEndGrace = 60000;
}  // namespace

Task<bool> RecordingRecovery::roomEnded(const Recording& recording, Millis now) {
    if (!recording.classId.empty()) {
        auto cls = co_await deps_.directory.findClass(recording.classId);
        if (!cls) co_return true;
        co_return cls->state == ClassState::Ended&& now - cls->endedAt > kEndGrace;
    }
    if (!recording.callId.empty()) {
        auto call = (co_await deps_.redis.cmd("HGETALL", keys::call(recording.callId))).asMap();
        const auto state = call.find("state");
        if (state == call.end()) co_return true;
        if (state->second == "ringing" || state->second == "active") co_return false;
        const auto ended = call.find("ended");
        Millis at = 0;
        if (ended != call.end()) at = std::strtoll(ended->second.c_str(), nullptr, 10);
        co_return now - at > kEndGrace;
    }
    co_return false;
}

Task<int> RecordingRecovery::run(bool startup) {
    const Millis now = common::nowMillis();
    const Millis staleAfter =
        2 * static_cast<Millis>(deps_.config.recording.chunkSeconds) * 1000 + kEndGrace;
    std::map<std::string, bool> nodeGone;
    int closed = 0;
    for (const auto& recording : co_await deps_.recordings.open()) {
        std::optional<bool> ended;
        for (const auto& segment : recording.segments) {
            if (segment.state != RecordingState::Recording) continue;
            std::string reason;
            if (segment.node == deps_.nodeId) {
                if (startup) reason = "server_restart";
            } else if (!segment.node.empty()) {
                if (nodeGone.count(segment.node) == 0) {
                    auto exists = co_await deps_.redis.cmd("EXISTS", keys::node(segment.node));
                    nodeGone[segment.node] = exists.asInteger() == 0;
                }
                if (nodeGone[segment.node]) reason = "node_gone";
            }
            if (reason.empty()) {
                if (!ended) ended = co_await roomEnded(recording, now);
                if (*ended) reason = "room_ended";
            }
            if (reason.empty() && now - segment.end > staleAfter) reason = "stale";
            if (reason.empty()) continue;
            // Named first: GCC 12 mis-compiles a co_await inside an if condition.
            const bool wasOpen =
                co_await deps_.recordings.interruptSegment(recording.id, segment.id, reason);
            if (wasOpen) ++closed;
        }
    }
    if (closed > 0)
        recordingRecoveryLog()->warn("closed {} recording segment(s) nobody will end", closed);
    co_return closed;
}

}  // namespace vigil::signaling
