#include "PresenceMonitor.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "ReferenceGate.hpp"
#include "VisionConfig.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/common/Metrics.hpp"

namespace vigil::app {

namespace {

// GET /metrics: frames the vision workers analysed (by outcome; "burst" for a liveness
// challenge's frames) and how long each took.
void countFrame(std::string_view outcome, std::chrono::steady_clock::time_point started) {
    auto& metrics = common::Metrics::global();
    static auto& seconds = metrics.histogram(
        "vigil_verification_seconds", "Time a vision worker took to analyse one camera frame.");
    seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    metrics
        .counter("vigil_frames_analysed_total", "Camera frames analysed, by outcome.",
                 {{"outcome", std::string(outcome)}})
        .inc();
}

VIGIL_LOG_CATEGORY(presenceMonitorLog, "presence")

const std::string kClassPrefix = "class:";

// Mean absolute difference (0..255) of the freeze detector's thumbnails below which two
// pictures count as the same.
constexpr double kFrozenMaxMeanDiff = 0.05;

const std::string kCheckinPrefix = "checkin:";
// Evidence JPEG quality: enough to recognise a face at the presence camera's resolution.
constexpr int kEvidenceJpegQuality = 85;

std::string classOfRoom(const std::string& room) {
    return room.rfind(kClassPrefix, 0) == 0 ? room.substr(kClassPrefix.size()) : std::string();
}

bool isCheckinRoom(const std::string& room) {
    return room.rfind(kCheckinPrefix, 0) == 0;
}

std::string alertMessage(vision::AlertKind kind, const common::Config& config) {
    switch (kind) {
        case vision::AlertKind::Absent:
            return "no verified presence for more than " +
                   std::to_string(config.presence.absentAlertSeconds) + " s";
        case vision::AlertKind::NotMatched:
            return "the face did not match the enrolled reference " +
                   std::to_string(config.presence.notMatchedAlertAfter) + " times in a row";
        case vision::AlertKind::SeveralFaces:
            return "several faces in front of the camera";
        case vision::AlertKind::CameraOff:
            return "the camera is off, black or frozen";
    }
    return "alert";
}

}  // namespace

PresenceMonitor::PresenceMonitor(common::EventLoop& loop, const common::Config& config,
                                 signaling::SignalingNode& node, media::MediaService* media)
    : loop_(loop),
      config_(config),
      node_(node),
      media_(media),
      judgeOptions_(judgeOptionsFrom(config)),
      recognizer_(config.vision.recognizer),
      queue_(static_cast<size_t>(config.vision.queueFrames)),
      alive_(std::make_shared<std::atomic<bool>>(true)) {
    // Parallelism comes from our workers; OpenCV's own threads would only fight them.
    cv::setNumThreads(1);
    auto options = visionOptionsFrom(config);
    for (int i = 0; i < config.vision.workers; ++i)
        verifiers_.push_back(std::make_unique<vision::PresenceVerifier>(options));
    enrolVerifier_ = std::make_unique<vision::PresenceVerifier>(options);
    if (!enrolVerifier_->canVerifyIdentity()) {
        presenceMonitorLog()->error(
            "presence: the {} detector is in use and identity CANNOT be verified: every sample "
            "with a face will be not_matched until the models are installed (scripts/setup)",
            enrolVerifier_->detectorName());
    }
    for (auto& verifier : verifiers_) {
        workers_.emplace_back([this, v = verifier.get()] { work(*v); });
    }
    tickTimer_ = loop_.every(std::chrono::seconds(5), [this] {
        tick();
        return true;
    });
    presenceMonitorLog()->info(
        "presence: {} worker(s), detector {}, recognizer {}, match threshold {:.2f}",
        workers_.size(), enrolVerifier_->detectorName(), recognizer_, config.vision.matchThreshold);
}

PresenceMonitor::~PresenceMonitor() {
    *alive_ = false;
    tickTimer_.cancel();
    queue_.close();
    for (auto& t : workers_) t.join();
}

void PresenceMonitor::onFrame(media::Frame frame) {
    // Calls are verified by the officer; a check-in room only feeds its challenge.
    if (classOfRoom(frame.room).empty() && !(isCheckinRoom(frame.room) && frame.burst)) return;
    // Burst frames queue apart from regular samples: neither replaces the other.
    std::string key = frame.room + "\n" + frame.subject + (frame.burst ? "\nburst" : "");
    if (queue_.push(std::move(key), std::move(frame)) ==
        common::LatestQueue<std::string, media::Frame>::Pushed::DroppedOldest) {
        presenceMonitorLog()->warn(
            "presence: the vision queue is full; the oldest waiting frame was dropped "
            "(add [vision] workers)");
    }
}

void PresenceMonitor::work(vision::PresenceVerifier& verifier) {
    while (auto item = queue_.pop()) {
        media::Frame& f = item->second;
        std::string classId = classOfRoom(f.room);
        try {
            if (f.width <= 0 || f.height <= 0 ||
                f.bgr.size() != static_cast<size_t>(f.width) * static_cast<size_t>(f.height) * 3) {
                presenceMonitorLog()->warn(
                    "presence: room {}: a frame of {} has a bad size; skipped", f.room, f.subject);
                continue;
            }
            cv::Mat picture(f.height, f.width, CV_8UC3, f.bgr.data());
            auto references = referencesOf(f.subject);
            if (f.burst) {
                if (!livenessRunning(f.room, f.subject)) continue;
                const auto started = std::chrono::steady_clock::now();
                auto analysis = verifier.analyze(picture, *references);
                countFrame("burst", started);
                std::string jpeg;
                if (isCheckinRoom(f.room)) {
                    // Encoded here, off the loop: the loop keeps only a few of them.
                    std::vector<unsigned char> bytes;
                    if (cv::imencode(".jpg", picture, bytes,
                                     {cv::IMWRITE_JPEG_QUALITY, kEvidenceJpegQuality}))
                        jpeg.assign(bytes.begin(), bytes.end());
                }
                loop_.post([this, alive = alive_, room = f.room, subject = f.subject,
                            ts = f.capturedMs, analysis = std::move(analysis),
                            jpeg = std::move(jpeg)]() mutable {
                    if (*alive) onAnalysed(room, subject, ts, analysis, std::move(jpeg));
                });
                continue;
            }
            if (classId.empty()) continue;  // Only classes have a presence judge.
            const auto started = std::chrono::steady_clock::now();
            auto result = verifier.check(picture, *references);
            countFrame(vision::toString(result.outcome), started);
            bool frozen = false;
            {
                std::lock_guard lock(sharedMutex_);
                auto it = freezers_.find(item->first);
                if (it == freezers_.end()) {
                    // Near bit-identical pictures only: a stalled driver or a virtual camera
                    // repeats its frame exactly, while a real sensor filming someone sitting
                    // very still still differs by its noise, and must not lose credit.
                    it = freezers_
                             .emplace(item->first,
                                      vision::FreezeDetector(
                                          std::int64_t{config_.presence.frozenSeconds} * 1000,
                                          kFrozenMaxMeanDiff))
                             .first;
                }
                frozen = it->second.frozen(picture, f.capturedMs);
            }
            if (frozen && result.outcome != vision::Outcome::CameraOff) {
                result.outcome = vision::Outcome::CameraOff;
                result.reason = "the picture has not changed for " +
                                std::to_string(config_.presence.frozenSeconds) +
                                " s (frozen camera)";
            }
            loop_.post([this, alive = alive_, classId, subject = f.subject, ts = f.capturedMs,
                        result = std::move(result)]() {
                if (*alive) onChecked(classId, subject, ts, result);
            });
        } catch (const std::exception& e) {
            // A frame must never take the worker down: the next one may be fine.
            presenceMonitorLog()->error("presence: room {}: checking a frame of {} failed: {}",
                                        f.room, f.subject, e.what());
        }
    }
}

common::Task<signaling::ReferenceCheck> PresenceMonitor::checkReference(std::string imageBytes,
                                                                        bool liveFrame) {
    const int minFacePx = liveFrame ? config_.vision.enrolLiveMinFacePx : 0;
    auto gate = [this, bytes = std::move(imageBytes), minFacePx]() {
        std::lock_guard lock(enrolMutex_);
        return gateReference(*enrolVerifier_, bytes, recognizer_, minFacePx,
                             config_.vision.maxPhotoPixels);
    };
    // Named: GCC 12 destroys a lambda temporary inside a co_await expression twice.
    auto run = enrolPool_.run(loop_, std::move(gate));
    co_return co_await run;
}

PresenceMonitor::References PresenceMonitor::referencesOf(const std::string& subject) {
    std::lock_guard lock(sharedMutex_);
    auto it = references_.find(subject);
    if (it != references_.end()) return it->second;
    static const References none = std::make_shared<const std::vector<vision::Embedding>>();
    return none;
}

void PresenceMonitor::loadReferences(const std::string& subject) {
    auto task = [](PresenceMonitor* self, std::shared_ptr<std::atomic<bool>> alive,
                   std::string who) -> common::Task<void> {
        auto list = co_await self->node_.references().list(who);
        if (!*alive) co_return;
        auto embeddings = std::make_shared<std::vector<vision::Embedding>>();
        for (auto& r : list) {
            // An embedding from another recognizer lives in another space: not comparable.
            if (r.model == self->recognizer_) embeddings->push_back(std::move(r.embedding));
        }
        std::lock_guard lock(self->sharedMutex_);
        self->references_[who] = std::move(embeddings);
    };
    common::spawn(task(this, alive_, subject), [subject](const std::exception_ptr& e) {
        try {
            if (e) std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            presenceMonitorLog()->error("presence: cannot load the references of {}: {}", subject,
                                        ex.what());
        }
    });
}

void PresenceMonitor::referencesChanged(const std::string& subject) {
    loadReferences(subject);
}

bool PresenceMonitor::livenessRunning(const std::string& room, const std::string& subject) {
    std::lock_guard lock(sharedMutex_);
    return livenessKeys_.count(room + "\n" + subject) != 0;
}

void PresenceMonitor::subjectJoined(const std::string& classId, const std::string& subject,
                                    common::Millis ts) {
    std::string key = classId + "\n" + subject;
    judges_.erase(key);
    judges_.emplace(key, Judged{classId, subject, vision::PresenceJudge(ts, judgeOptions_)});
    loadReferences(subject);
}

void PresenceMonitor::subjectLeft(const std::string& classId, const std::string& subject) {
    judges_.erase(classId + "\n" + subject);
    std::lock_guard lock(sharedMutex_);
    freezers_.erase(kClassPrefix + classId + "\n" + subject);
}

void PresenceMonitor::onChecked(const std::string& classId, const std::string& subject,
                                common::Millis ts, const vision::SampleResult& result) {
    std::string key = classId + "\n" + subject;
    auto it = judges_.find(key);
    if (it == judges_.end()) {
        // A frame that was queued before the subject left: the interval is closed already.
        return;
    }
    auto update = it->second.judge.onSample(result.outcome, ts);
    report(it->second, update, ts, &result);
}

void PresenceMonitor::report(Judged& judged, const vision::JudgeUpdate& update, common::Millis ts,
                             const vision::SampleResult* sample) {
    if (sample != nullptr || update.changed) {
        signaling::PresenceSample s;
        s.classId = judged.classId;
        s.subject = judged.subject;
        s.ts = ts;
        s.state = std::string(vision::toString(update.state));
        s.stateChanged = update.changed;
        if (sample != nullptr) {
            s.outcome = std::string(vision::toString(sample->outcome));
            s.score = sample->similarity;
            s.faces = static_cast<int>(sample->faces.size());
            s.reason = sample->reason;
        } else {
            // No frame came: the judge counted the silence as camera_off.
            s.outcome = "camera_off";
            s.reason =
                "no camera frames for " + std::to_string(config_.presence.noFrameSeconds) + " s";
        }
        node_.hub().onPresenceSample(std::move(s));
    }
    for (auto kind : update.alerts) {
        signaling::PresenceAlert a;
        a.classId = judged.classId;
        a.subject = judged.subject;
        a.ts = ts;
        a.kind = std::string(vision::toString(kind));
        a.message = alertMessage(kind, config_);
        node_.hub().onPresenceAlert(std::move(a));
    }
}

void PresenceMonitor::tick() {
    common::Millis now = common::nowMillis();
    for (auto& [key, judged] : judges_) {
        auto update = judged.judge.onTick(now);
        report(judged, update, now, nullptr);
    }
}

bool PresenceMonitor::receivingCamera(const std::string& classId, const std::string& subject) {
    if (media_ == nullptr) return false;
    for (const auto& [source, stream] : media_->publishers(kClassPrefix + classId)) {
        if (source == subject && stream == media::StreamKind::Camera) return true;
    }
    return false;
}

bool PresenceMonitor::startLiveness(const std::string& room, const std::string& subject,
                                    const std::string& check, const std::string& challenge,
                                    common::Millis deadline, int fps) {
    auto parsed = vision::challengeFromString(challenge);
    if (!parsed) return false;
    vision::LivenessOptions options;
    options.matchThreshold = static_cast<float>(config_.vision.matchThreshold);
    // Identity is judged on the movement's own frames whenever the subject has references;
    // without any, only the movement is, and the verdict says so.
    options.requireMatch = !referencesOf(subject)->empty();
    // A class loaded the references when the subject joined; a check-in asks for them with
    // referencesChanged when it starts, before its camera is ready.
    std::string classId = classOfRoom(room);
    auto liveness = std::make_unique<Liveness>(
        Liveness{check, room, classId, subject, vision::LivenessTracker(*parsed, options), {}});
    common::Millis now = common::nowMillis();
    auto duration = std::max<common::Millis>(deadline - now, 1000);
    {
        std::lock_guard lock(sharedMutex_);
        livenessKeys_[room + "\n" + subject] = check;
    }
    bool receiving =
        media_ != nullptr && media_->burstCamera(room, subject, fps, static_cast<int>(duration));
    liveness->deadline = loop_.after(std::chrono::milliseconds(duration), [this, check] {
        auto it = liveness_.find(check);
        if (it == liveness_.end()) return;
        if (it->second->shownAt < 0) {
            vision::LivenessVerdict notShown{
                true, false, "not_shown",
                "the instruction was never confirmed as shown on the subject's screen",
                it->second->tracker.finish().identityChecked};
            finishLiveness(check, notShown);
            return;
        }
        finishLiveness(check, it->second->tracker.finish());
    });
    liveness->lastReport = {room, classId, subject, check, "no_frames", 0};
    liveness_[check] = std::move(liveness);
    presenceMonitorLog()->info("presence: room {}: challenge {} asks {} to {}{}", room, check,
                               subject, challenge, receiving ? "" : " (no camera received now)");
    return receiving;
}

bool PresenceMonitor::livenessShown(const std::string& check, common::Millis shownAt) {
    auto it = liveness_.find(check);
    if (it == liveness_.end()) return false;
    if (it->second->shownAt < 0) it->second->shownAt = shownAt;
    reportProgress(*it->second, common::nowMillis());
    return true;
}

void PresenceMonitor::reportProgress(Liveness& liveness, common::Millis now) {
    auto progress = liveness.tracker.progress();
    signaling::LivenessProgressReport report{liveness.room,  liveness.classId, liveness.subject,
                                             liveness.check, progress.hint,    progress.progress};
    // At most a few a second: a new hint, a visible step of progress, or a second gone by.
    const bool changed = report.hint != liveness.lastReport.hint ||
                         std::abs(report.progress - liveness.lastReport.progress) >= 0.1;
    if (!changed && now - liveness.lastReportMs < 1000) return;
    if (now - liveness.lastReportMs < 250 && report.hint == liveness.lastReport.hint) return;
    liveness.lastReport = report;
    liveness.lastReportMs = now;
    node_.hub().onLivenessProgress(std::move(report));
}

void PresenceMonitor::onAnalysed(const std::string& room, const std::string& subject,
                                 common::Millis capturedMs, const vision::FaceAnalysis& analysis,
                                 std::string jpeg) {
    std::string check;
    {
        std::lock_guard lock(sharedMutex_);
        auto it = livenessKeys_.find(room + "\n" + subject);
        if (it == livenessKeys_.end()) return;
        check = it->second;
    }
    auto it = liveness_.find(check);
    if (it == liveness_.end()) return;
    Liveness& l = *it->second;
    // Only what the camera saw after the instruction was on the subject's screen: a movement
    // made before it (or a clip that happens to move) proves nothing.
    if (l.shownAt < 0 || capturedMs < l.shownAt) return;
    auto verdict = l.tracker.add(analysis);
    l.bestScore = std::max(l.bestScore, analysis.similarity);
    if (!jpeg.empty()) {
        float progress = l.tracker.progress().progress;
        if (l.first.jpeg.empty()) l.first = {jpeg, progress};
        // The frame that showed the most of the movement (the deciding one on a pass).
        if (progress > l.peak.progress || verdict.passed) l.peak = {jpeg, progress};
        l.last = {std::move(jpeg), progress};
    }
    if (verdict.decided) {
        finishLiveness(check, verdict);
        return;
    }
    reportProgress(l, common::nowMillis());
}

void PresenceMonitor::finishLiveness(const std::string& check,
                                     const vision::LivenessVerdict& verdict) {
    auto it = liveness_.find(check);
    if (it == liveness_.end()) return;
    Liveness& l = *it->second;
    {
        std::lock_guard lock(sharedMutex_);
        livenessKeys_.erase(l.room + "\n" + l.subject);
    }
    presenceMonitorLog()->info("presence: room {}: challenge {} of {}: {} ({})", l.room, check,
                               l.subject, verdict.passed ? "passed" : "failed", verdict.reason);
    signaling::LivenessVerdictReport report;
    report.room = l.room;
    report.subject = l.subject;
    report.check = check;
    report.passed = verdict.passed;
    report.code = verdict.code;
    report.reason = verdict.reason;
    report.identityChecked = verdict.identityChecked;
    report.score = l.bestScore;
    report.evidence = evidenceOf(l);
    node_.hub().onLivenessVerdict(std::move(report));
    // Not here: this may run inside the deadline timer's own callback.
    loop_.defer([this, alive = alive_, check] {
        if (*alive) liveness_.erase(check);
    });
}

}  // namespace vigil::app

namespace vigil::app {

std::vector<std::string> PresenceMonitor::evidenceOf(const Liveness& liveness) const {
    // In order of what a reviewer needs most: the movement, where it started, how it ended.
    std::vector<std::string> frames;
    for (const EvidenceFrame* f : {&liveness.peak, &liveness.first, &liveness.last}) {
        if (static_cast<int>(frames.size()) >= config_.checkin.evidenceFrames) break;
        if (f->jpeg.empty()) continue;
        if (std::find(frames.begin(), frames.end(), f->jpeg) != frames.end()) continue;
        frames.push_back(f->jpeg);
    }
    // Shown in time order: start, movement, end.
    std::vector<std::string> ordered;
    for (const EvidenceFrame* f : {&liveness.first, &liveness.peak, &liveness.last}) {
        if (std::find(frames.begin(), frames.end(), f->jpeg) != frames.end() &&
            std::find(ordered.begin(), ordered.end(), f->jpeg) == ordered.end())
            ordered.push_back(f->jpeg);
    }
    return ordered;
}

}  // namespace vigil::app
