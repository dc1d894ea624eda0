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

LivenessVerdict failed(std::string code, std::string reason) {
    return LivenessVerdict{true, false, std::move(code), std::move(reason)};
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
    // No references: nothing to match.
    if (comparedFrames_ == 0 && !options_.requireMatch) return true;
    return static_cast<double>(matchedFrames_) >=
           options_.minMatchedShare * static_cast<double>(faceFrames_);
}

LivenessVerdict LivenessTracker::passedVerdict() const {
    return LivenessVerdict{true, true, "passed", "followed the instruction"};
}

LivenessVerdict LivenessTracker::add(const FaceAnalysis& frame) {
    if (followed_ && matched()) return passedVerdict();
    ++frames_;
    if (frame.faces > 1) ++severalFrames_;
    if (frame.faces != 1) return {};

    ++faceFrames_;
    // -1 means "not compared"; a cosine similarity can be negative for another person.
    if (frame.similarity > -1.0f) {
        ++comparedFrames_;
        if (frame.similarity >= options_.matchThreshold) ++matchedFrames_;
    }
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
            const float open = start_.eyeOpenness;
            if (open <= 0) break;  // No open eyes to start from: no blink can be seen.
            bestDelta_ = std::max(bestDelta_, 1.0f - pose.eyeOpenness / open);
            if (!eyeClosed_ && pose.eyeOpenness < options_.blinkClosed * open) {
                eyeClosed_ = true;
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
    const int needed = std::max(options_.baselineFrames, 1) + 1;
    if (posedFrames_ < needed) {
        return failed("too_few_frames", "a usable face in only " +
                                            frameCount(posedFrames_, frames_) + ", " +
                                            std::to_string(needed) + " needed");
    }
    if (!matched()) {
        return failed("not_matched", "the face matched the enrolled one in " +
                                         frameCount(matchedFrames_, faceFrames_) + " with a face");
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
