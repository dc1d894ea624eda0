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
    int uncertainAfter{2};              // Non-verified samples in a row that leave `present`.
    int presentAfter{1};                // Verified samples in a row that restore `present`.
    std::int64_t absentAfterMs{30000};  // No verified sample for this long: `absent`.
    std::int64_t absentAlertMs{60000};  // Absent (or never verified) this long: alert.
    int notMatchedAlertAfter{2};        // not_matched samples in a row: alert.
    std::int64_t noFrameMs{30000};      // No sample at all for this long counts as camera_off.
};

struct JudgeUpdate {
    PresenceState state{PresenceState::Uncertain};
    bool changed{false};
    std::vector<AlertKind> alerts;  // Raised by this update; each once per episode.
};

// The rules, in the order they are applied to each sample. "Verified" below includes
// unenrolled: a single good face of a subject who has no reference yet is seen, not accused.
// - Time never goes backwards: the judge's clock is the latest time it has seen. A late
//   sample still counts as the next one, judged at the clock; a late verified sample never
//   moves the last verification back to when it was taken.
// - `presentAfter` verified samples in a row make the subject `present`.
// - While `present`, `uncertainAfter` non-verified samples in a row make it `uncertain`.
//   not_matched, no_face, several_faces and camera_off each count as one; poor_image counts
//   as half, because a dim room or a blurred frame still shows someone in front of the
//   camera and should not unsettle a subject as fast as an empty chair. poor_image still
//   breaks a run of verified samples.
// - `absent` when the last sample is not verified and no verified sample has been seen for
//   `absentAfterMs` (since the join if none ever was). A verified sample that is not yet
//   enough for `present` leaves `absent` for `uncertain`.
// - No sample for `noFrameMs` (since the last one, or the join): `onTick` feeds camera_off.
// - Alerts are raised at most once per episode, and every episode ends with a verified
//   sample: until the subject is seen and recognised again the same alert is not repeated.
//   absent: absent, or never verified, for `absentAlertMs` since the last verified sample
//   (or the join). not_matched: `notMatchedAlertAfter` not_matched samples in a row.
//   several_faces: one several_faces sample. camera_off: one camera_off sample, including
//   the one `onTick` feeds.
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
    // Applies the time-based rules at the judge's clock.
    void applyTime(JudgeUpdate& update);
    void raise(JudgeUpdate& update, AlertKind kind, bool& alerted);

    JudgeOptions options_;
    PresenceState state_{PresenceState::Uncertain};
    std::optional<Outcome> last_;
    std::int64_t nowMs_;  // Latest time seen: the clock never goes backwards.
    std::int64_t lastSampleMs_;
    std::int64_t lastVerifiedMs_;     // The join until a sample is verified.
    std::int64_t absentSinceMs_{-1};  // When the state last became `absent`; -1 if it is not.
    bool everVerified_{false};
    int verifiedRun_{0};
    int failRun_{0};  // In half samples: poor_image adds 1, other non-verified outcomes 2.
    int notMatchedRun_{0};
    bool absentAlerted_{false};
    bool notMatchedAlerted_{false};
    bool severalAlerted_{false};
    bool cameraOffAlerted_{false};
};

// A camera that sends the same picture over and over (a stalled driver, a virtual camera
// showing a still) is camera_off after `frozenMs`. Compares 32x24 gray thumbnails: each frame
// whose mean absolute difference from the picture that began the unchanged run is at most
// `maxMeanDiff` (0..255) keeps the run going. The run's first picture, not the previous one,
// is the reference, so that a scene drifting slowly (fading daylight, someone sitting very
// still) restarts the clock instead of being taken for a frozen camera. An empty frame is
// not frozen and forgets the run.
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
