#pragma once
// The live side of classes on one signaling node: WebSocket connections, who is in which
// class, the roster, chat, hands, spot checks and the attendance events they write. Nodes
// share nothing but Redis: every change that another node may need to show is published on
// the bus channel, and every node (this one included) delivers bus events to its own
// connections. All of it runs on the event-loop thread.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "vigil/common/AsyncMutex.hpp"
#include "vigil/common/Config.hpp"
#include "vigil/common/EventLoop.hpp"
#include "vigil/common/RedisClient.hpp"
#include "vigil/media/MediaService.hpp"
#include "vigil/signaling/AccountGate.hpp"
#include "vigil/signaling/AlertBook.hpp"
#include "vigil/signaling/AttendanceStore.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/HubExtension.hpp"
#include "vigil/signaling/PresenceService.hpp"
#include "vigil/signaling/Protocol.hpp"
#include "vigil/signaling/Sessions.hpp"
#include "vigil/signaling/SupervisionStore.hpp"
#include "vigil/signaling/WebServer.hpp"

namespace vigil::signaling {

// KEYS: spot check hash, pending zset. ARGV: check id, outcome, subject ('' = any), now,
// detail, identity (checked | not_checked | '' when no face was judged).
// Resolves a pending spot check once, writing its result to the class's attendance stream.
extern const char* const kResolveSpotCheckScript;

class ClassHub : public WsHandler, public media::MediaListener, public AccountGate::Listener {
public:
    struct Deps {
        common::EventLoop& loop;
        common::RedisClient& redis;
        Directory& directory;
        Sessions& sessions;
        AttendanceStore& attendance;
        const common::Config& config;
        std::string nodeId;
        media::MediaService* media{nullptr};  // Null: this node has no media role.
    };

    explicit ClassHub(Deps deps);
    ~ClassHub() override;

    void attach(WebServer* server) { server_ = server; }

    void OnWsOpen(std::uint64_t connId, const std::string& peer) override;
    void OnWsMessage(std::uint64_t connId, std::string text, bool tooLarge) override;
    void OnWsClose(std::uint64_t connId) override;

    // A message from the Redis bus channel.
    void onBusMessage(const std::string& text);

    // Closes intervals a previous process under this node id left open.
    common::Task<int> recoverOnStartup();
    // Periodic: node heartbeat, heartbeat timeouts, dead nodes, classes past their end,
    // overdue spot checks. Returns the number of intervals it closed.
    common::Task<int> sweep();

    // Graceful stop: closes the intervals of this node's connections (reason
    // server_shutdown) and withdraws the node's heartbeat. Afterwards closes are ignored.
    common::Task<void> shutdown();

    size_t connectionCount() const { return conns_.size(); }
    // What this node holds now, for GET /metrics (NodeMetrics.cpp).
    struct LiveCounts {
        size_t classes{0};     // classes with a member connected here
        size_t members{0};     // connections in a class
        size_t publishers{0};  // media sessions sending to the server
        size_t viewers{0};     // media sessions receiving from it
        size_t calls{0};       // supervision calls placed on this node
    };
    LiveCounts liveCounts() const;

    // A component's own WebSocket message type (HubExtension.hpp); set before serving.
    void addMessageRoute(MessageType type, MessageRoute route) { routes_[type] = std::move(route); }
    // Judges every request on the account as it is now; set before serving. Null: requests
    // are judged on the account as it was at `auth`.
    void setAccountGate(AccountGate* gate) { accounts_ = gate; }
    // AccountGate::Listener: tells the sockets signed in with the ended session(s) why, and
    // closes them (AccountHandlers.cpp).
    void OnSessionEnded(const std::string& userId, const std::string& session,
                        const std::string& reason) override;
    // Self-service check-in rooms; null: offers naming a check-in are refused.
    void setCheckinRooms(CheckinRooms* rooms) { checkinRooms_ = rooms; }
    // Delivers `message` to every connection of `userId` on every node (through the bus).
    void sendToUser(const std::string& userId, nlohmann::json message);
    // Ends every media session of the room on this node (a check-in is decided).
    void closeRoomMedia(const std::string& room) { closeMediaRoom(room); }

    // Where closed recording chunks go (the recording store); set before serving.
    void onRecordingChunks(std::function<void(const media::RecordingChunk&)> handler) {
        chunkHandler_ = std::move(handler);
    }
    // Presence verification (PresenceHandlers.cpp); null: none on this node.
    void setPresence(PresenceService* presence) { presence_ = presence; }
    // Where verified contacts (a verified presence sample, an accepted call) are noted; null:
    // not noted.
    void setSupervision(SupervisionStore* store) { supervision_ = store; }
    // Where alerts are raised (presence, spot checks, missed calls); set before serving.
    void setAlerts(AlertBook* alerts) { alerts_ = alerts; }
    // Where reads of others' records are audited (rosters, a subject's camera, refusals of
    // either); null: not audited.
    void setAudit(AuditLog* audit) { audit_ = audit; }
    // A judged sample, an alert, a liveness verdict (loop thread): recorded, then pushed to
    // the class's teachers.
    void onPresenceSample(PresenceSample sample);
    void onPresenceAlert(PresenceAlert alert);
    void onLivenessVerdict(LivenessVerdictReport verdict);
    // Live guidance for the subject while a challenge runs (loop thread): pushed, not recorded.
    void onLivenessProgress(LivenessProgressReport progress);

    // A sampled camera frame reached the frame sink (any thread).
    void noteFrameSampled(const std::string& room, const std::string& subject,
                          common::Millis capturedMs);

    // media::MediaListener
    void onIceCandidate(const std::string& session, int mlineIndex,
                        const std::string& candidate) override;
    void onPublisherReady(const std::string& room, const std::string& source,
                          media::StreamKind stream) override;
    void onPublisherLeft(const std::string& room, const std::string& source,
                         media::StreamKind stream, const std::string& reason) override;
    void onSessionFailed(const std::string& session, const std::string& code,
                         const std::string& reason) override;
    void onRoomFailed(const std::string& room, const std::string& reason) override;
    void onRecordingChunk(const media::RecordingChunk& chunk) override;

private:
    // A WebRTC session this connection owns (docs/protocol.md, Media).
    struct MediaSession {
        std::string room;  // "class:<id>" or "call:<id>"
        bool publisher{false};
        std::string source;  // the publisher's user id
        media::StreamKind stream{media::StreamKind::Main};
    };
    // A supervision call placed on this node.
    struct LiveCall {
        std::string id;
        std::string officer;
        std::string subject;
        std::uint64_t officerConn{0};
        std::uint64_t subjectConn{0};
        std::string state;  // ringing, active
        common::Millis created{0};
        common::Timer ringTimer;
    };

    struct Connection {
        std::uint64_t id{0};
        std::string key;  // node-unique connection id, as written to attendance events
        std::string peer;
        std::optional<User> user;
        std::string session;         // SHA-256 of the token it signed in with
        common::Timer sessionTimer;  // Fires at that session's absolute end.
        bool sessionEnded{false};    // Told so and closing.
        // Why the session was found ended while a request was judged: the socket is told so
        // and closed once that request's error reply is queued, so the reply still goes out.
        std::string endAfterReply;
        std::string classId;
        bool teacher{false};
        bool closed{false};
        common::Millis windowStart{0};
        int messagesInWindow{0};
        int candidatesInWindow{0};
        common::Millis strikeWindowStart{0};
        int strikes{0};
        common::AsyncMutex mutex;  // One request at a time, in arrival order.
        common::Timer authTimer;
        std::map<std::string, MediaSession> media;  // by session id
        std::string callId;                         // the call this connection takes part in
    };
    using ConnPtr = std::shared_ptr<Connection>;

    common::Task<void> handle(ConnPtr conn, Request request);
    common::Task<nlohmann::json> dispatch(ConnPtr conn, const Request& request);
    common::Task<nlohmann::json> onAuth(ConnPtr conn, const Request& request);
    common::Task<nlohmann::json> onJoin(ConnPtr conn, const Request& request);
    common::Task<nlohmann::json> onLeave(ConnPtr conn);
    common::Task<nlohmann::json> onHeartbeat(ConnPtr conn);
    common::Task<nlohmann::json> onChat(ConnPtr conn, const Request& request);
    common::Task<nlohmann::json> onHand(ConnPtr conn, bool raised);
    common::Task<nlohmann::json> onRoster(ConnPtr conn, const Request& request);
    common::Task<nlohmann::json> onSpotCheck(ConnPtr conn, const Request& request);
    common::Task<nlohmann::json> onSpotCheckReply(ConnPtr conn, const Request& request);
    common::Task<nlohmann::json> onStartClass(ConnPtr conn, const Request& request);
    common::Task<nlohmann::json> onEndClass(ConnPtr conn, const Request& request);
    common::Task<void> leaveClass(ConnPtr conn, const std::string& reason);

    // Media (MediaHandlers.cpp).
    media::MediaService& requireMedia() const;
    common::Task<nlohmann::json> onOffer(ConnPtr conn, const Request& request);
    common::Task<nlohmann::json> onSubscribe(ConnPtr conn, const Request& request);
    common::Task<nlohmann::json> onAnswer(ConnPtr conn, const Request& request);
    common::Task<nlohmann::json> onIce(ConnPtr conn, const Request& request);
    common::Task<nlohmann::json> onIceRestart(ConnPtr conn, const Request& request);
    common::Task<nlohmann::json> onStopMedia(ConnPtr conn, const Request& request);
    // The media room a request addresses: the call named in it, or the connection's class.
    std::string mediaRoomFor(const ConnPtr& conn, const Request& request) const;
    common::Task<void> ensureMediaRoom(std::string room);
    MediaSession& ownedSession(const ConnPtr& conn, const std::string& session);
    // Ends the connection's media sessions in `room` ("" = all of them).
    void closeMedia(const ConnPtr& conn, const std::string& room);
    void closeMediaRoom(const std::string& room);
    void pushToRoom(const std::string& room, const nlohmann::json& message,
                    const std::string& except, bool teachersOnly);
    nlohmann::json iceServersFor(const User& user) const;
    nlohmann::json publishersFor(const std::string& room, bool teacher) const;

    // Supervision calls (CallHandlers.cpp).
    common::Task<nlohmann::json> onCall(ConnPtr conn, const Request& request);
    common::Task<nlohmann::json> onCallAccept(ConnPtr conn, const Request& request);
    common::Task<nlohmann::json> onCallDecline(ConnPtr conn, const Request& request);
    common::Task<nlohmann::json> onCallEnd(ConnPtr conn, const Request& request);
    common::Task<void> finishCall(std::string callId, std::string state, std::string by);
    LiveCall& requireCallParty(const ConnPtr& conn, const std::string& callId);
    void pushToUser(const std::string& userId, const nlohmann::json& message);
    common::Task<void> onClosed(ConnPtr conn);

    common::Task<ClassSession> requireTeachable(ConnPtr conn, const std::string& classId);
    common::Task<nlohmann::json> buildRoster(std::string classId);
    common::Task<void> publish(nlohmann::json event);
    // outcome: answered | missed | passed | failed; `detail` says why it failed.
    // `identity`: checked | not_checked for a liveness verdict, else empty.
    common::Task<void> resolveSpotCheck(std::string checkId, std::string outcome,
                                        std::string detail = "", std::string identity = "");
    // `dedupe`: one alert per class, kind and subject until it is resolved (the presence
    // judge's episodes); every occurrence is still in the attendance and alert streams.
    common::Task<void> recordAlert(std::string classId, std::string subject, std::string kind,
                                   std::string message, common::Millis ts, bool dedupe = false);
    // Raises through the alert book; the new alert's id, "" when it was a duplicate or there
    // is no alert book.
    common::Task<std::string> raiseAlert(Alert alert, std::string dedupeKey);
    common::Task<int> closeStale(bool startup);

    void push(const ConnPtr& conn, const nlohmann::json& message);
    void pushToClass(const std::string& classId, const nlohmann::json& message, bool teachersOnly);
    // Every connection of `subject` that is in the class (a subject may have several tabs).
    void pushToSubject(const std::string& classId, const std::string& subject,
                       const nlohmann::json& message);
    void scheduleRoster(const std::string& classId);
    void strike(const ConnPtr& conn);
    void forgetMembership(const ConnPtr& conn);
    ConnPtr find(std::uint64_t id) const;
    const User& requireUser(const ConnPtr& conn) const;
    // Account checks (AccountHandlers.cpp). The connection's account as it is now (its user
    // refreshed); a session that admits nobody any more ends the connection and throws.
    common::Task<void> requireCurrentAccount(ConnPtr conn);
    // Tells the connection why its session ended ({"type":"session_ended"}) and closes it.
    void endSession(const ConnPtr& conn, const std::string& reason);
    // Ends the connection when its session reaches its absolute end.
    void endSessionAt(const ConnPtr& conn, common::Millis until);

    Deps deps_;
    WebServer* server_{nullptr};              // Passed by argument (attach).
    PresenceService* presence_{nullptr};      // Passed by argument (setPresence).
    SupervisionStore* supervision_{nullptr};  // Passed by argument (setSupervision).
    AlertBook* alerts_{nullptr};              // Passed by argument (setAlerts).
    AuditLog* audit_{nullptr};                // Passed by argument (setAudit).
    std::unordered_map<std::uint64_t, ConnPtr> conns_;
    std::unordered_map<std::string, std::uint64_t> connByKey_;
    std::map<std::string, std::set<std::uint64_t>> members_;  // class -> local connections
    std::map<std::string, common::Timer> rosterTimers_;
    std::unordered_map<std::string, std::string> names_;          // user id -> display name
    std::unordered_map<std::string, std::uint64_t> sessionConn_;  // media session -> connection
    std::map<std::string, LiveCall> calls_;
    std::function<void(const media::RecordingChunk&)> chunkHandler_;
    std::map<MessageType, MessageRoute> routes_;
    CheckinRooms* checkinRooms_{nullptr};  // Passed by argument (setCheckinRooms).
    AccountGate* accounts_{nullptr};       // Passed by argument (setAccountGate).
    std::uint64_t keySeq_{0};
    bool stopping_{false};
    std::shared_ptr<bool> alive_{std::make_shared<bool>(true)};
};

}  // namespace vigil::signaling
