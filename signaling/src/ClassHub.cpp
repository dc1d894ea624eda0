#include "vigil/signaling/ClassHub.hpp"

#include <string_view>

#include "vigil/common/Error.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/common/LogText.hpp"
#include "vigil/signaling/Keys.hpp"
#include "vigil/signaling/MessageAccess.hpp"
#include "vigil/signaling/RefusalAudit.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Task;
using nlohmann::json;

namespace {
VIGIL_LOG_CATEGORY(classHubLog, "classhub")

// ICE candidates a connection may send per second, as a multiple of the message limit.
constexpr int kCandidateAllowance = 10;

std::string dumpSafe(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}
}  // namespace

ClassHub::ClassHub(Deps deps) : deps_(std::move(deps)) {}

ClassHub::~ClassHub() {
    *alive_ = false;
}

ClassHub::ConnPtr ClassHub::find(std::uint64_t id) const {
    auto it = conns_.find(id);
    return it == conns_.end() ? nullptr : it->second;
}

const User& ClassHub::requireUser(const ConnPtr& conn) const {
    if (!conn->user) throw ApiError("unauthenticated", "send auth with your session token first");
    return *conn->user;
}

void ClassHub::push(const ConnPtr& conn, const json& message) {
    if (conn->closed || server_ == nullptr) return;
    server_->send(conn->id, dumpSafe(message));
}

void ClassHub::pushToClass(const std::string& classId, const json& message, bool teachersOnly) {
    auto it = members_.find(classId);
    if (it == members_.end()) return;
    std::string text = dumpSafe(message);
    for (auto id : it->second) {
        auto conn = find(id);
        if (!conn || (teachersOnly && !conn->teacher)) continue;
        if (server_ != nullptr) server_->send(id, text);
    }
}

void ClassHub::OnWsOpen(std::uint64_t connId, const std::string& peer) {
    auto conn = std::make_shared<Connection>();
    conn->id = connId;
    conn->key = deps_.nodeId + "#" + std::to_string(++keySeq_);
    conn->peer = peer;
    conns_[connId] = conn;
    connByKey_[conn->key] = connId;
    std::weak_ptr<Connection> weak = conn;
    conn->authTimer = deps_.loop.after(
        std::chrono::seconds(deps_.config.auth.wsAuthTimeoutSeconds), [this, weak]() {
            auto c = weak.lock();
            if (!c || c->user || c->closed) return;
            classHubLog()->info("conn {}: no auth within {} s; closing", c->key,
                                deps_.config.auth.wsAuthTimeoutSeconds);
            push(c, errorReply(nullptr, "unauthenticated", "authentication timed out"));
            if (server_ != nullptr) server_->close(c->id, 1008, "authentication timed out");
        });
    classHubLog()->debug("conn {}: open from {}", conn->key, peer);
}

void ClassHub::strike(const ConnPtr& conn) {
    common::Millis now = common::nowMillis();
    if (now - conn->strikeWindowStart > 60000) {
        conn->strikeWindowStart = now;
        conn->strikes = 0;
    }
    if (++conn->strikes >= deps_.config.protocol.abuseStrikes && server_ != nullptr) {
        classHubLog()->warn("conn {} ({}): {} protocol violations in a minute; closing", conn->key,
                            conn->peer, conn->strikes);
        server_->close(conn->id, 1008, "too many invalid messages");
    }
}

void ClassHub::OnWsMessage(std::uint64_t connId, std::string text, bool tooLarge) {
    auto conn = find(connId);
    if (!conn || conn->closed) return;
    if (tooLarge) {
        push(conn,
             errorReply(nullptr, "too_large",
                        "message over " + std::to_string(deps_.config.protocol.maxMessageBytes) +
                            " bytes"));
        strike(conn);
        return;
    }
    auto parsed = parseRequest(text, static_cast<size_t>(deps_.config.protocol.maxMessageBytes));
    // Trickled ICE candidates come in bursts (a page opening many streams at once sends a
    // dozen per stream): they have their own, larger allowance.
    bool candidate = std::holds_alternative<Request>(parsed) &&
                     std::get<Request>(parsed).type == MessageType::Ice;
    common::Millis now = common::nowMillis();
    if (now - conn->windowStart >= 1000) {
        conn->windowStart = now;
        conn->messagesInWindow = 0;
        conn->candidatesInWindow = 0;
    }
    int limit = deps_.config.protocol.rateLimitPerSecond;
    int used = candidate ? ++conn->candidatesInWindow : ++conn->messagesInWindow;
    if (used > (candidate ? limit * kCandidateAllowance : limit)) {
        push(conn, errorReply(nullptr, "rate_limited",
                              "more than " + std::to_string(limit) + " messages a second"));
        strike(conn);
        return;
    }
    if (auto* error = std::get_if<ParseError>(&parsed)) {
        // The message quotes what the client sent (an unknown type, say): escaped.
        classHubLog()->info("conn {}: {}: {}", conn->key, error->code,
                            common::logText(error->message, 200));
        push(conn, errorReply(error->id, error->code, error->message));
        strike(conn);
        return;
    }
    common::spawn(handle(conn, std::move(std::get<Request>(parsed))),
                  [](const std::exception_ptr&) {});
}

Task<void> ClassHub::handle(ConnPtr conn, Request request) {
    auto guard = co_await conn->mutex.lock();
    if (conn->closed) co_return;
    json reply;
    bool refusedRead = false;
    try {
        json payload = co_await dispatch(conn, request);
        reply = okReply(request.id, std::move(payload));
    } catch (const ApiError& e) {
        reply = errorReply(request.id, e.code(), e.what());
        if (e.code() == "unauthenticated" || e.code() == "forbidden") strike(conn);
        refusedRead = e.code() == "forbidden" && messageRule(request.type).read && conn->user;
    } catch (const common::RedisError& e) {
        classHubLog()->error("conn {}: {} failed: {}", conn->key, toString(request.type), e.what());
        reply = errorReply(request.id, "internal", "the record store is unavailable; try again");
    } catch (const std::exception& e) {
        classHubLog()->error("conn {}: {} failed: {}", conn->key, toString(request.type), e.what());
        reply = errorReply(request.id, "internal", "internal error");
    }
    if (refusedRead && audit_ != nullptr) {
        // What was asked for: a subject's camera, else the class.
        const std::string target =
            request.body.value("source", request.body.value("class", conn->classId));
        RefusalAudit refusals(*audit_);
        co_await refusals.wsRead(*conn->user, std::string(toString(request.type)), target,
                                 reply.value("message", ""));
    }
    push(conn, reply);
    if (!conn->endAfterReply.empty()) endSession(conn, conn->endAfterReply);
}

Task<json> ClassHub::dispatch(ConnPtr conn, const Request& request) {
    if (request.type != MessageType::Auth) co_await requireCurrentAccount(conn);
    if (request.type != MessageType::Auth) requireMessageCaller(request.type, *conn->user);
    switch (request.type) {
        case MessageType::Auth:
            co_return co_await onAuth(conn, request);
        case MessageType::Join:
            co_return co_await onJoin(conn, request);
        case MessageType::Leave:
            co_return co_await onLeave(conn);
        case MessageType::Heartbeat:
            co_return co_await onHeartbeat(conn);
        case MessageType::Chat:
            co_return co_await onChat(conn, request);
        case MessageType::RaiseHand:
            co_return co_await onHand(conn, true);
        case MessageType::LowerHand:
            co_return co_await onHand(conn, false);
        case MessageType::Roster:
            co_return co_await onRoster(conn, request);
        case MessageType::SpotCheck:
            co_return co_await onSpotCheck(conn, request);
        case MessageType::SpotCheckReply:
            co_return co_await onSpotCheckReply(conn, request);
        case MessageType::StartClass:
            co_return co_await onStartClass(conn, request);
        case MessageType::EndClass:
            co_return co_await onEndClass(conn, request);
        case MessageType::Offer:
            co_return co_await onOffer(conn, request);
        case MessageType::Subscribe:
            co_return co_await onSubscribe(conn, request);
        case MessageType::Answer:
            co_return co_await onAnswer(conn, request);
        case MessageType::Ice:
            co_return co_await onIce(conn, request);
        case MessageType::IceRestart:
            co_return co_await onIceRestart(conn, request);
        case MessageType::StopMedia:
            co_return co_await onStopMedia(conn, request);
        case MessageType::Call:
            co_return co_await onCall(conn, request);
        case MessageType::CallAccept:
            co_return co_await onCallAccept(conn, request);
        case MessageType::CallDecline:
            co_return co_await onCallDecline(conn, request);
        case MessageType::CallEnd:
            co_return co_await onCallEnd(conn, request);
        default:
            break;
    }
    // A component's own message (check-ins).
    if (auto it = routes_.find(request.type); it != routes_.end()) {
        // Named, not a temporary inside co_await: GCC 12 destroys such temporaries twice.
        const WsCaller caller{*conn->user, conn->key};
        json payload = co_await it->second(caller, request);
        co_return payload;
    }
    throw ApiError("not_available", std::string("'") + std::string(toString(request.type)) +
                                        "' is not served on this node");
}

void ClassHub::OnWsClose(std::uint64_t connId) {
    auto conn = find(connId);
    if (!conn) return;
    conn->closed = true;
    conn->authTimer.cancel();
    conn->sessionTimer.cancel();
    conns_.erase(connId);
    connByKey_.erase(conn->key);
    if (checkinRooms_ != nullptr) {
        for (const auto& [session, media] : conn->media) {
            if (auto checkinId = checkinOfRoom(media.room); !checkinId.empty())
                checkinRooms_->connectionClosed(checkinId);
        }
    }
    closeMedia(conn, "");
    if (!conn->callId.empty() && !stopping_) {
        common::spawn(finishCall(conn->callId, "ended", "disconnect"),
                      [](const std::exception_ptr&) {});
    }
    if (stopping_) return;  // shutdown() already recorded it.
    common::spawn(onClosed(conn), [](const std::exception_ptr&) {});
}

Task<void> ClassHub::shutdown() {
    stopping_ = true;
    common::Millis now = common::nowMillis();
    std::set<std::string> classes;
    for (const auto& [id, conn] : conns_) {
        if (conn->classId.empty() || conn->teacher || !conn->user) continue;
        try {
            co_await deps_.attendance.leave(conn->classId, conn->user->id, conn->key, now,
                                            "server_shutdown");
            classes.insert(conn->classId);
        } catch (const std::exception& e) {
            // Left open: the next start (or another node's sweep) closes it at its last heartbeat.
            classHubLog()->error("conn {}: recording shutdown failed: {}", conn->key, e.what());
        }
    }
    for (const auto& classId : classes) {
        json roster{{"event", "roster"}, {"class", classId}};
        co_await publish(std::move(roster));
    }
    co_await deps_.redis.cmd("DEL", keys::node(deps_.nodeId));
}

Task<void> ClassHub::onClosed(ConnPtr conn) {
    // Wait for requests already in flight on this connection, then record the disconnect.
    auto guard = co_await conn->mutex.lock();
    try {
        co_await leaveClass(conn, "disconnect");
    } catch (const std::exception& e) {
        // The sweeper closes the interval at its last heartbeat instead.
        classHubLog()->error("conn {}: recording disconnect failed: {}", conn->key, e.what());
    }
}

void ClassHub::forgetMembership(const ConnPtr& conn) {
    if (conn->classId.empty()) return;
    if (!conn->teacher && conn->user && presence_ != nullptr)
        presence_->subjectLeft(conn->classId, conn->user->id);
    closeMedia(conn, "class:" + conn->classId);
    auto it = members_.find(conn->classId);
    if (it != members_.end()) {
        it->second.erase(conn->id);
        if (it->second.empty()) {
            members_.erase(it);
            // Nobody left here: end the recording and free the pipeline.
            closeMediaRoom("class:" + conn->classId);
        }
    }
    conn->classId.clear();
    conn->teacher = false;
}

Task<void> ClassHub::publish(json event) {
    co_await deps_.redis.cmd("PUBLISH", keys::kBusChannel, dumpSafe(event));
}

void ClassHub::scheduleRoster(const std::string& classId) {
    // Coalesce bursts (a class of 100 joining at once) into one roster per 200 ms.
    auto members = members_.find(classId);
    if (members == members_.end()) return;
    bool anyTeacher = false;
    for (auto id : members->second) {
        if (auto c = find(id); c && c->teacher) anyTeacher = true;
    }
    if (!anyTeacher) return;
    auto& timer = rosterTimers_[classId];
    if (timer.active()) return;
    timer = deps_.loop.after(std::chrono::milliseconds(200), [this, classId]() {
        auto run = [](ClassHub* self, std::string id) -> Task<void> {
            auto alive = self->alive_;
            json roster = co_await self->buildRoster(id);
            if (!*alive) co_return;
            self->pushToClass(id, roster, true);
        };
        common::spawn(run(this, classId), [classId](const std::exception_ptr& e) {
            try {
                if (e) std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                classHubLog()->warn("class {}: roster refresh failed: {}", classId, ex.what());
            }
        });
        rosterTimers_.erase(classId);
    });
}

namespace {

// Who on this node receives a bus event's `message`. Events that do more than deliver
// (class_ended, kick, spot_check_shown) also have a few lines of their own in onBusMessage.
enum class Audience { Nobody, Everyone, Teachers };
struct BusRoute {
    std::string_view event;
    Audience audience;  // In the event's class.
    bool subject;       // Also the subject it is about: his own verdict, check or result.
    bool roster;        // The roster changed: refresh it for the teachers.
};
constexpr BusRoute kBusRoutes[] = {
    {"roster", Audience::Nobody, false, true},
    {"chat", Audience::Everyone, false, false},
    {"class_started", Audience::Everyone, false, false},
    {"class_ended", Audience::Everyone, false, false},
    {"hand", Audience::Teachers, false, true},
    // The subject sees his own verdict too, so that he can fix his camera himself.
    {"presence", Audience::Teachers, true, true},
    {"alert", Audience::Teachers, false, false},
    {"spot_check", Audience::Nobody, true, false},
    {"spot_check_progress", Audience::Nobody, true, false},
    // The subject learns the decision and why; his dialog closes on it.
    {"spot_check_result", Audience::Teachers, true, false},
    {"kick", Audience::Nobody, false, false},
    {"spot_check_shown", Audience::Nobody, false, false},
    // A message for one account wherever it is connected (check-in orders and results).
    {"user", Audience::Nobody, false, false},
    // Sessions of an account ended (SessionIndex): its sockets are told why and closed.
    {"session_ended", Audience::Nobody, false, false},
};

const BusRoute* busRoute(std::string_view event) {
    for (const auto& route : kBusRoutes) {
        if (route.event == event) return &route;
    }
    return nullptr;
}

}  // namespace

void ClassHub::onBusMessage(const std::string& text) {
    auto event = json::parse(text, nullptr, false);
    if (!event.is_object() || !event.contains("event") || !event["event"].is_string()) return;
    const std::string kind = event["event"];
    const BusRoute* route = busRoute(kind);
    if (route == nullptr) return;
    const std::string classId = event.value("class", "");
    static const json kNoMessage = json::object();
    const json& message =
        event.contains("message") && event["message"].is_object() ? event["message"] : kNoMessage;
    if (route->audience != Audience::Nobody)
        pushToClass(classId, message, route->audience == Audience::Teachers);
    if (route->subject) {
        std::string subject = event.value("subject", message.value("subject", ""));
        pushToSubject(classId, subject, message);
    }
    if (route->roster) scheduleRoster(classId);

    if (kind == "class_ended") {
        closeMediaRoom("class:" + classId);
        auto it = members_.find(classId);
        if (it != members_.end()) {
            auto ids = it->second;
            for (auto id : ids) {
                if (auto c = find(id)) forgetMembership(c);
            }
        }
    } else if (kind == "kick") {
        auto it = connByKey_.find(event.value("conn", ""));
        if (it == connByKey_.end()) return;
        auto conn = find(it->second);
        if (!conn || conn->classId != classId) return;
        push(conn,
             json{{"type", "kicked"}, {"class", classId}, {"reason", event.value("reason", "")}});
        forgetMembership(conn);
    } else if (kind == "user") {
        pushToUser(event.value("user", ""), message);
    } else if (kind == "session_ended") {
        if (accounts_ != nullptr) accounts_->onBusEvent(event);
    } else if (kind == "spot_check_shown") {
        // The subject's page shows a challenge: the node that runs it judges from now on.
        if (presence_ != nullptr && event.contains("ts") && event["ts"].is_number_integer())
            presence_->livenessShown(event.value("check", ""), event["ts"].get<common::Millis>());
    }
}

void ClassHub::sendToUser(const std::string& userId, json message) {
    json event{{"event", "user"}, {"user", userId}, {"message", std::move(message)}};
    common::spawn(publish(std::move(event)), [userId](const std::exception_ptr& e) {
        try {
            if (e) std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            classHubLog()->error("a message for {} was not sent: {}", userId, ex.what());
        }
    });
}

void ClassHub::pushToSubject(const std::string& classId, const std::string& subject,
                             const json& message) {
    auto it = members_.find(classId);
    if (it == members_.end() || subject.empty()) return;
    for (auto id : it->second) {
        auto c = find(id);
        if (c && c->user && c->user->id == subject) push(c, message);
    }
}

}  // namespace vigil::signaling
