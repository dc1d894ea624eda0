#pragma once
// Liveness by challenge: the subject is asked, at random, to turn the head left or right,
// look up or blink twice, and the burst of frames that follows must show that movement from
// the subject's own starting pose, by the enrolled face. A still photo or a replayed
// recording cannot follow an instruction it did not know.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/vision/PresenceVerifier.hpp"

namespace vigil::vision {

enum class Challenge { TurnLeft, TurnRight, LookUp, Blink };
std::string_view toString(Challenge challenge);  // turn_left | turn_right | look_up | blink
std::optional<Challenge> challengeFromString(std::string_view text);
// Uniformly random, from a cryptographically seeded source.
Challenge randomChallenge();

struct LivenessOptions {
    float turnYaw{0.18f};     // Yaw change from the starting pose that counts as a turn.
    float lookUpPitch{0.10f}; // Pitch change (upward) that counts as looking up.
    float blinkClosed{0.70f}; // Eye openness below this share of the open baseline is closed.
    int blinks{2};            // Blinks required.
    int baselineFrames{2};    // Frames that set the starting pose.
    float matchThreshold{0.40f};  // The face in the burst must match a reference (if any).
    double minMatchedShare{0.5};  // Share of frames with a face that must match.
};

struct LivenessVerdict {
    bool decided{false};
    bool passed{false};
    // passed | no_face | several_faces | not_matched | did_not_follow | too_few_frames
    std::string code;
    std::string reason;  // For a person.
};

// Fed the analysed frames of one challenge in order. Decides as soon as the movement is seen
// (passed); `finish` decides at the deadline with the reason it failed.
class LivenessTracker {
public:
    explicit LivenessTracker(Challenge challenge, LivenessOptions options = {});
    LivenessVerdict add(const FaceAnalysis& frame);
    LivenessVerdict finish() const;
    Challenge challenge() const { return challenge_; }

private:
    Challenge challenge_;
    LivenessOptions options_;
    int frames_{0};
    int faceFrames_{0};
    int severalFrames_{0};
    int matchedFrames_{0};
    int comparedFrames_{0};
    std::vector<HeadPose> baseline_;
    bool eyeClosed_{false};
    int blinksSeen_{0};
    float bestDelta_{0};
    bool followed_{false};
};

}  // namespace vigil::vision
