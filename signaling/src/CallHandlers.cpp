// ClassHub's supervision calls: an officer rings a subject, the subject accepts or declines,
// either ends it; unanswered calls end as missed. The call's record is a Redis hash written
// before each reply; the media room "call:<id>" exists while the call is active.

#include "vigil/common/Crypto.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/signaling/Access.hpp"
#include "vigil/signaling/ClassHub.hpp"
#include "vigil/signaling/Keys.hpp"
#include "vigil/signaling/NodeMetrics.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Task;
using nlohmann::json;

namespace {
VIGIL_LOG_CATEGORY(callHandlersLog, "calls")
}  // namespace

void ClassHub::pushToUser(const std::string& userId, const json& message) {
    for (auto& [id, conn] : conns_) {
        if (conn->user && conn->user->id == userId) push(conn, message);
    }
}

ClassHub::LiveCall& ClassHub::requireCallParty(const ConnPtr& conn, const std::string& callId) {
    auto it = calls_.find(callId);
    if (it == calls_.end())
        throw ApiError("not_found", "no call '" + callId + "' is ringing or running");
    const std::string& me = conn->user->id;
    if (it->second.officer != me && it->second.subject != me)
        throw ApiError("forbidden", "this is not your call");
    return it->second;
}

Task<json> ClassHub::onCall(ConnPtr conn, const Request& request) {
    requireMedia();
    const User user = *conn->user;
    if (user.role == Role::Subject)
        throw ApiError("forbidden", "only officers place supervision calls");
    std::string subjectId = request.body["subject"];
    auto subject = co_await deps_.directory.findUser(subjectId);
    if (!subject || subject->role != Role::Subject)
        throw ApiError("not_found", "no subject '" + subjectId + "'");
    auto tree = co_await deps_.directory.unitTree();
    if (!access::canSeeSubject(user, *subject, tree))
        throw ApiError("forbidden", "this subject is not under your supervision");
    if (!conn->callId.empty()) throw ApiError("busy", "you are already in a call");
    for (const auto& [id, call] : calls_) {
        if (call.subject == subjectId || call.officer == user.id)
            throw ApiError("busy", "that subject or you are already in a call");
    }
    bool online = false;
    for (const auto& [id, c] : conns_) online = online || (c->user && c->user->id == subjectId);
    if (!online) throw ApiError("subject_offline", "the subject is not signed in now");

    std::string callId = "k" + common::randomHex(8);
    common::Millis now = common::nowMillis();
    co_await deps_.redis.cmd("HSET", keys::call(callId), "officer", user.id, "subject", subjectId,
                             "unit", subject->unit, "state", "ringing", "created",
                             std::to_string(now));
    co_await deps_.redis.cmd("ZADD", keys::kCalls, std::to_string(now), callId);
    if (conn->closed) throw ApiError("internal", "the connection closed");
    LiveCall& call = calls_[callId];
    metrics::callsPlaced().inc();
    call.id = callId;
    call.officer = user.id;
    call.subject = subjectId;
    call.officerConn = conn->id;
    call.state = "ringing";
    call.created = now;
    call.ringTimer =
        deps_.loop.after(std::chrono::seconds(deps_.config.calls.ringSeconds), [this, callId]() {
            // Not from inside the timer that the call owns: finishing destroys it.
            deps_.loop.defer([this, callId]() {
                common::spawn(finishCall(callId, "missed", "timeout"),
                              [](const std::exception_ptr&) {});
            });
        });
    conn->callId = callId;
    pushToUser(subjectId, json{{"type", "incoming_call"},
                               {"call", callId},
                               {"from", {{"id", user.id}, {"name", user.name}}},
                               {"ring_seconds", deps_.config.calls.ringSeconds},
                               {"ice_servers", iceServersFor(*subject)},
                               {"recording", deps_.config.recording.enabled}});
    callHandlersLog()->info("call {}: {} rings {}", callId, user.id, subjectId);
    // `recording` tells both parties' pages whether to show that the call is recorded.
    co_return json{{"call", callId},
                   {"ice_servers", iceServersFor(user)},
                   {"recording", deps_.config.recording.enabled}};
}

Task<json> ClassHub::onCallAccept(ConnPtr conn, const Request& request) {
    requireMedia();
    std::string callId = request.body["call"];
    LiveCall& call = requireCallParty(conn, callId);
    if (call.subject != conn->user->id)
        throw ApiError("forbidden", "only the called subject accepts");
    if (call.state != "ringing") throw ApiError("bad_request", "the call no longer rings");
    if (!conn->callId.empty()) throw ApiError("busy", "this tab is already in a call");
    call.state = "active";
    call.subjectConn = conn->id;
    call.ringTimer.cancel();
    conn->callId = callId;
    std::uint64_t officerConn = call.officerConn;
    common::Millis now = common::nowMillis();
    co_await deps_.redis.cmd("HSET", keys::call(callId), "state", "active", "accepted",
                             std::to_string(now));
    // An accepted supervision call is a verified contact (脱管 prevention).
    if (supervision_ != nullptr) {
        Contact contact{now, "call", callId};
        co_await supervision_->noteContact(conn->user->id, std::move(contact));
    }
    co_await ensureMediaRoom("call:" + callId);
    json state{
        {"type", "call_state"}, {"call", callId}, {"state", "accepted"}, {"by", conn->user->id}};
    if (auto officer = find(officerConn)) push(officer, state);
    for (auto& [id, c] : conns_) {
        // The subject's other tabs stop ringing.
        if (c->user && c->user->id == conn->user->id && c->id != conn->id) push(c, state);
    }
    callHandlersLog()->info("call {}: accepted", callId);
    co_return json{{"call", callId},
                   {"ice_servers", iceServersFor(*conn->user)},
                   {"recording", deps_.config.recording.enabled}};
}

Task<json> ClassHub::onCallDecline(ConnPtr conn, const Request& request) {
    std::string callId = request.body["call"];
    LiveCall& call = requireCallParty(conn, callId);
    if (call.subject != conn->user->id)
        throw ApiError("forbidden", "only the called subject declines");
    if (call.state != "ringing") throw ApiError("bad_request", "the call no longer rings");
    co_await finishCall(callId, "declined", conn->user->id);
    co_return json{{"call", callId}, {"state", "declined"}};
}

Task<json> ClassHub::onCallEnd(ConnPtr conn, const Request& request) {
    std::string callId = request.body["call"];
    requireCallParty(conn, callId);
    co_await finishCall(callId, "ended", conn->user->id);
    co_return json{{"call", callId}, {"state", "ended"}};
}

Task<void> ClassHub::finishCall(std::string callId, std::string state, std::string by) {
    auto it = calls_.find(callId);
    if (it == calls_.end()) co_return;
    std::string officer = it->second.officer;
    std::string subject = it->second.subject;
    bool wasActive = it->second.state == "active";
    // A call that was never answered ends as missed, declined or cancelled, not "ended".
    if (!wasActive && state == "ended") state = by == officer ? "cancelled" : "declined";
    calls_.erase(it);
    for (auto& [id, c] : conns_) {
        if (c->callId == callId) c->callId.clear();
    }
    if (wasActive) closeMediaRoom("call:" + callId);
    common::Millis now = common::nowMillis();
    json message{{"type", "call_state"}, {"call", callId}, {"state", state}, {"by", by}};
    pushToUser(officer, message);
    pushToUser(subject, message);
    callHandlersLog()->info("call {}: {} ({})", callId, state, by);
    co_await deps_.redis.cmd("HSET", keys::call(callId), "state", state, "ended",
                             std::to_string(now), "by", by);
    if (state == "missed") {
        // A supervision call the subject did not take is an alert for the officer.
        auto unit = co_await deps_.redis.cmd("HGET", keys::call(callId), "unit");
        std::string text = "the subject did not answer the supervision call";
        Alert missed;
        missed.kind = "missed_call";
        missed.subject = subject;
        missed.unit = unit.str;
        missed.call = callId;
        missed.message = text;
        missed.raisedAt = now;
        std::string id = co_await raiseAlert(std::move(missed), "");
        json alert{
            {"type", "alert"},       {"id", id},        {"call", callId}, {"subject", subject},
            {"kind", "missed_call"}, {"message", text}, {"ts", now}};
        pushToUser(officer, alert);
    }
}

}  // namespace vigil::signaling
