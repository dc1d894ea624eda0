// The WebSocket request handlers of ClassHub. Each receives an already-validated request,
// writes its record before it returns, and throws ApiError for the client's mistakes.

#include <algorithm>

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
VIGIL_LOG_CATEGORY(classHandlersLog, "classes")

constexpr int kHeartbeatIntervalSeconds = 10;
}  // namespace

Task<json> ClassHub::onAuth(ConnPtr conn, const Request& request) {
    const std::string session = Sessions::tokenHash(request.body["token"].get<std::string>());
    SessionState state = co_await deps_.sessions.check(session);
    if (!state.user)
        throw ApiError("unauthenticated",
                       "the session token is invalid or has expired; sign in again");
    const User* user = &*state.user;
    if (conn->user && conn->user->id != user->id) {
        throw ApiError("forbidden", "this connection is already signed in as another user");
    }
    conn->user = *user;
    conn->session = session;
    conn->authTimer.cancel();
    endSessionAt(conn, state.until);
    names_[user->id] = user->name;
    classHandlersLog()->info("conn {}: authenticated as {} ({})", conn->key, user->id,
                             toString(user->role));
    co_return json{{"user", user->publicJson()}, {"conn", conn->key}};
}

Task<ClassSession> ClassHub::requireTeachable(ConnPtr conn, const std::string& classId) {
    auto cls = co_await deps_.directory.findClass(classId);
    if (!cls) throw ApiError("not_found", "no class '" + classId + "'");
    auto tree = co_await deps_.directory.unitTree();
    if (!access::canTeach(*conn->user, *cls, tree))
        throw ApiError("forbidden", "you do not teach this class");
    co_return *cls;
}

Task<json> ClassHub::onJoin(ConnPtr conn, const Request& request) {
    const User user = *conn->user;
    std::string classId = request.body["class"];
    auto cls = co_await deps_.directory.findClass(classId);
    if (!cls) throw ApiError("not_found", "no class '" + classId + "'");
    std::vector<std::string> units{user.unit, cls->unit, cls->enrolUnit};
    auto tree = co_await deps_.directory.recentUnitTree(std::move(units));
    bool teacher = false;
    if (user.role == Role::Subject) {
        auto explicitIds = co_await deps_.directory.explicitlyEnrolled(classId);
        if (!access::isEnrolled(user, *cls, explicitIds, tree)) {
            throw ApiError("not_enrolled", "you are not enrolled in this class");
        }
        common::Millis early =
            static_cast<common::Millis>(deps_.config.attendance.joinEarlyMinutes) * 60000;
        if (!cls->isOpen(common::nowMillis(), early)) {
            std::string why = "this class opens " +
                              std::to_string(deps_.config.attendance.joinEarlyMinutes) +
                              " minutes before it starts";
            if (cls->state == ClassState::Ended || common::nowMillis() >= cls->end)
                why = "this class has ended";
            throw ApiError("class_not_open", why);
        }
    } else if (access::canTeach(user, *cls, tree)) {
        teacher = true;
    } else {
        throw ApiError("forbidden", "you may not join this class");
    }
    if (!conn->classId.empty() && conn->classId != classId) co_await leaveClass(conn, "leave");
    if (!teacher) {
        auto outcome = co_await deps_.attendance.join(classId, user.id, conn->key, deps_.nodeId,
                                                      common::nowMillis());
        if (outcome.replaced) {
            json event1{{"event", "kick"},
                        {"class", classId},
                        {"conn", outcome.replaced->conn},
                        {"reason", "replaced"}};
            co_await publish(std::move(event1));
        }
    }
    if (conn->closed) {
        // The socket closed while the join was being written, and onClosed (which runs after
        // this request) sees no class: close the new interval here, or it would stay open
        // until the heartbeat timeout.
        if (!teacher) {
            co_await deps_.attendance.leave(classId, user.id, conn->key, common::nowMillis(),
                                            "disconnect");
            json rosterEvent{{"event", "roster"}, {"class", classId}};
            co_await publish(std::move(rosterEvent));
        }
        co_return json::object();
    }
    conn->classId = classId;
    conn->teacher = teacher;
    members_[classId].insert(conn->id);
    metrics::classJoins().inc();
    if (!teacher && presence_ != nullptr)
        presence_->subjectJoined(classId, user.id, common::nowMillis());
    json event2{{"event", "roster"}, {"class", classId}};
    co_await publish(std::move(event2));
    co_return json{{"class", cls->toJson(deps_.config.utcOffsetMinutes())},
                   {"role", teacher ? "teacher" : "student"},
                   {"heartbeat_interval_seconds", kHeartbeatIntervalSeconds},
                   {"ice_servers", iceServersFor(user)},
                   {"publishers", publishersFor("class:" + classId, teacher)},
                   {"camera",
                    {{"width", deps_.config.media.cameraWidth},
                     {"height", deps_.config.media.cameraHeight},
                     {"fps", deps_.config.media.cameraFps},
                     {"kbps", deps_.config.media.cameraKbps},
                     {"sample_seconds", deps_.config.media.sampleSeconds}}}};
}

Task<void> ClassHub::leaveClass(ConnPtr conn, const std::string& reason) {
    if (conn->classId.empty() || !conn->user) co_return;
    std::string classId = conn->classId;
    bool subject = !conn->teacher;
    forgetMembership(conn);
    if (subject) {
        co_await deps_.attendance.leave(classId, conn->user->id, conn->key, common::nowMillis(),
                                        reason);
    }
    json event3{{"event", "roster"}, {"class", classId}};
    co_await publish(std::move(event3));
}

Task<json> ClassHub::onLeave(ConnPtr conn) {
    if (conn->classId.empty()) throw ApiError("bad_request", "you are not in a class");
    co_await leaveClass(conn, "leave");
    co_return json::object();
}

Task<json> ClassHub::onHeartbeat(ConnPtr conn) {
    common::Millis now = common::nowMillis();
    if (!conn->classId.empty() && !conn->teacher) {
        bool open =
            co_await deps_.attendance.heartbeat(conn->classId, conn->user->id, conn->key, now);
        if (!open) {
            forgetMembership(conn);
            throw ApiError("not_found", "you are no longer in the class; join again");
        }
    }
    co_return json{{"ts", now}};
}

Task<json> ClassHub::onChat(ConnPtr conn, const Request& request) {
    if (conn->classId.empty()) throw ApiError("bad_request", "join a class before you chat");
    const User& user = *conn->user;
    std::string text = request.body["text"];
    common::Millis now = common::nowMillis();
    std::string classId = conn->classId;
    co_await deps_.redis.cmd("XADD", keys::chat(classId), "MAXLEN", "~", "10000", "*", "from",
                             user.id, "name", user.name, "text", text, "ts", std::to_string(now));
    json message{{"type", "chat"},
                 {"class", classId},
                 {"from", {{"id", user.id}, {"name", user.name}, {"role", toString(user.role)}}},
                 {"text", text},
                 {"ts", now}};
    json event4{{"event", "chat"}, {"class", classId}, {"message", message}};
    co_await publish(std::move(event4));
    co_return json::object();
}

Task<json> ClassHub::onHand(ConnPtr conn, bool raised) {
    if (conn->classId.empty() || conn->teacher)
        throw ApiError("bad_request", "only a student in a class raises a hand");
    std::string classId = conn->classId;
    const std::string subject = conn->user->id;
    co_await deps_.redis.cmd(raised ? "SADD" : "SREM", keys::hands(classId), subject);
    json message{{"type", "hand"}, {"class", classId}, {"subject", subject}, {"raised", raised}};
    json event5{{"event", "hand"}, {"class", classId}, {"message", message}};
    co_await publish(std::move(event5));
    co_return json::object();
}

Task<json> ClassHub::buildRoster(std::string classId) {
    auto open = co_await deps_.attendance.openIntervals(classId);
    auto handList = (co_await deps_.redis.cmd("SMEMBERS", keys::hands(classId))).asStrings();
    std::set<std::string> hands(handList.begin(), handList.end());
    auto lastSamples = co_await deps_.redis.cmd("HGETALL", keys::lastSample(classId));
    auto sampleCounts = co_await deps_.redis.cmd("HGETALL", keys::sampleCount(classId));
    auto presenceReply = co_await deps_.redis.cmd("HGETALL", keys::presence(classId));
    std::map<std::string, json> presence;  // subject -> latest judged sample
    for (size_t i = 0; i + 1 < presenceReply.elements.size(); i += 2) {
        auto j = json::parse(presenceReply.elements[i + 1].str, nullptr, false);
        if (j.is_object()) presence[presenceReply.elements[i].str] = std::move(j);
    }
    std::map<std::string, std::pair<long long, long long>> samples;  // subject -> (last, count)
    for (size_t i = 0; i + 1 < lastSamples.elements.size(); i += 2)
        samples[lastSamples.elements[i].str].first = std::stoll(lastSamples.elements[i + 1].str);
    for (size_t i = 0; i + 1 < sampleCounts.elements.size(); i += 2)
        samples[sampleCounts.elements[i].str].second = std::stoll(sampleCounts.elements[i + 1].str);
    json participants = json::array();
    int offset = deps_.config.utcOffsetMinutes();
    for (const auto& [subject, interval] : open) {
        if (names_.find(subject) == names_.end()) {
            auto u = co_await deps_.directory.findUser(subject);
            names_[subject] = u ? u->name : subject;
        }
        participants.push_back(
            {{"id", subject},
             {"name", names_[subject]},
             {"since", common::formatIso8601(interval.since, offset)},
             {"last_heartbeat", common::formatIso8601(interval.lastHeartbeat, offset)},
             {"hand", hands.count(subject) != 0},
             {"presence", presence.count(subject) != 0 ? presence[subject].value("state", "unknown")
                                                       : std::string("unknown")},
             {"outcome", presence.count(subject) != 0 ? presence[subject].value("outcome", "")
                                                      : std::string()},
             {"score",
              presence.count(subject) != 0 ? presence[subject].value("score", -1.0) : -1.0},
             {"samples", samples[subject].second},
             {"last_sample", samples[subject].first > 0
                                 ? json(common::formatIso8601(samples[subject].first, offset))
                                 : json(nullptr)}});
    }
    co_return json{{"type", "roster"}, {"class", classId}, {"participants", participants}};
}

Task<json> ClassHub::onRoster(ConnPtr conn, const Request& request) {
    std::string classId = request.body.value("class", conn->classId);
    if (classId.empty()) throw ApiError("bad_request", "name the class or join it first");
    co_await requireTeachable(conn, classId);
    json roster = co_await buildRoster(classId);
    if (audit_ != nullptr) {
        const std::string detail = json{{"count", roster["participants"].size()}}.dump();
        co_await audit_->append(conn->user->id, "roster_view", classId, detail);
    }
    co_return json{{"class", classId}, {"participants", roster["participants"]}};
}

namespace {

const char* const kChallenges[] = {"turn_left", "turn_right", "look_up", "blink"};

// What the subject's browser shows for each challenge.
std::string instructionFor(const std::string& challenge) {
    if (challenge == "turn_left") return "Turn your head slowly to your left, then back.";
    if (challenge == "turn_right") return "Turn your head slowly to your right, then back.";
    if (challenge == "look_up") return "Look up, then back at the camera.";
    return "Look at the camera and blink twice.";
}

}  // namespace

Task<json> ClassHub::onSpotCheck(ConnPtr conn, const Request& request) {
    if (conn->classId.empty() || !conn->teacher)
        throw ApiError("forbidden", "only the teacher of a class orders spot checks");
    std::string classId = conn->classId;
    co_await requireTeachable(conn, classId);
    std::string subject = request.body["subject"];
    auto open = co_await deps_.attendance.openIntervals(classId);
    if (open.find(subject) == open.end())
        throw ApiError("not_found", "that subject is not in the class now");
    // When the subject's camera reaches presence verification, the check is a liveness
    // challenge judged from it (liveness_seconds). Otherwise the subject answers by hand
    // (spot_check_seconds); a missing camera is an alert of its own.
    bool liveness = presence_ != nullptr && presence_->receivingCamera(classId, subject);
    int defaultSeconds =
        liveness ? deps_.config.presence.livenessSeconds : deps_.config.attendance.spotCheckSeconds;
    int seconds = request.body.value("seconds", defaultSeconds);
    common::Millis now = common::nowMillis();
    common::Millis deadline = now + static_cast<common::Millis>(seconds) * 1000;
    std::string check = common::randomHex(8);
    std::string challenge = request.body.value("challenge", "");
    if (!challenge.empty() && std::find(std::begin(kChallenges), std::end(kChallenges),
                                        challenge) == std::end(kChallenges)) {
        throw ApiError("bad_request", "challenge must be turn_left, turn_right, look_up or blink");
    }
    if (!liveness) {
        challenge.clear();
    } else if (challenge.empty()) {
        challenge = kChallenges[std::stoul(common::randomHex(2), nullptr, 16) % 4];
    }
    co_await deps_.redis.cmd("HSET", keys::spotCheck(check), "class", classId, "subject", subject,
                             "officer", conn->user->id, "deadline", std::to_string(deadline),
                             "state", "pending", "challenge", challenge);
    co_await deps_.redis.cmd("EXPIRE", keys::spotCheck(check), "604800");
    // A liveness verdict arrives at the deadline at the latest; the sweeper resolves the check
    // as missed only if none came (the verifier is gone).
    common::Millis sweepAt = liveness ? deadline + 5000 : deadline;
    co_await deps_.redis.cmd("ZADD", keys::kSpotPending, std::to_string(sweepAt), check);
    std::vector<std::pair<std::string, std::string>> fields11{
        {"kind", "spot_check"},
        {"subject", subject},
        {"ts", std::to_string(now)},
        {"check", check},
        {"deadline", std::to_string(deadline)},
        {"officer", conn->user->id},
        {"challenge", challenge}};
    co_await deps_.attendance.appendEvent(classId, std::move(fields11));
    // The frames a second judged, and asked of the subject's camera while the challenge runs.
    const int fps =
        challenge == "blink" ? deps_.config.presence.blinkBurstFps : deps_.config.presence.burstFps;
    json message{{"type", "spot_check"},
                 {"class", classId},
                 {"check", check},
                 {"deadline", deadline},
                 {"seconds", seconds}};
    if (liveness) {
        message["challenge"] = challenge;
        message["instruction"] = instructionFor(challenge);
        message["camera_fps"] = fps;
    }
    // Watching starts before the subject can see the instruction, so that the page's "shown"
    // always finds the challenge running.
    bool watching = liveness && presence_->startLiveness("class:" + classId, subject, check,
                                                         challenge, deadline, fps);
    json event6{
        {"event", "spot_check"}, {"class", classId}, {"subject", subject}, {"message", message}};
    co_await publish(std::move(event6));
    json reply{{"check", check}, {"deadline", deadline}};
    if (liveness) {
        reply["challenge"] = challenge;
        // No camera received from the subject now: the check can only fail at its deadline.
        reply["camera"] = watching;
    }
    co_return reply;
}

Task<json> ClassHub::onSpotCheckReply(ConnPtr conn, const Request& request) {
    std::string check = request.body["check"];
    // A liveness challenge is judged from the camera: the reply only says the subject saw it.
    auto challenge = co_await deps_.redis.cmd("HGET", keys::spotCheck(check), "challenge");
    auto owner = co_await deps_.redis.cmd("HGET", keys::spotCheck(check), "subject");
    if (!challenge.isNil() && !challenge.str.empty()) {
        if (owner.str != conn->user->id)
            throw ApiError("forbidden", "this spot check is for someone else");
        // The page shows the instruction: from now on the camera's frames are judged, on
        // whichever node runs the challenge. The time is ours, not the browser's.
        json event{{"event", "spot_check_shown"},
                   {"check", check},
                   {"ts", common::nowMillis()},
                   {"class", conn->classId}};
        co_await publish(std::move(event));
        co_return json{{"check", check}, {"outcome", "pending"}};
    }
    auto reply = co_await deps_.redis.cmd(
        "EVAL", kResolveSpotCheckScript, "2", keys::spotCheck(check), keys::kSpotPending, check,
        "answered", conn->user->id, std::to_string(common::nowMillis()), "");
    std::string status = reply.elements.empty() ? "missing" : reply.elements[0].str;
    if (status == "missing") throw ApiError("not_found", "no such spot check");
    if (status == "forbidden") throw ApiError("forbidden", "this spot check is for someone else");
    if (status == "late") throw ApiError("bad_request", "the spot check's deadline has passed");
    if (status == "done") throw ApiError("bad_request", "this spot check is already closed");
    std::string classId = reply.elements[1].str;
    json message{{"type", "spot_check_result"},
                 {"class", classId},
                 {"check", check},
                 {"subject", conn->user->id},
                 {"outcome", "answered"}};
    json event7{{"event", "spot_check_result"}, {"class", classId}, {"message", message}};
    co_await publish(std::move(event7));
    co_return json{{"check", check}, {"outcome", "answered"}};
}

Task<void> ClassHub::resolveSpotCheck(std::string checkId, std::string outcome, std::string detail,
                                      std::string identity) {
    auto reply = co_await deps_.redis.cmd(
        "EVAL", kResolveSpotCheckScript, "2", keys::spotCheck(checkId), keys::kSpotPending, checkId,
        outcome, "", std::to_string(common::nowMillis()), detail, identity);
    if (reply.elements.size() < 3 || reply.elements[0].str != "ok") co_return;
    std::string classId = reply.elements[1].str;
    std::string subject = reply.elements[2].str;
    json message{{"type", "spot_check_result"}, {"class", classId},   {"check", checkId},
                 {"subject", subject},          {"outcome", outcome}, {"detail", detail}};
    if (!identity.empty()) message["identity"] = identity;
    json event8{{"event", "spot_check_result"},
                {"class", classId},
                {"subject", subject},
                {"message", message}};
    co_await publish(std::move(event8));
    if (outcome == "failed" || outcome == "missed") {
        std::string kind = outcome == "failed" ? "spot_check_failed" : "spot_check_missed";
        std::string text = outcome == "failed" ? "spot check failed (" + detail + ")"
                                               : std::string("spot check not answered in time");
        co_await recordAlert(classId, subject, kind, text, common::nowMillis());
    }
}

Task<json> ClassHub::onStartClass(ConnPtr conn, const Request& request) {
    auto cls = co_await requireTeachable(conn, request.body["class"].get<std::string>());
    if (cls.state == ClassState::Ended) throw ApiError("class_not_open", "this class has ended");
    common::Millis now = common::nowMillis();
    if (cls.state != ClassState::Live) {
        co_await deps_.directory.setClassState(cls.id, ClassState::Live, now);
        std::vector<std::pair<std::string, std::string>> fields12{
            {"kind", "class_started"}, {"ts", std::to_string(now)}, {"officer", conn->user->id}};
        co_await deps_.attendance.appendEvent(cls.id, std::move(fields12));
        cls.state = ClassState::Live;
        cls.startedAt = now;
    }
    json message{{"type", "class_started"}, {"class", cls.id}, {"ts", now}};
    json event9{{"event", "class_started"}, {"class", cls.id}, {"message", message}};
    co_await publish(std::move(event9));
    co_return json{{"class", cls.toJson(deps_.config.utcOffsetMinutes())}};
}

Task<json> ClassHub::onEndClass(ConnPtr conn, const Request& request) {
    auto cls = co_await requireTeachable(conn, request.body["class"].get<std::string>());
    if (cls.state == ClassState::Ended)
        throw ApiError("class_not_open", "this class has already ended");
    common::Millis now = common::nowMillis();
    co_await deps_.directory.setClassState(cls.id, ClassState::Ended, now);
    auto open = co_await deps_.attendance.openIntervals(cls.id);
    for (const auto& [subject, interval] : open) {
        co_await deps_.attendance.leave(cls.id, subject, interval.conn, now, "class_ended");
    }
    std::vector<std::pair<std::string, std::string>> fields13{
        {"kind", "class_ended"}, {"ts", std::to_string(now)}, {"officer", conn->user->id}};
    co_await deps_.attendance.appendEvent(cls.id, std::move(fields13));
    cls.state = ClassState::Ended;
    cls.endedAt = now;
    json message{{"type", "class_ended"}, {"class", cls.id}, {"ts", now}};
    json event10{{"event", "class_ended"}, {"class", cls.id}, {"message", message}};
    co_await publish(std::move(event10));
    classHandlersLog()->info("class {} ended by {}; {} open interval(s) closed", cls.id,
                             conn->user->id, open.size());
    co_return json{{"class", cls.toJson(deps_.config.utcOffsetMinutes())}, {"closed", open.size()}};
}

}  // namespace vigil::signaling
