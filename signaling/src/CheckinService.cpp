#include "vigil/signaling/CheckinService.hpp"

#include <algorithm>

#include "vigil/common/Crypto.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/signaling/Access.hpp"
#include "vigil/signaling/IceServers.hpp"
#include "vigil/signaling/NodeMetrics.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Millis;
using common::Task;
using nlohmann::json;

namespace {

VIGIL_LOG_CATEGORY(checkinServiceLog, "checkin")

// How long the page has, after the ok reply, to get its camera to the server.
constexpr Millis kCameraWaitMs = 30'000;
// Margin after the challenge's deadline for the verdict to arrive.
constexpr Millis kVerdictGraceMs = 10'000;
// Periods that ended this many days back are still checked for a missed check-in (a node
// that was down for a while catches up).
constexpr int kMissedLookbackDays = 7;
constexpr Millis kPeriodSweepEveryMs = 60'000;
constexpr int kMaxOrderMinutes = 7 * 24 * 60;

std::string messageFor(const std::string& reason) {
    if (reason.empty()) return "verified: the enrolled subject, live, did the challenge";
    if (reason == "not_matched") return "the face did not match the enrolled reference";
    if (reason == "several_faces") return "several faces were in front of the camera";
    if (reason == "no_face") return "no face was seen";
    if (reason == "poor_image") return "the picture was too dark or blurred";
    if (reason == "liveness_failed") return "the movement asked for was not seen";
    if (reason == "camera_off") return "no camera picture reached the server";
    if (reason == "no_reference") return "no face reference is enrolled for this subject";
    if (reason == "cancelled") return "the subject cancelled the check-in";
    return reason;
}

std::string windowText(const DuePeriod& p) {
    return formatDay(p.first) + "/" + formatDay(p.last);
}

}  // namespace

CheckinService::CheckinService(Deps deps)
    : deps_(std::move(deps)), policy_(deps_.config), records_(deps_.redis, deps_.imageKey) {}

CheckinService::~CheckinService() {
    *alive_ = false;
}

void CheckinService::spawnLogged(Task<void> task, const std::string& what) {
    common::spawn(std::move(task), [what](const std::exception_ptr& e) {
        try {
            if (e) std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            checkinServiceLog()->error("{} failed: {}", what, ex.what());
        }
    });
}

void CheckinService::registerMessages() {
    deps_.hub.addMessageRoute(MessageType::CheckinStart, [this](WsCaller c, const Request& r) {
        return onStart(std::move(c), r);
    });
    deps_.hub.addMessageRoute(MessageType::CheckinShown, [this](WsCaller c, const Request& r) {
        return onShown(std::move(c), r);
    });
    deps_.hub.addMessageRoute(MessageType::CheckinCancel, [this](WsCaller c, const Request& r) {
        return onCancel(std::move(c), r);
    });
}

Task<json> CheckinService::onStart(WsCaller caller, const Request& request) {
    const User user = caller.user;
    const json body = request.body;
    if (user.role != Role::Subject) throw ApiError("forbidden", "only a subject checks in");
    if (presence_ == nullptr || deps_.media == nullptr)
        throw ApiError("not_available", "video check-in is not available on this node");
    const auto& cfg = deps_.config.checkin;

    // The input first: nothing is counted for a request that could never run.
    std::string report = body.value("report", "");
    if (codePoints(report) > static_cast<size_t>(cfg.reportMaxChars))
        throw ApiError("bad_request", "the report is longer than " +
                                          std::to_string(cfg.reportMaxChars) + " characters");
    std::optional<CheckinLocation> location;
    const bool refused = body.value("location_refused", false);
    if (body.contains("location")) {
        if (refused)
            throw ApiError("bad_request", "give either 'location' or 'location_refused', not both");
        location = parseCheckinLocation(body["location"]);
        if (!location)
            throw ApiError("bad_request",
                           "'location' must be {lat: -90..90, lon: -180..180, accuracy: metres}");
    }

    const Millis now = common::nowMillis();
    const int offset = deps_.config.utcOffsetMinutes();
    const Day today = dayOf(now, offset);
    Supervision sup = co_await deps_.supervision.get(user.id);

    // Which window: the named order, else the due period if not verified yet, else the
    // earliest open order.
    Checkin record;
    std::string orderId = body.value("order", "");
    if (!orderId.empty()) {
        auto order = co_await records_.findOrder(orderId);
        if (!order) throw ApiError("not_found", "no check-in order '" + orderId + "'");
        if (order->subject != user.id) access::refuseOutOfScope(user, "check-in order");
        if (order->state != "open" || order->deadline <= now)
            throw ApiError("not_due", "the ordered check-in is closed");
        record.kind = "ordered";
        record.order = orderId;
    } else {
        if (sup.activeOn(today)) {
            if (auto period = policy_.checkinPeriod(sup, today)) {
                auto state = co_await records_.window(user.id, "w:" + windowText(*period));
                if (state.verified.empty()) {
                    record.kind = "scheduled";
                    record.window = windowText(*period);
                }
            }
        }
        if (record.kind.empty()) {
            auto orders = co_await records_.openOrders(user.id, now);
            if (!orders.empty()) {
                record.kind = "ordered";
                record.order = orders.front().id;
            }
        }
        if (record.kind.empty()) throw ApiError("not_due", "no check-in is due now");
    }
    const std::string windowKey = record.windowKey();
    auto state = co_await records_.window(user.id, windowKey);
    if (!state.verified.empty()) throw ApiError("not_due", "this check-in is verified already");
    if (state.attempts >= cfg.attemptsPerWindow)
        throw ApiError("no_attempts_left", "all " + std::to_string(cfg.attemptsPerWindow) +
                                               " attempts of this check-in are used");
    auto refs = co_await deps_.references.list(user.id);
    if (refs.empty())
        throw ApiError("no_reference",
                       "no face reference is enrolled for you: ask your officer to enrol one");

    record.id = "ck" + common::randomHex(6);
    const Millis runMs =
        kCameraWaitMs + Millis{deps_.config.presence.livenessSeconds} * 1000 + kVerdictGraceMs;
    if (!co_await records_.claimRun(user.id, record.id, runMs + 5000))
        throw ApiError("checkin_running", "a check-in of yours is running already");
    int attempt = co_await records_.countAttempt(user.id, windowKey);
    if (attempt > cfg.attemptsPerWindow) {
        co_await records_.releaseRun(user.id, record.id);
        throw ApiError("no_attempts_left", "all attempts of this check-in are used");
    }

    const auto& challenges = cfg.challenges;
    std::string challenge =
        challenges.empty()
            ? std::string("turn_left")
            : challenges[std::stoul(common::randomHex(4), nullptr, 16) % challenges.size()];
    record.subject = user.id;
    record.unit = user.unit;
    record.challenge = challenge;
    record.startedAt = now;
    record.attempt = attempt;
    record.location = location;
    record.locationRefused = refused;
    record.report = report;
    if (location && sup.area)
        record.outOfArea = sup.area->outside(location->lat, location->lon, location->accuracy);
    // Written before the subject is answered: a check-in never runs without its record.
    co_await records_.write(record);
    // The references as they are now, for the challenge that starts when the camera is ready.
    presence_->referencesChanged(user.id);

    if (record.outOfArea) {
        Alert alert;
        alert.kind = "out_of_area";
        alert.subject = user.id;
        alert.unit = user.unit;
        alert.checkin = record.id;
        alert.message = "checked in from outside the registered area (" + sup.area->name + ")";
        co_await deps_.alerts.raise(alert, "out_of_area:" + user.id + ":" + windowKey);
    }

    const int attemptsLeft = cfg.attemptsPerWindow - attempt;
    auto running = std::make_unique<Running>();
    running->record = record;
    running->windowKey = windowKey;
    running->attemptsLeft = attemptsLeft;
    std::string id = record.id;
    running->timeout = deps_.loop.after(std::chrono::milliseconds(kCameraWaitMs), [this, id] {
        auto it = running_.find(id);
        if (it != running_.end() && !it->second->cameraStarted)
            decide(id, {"failed", "camera_off"}, messageFor("camera_off"), nullptr);
    });
    running_[id] = std::move(running);
    checkinServiceLog()->info("check-in {} of {}: attempt {} ({} {}), challenge {}", id, user.id,
                              attempt, record.kind,
                              record.kind == "ordered" ? record.order : record.window, challenge);

    const int fps =
        challenge == "blink" ? deps_.config.presence.blinkBurstFps : deps_.config.presence.burstFps;
    co_return json{{"checkin", id},
                   {"challenge", challenge},
                   {"seconds", deps_.config.presence.livenessSeconds},
                   {"camera_fps", fps},
                   {"ice_servers", iceServers(deps_.config.ice, user.id, now)},
                   {"attempt", attempt},
                   {"attempts_left", attemptsLeft}};
}

Task<json> CheckinService::onShown(WsCaller caller, const Request& request) {
    std::string id = request.body.value("checkin", "");
    auto it = running_.find(id);
    if (it == running_.end()) throw ApiError("not_found", "no check-in '" + id + "' is running");
    if (it->second->record.subject != caller.user.id)
        access::refuseOutOfScope(caller.user, "check-in");
    Running& r = *it->second;
    if (r.shownAt < 0) r.shownAt = common::nowMillis();
    if (r.cameraStarted && presence_ != nullptr) presence_->livenessShown(id, r.shownAt);
    co_return json::object();
}

Task<json> CheckinService::onCancel(WsCaller caller, const Request& request) {
    std::string id = request.body.value("checkin", "");
    auto it = running_.find(id);
    if (it == running_.end()) throw ApiError("not_found", "no check-in '" + id + "' is running");
    if (it->second->record.subject != caller.user.id)
        access::refuseOutOfScope(caller.user, "check-in");
    // The attempt stays counted: cancelling cannot be used to draw another challenge.
    decide(id, {"failed", "cancelled"}, messageFor("cancelled"), nullptr);
    co_return json::object();
}

bool CheckinService::mayPublish(const std::string& userId, const std::string& checkinId) const {
    auto it = running_.find(checkinId);
    return it != running_.end() && it->second->record.subject == userId;
}

media::RoomSpec CheckinService::roomSpec(const std::string& checkinId) const {
    media::RoomSpec spec;
    spec.id = kCheckinRoomPrefix + checkinId;
    spec.kind = media::RoomKind::Class;  // A camera stream with the frame tap; no recording.
    spec.title = "check-in " + checkinId;
    if (auto it = running_.find(checkinId); it != running_.end())
        spec.participants = {it->second->record.subject};
    return spec;
}

void CheckinService::cameraReady(const std::string& checkinId) {
    auto it = running_.find(checkinId);
    if (it == running_.end() || it->second->cameraStarted || presence_ == nullptr) return;
    Running& r = *it->second;
    r.cameraStarted = true;
    const Millis seconds = deps_.config.presence.livenessSeconds;
    const Millis deadline = common::nowMillis() + seconds * 1000;
    const int fps = r.record.challenge == "blink" ? deps_.config.presence.blinkBurstFps
                                                  : deps_.config.presence.burstFps;
    presence_->startLiveness(kCheckinRoomPrefix + checkinId, r.record.subject, checkinId,
                             r.record.challenge, deadline, fps);
    if (r.shownAt >= 0) presence_->livenessShown(checkinId, r.shownAt);
    r.timeout = deps_.loop.after(
        std::chrono::milliseconds(seconds * 1000 + kVerdictGraceMs), [this, id = checkinId] {
            if (running_.count(id) != 0)
                decide(id, {"failed", "camera_off"}, "no decision came from the camera's frames",
                       nullptr);
        });
    checkinServiceLog()->info("check-in {}: camera ready, watching for {}", checkinId,
                              r.record.challenge);
}

void CheckinService::cameraLeft(const std::string& checkinId, const std::string& reason) {
    if (running_.count(checkinId) == 0) return;  // Decided: the room is being closed.
    decide(checkinId, {"failed", "camera_off"}, "the camera stopped (" + reason + ")", nullptr);
}

void CheckinService::connectionClosed(const std::string& checkinId) {
    if (running_.count(checkinId) == 0) return;
    decide(checkinId, {"failed", "camera_off"}, "the page closed before the decision", nullptr);
}

void CheckinService::verdict(const LivenessVerdictReport& verdict) {
    std::string id = checkinOfRoom(verdict.room);
    if (running_.count(id) == 0) return;
    LivenessVerdictReport copy = verdict;
    bool judged = !verdict.evidence.empty() || verdict.score >= 0;
    auto decision = decideCheckin(verdict, judged);
    std::string message = decision.outcome == "verified"
                              ? messageFor("")
                              : messageFor(decision.reason) + ": " + verdict.reason;
    decide(id, decision, message, &copy);
}

void CheckinService::progress(const LivenessProgressReport& progress) {
    std::string id = checkinOfRoom(progress.room);
    auto it = running_.find(id);
    if (it == running_.end()) return;
    deps_.hub.sendToUser(it->second->record.subject, json{{"type", "checkin_progress"},
                                                          {"checkin", id},
                                                          {"hint", progress.hint},
                                                          {"progress", progress.progress}});
}

void CheckinService::decide(const std::string& id, const CheckinDecision& decision,
                            std::string message, LivenessVerdictReport* verdict) {
    auto it = running_.find(id);
    if (it == running_.end()) return;
    // Out of the running set first: the room's closing reports the camera leaving, which
    // must find nothing left to decide.
    std::unique_ptr<Running> r = std::move(it->second);
    running_.erase(it);
    r->timeout.cancel();
    Checkin record = r->record;
    record.outcome = decision.outcome;
    record.reason = decision.reason;
    metrics::checkins(decision.outcome).inc();
    record.message = std::move(message);
    record.decidedAt = common::nowMillis();
    std::vector<std::string> evidence;
    if (verdict != nullptr) {
        record.score = verdict->score;
        evidence = std::move(verdict->evidence);
    }
    spawnLogged(finish(std::move(record), r->windowKey, r->attemptsLeft, std::move(evidence)),
                "check-in " + id + ": recording the decision");
    // The room's media ends now: nobody watches it any more.
    std::string room = kCheckinRoomPrefix + id;
    deps_.hub.closeRoomMedia(room);
    if (deps_.media != nullptr) {
        spawnLogged(deps_.media->closeRoom(room), "check-in " + id + ": closing the media room");
    }
}

Task<void> CheckinService::finish(Checkin record, std::string windowKey, int attemptsLeft,
                                  std::vector<std::string> evidence) {
    const bool verified = record.outcome == "verified";
    if (!evidence.empty()) record.frames = co_await records_.storeFrames(record.id, evidence);
    co_await records_.write(record);
    if (verified) {
        co_await records_.markVerified(record.subject, windowKey, record.id);
        if (!record.order.empty()) {
            if (auto order = co_await records_.findOrder(record.order))
                co_await records_.closeOrder(*order, "verified");
        }
        Contact contact{record.decidedAt, "checkin", record.id};
        co_await deps_.supervision.noteContact(record.subject, contact);
    }
    co_await records_.releaseRun(record.subject, record.id);
    const int left = verified ? 0 : attemptsLeft;
    deps_.hub.sendToUser(record.subject, json{{"type", "checkin_result"},
                                              {"checkin", record.id},
                                              {"outcome", record.outcome},
                                              {"reason", record.reason},
                                              {"message", record.message},
                                              {"attempts_left", left}});
    json detail{{"subject", record.subject}, {"outcome", record.outcome},
                {"reason", record.reason},   {"challenge", record.challenge},
                {"score", record.score},     {"frames", record.frames}};
    co_await deps_.audit.append("system", "checkin_decided", record.id, detail.dump());
    checkinServiceLog()->info("check-in {} of {}: {}{}{} ({} ms after the start)", record.id,
                              record.subject, record.outcome, record.reason.empty() ? "" : "/",
                              record.reason, record.decidedAt - record.startedAt);
    // The last attempt failed: the officer hears of it now, not only when the window closes.
    if (!verified && left <= 0 &&
        co_await records_.flagOnce(record.subject, windowKey, "failed_alerted")) {
        Alert alert;
        alert.kind = "checkin_failed";
        alert.subject = record.subject;
        alert.unit = record.unit;
        alert.checkin = record.id;
        alert.message = "every attempt of the check-in failed; the last: " + record.message;
        co_await deps_.alerts.raise(alert, "checkin_failed:" + record.subject + ":" + windowKey);
    }
}

Task<void> CheckinService::recordMissed(const User& subject, std::string kind, std::string window,
                                        std::string order, std::string message) {
    Checkin record;
    record.id = "ck" + common::randomHex(6);
    record.subject = subject.id;
    record.unit = subject.unit;
    record.kind = std::move(kind);
    record.window = std::move(window);
    record.order = std::move(order);
    record.outcome = "missed";
    record.reason = "missed";
    record.message = message;
    record.startedAt = common::nowMillis();
    record.decidedAt = record.startedAt;
    co_await records_.write(record);
    metrics::checkins("missed").inc();
    Alert alert;
    alert.kind = "missed_checkin";
    alert.subject = subject.id;
    alert.unit = subject.unit;
    alert.checkin = record.id;
    alert.message = message;
    co_await deps_.alerts.raise(alert, "missed_checkin:" + subject.id + ":" + record.windowKey());
    std::string detail = json{{"subject", subject.id}, {"window", record.windowKey()}}.dump();
    co_await deps_.audit.append("system", "checkin_missed", record.id, detail);
    checkinServiceLog()->info("check-in of {} missed: {}", subject.id, message);
}

Task<void> CheckinService::sweep(Millis now) {
    // Orders past their deadline.
    auto expired = co_await records_.expiredOrders(now);
    for (auto& order : expired) {
        auto state = co_await records_.window(order.subject, "o:" + order.id);
        if (!state.verified.empty()) {
            co_await records_.closeOrder(order, "verified");
            continue;
        }
        co_await records_.closeOrder(order, "missed");
        auto subject = co_await deps_.directory.findUser(order.subject);
        if (!subject) continue;
        co_await recordMissed(*subject, "ordered", "", order.id,
                              "the ordered check-in was not verified by its deadline");
    }
    if (now - lastPeriodSweep_ >= kPeriodSweepEveryMs) {
        lastPeriodSweep_ = now;
        co_await sweepPeriods(now);
    }
}

Task<void> CheckinService::sweepPeriods(Millis now) {
    const Day today = dayOf(now, deps_.config.utcOffsetMinutes());
    auto users = co_await deps_.directory.listUsers();
    for (const auto& user : users) {
        if (user.role != Role::Subject || user.disabled) continue;
        Supervision sup = co_await deps_.supervision.get(user.id);
        if (!sup.termStart) continue;
        for (const auto& period :
             policy_.checkinPeriods(sup, today - kMissedLookbackDays, today - 1)) {
            const std::string window = windowText(period);
            auto state = co_await records_.window(user.id, "w:" + window);
            if (!state.verified.empty()) continue;
            if (!co_await records_.flagOnce(user.id, "w:" + window, "missed")) continue;
            co_await recordMissed(user, "scheduled", window, "",
                                  "no verified check-in in the period " + window);
        }
    }
}

Task<DueCheckins> CheckinService::due(const User& subject, Millis now) {
    DueCheckins out;
    const int perWindow = deps_.config.checkin.attemptsPerWindow;
    const Day today = dayOf(now, deps_.config.utcOffsetMinutes());
    Supervision sup = co_await deps_.supervision.get(subject.id);
    if (sup.activeOn(today)) {
        if (auto period = policy_.checkinPeriod(sup, today)) {
            auto state = co_await records_.window(subject.id, "w:" + windowText(*period));
            if (state.verified.empty()) {
                out.window = period;
                out.windowAttemptsLeft = std::max(0, perWindow - state.attempts);
            }
        }
    }
    auto open = co_await records_.openOrders(subject.id, now);
    for (auto& order : open) {
        auto state = co_await records_.window(subject.id, "o:" + order.id);
        if (!state.verified.empty()) continue;
        out.orders.emplace_back(order, std::max(0, perWindow - state.attempts));
    }
    co_return out;
}

Task<bool> CheckinService::maySee(const User& viewer, const Checkin& checkin) {
    if (viewer.role == Role::Subject) co_return viewer.id == checkin.subject;
    auto subject = co_await deps_.directory.findUser(checkin.subject);
    if (!subject) co_return false;
    std::vector<std::string> units{viewer.unit, subject->unit};
    auto tree = co_await deps_.directory.recentUnitTree(std::move(units));
    co_return access::canSeeSubject(viewer, *subject, tree);
}

Task<std::vector<Checkin>> CheckinService::list(const User& viewer, std::string subject,
                                                Millis from, Millis to, int limit) {
    if (viewer.role == Role::Subject) {
        if (!subject.empty() && subject != viewer.id) access::refuseOutOfScope(viewer, "subject");
        subject = viewer.id;
    } else if (!subject.empty()) {
        auto target = co_await deps_.directory.findUser(subject);
        auto tree =
            co_await deps_.directory.recentUnitTree(std::vector<std::string>(1, viewer.unit));
        access::visibleSubject(viewer, target, tree, subject);
    }
    if (!subject.empty()) co_return co_await records_.list(subject, from, to, limit);
    // Everyone's in the viewer's scope: read more than asked for, keep those in scope.
    auto all = co_await records_.list("", from, to, std::min(limit * 10, 5000));
    auto tree = co_await deps_.directory.unitTree();
    std::vector<Checkin> out;
    for (auto& c : all) {
        if (static_cast<int>(out.size()) >= limit) break;
        if (access::canSeeUnit(viewer, c.unit, tree)) out.push_back(std::move(c));
    }
    co_return out;
}

Task<Checkin> CheckinService::get(const User& viewer, std::string id) {
    auto checkin = co_await records_.find(id);
    if (!checkin) throw ApiError("not_found", "no check-in '" + id + "'");
    if (!co_await maySee(viewer, *checkin)) access::refuseOutOfScope(viewer, "check-in");
    std::string detail = json{{"subject", checkin->subject}}.dump();
    co_await deps_.audit.append(viewer.id, "checkin_view", id, detail);
    co_return *checkin;
}

Task<std::string> CheckinService::frame(const User& viewer, std::string id, int index) {
    auto checkin = co_await records_.find(id);
    if (!checkin) throw ApiError("not_found", "no check-in '" + id + "'");
    if (!co_await maySee(viewer, *checkin)) access::refuseOutOfScope(viewer, "check-in");
    if (index < 0 || index >= static_cast<int>(checkin->frames.size()))
        throw ApiError("not_found", "no frame " + std::to_string(index) + " of check-in " + id);
    auto image = co_await records_.frame(id, index);
    if (!image) throw ApiError("not_found", "the frame is not kept");
    std::string detail =
        json{{"subject", checkin->subject}, {"frame", index}, {"sha256", checkin->frames[index]}}
            .dump();
    co_await deps_.audit.append(viewer.id, "checkin_frame_view", id, detail);
    co_return *image;
}

Task<std::string> CheckinService::nameOf(const std::string& userId) {
    auto user = co_await deps_.directory.findUser(userId);
    co_return user ? user->name : std::string();
}

Task<std::vector<User>> CheckinService::orderTargets(const User& officer, const json& body) {
    std::vector<User> out;
    auto tree = co_await deps_.directory.unitTree();
    if (body.contains("subjects")) {
        const auto& ids = body["subjects"];
        if (!ids.is_array() || ids.empty() || ids.size() > 1000)
            throw ApiError("bad_request", "'subjects' must be a list of 1 to 1000 subject ids");
        for (const auto& id : ids) {
            if (!id.is_string()) throw ApiError("bad_request", "'subjects' holds subject ids");
            auto user = co_await deps_.directory.findUser(id.get<std::string>());
            out.push_back(access::visibleSubject(officer, user, tree, id.get<std::string>()));
        }
        co_return out;
    }
    const bool caseload = body.value("caseload", false);
    std::string unit = body.contains("unit") && body["unit"].is_string()
                           ? body["unit"].get<std::string>()
                           : std::string();
    if (!caseload && unit.empty())
        throw ApiError("bad_request", "name 'subjects', 'caseload': true or 'unit'");
    if (!unit.empty()) unit = access::requestedUnit(officer, unit, tree);
    auto users = co_await deps_.directory.listUsers();
    for (auto& user : users) {
        if (user.role != Role::Subject || user.disabled) continue;
        if (caseload && user.officer != officer.id) continue;
        if (!unit.empty() && !tree.isWithin(user.unit, unit)) continue;
        if (!access::canSeeSubject(officer, user, tree)) continue;
        out.push_back(std::move(user));
    }
    co_return out;
}

Task<std::vector<CheckinOrder>> CheckinService::order(const User& officer, const json& body) {
    int minutes = deps_.config.checkin.orderMinutes;
    if (body.contains("minutes")) {
        if (!body["minutes"].is_number_integer() || body["minutes"].get<int>() < 1 ||
            body["minutes"].get<int>() > kMaxOrderMinutes)
            throw ApiError("bad_request",
                           "'minutes' must be 1 to " + std::to_string(kMaxOrderMinutes));
        minutes = body["minutes"].get<int>();
    }
    auto targets = co_await orderTargets(officer, body);
    const Millis now = common::nowMillis();
    const Millis deadline = now + Millis{minutes} * 60'000;
    const int offset = deps_.config.utcOffsetMinutes();
    std::vector<CheckinOrder> out;
    for (const auto& subject : targets) {
        CheckinOrder o;
        o.id = "co" + common::randomHex(6);
        o.subject = subject.id;
        o.unit = subject.unit;
        o.deadline = deadline;
        o.orderedBy = officer.id;
        o.orderedAt = now;
        co_await records_.writeOrder(o);
        std::string detail =
            json{{"subject", subject.id}, {"deadline", common::formatIso8601(deadline, offset)}}
                .dump();
        co_await deps_.audit.append(officer.id, "checkin_ordered", o.id, detail);
        deps_.hub.sendToUser(subject.id, json{{"type", "checkin_ordered"},
                                              {"order", o.id},
                                              {"deadline", common::formatIso8601(deadline, offset)},
                                              {"ordered_by", officer.name}});
        if (notify_) {
            notify_(json{{"event", "checkin_ordered"},
                         {"subject", subject.id},
                         {"name", subject.name},
                         {"order", o.id},
                         {"deadline", common::formatIso8601(deadline, offset)}});
        }
        out.push_back(std::move(o));
    }
    co_return out;
}

}  // namespace vigil::signaling
