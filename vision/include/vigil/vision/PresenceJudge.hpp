#pragma once
// Turns one subject's stream of sample outcomes into a presence state with hysteresis, and
// raises alerts once per episode. Pure: fed outcomes and the time, so the rules can be tested
// and explained without a camera. Runs on the event loop, one per subject in a class.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "vigil/vision/Types.hpp"

namespace vigil::vision {

enum class PresenceState { Present, Uncertain, Absent };
std::string_view toString(PresenceState state);  // present | uncertain | absent

enum class AlertKind { Absent, NotMatched, SeveralFaces, CameraOff };
std::string_view toString(AlertKind kind);  // absent | not_matched | several_faces | camera_off

struct JudgeOptions {
    int uncertainAfter{2};          // Non-verified samples in a row that leave `present`.
    int presentAfter{1};            // Verified samples in a row that restore `present`.
    std::int64_t absentAfterMs{30000};   // No verified sample for this long: `absent`.
    std::int64_t absentAlertMs{60000};   // Absent (or never verified) this long: alert.
    int notMatchedAlertAfter{2};    // not_matched samples in a row: alert.
    std::int64_t noFrameMs{30000};  // No sample at all for this long counts as camera_off.
};

struct JudgeUpdate {
    PresenceState state{PresenceState::Uncertain};
    bool changed{false};
    std::vector<AlertKind> alerts;  // Raised by this update; each once per episode.
};

class PresenceJudge {
public:
    // `startMs`: when the subject joined; the judge starts `uncertain`.
    explicit PresenceJudge(std::int64_t startMs, JudgeOptions options = {});
    JudgeUpdate onSample(Outcome outcome, std::int64_t ms);
    // Called periodically: notices the absence of samples and time-based alerts.
    JudgeUpdate onTick(std::int64_t nowMs);
    PresenceState state() const { return state_; }
    std::optional<Outcome> lastOutcome() const { return last_; }

private:
    JudgeOptions options_;
    PresenceState state_{PresenceState::Uncertain};
    std::optional<Outcome> last_;
    std::int64_t lastSampleMs_;
    std::int64_t lastVerifiedMs_;
    std::int64_t absentSinceMs_;
    int verifiedRun_{0};
    int failRun_{0};
    int notMatchedRun_{0};
    bool absentAlerted_{false};
    bool notMatchedAlerted_{false};
    bool severalAlerted_{false};
    bool cameraOffAlerted_{false};
};

// A camera that sends the same picture over and over (a stalled driver, a virtual camera
// showing a still) is camera_off after `frozenMs`. Compares small gray thumbnails.
class FreezeDetector {
public:
    explicit FreezeDetector(std::int64_t frozenMs = 60000, double maxMeanDiff = 0.6)
        : frozenMs_(frozenMs), maxMeanDiff_(maxMeanDiff) {}
    bool frozen(const cv::Mat& bgr, std::int64_t ms);

private:
    std::int64_t frozenMs_;
    double maxMeanDiff_;
    cv::Mat last_;
    std::int64_t unchangedSinceMs_{-1};
};

}  // namespace vigil::vision
