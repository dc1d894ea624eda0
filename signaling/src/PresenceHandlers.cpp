// Presence verification's records: judged samples and alerts go into the class session's
// attendance stream (and alerts also into the alert book) before the officer is told;
// liveness verdicts resolve spot checks.

#include <cmath>

#include "vigil/common/Log.hpp"
#include "vigil/signaling/ClassHub.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::Task;
using nlohmann::json;

namespace {

VIGIL_LOG_CATEGORY(presenceHandlersLog, "presence")

std::string formatScore(double score) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", score);
    return buf;
}

// Runs a record-writing task; a failure is logged loudly, as the record is evidence.
void spawnRecord(Task<void> task, const std::string& what) {
    common::spawn(std::move(task), [what](const std::exception_ptr& e) {
        try {
            if (e) std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            presenceHandlersLog()->error("{}: NOT RECORDED: {}", what, ex.what());
        }
    });
}

}  // namespace

void ClassHub::onPresenceSample(PresenceSample sample) {
    auto task = [](ClassHub* self, PresenceSample s) -> Task<void> {
        auto alive = self->alive_;
        std::vector<std::pair<std::string, std::string>> fields{{"kind", "presence"},
                                                                {"subject", s.subject},
                                                                {"ts", std::to_string(s.ts)},
                                                                {"outcome", s.outcome},
                                                                {"score", formatScore(s.score)},
                                                                {"faces", std::to_string(s.faces)},
                                                                {"state", s.state},
                                                                {"reason", s.reason}};
        co_await self->deps_.attendance.appendEvent(s.classId, std::move(fields));
        json latest{{"state", s.state}, {"outcome", s.outcome}, {"score", s.score},
                    {"faces", s.faces}, {"ts", s.ts},           {"reason", s.reason}};
        co_await self->deps_.redis.cmd("HSET", keys::presence(s.classId), s.subject, latest.dump());
        co_await self->deps_.redis.cmd("HSET", keys::lastSample(s.classId), s.subject,
                                       std::to_string(s.ts));
        co_await self->deps_.redis.cmd("HINCRBY", keys::sampleCount(s.classId), s.subject, "1");
        // Verified presence in a class is a verified contact (脱管 prevention).
        if (s.outcome == "verified" && self->supervision_ != nullptr) {
            Contact contact{s.ts, "class", s.classId};
            co_await self->supervision_->noteContact(s.subject, std::move(contact));
        }
        if (!*alive) co_return;
        json message{{"type", "presence"}, {"class", s.classId},   {"subject", s.subject},
                     {"state", s.state},   {"outcome", s.outcome}, {"score", s.score},
                     {"faces", s.faces},   {"reason", s.reason},   {"ts", s.ts}};
        json event{{"event", "presence"}, {"class", s.classId}, {"message", message}};
        co_await self->publish(std::move(event));
    };
    std::string what = "class " + sample.classId + " presence sample of " + sample.subject;
    spawnRecord(task(this, std::move(sample)), what);
}

void ClassHub::onPresenceAlert(PresenceAlert alert) {
    auto task = [](ClassHub* self, PresenceAlert a) -> Task<void> {
        co_await self->recordAlert(a.classId, a.subject, a.kind, a.message, a.ts, true);
    };
    std::string what = "class " + alert.classId + " alert " + alert.kind + " for " + alert.subject;
    spawnRecord(task(this, std::move(alert)), what);
}

Task<void> ClassHub::recordAlert(std::string classId, std::string subject, std::string kind,
                                 std::string message, common::Millis ts, bool dedupe) {
    auto alive = alive_;
    std::vector<std::pair<std::string, std::string>> fields{{"kind", "alert"},
                                                            {"subject", subject},
                                                            {"ts", std::to_string(ts)},
                                                            {"alert", kind},
                                                            {"reason", message}};
    co_await deps_.attendance.appendEvent(classId, std::move(fields));
    Alert alert;
    alert.kind = kind;
    alert.subject = subject;
    alert.classId = classId;
    alert.message = message;
    alert.raisedAt = ts;
    std::string key = dedupe ? "class:" + classId + ":" + kind + ":" + subject : std::string();
    std::string id = co_await raiseAlert(std::move(alert), std::move(key));
    presenceHandlersLog()->warn("class {}: alert {} for {}: {}", classId, kind, subject, message);
    if (!*alive) co_return;
    json push{{"type", "alert"}, {"id", id},           {"class", classId}, {"subject", subject},
              {"kind", kind},    {"message", message}, {"ts", ts}};
    json event{{"event", "alert"}, {"class", classId}, {"message", push}};
    co_await publish(std::move(event));
}

Task<std::string> ClassHub::raiseAlert(Alert alert, std::string dedupeKey) {
    if (alerts_ == nullptr) co_return "";
    auto raised = co_await alerts_->raise(std::move(alert), std::move(dedupeKey));
    co_return raised ? raised->id : std::string();
}

void ClassHub::onLivenessVerdict(LivenessVerdictReport verdict) {
    if (!checkinOfRoom(verdict.room).empty()) {
        if (checkinRooms_ != nullptr) checkinRooms_->verdict(verdict);
        return;
    }
    auto task = [](ClassHub* self, LivenessVerdictReport v) -> Task<void> {
        std::string detail = v.passed ? std::string("passed") : v.code + ": " + v.reason;
        if (!v.identityChecked) detail += " (identity not checked: no face reference enrolled)";
        co_await self->resolveSpotCheck(v.check, v.passed ? "passed" : "failed", std::move(detail),
                                        v.identityChecked ? "checked" : "not_checked");
    };
    std::string what = "spot check " + verdict.check;
    spawnRecord(task(this, std::move(verdict)), what);
}

void ClassHub::onLivenessProgress(LivenessProgressReport progress) {
    if (!checkinOfRoom(progress.room).empty()) {
        if (checkinRooms_ != nullptr) checkinRooms_->progress(progress);
        return;
    }
    json message{{"type", "spot_check_progress"},
                 {"class", progress.classId},
                 {"check", progress.check},
                 {"hint", progress.hint},
                 {"progress", std::round(progress.progress * 100) / 100}};
    json event{{"event", "spot_check_progress"},
               {"class", progress.classId},
               {"subject", progress.subject},
               {"message", message}};
    auto task = [](ClassHub* self, json e) -> Task<void> { co_await self->publish(std::move(e)); };
    common::spawn(task(this, std::move(event)),
                  [check = progress.check](const std::exception_ptr& e) {
                      try {
                          if (e) std::rethrow_exception(e);
                      } catch (const std::exception& ex) {
                          presenceHandlersLog()->warn("spot check {}: guidance not delivered: {}",
                                                      check, ex.what());
                      }
                  });
}

}  // namespace vigil::signaling
