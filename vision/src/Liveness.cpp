#include "vigil/vision/Liveness.hpp"

#include <algorithm>
#include <cstdio>
#include <random>

namespace vigil::vision {

namespace {

std::string fixed(float value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", static_cast<double>(value));
    return text;
}

std::string frameCount(int n, int of) {
    return std::to_string(n) + " of " + std::to_string(of) + " frames";
}

}  // namespace

std::string_view toString(Challenge challenge) {
    switch (challenge) {
        case Challenge::TurnLeft:
            return "turn_left";
        case Challenge::TurnRight:
            return "turn_right";
        case Challenge::LookUp:
            return "look_up";
        case Challenge::Blink:
            return "blink";
    }
    return "turn_left";
}

std::optional<Challenge> challengeFromString(std::string_view text) {
    for (Challenge c :
         {Challenge::TurnLeft, Challenge::TurnRight, Challenge::LookUp, Challenge::Blink}) {
        if (toString(c) == text) return c;
    }
    return std::nullopt;
}

Challenge randomChallenge() {
    // Drawn straight from the system's entropy source rather than a seeded generator: a
    // challenge is rare, and a generator's output could be predicted from the challenges seen.
    std::random_device device;
    std::uniform_int_distribution<int> pick(0, 3);
    return static_cast<Challenge>(pick(device));
}

LivenessTracker::LivenessTracker(Challenge challenge, LivenessOptions options)
    : challenge_(challenge), options_(options) {}

bool LivenessTracker::matched() const {
    if (!options_.requireMatch) return true;  // No references: identity is not judged.
    return matchedFrames_ > 0 && static_cast<double>(matchedFrames_) >=
                                     options_.minMatchedShare * static_cast<double>(faceFrames_);
}

LivenessVerdict LivenessTracker::passedVerdict() const {
    if (!options_.requireMatch) {
        return LivenessVerdict{true, true, "passed",
                               "followed the instruction; identity not checked (no face "
                               "reference is enrolled)",
                               false};
    }
    return LivenessVerdict{true, true, "passed",
                           "followed the instruction, face matched in " +
                               frameCount(matchedFrames_, faceFrames_) + " with a face",
                           true};
}

LivenessVerdict LivenessTracker::failed(std::string code, std::string reason) const {
    return LivenessVerdict{true, false, std::move(code), std::move(reason), options_.requireMatch};
}

float LivenessTracker::needed() const {
    switch (challenge_) {
        case Challenge::TurnLeft:
        case Challenge::TurnRight:
            return options_.turnYaw;
        case Challenge::LookUp:
            return options_.lookUpPitch;
        case Challenge::Blink:
            return static_cast<float>(std::max(options_.blinks, 1));
    }
    return 1;
}

LivenessProgress LivenessTracker::progress() const {
    LivenessProgress p;
    const float done =
        challenge_ == Challenge::Blink ? static_cast<float>(blinksSeen_) : bestDelta_;
    p.progress = std::clamp(done / needed(), 0.0f, 1.0f);
    if (followed_ && matched()) {
        p.hint = "done";
        p.progress = 1;
    } else if (lastFaces_ < 0) {
        p.hint = "no_frames";
    } else if (lastFaces_ == 0) {
        p.hint = "no_face";
    } else if (lastFaces_ > 1) {
        p.hint = "several_faces";
    } else if (!lastMatched_) {
        p.hint = "not_matched";
    } else if (static_cast<int>(baseline_.size()) < std::max(options_.baselineFrames, 1)) {
        p.hint = "hold_still";
    } else {
        p.hint = "move";
    }
    return p;
}

LivenessVerdict LivenessTracker::add(const FaceAnalysis& frame) {
    if (followed_ && matched()) return passedVerdict();
    ++frames_;
    lastFaces_ = frame.faces;
    if (frame.faces > 1) ++severalFrames_;
    if (frame.faces != 1) return {};

    ++faceFrames_;
    // -1 means "not compared"; a cosine similarity can be negative for another person.
    const bool compared = frame.similarity > -1.0f;
    const bool match = compared && frame.similarity >= options_.matchThreshold;
    if (compared) ++comparedFrames_;
    if (match) ++matchedFrames_;
    lastMatched_ = match || !options_.requireMatch;
    // With references, a frame whose face is not the subject's shows nothing: the movement
    // must be made by the enrolled face itself.
    if (!lastMatched_) return {};
    if (!frame.pose) return followed_ && matched() ? passedVerdict() : LivenessVerdict{};
    const HeadPose& pose = *frame.pose;
    ++posedFrames_;

    if (static_cast<int>(baseline_.size()) < std::max(options_.baselineFrames, 1)) {
        baseline_.push_back(pose);
        HeadPose sum;
        for (const HeadPose& p : baseline_) {
            sum.yaw += p.yaw;
            sum.pitch += p.pitch;
            sum.eyeOpenness += p.eyeOpenness;
        }
        const float n = static_cast<float>(baseline_.size());
        start_ = HeadPose{sum.yaw / n, sum.pitch / n, sum.eyeOpenness / n};
        return {};
    }

    switch (challenge_) {
        case Challenge::TurnLeft:
            bestDelta_ = std::max(bestDelta_, pose.yaw - start_.yaw);
            followed_ = followed_ || bestDelta_ >= options_.turnYaw;
            break;
        case Challenge::TurnRight:
            bestDelta_ = std::max(bestDelta_, start_.yaw - pose.yaw);
            followed_ = followed_ || bestDelta_ >= options_.turnYaw;
            break;
        case Challenge::LookUp:
            bestDelta_ = std::max(bestDelta_, start_.pitch - pose.pitch);
            followed_ = followed_ || bestDelta_ >= options_.lookUpPitch;
            break;
        case Challenge::Blink: {
            // The eyes' open level is the widest they read over the last few frames, not at
            // the start: a head still moving when the instruction came (looking up, say)
            // changes how open the eyes read, and a blink is a quick dip from where they are.
            // While closed, reopening is judged against the level they closed from.
            if (recentEyes_.empty()) recentEyes_.push_back(start_.eyeOpenness);
            const float open = eyeClosed_
                                   ? closedFrom_
                                   : *std::max_element(recentEyes_.begin(), recentEyes_.end());
            recentEyes_.push_back(pose.eyeOpenness);
            if (static_cast<int>(recentEyes_.size()) > std::max(options_.blinkWindow, 1)) {
                recentEyes_.erase(recentEyes_.begin());
            }
            if (open <= 0) break;  // No open eyes to start from: no blink can be seen.
            bestDelta_ = std::max(bestDelta_, 1.0f - pose.eyeOpenness / open);
            if (!eyeClosed_ && pose.eyeOpenness < options_.blinkClosed * open) {
                eyeClosed_ = true;
                closedFrom_ = open;
            } else if (eyeClosed_ && pose.eyeOpenness > options_.blinkOpen * open) {
                eyeClosed_ = false;
                ++blinksSeen_;
            }
            followed_ = followed_ || blinksSeen_ >= options_.blinks;
            break;
        }
    }
    return followed_ && matched() ? passedVerdict() : LivenessVerdict{};
}

LivenessVerdict LivenessTracker::finish() const {
    if (followed_ && matched()) return passedVerdict();
    if (frames_ == 0) return failed("too_few_frames", "no frames were received");
    const int noFace = frames_ - faceFrames_ - severalFrames_;
    if (noFace * 2 > frames_) {
        return failed("no_face", "no face in " + frameCount(noFace, frames_));
    }
    if (severalFrames_ > 0 && severalFrames_ >= faceFrames_) {
        return failed("several_faces", "several faces in " + frameCount(severalFrames_, frames_));
    }
    if (!matched()) {
        return failed("not_matched", "the face matched the enrolled one in " +
                                         frameCount(matchedFrames_, faceFrames_) + " with a face");
    }
    const int neededFrames = std::max(options_.baselineFrames, 1) + 1;
    if (posedFrames_ < neededFrames) {
        return failed("too_few_frames", "a usable face in only " +
                                            frameCount(posedFrames_, frames_) + ", " +
                                            std::to_string(neededFrames) + " needed");
    }
    switch (challenge_) {
        case Challenge::TurnLeft:
        case Challenge::TurnRight:
            return failed("did_not_follow",
                          "turned the head " + fixed(bestDelta_) + " toward " +
                              (challenge_ == Challenge::TurnLeft ? "the left" : "the right") +
                              ", " + fixed(options_.turnYaw) + " needed");
        case Challenge::LookUp:
            return failed("did_not_follow", "looked up " + fixed(bestDelta_) + ", " +
                                                fixed(options_.lookUpPitch) + " needed");
        case Challenge::Blink:
            return failed("did_not_follow", "saw " + std::to_string(blinksSeen_) + " of the " +
                                                std::to_string(options_.blinks) + " blinks needed");
    }
    return failed("did_not_follow", "the movement was not seen");
}

}  // namespace vigil::vision
