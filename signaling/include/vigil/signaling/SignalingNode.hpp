#pragma once
// One signaling node: its Redis connections, stores, WebSocket hub, REST API and web server,
// and the periodic sweep. `vigil serve` builds one; tests and benchmarks run it for real.

#include <memory>
#include <string>

#include "vigil/common/Config.hpp"
#include "vigil/common/EventLoop.hpp"
#include "vigil/common/RedisClient.hpp"
#include "vigil/common/WorkerPool.hpp"
#include "vigil/signaling/AccountGate.hpp"
#include "vigil/signaling/AlertBook.hpp"
#include "vigil/signaling/AlertPusher.hpp"
#include "vigil/signaling/AttendanceStore.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/CheckinService.hpp"
#include "vigil/signaling/ClassHub.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/HttpApi.hpp"
#include "vigil/signaling/NodeMetrics.hpp"
#include "vigil/signaling/Notifier.hpp"
#include "vigil/signaling/PresenceService.hpp"
#include "vigil/signaling/ProgrammeMonitor.hpp"
#include "vigil/signaling/ProgrammeReport.hpp"
#include "vigil/signaling/RecordingRecovery.hpp"
#include "vigil/signaling/RecordingStore.hpp"
#include "vigil/signaling/RedisReadiness.hpp"
#include "vigil/signaling/ReferenceStore.hpp"
#include "vigil/signaling/Sessions.hpp"
#include "vigil/signaling/SupervisionStore.hpp"
#include "vigil/signaling/WebServer.hpp"

namespace vigil::signaling {

class SignalingNode {
public:
    // `media`: the media role to use, or null when this node has none.
    SignalingNode(common::EventLoop& loop, const common::Config& config,
                  media::MediaService* media = nullptr);
    ~SignalingNode();

    // Connects to Redis, closes intervals a previous process left open, starts serving.
    common::Task<void> start();
    // Records every local subject as having left, then stops serving. Call before the loop
    // stops; the destructor alone leaves intervals for the next start to close.
    common::Task<void> shutdown();
    const std::string& nodeId() const { return nodeId_; }
    // The node's command connection (for app-level checks such as the demo password warning).
    common::RedisClient& redis() { return *redis_; }
    // A sampled camera frame reached the frame sink (loop thread): shown on the roster.
    void onFrameSampled(const std::string& room, const std::string& subject,
                        common::Millis capturedMs) {
        hub_.noteFrameSampled(room, subject, capturedMs);
    }
    int port() const { return web_ ? web_->port() : 0; }

    // Presence verification (set before start; null: none). Its results come back through
    // the hub (onPresenceSample, onPresenceAlert, onLivenessVerdict) on the loop thread.
    void setPresence(PresenceService* presence) {
        hub_.setPresence(presence);
        api_.setPresence(presence);
        checkins_.setPresence(presence);
    }
    ClassHub& hub() { return hub_; }
    ReferenceStore& references() { return references_; }
    CheckinService& checkins() { return checkins_; }

private:
    void runSweep();
    void storeChunk(media::RecordingChunk chunk);

    common::EventLoop& loop_;       // Passed by argument.
    media::MediaService* media_;    // Passed by argument; may be null.
    const common::Config& config_;  // Passed by argument.
    std::string nodeId_;
    std::unique_ptr<common::RedisClient> redis_;       // Owned.
    std::unique_ptr<common::RedisClient> subscriber_;  // Owned.
    // Password checks: a bounded queue, so that a login flood is refused (503 busy) rather
    // than queued without limit.
    common::WorkerPool hashing_{2, static_cast<std::size_t>(config_.auth.hashQueueLimit)};
    Directory directory_;
    std::unique_ptr<AuditAnchor> auditAnchor_;  // Owned; null when [audit] anchor_file is empty.
    AuditLog audit_;
    AttendanceStore attendance_;
    Sessions sessions_;
    // What each WebSocket request is judged on: a change the bus did not announce (an
    // account disabled straight in Redis) is seen within this time.
    AccountGate accounts_{sessions_, std::chrono::seconds(3)};
    RecordingStore recordings_;
    RecordingRecovery recordingRecovery_;
    ReferenceStore references_;
    ClassHub hub_;
    HttpApi api_;
    SupervisionStore supervision_;
    AlertBook alerts_;
    AlertPusher alertPusher_;
    Notifier notifier_;  // Before checkins_, which calls it: destroyed after it.
    CheckinService checkins_;
    LevelPolicy policy_;
    ProgrammeMonitor programme_;
    ProgrammeReport programmeReport_;
    // /readyz: Redis answers this node's PINGs (probed on the loop, never awaited by a probe).
    RedisReadiness readiness_{loop_, *redis_, RedisReadiness::Options{}};
    NodeMetrics nodeMetrics_{hub_};   // The hub's live gauges for /metrics.
    std::unique_ptr<WebServer> web_;  // Owned.
    common::Timer sweepTimer_;
    bool sweeping_{false};
};

// The key that seals reference photos ([vision] reference_key_file, created when missing),
// or empty when photos are not kept. Throws std::runtime_error for an unreadable key file.
std::string referenceImageKey(const common::Config& config);
// The reference key itself, whether or not photos are kept: it seals face embeddings too.
std::string referenceDataKey(const common::Config& config);

// host name + ":" + port: stable across restarts on one machine, so a restarted process
// recognises the intervals its predecessor left open.
std::string defaultNodeId(int port);

}  // namespace vigil::signaling
