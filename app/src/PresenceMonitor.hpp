#pragma once
// Presence verification inside `vigil serve`: sampled camera frames from media go through a
// bounded queue (the newest frame of a subject replaces an older one still waiting) to a
// fixed pool of vision workers, each with its own models. Results come back to the event
// loop, where one presence judge per subject turns them into a state and alerts, and a
// liveness tracker per running challenge decides it. Signaling records and pushes them.
//
// Two kinds of media room send frames: classes ("class:<id>", the judge and spot checks) and
// self-service check-ins ("checkin:<id>"), whose frames are analysed only for the running
// challenge; a check-in's verdict carries the JPEG frames it rests on as evidence.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "vigil/common/Config.hpp"
#include "vigil/common/EventLoop.hpp"
#include "vigil/common/LatestQueue.hpp"
#include "vigil/common/WorkerPool.hpp"
#include "vigil/media/MediaService.hpp"
#include "vigil/signaling/PresenceService.hpp"
#include "vigil/signaling/SignalingNode.hpp"
#include "vigil/vision/Liveness.hpp"
#include "vigil/vision/PresenceJudge.hpp"
#include "vigil/vision/PresenceVerifier.hpp"

namespace vigil::app {

class PresenceMonitor final : public media::FrameSink, public signaling::PresenceService {
public:
    // Loads the models once per worker; throws vision::VisionError when they cannot load.
    PresenceMonitor(common::EventLoop& loop, const common::Config& config,
                    signaling::SignalingNode& node, media::MediaService* media);
    ~PresenceMonitor() override;
    PresenceMonitor(const PresenceMonitor&) = delete;
    PresenceMonitor& operator=(const PresenceMonitor&) = delete;

    // media::FrameSink (a streaming thread): only queues.
    void onFrame(media::Frame frame) override;

    // signaling::PresenceService (the loop thread).
    common::Task<signaling::ReferenceCheck> checkReference(std::string imageBytes,
                                                           bool liveFrame) override;
    void referencesChanged(const std::string& subject) override;
    void subjectJoined(const std::string& classId, const std::string& subject,
                       common::Millis ts) override;
    void subjectLeft(const std::string& classId, const std::string& subject) override;
    bool receivingCamera(const std::string& classId, const std::string& subject) override;
    bool startLiveness(const std::string& room, const std::string& subject,
                       const std::string& check, const std::string& challenge,
                       common::Millis deadline, int fps) override;
    bool livenessShown(const std::string& check, common::Millis shownAt) override;

private:
    using References = std::shared_ptr<const std::vector<vision::Embedding>>;
    struct Judged {
        std::string classId;
        std::string subject;
        vision::PresenceJudge judge;
    };
    // A judged frame kept as possible evidence (check-in rooms only).
    struct EvidenceFrame {
        std::string jpeg;
        float progress{-1};
    };
    struct Liveness {
        std::string check;
        std::string room;
        std::string classId;  // Empty for a check-in room.
        std::string subject;
        vision::LivenessTracker tracker;
        common::Timer deadline;
        common::Millis shownAt{-1};  // -1 until the subject's page shows the instruction.
        signaling::LivenessProgressReport lastReport;
        common::Millis lastReportMs{0};
        float bestScore{-1};  // Best similarity among the judged frames.
        // The decision's evidence: the starting pose, the frame of most movement, the last.
        EvidenceFrame first;
        EvidenceFrame peak;
        EvidenceFrame last;
    };

    void work(vision::PresenceVerifier& verifier);
    References referencesOf(const std::string& subject);
    void loadReferences(const std::string& subject);
    bool livenessRunning(const std::string& room, const std::string& subject);
    std::vector<std::string> evidenceOf(const Liveness& liveness) const;

    // Loop thread.
    void onChecked(const std::string& classId, const std::string& subject, common::Millis ts,
                   const vision::SampleResult& result);
    // `jpeg`: the frame itself, encoded for a check-in room's evidence (empty for a class).
    void onAnalysed(const std::string& room, const std::string& subject, common::Millis capturedMs,
                    const vision::FaceAnalysis& analysis, std::string jpeg);
    void reportProgress(Liveness& liveness, common::Millis now);
    void finishLiveness(const std::string& check, const vision::LivenessVerdict& verdict);
    void report(Judged& judged, const vision::JudgeUpdate& update, common::Millis ts,
                const vision::SampleResult* sample);
    void tick();

    common::EventLoop& loop_;         // Passed by argument.
    const common::Config& config_;    // Passed by argument.
    signaling::SignalingNode& node_;  // Passed by argument.
    media::MediaService* media_;      // Passed by argument; may be null.
    vision::JudgeOptions judgeOptions_;
    std::string recognizer_;

    // Frames waiting for a worker, by "room\nsubject".
    common::LatestQueue<std::string, media::Frame> queue_;
    std::vector<std::unique_ptr<vision::PresenceVerifier>> verifiers_;  // Owned, one per worker.
    std::vector<std::thread> workers_;                                  // Owned.
    // Enrolment checks, off the loop, with their own models.
    std::unique_ptr<vision::PresenceVerifier> enrolVerifier_;  // Owned.
    std::mutex enrolMutex_;
    common::WorkerPool enrolPool_{1};

    std::mutex sharedMutex_;  // Guards what workers read: references, freezers, liveness keys.
    std::map<std::string, References> references_;            // By subject.
    std::map<std::string, vision::FreezeDetector> freezers_;  // By room + subject.
    std::map<std::string, std::string> livenessKeys_;         // room + subject -> check id.

    // Loop thread only.
    std::map<std::string, Judged> judges_;                       // By class + subject.
    std::map<std::string, std::unique_ptr<Liveness>> liveness_;  // By check id.
    common::Timer tickTimer_;
    std::shared_ptr<std::atomic<bool>> alive_;
};

}  // namespace vigil::app
