// ClassHub's WebRTC signaling: offer (publish), subscribe (view), answer, trickled ICE, ICE
// restart and stop, relayed to the media role through media::MediaService; and the media
// role's events relayed back to the connections that own the sessions.

#include "vigil/common/Crypto.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/signaling/CandidateFilter.hpp"
#include "vigil/signaling/ClassHub.hpp"
#include "vigil/signaling/IceServers.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Task;
using media::StreamKind;
using nlohmann::json;

namespace {
VIGIL_LOG_CATEGORY(mediaHandlersLog, "media-signaling")

const std::string kClassPrefix = "class:";
const std::string kCallPrefix = "call:";

StreamKind parseStream(const json& body) {
    std::string name = body.value("stream", "main");
    if (name == "main") return StreamKind::Main;
    if (name == "camera") return StreamKind::Camera;
    throw ApiError("bad_request", "stream must be \"main\" or \"camera\"");
}

std::string classOfRoom(const std::string& room) {
    return room.rfind(kClassPrefix, 0) == 0 ? room.substr(kClassPrefix.size()) : std::string();
}

std::string callOfRoom(const std::string& room) {
    return room.rfind(kCallPrefix, 0) == 0 ? room.substr(kCallPrefix.size()) : std::string();
}
}  // namespace

media::MediaService& ClassHub::requireMedia() const {
    if (deps_.media == nullptr)
        throw ApiError("not_available",
                       "media signaling is not available: this node runs without the media role");
    return *deps_.media;
}

json ClassHub::iceServersFor(const User& user) const {
    return iceServers(deps_.config.ice, user.id, common::nowMillis());
}

json ClassHub::publishersFor(const std::string& room, bool teacher) const {
    json out = json::array();
    if (deps_.media == nullptr) return out;
    for (const auto& [source, stream] : deps_.media->publishers(room)) {
        if (stream == StreamKind::Camera && !teacher) continue;
        out.push_back({{"source", source}, {"stream", media::toString(stream)}});
    }
    return out;
}

std::string ClassHub::mediaRoomFor(const ConnPtr& conn, const Request& request) const {
    if (request.body.contains("checkin")) {
        std::string checkinId = request.body["checkin"];
        if (checkinRooms_ == nullptr || !checkinRooms_->mayPublish(conn->user->id, checkinId))
            throw ApiError("bad_request", "no check-in '" + checkinId + "' of yours is running");
        return kCheckinRoomPrefix + checkinId;
    }
    if (request.body.contains("call")) {
        std::string callId = request.body["call"];
        auto it = calls_.find(callId);
        if (it == calls_.end() || it->second.state != "active" || conn->callId != callId)
            throw ApiError("bad_request", "you are not in an accepted call '" + callId + "'");
        return kCallPrefix + callId;
    }
    if (conn->classId.empty()) throw ApiError("bad_request", "join a class or a call first");
    return kClassPrefix + conn->classId;
}

Task<void> ClassHub::ensureMediaRoom(std::string room) {
    media::RoomSpec spec;
    spec.id = room;
    if (auto checkinId = checkinOfRoom(room); !checkinId.empty() && checkinRooms_ != nullptr) {
        spec = checkinRooms_->roomSpec(checkinId);
        spec.id = room;
    } else if (auto callId = callOfRoom(room); !callId.empty()) {
        spec.kind = media::RoomKind::Call;
        auto it = calls_.find(callId);
        if (it != calls_.end()) spec.participants = {it->second.officer, it->second.subject};
    } else {
        spec.kind = media::RoomKind::Class;
    }
    co_await requireMedia().openRoom(std::move(spec));
}

ClassHub::MediaSession& ClassHub::ownedSession(const ConnPtr& conn, const std::string& session) {
    auto it = conn->media.find(session);
    if (it == conn->media.end())
        throw ApiError("unknown_session", "you have no media session '" + session + "'");
    return it->second;
}

Task<json> ClassHub::onOffer(ConnPtr conn, const Request& request) {
    auto& media = requireMedia();
    const User& user = *conn->user;
    StreamKind stream = parseStream(request.body);
    std::string room = mediaRoomFor(conn, request);
    if (!checkinOfRoom(room).empty()) {
        if (stream != StreamKind::Camera)
            throw ApiError("bad_request", "a check-in carries only the subject's camera");
    } else if (!classOfRoom(room).empty()) {
        if (stream == StreamKind::Main && !conn->teacher)
            throw ApiError("forbidden", "only a teacher publishes the class's main stream");
        if (stream == StreamKind::Camera && conn->teacher)
            throw ApiError("forbidden", "only a student publishes a presence camera");
    } else if (stream != StreamKind::Main) {
        throw ApiError("bad_request", "a call carries only main streams");
    }
    co_await ensureMediaRoom(room);
    // A new offer for the same stream replaces this connection's old session.
    for (auto it = conn->media.begin(); it != conn->media.end();) {
        if (it->second.publisher && it->second.room == room && it->second.stream == stream) {
            sessionConn_.erase(it->first);
            it = conn->media.erase(it);
        } else {
            ++it;
        }
    }
    std::string session = "m" + common::randomHex(8);
    sessionConn_[session] = conn->id;
    conn->media[session] = MediaSession{room, true, user.id, stream};
    media::PublishRequest publish{room, session, user.id, stream, request.body["sdp"]};
    std::string answer;
    try {
        answer = co_await media.publish(std::move(publish));
    } catch (...) {
        sessionConn_.erase(session);
        conn->media.erase(session);
        throw;
    }
    if (conn->closed) {
        co_await media.closeSession(session);
        co_return json::object();
    }
    mediaHandlersLog()->info("conn {}: publishing {} in {} as session {}", conn->key,
                             media::toString(stream), room, session);
    co_return json{{"session", session}, {"sdp", answer}};
}

Task<json> ClassHub::onSubscribe(ConnPtr conn, const Request& request) {
    auto& media = requireMedia();
    const User& user = *conn->user;
    StreamKind stream = parseStream(request.body);
    std::string room = mediaRoomFor(conn, request);
    std::string source = request.body.value("source", "");
    if (stream == StreamKind::Camera && !conn->teacher)
        throw ApiError("forbidden", "only the class's teachers see a subject's camera");
    if (source.empty()) {
        for (const auto& [who, kind] : media.publishers(room)) {
            if (kind == StreamKind::Main && who != user.id) source = who;
        }
        if (source.empty()) throw ApiError("no_publisher", "nobody publishes in this room now");
    }
    if (source == user.id) throw ApiError("bad_request", "you cannot subscribe to yourself");
    // Watching a subject's camera in a class, or the other party of a call, is a read of
    // that person's live image: audited before any media flows.
    if (audit_ != nullptr && (stream == StreamKind::Camera || classOfRoom(room).empty())) {
        const std::string detail = json{{"room", room}, {"stream", media::toString(stream)}}.dump();
        co_await audit_->append(user.id, "camera_view", source, detail);
    }
    std::string session = "m" + common::randomHex(8);
    sessionConn_[session] = conn->id;
    conn->media[session] = MediaSession{room, false, source, stream};
    media::ViewRequest view{room, session, user.id, source, stream};
    std::string offer;
    try {
        offer = co_await media.view(std::move(view));
    } catch (...) {
        sessionConn_.erase(session);
        conn->media.erase(session);
        throw;
    }
    if (conn->closed) {
        co_await media.closeSession(session);
        co_return json::object();
    }
    co_return json{{"session", session},
                   {"source", source},
                   {"stream", media::toString(stream)},
                   {"sdp", offer}};
}

Task<json> ClassHub::onAnswer(ConnPtr conn, const Request& request) {
    auto& media = requireMedia();
    std::string session = request.body["session"];
    if (ownedSession(conn, session).publisher)
        throw ApiError("unknown_session", "session '" + session + "' takes no answer");
    co_await media.answer(session, request.body["sdp"].get<std::string>());
    co_return json::object();
}

Task<json> ClassHub::onIce(ConnPtr conn, const Request& request) {
    auto& media = requireMedia();
    std::string session = request.body["session"];
    ownedSession(conn, session);
    int mline = request.body.value("sdpMLineIndex", 0);
    std::string candidate = request.body["candidate"].get<std::string>();
    // Never let a client point the media server at addresses it must not contact.
    const std::string refused = CandidateFilter::fromConfig(deps_.config).rejectReason(candidate);
    if (!refused.empty()) {
        mediaHandlersLog()->debug("session {}: candidate dropped ({})", session, refused);
        co_return json{{"ignored", refused}};
    }
    co_await media.addIceCandidate(session, mline, std::move(candidate));
    co_return json::object();
}

Task<json> ClassHub::onIceRestart(ConnPtr conn, const Request& request) {
    auto& media = requireMedia();
    std::string session = request.body["session"];
    ownedSession(conn, session);
    std::string offer = co_await media.restartIce(session);
    co_return json{{"session", session}, {"sdp", offer}};
}

Task<json> ClassHub::onStopMedia(ConnPtr conn, const Request& request) {
    auto& media = requireMedia();
    std::string session = request.body["session"];
    ownedSession(conn, session);
    conn->media.erase(session);
    sessionConn_.erase(session);
    co_await media.closeSession(session);
    co_return json::object();
}

void ClassHub::closeMedia(const ConnPtr& conn, const std::string& room) {
    if (deps_.media == nullptr) return;
    for (auto it = conn->media.begin(); it != conn->media.end();) {
        if (!room.empty() && it->second.room != room) {
            ++it;
            continue;
        }
        std::string session = it->first;
        sessionConn_.erase(session);
        it = conn->media.erase(it);
        common::spawn(deps_.media->closeSession(session), [session](const std::exception_ptr&) {});
    }
}

void ClassHub::closeMediaRoom(const std::string& room) {
    if (deps_.media == nullptr) return;
    for (auto& [id, conn] : conns_) {
        for (auto it = conn->media.begin(); it != conn->media.end();) {
            if (it->second.room == room) {
                sessionConn_.erase(it->first);
                it = conn->media.erase(it);
            } else {
                ++it;
            }
        }
    }
    common::spawn(deps_.media->closeRoom(room), [room](const std::exception_ptr& e) {
        try {
            if (e) std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            mediaHandlersLog()->warn("room {}: closing failed: {}", room, ex.what());
        }
    });
}

void ClassHub::pushToRoom(const std::string& room, const json& message, const std::string& except,
                          bool teachersOnly) {
    if (auto classId = classOfRoom(room); !classId.empty()) {
        auto it = members_.find(classId);
        if (it == members_.end()) return;
        std::string text = message.dump(-1, ' ', false, json::error_handler_t::replace);
        for (auto id : it->second) {
            auto conn = find(id);
            if (!conn || !conn->user || conn->user->id == except) continue;
            if (teachersOnly && !conn->teacher) continue;
            if (server_ != nullptr) server_->send(id, text);
        }
        return;
    }
    auto call = calls_.find(callOfRoom(room));
    if (call == calls_.end()) return;
    for (auto id : {call->second.officerConn, call->second.subjectConn}) {
        auto conn = find(id);
        if (conn && conn->user && conn->user->id != except) push(conn, message);
    }
}

void ClassHub::onIceCandidate(const std::string& session, int mlineIndex,
                              const std::string& candidate) {
    auto it = sessionConn_.find(session);
    if (it == sessionConn_.end()) return;
    if (auto conn = find(it->second)) {
        push(conn, json{{"type", "ice"},
                        {"session", session},
                        {"candidate", candidate},
                        {"sdpMLineIndex", mlineIndex}});
    }
}

namespace {
json roomFields(const std::string& room) {
    json out = json::object();
    if (auto c = classOfRoom(room); !c.empty()) out["class"] = c;
    if (auto k = callOfRoom(room); !k.empty()) out["call"] = k;
    return out;
}
}  // namespace

void ClassHub::onPublisherReady(const std::string& room, const std::string& source,
                                StreamKind stream) {
    if (auto checkinId = checkinOfRoom(room); !checkinId.empty()) {
        if (checkinRooms_ != nullptr) checkinRooms_->cameraReady(checkinId);
        return;
    }
    json message = roomFields(room);
    message["type"] = "publisher_ready";
    message["source"] = source;
    message["stream"] = media::toString(stream);
    pushToRoom(room, message, source, stream == StreamKind::Camera);
}

void ClassHub::onPublisherLeft(const std::string& room, const std::string& source,
                               StreamKind stream, const std::string& reason) {
    if (auto checkinId = checkinOfRoom(room); !checkinId.empty() && checkinRooms_ != nullptr)
        checkinRooms_->cameraLeft(checkinId, reason);
    // Its viewers' sessions are gone on the media side: forget them here too.
    for (auto& [id, conn] : conns_) {
        for (auto it = conn->media.begin(); it != conn->media.end();) {
            const auto& s = it->second;
            if (!s.publisher && s.room == room && s.source == source && s.stream == stream) {
                sessionConn_.erase(it->first);
                it = conn->media.erase(it);
            } else {
                ++it;
            }
        }
    }
    json message = roomFields(room);
    message["type"] = "publisher_left";
    message["source"] = source;
    message["stream"] = media::toString(stream);
    message["reason"] = reason;
    pushToRoom(room, message, source, stream == StreamKind::Camera);
}

void ClassHub::onSessionFailed(const std::string& session, const std::string& code,
                               const std::string& reason) {
    auto it = sessionConn_.find(session);
    if (it == sessionConn_.end()) return;
    auto conn = find(it->second);
    sessionConn_.erase(it);
    if (!conn) return;
    conn->media.erase(session);
    push(conn,
         json{{"type", "media_error"}, {"session", session}, {"code", code}, {"message", reason}});
}

void ClassHub::onRoomFailed(const std::string& room, const std::string& reason) {
    for (auto& [id, conn] : conns_) {
        for (auto it = conn->media.begin(); it != conn->media.end();) {
            if (it->second.room != room) {
                ++it;
                continue;
            }
            push(conn, json{{"type", "media_error"},
                            {"session", it->first},
                            {"code", "media_failed"},
                            {"message", "the room's media failed: " + reason}});
            sessionConn_.erase(it->first);
            it = conn->media.erase(it);
        }
    }
}

void ClassHub::onRecordingChunk(const media::RecordingChunk& chunk) {
    if (chunkHandler_) chunkHandler_(chunk);
}

void ClassHub::noteFrameSampled(const std::string& room, const std::string& subject,
                                common::Millis capturedMs) {
    std::string classId = classOfRoom(room);
    if (classId.empty()) return;
    auto task = [](ClassHub* self, std::string cls, std::string who,
                   common::Millis ts) -> Task<void> {
        auto alive = self->alive_;
        co_await self->deps_.redis.cmd("HSET", keys::lastSample(cls), who, std::to_string(ts));
        co_await self->deps_.redis.cmd("HINCRBY", keys::sampleCount(cls), who, "1");
        if (*alive) self->scheduleRoster(cls);
    };
    common::spawn(task(this, classId, subject, capturedMs), [classId](const std::exception_ptr& e) {
        try {
            if (e) std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            mediaHandlersLog()->warn("class {}: recording a camera sample failed: {}", classId,
                                     ex.what());
        }
    });
}

}  // namespace vigil::signaling
