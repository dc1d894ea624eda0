// The liveness tracker on synthetic analyses: poses, face counts and similarities as the
// verifier would report them, so that each rule is checked without models.

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "VisionTestData.hpp"
#include "vigil/vision/Liveness.hpp"

namespace vigil::vision {
namespace {

constexpr float kOpen = 0.30f;  // Eye openness of open eyes.
using test::kAllChallenges;

FaceAnalysis frame(float yaw, float pitch = 0, float eyes = kOpen, float similarity = -1) {
    FaceAnalysis f;
    f.faces = 1;
    f.face.box = cv::Rect2f(100, 80, 200, 200);
    f.pose = HeadPose{yaw, pitch, eyes};
    f.similarity = similarity;
    return f;
}

FaceAnalysis faces(int count) {
    FaceAnalysis f = frame(0);
    f.faces = count;
    if (count == 0) {
        f.face = {};
        f.pose.reset();
    }
    return f;
}

// The frames of a movement from the start to `to` and back, as a person makes it.
std::vector<FaceAnalysis> movement(float yawTo, float pitchTo) {
    std::vector<FaceAnalysis> out;
    for (int i = 0; i < 3; ++i) out.push_back(frame(0.01f * static_cast<float>(i % 2), 0));
    for (float share : {0.25f, 0.5f, 0.75f, 1.0f, 1.0f, 0.5f, 0.0f}) {
        out.push_back(frame(yawTo * share, pitchTo * share));
    }
    return out;
}

std::vector<FaceAnalysis> blinking(int blinks) {
    std::vector<FaceAnalysis> out{frame(0), frame(0), frame(0)};
    for (int b = 0; b < blinks; ++b) {
        out.push_back(frame(0, 0, 0.20f));
        out.push_back(frame(0, 0, 0.08f));
        out.push_back(frame(0, 0, 0.29f));
        out.push_back(frame(0, 0, 0.31f));
    }
    out.push_back(frame(0));
    return out;
}

std::vector<FaceAnalysis> rightMovementFor(Challenge challenge) {
    switch (challenge) {
        case Challenge::TurnLeft:
            return movement(0.35f, 0);
        case Challenge::TurnRight:
            return movement(-0.35f, 0);
        case Challenge::LookUp:
            return movement(0, -0.2f);
        case Challenge::Blink:
            return blinking(2);
    }
    return {};
}

// Feeds every frame; returns the index of the frame that decided a pass, or -1.
int feed(LivenessTracker& tracker, const std::vector<FaceAnalysis>& frames) {
    int decidedAt = -1;
    for (size_t i = 0; i < frames.size(); ++i) {
        LivenessVerdict v = tracker.add(frames[i]);
        if (v.decided && decidedAt < 0) {
            EXPECT_TRUE(v.passed);
            EXPECT_EQ(v.code, "passed");
            decidedAt = static_cast<int>(i);
        }
    }
    return decidedAt;
}

TEST(LivenessTest, ChallengeNamesRoundTrip) {
    EXPECT_EQ(toString(Challenge::TurnLeft), "turn_left");
    EXPECT_EQ(toString(Challenge::TurnRight), "turn_right");
    EXPECT_EQ(toString(Challenge::LookUp), "look_up");
    EXPECT_EQ(toString(Challenge::Blink), "blink");
    for (Challenge c : kAllChallenges) EXPECT_EQ(challengeFromString(toString(c)), c);
    EXPECT_FALSE(challengeFromString("").has_value());
    EXPECT_FALSE(challengeFromString("Turn_Left").has_value());
    EXPECT_FALSE(challengeFromString("nod").has_value());
}

TEST(LivenessTest, RandomChallengeDrawsEveryOne) {
    std::set<Challenge> seen;
    for (int i = 0; i < 400 && seen.size() < kAllChallenges.size(); ++i)
        seen.insert(randomChallenge());
    EXPECT_EQ(seen.size(), kAllChallenges.size());
}

TEST(LivenessTest, EachChallengePassesWithItsMovement) {
    for (Challenge c : kAllChallenges) {
        LivenessTracker tracker(c);
        EXPECT_EQ(tracker.challenge(), c);
        const int decidedAt = feed(tracker, rightMovementFor(c));
        EXPECT_GE(decidedAt, 0) << toString(c);
        LivenessVerdict v = tracker.finish();
        EXPECT_TRUE(v.decided);
        EXPECT_TRUE(v.passed) << toString(c) << ": " << v.reason;
        EXPECT_EQ(v.code, "passed");
    }
}

TEST(LivenessTest, PassIsDecidedAsSoonAsTheMovementIsSeen) {
    LivenessTracker tracker(Challenge::TurnLeft);
    EXPECT_FALSE(tracker.add(frame(0)).decided);
    EXPECT_FALSE(tracker.add(frame(0.02f)).decided);  // Baseline: yaw 0.01.
    EXPECT_FALSE(tracker.add(frame(0.06f)).decided);
    EXPECT_FALSE(tracker.add(frame(0.12f)).decided);  // 0.11 from the start: not yet.
    LivenessVerdict v = tracker.add(frame(0.14f));
    EXPECT_TRUE(v.decided);
    EXPECT_TRUE(v.passed);
    // Later frames do not undo it.
    EXPECT_TRUE(tracker.add(faces(0)).passed);
    EXPECT_TRUE(tracker.add(faces(3)).passed);
    EXPECT_TRUE(tracker.finish().passed);
}

TEST(LivenessTest, MovementIsMeasuredFromTheSubjectsOwnStartingPose) {
    // A subject who starts turned 0.3 to the right turns left by coming back to the front.
    LivenessTracker tracker(Challenge::TurnLeft);
    tracker.add(frame(-0.30f));
    tracker.add(frame(-0.30f));
    EXPECT_FALSE(tracker.add(frame(-0.20f)).decided);
    EXPECT_TRUE(tracker.add(frame(-0.05f)).passed);

    // Starting turned left, a further small turn left is not enough.
    LivenessTracker already(Challenge::TurnLeft);
    for (float yaw : {0.30f, 0.30f, 0.35f, 0.40f, 0.35f}) already.add(frame(yaw));
    EXPECT_EQ(already.finish().code, "did_not_follow");
}

TEST(LivenessTest, WrongDirectionDoesNotFollow) {
    const std::vector<std::pair<Challenge, std::vector<FaceAnalysis>>> wrong{
        {Challenge::TurnLeft, movement(-0.35f, 0)}, {Challenge::TurnRight, movement(0.35f, 0)},
        {Challenge::LookUp, movement(0, 0.2f)},  // Looked down.
        {Challenge::LookUp, movement(0.35f, 0)},    {Challenge::TurnLeft, movement(0, -0.2f)},
        {Challenge::Blink, movement(0.35f, -0.2f)},
    };
    for (const auto& [challenge, frames] : wrong) {
        LivenessTracker tracker(challenge);
        EXPECT_LT(feed(tracker, frames), 0) << toString(challenge);
        LivenessVerdict v = tracker.finish();
        EXPECT_TRUE(v.decided);
        EXPECT_FALSE(v.passed);
        EXPECT_EQ(v.code, "did_not_follow") << toString(challenge);
        EXPECT_FALSE(v.reason.empty());
    }
}

TEST(LivenessTest, AStillPhotoFollowsNoChallenge) {
    // A photo held up to the camera: the same pose in every frame.
    for (Challenge c : kAllChallenges) {
        LivenessTracker tracker(c);
        const std::vector<FaceAnalysis> still(30, frame(0.05f, 0.02f, 0.27f, 0.8f));
        EXPECT_LT(feed(tracker, still), 0) << toString(c);
        LivenessVerdict v = tracker.finish();
        EXPECT_FALSE(v.passed);
        EXPECT_EQ(v.code, "did_not_follow") << toString(c);
    }
}

TEST(LivenessTest, JitterBelowTheThresholdsDoesNotPass) {
    // Landmark noise on a still face: a few hundredths either way.
    std::vector<FaceAnalysis> jitter;
    const float wobble[] = {0.0f, 0.03f, -0.04f, 0.05f, -0.02f, 0.04f, -0.05f, 0.01f};
    for (int i = 0; i < 40; ++i) {
        const float w = wobble[i % 8];
        jitter.push_back(frame(w, w * 0.8f, kOpen * (1.0f + w)));
    }
    for (Challenge c : kAllChallenges) {
        LivenessTracker tracker(c);
        EXPECT_LT(feed(tracker, jitter), 0) << toString(c);
        EXPECT_EQ(tracker.finish().code, "did_not_follow") << toString(c);
    }
}

TEST(LivenessTest, OneBlinkIsNotTwo) {
    LivenessTracker one(Challenge::Blink);
    EXPECT_LT(feed(one, blinking(1)), 0);
    LivenessVerdict v = one.finish();
    EXPECT_EQ(v.code, "did_not_follow");
    EXPECT_NE(v.reason.find("saw 1 of the 2 blinks"), std::string::npos) << v.reason;

    // Eyes that close and stay closed never blink.
    LivenessTracker closed(Challenge::Blink);
    std::vector<FaceAnalysis> frames{frame(0), frame(0)};
    for (int i = 0; i < 20; ++i) frames.push_back(frame(0, 0, 0.05f));
    EXPECT_LT(feed(closed, frames), 0);
    EXPECT_EQ(closed.finish().code, "did_not_follow");

    // Hovering around the closed line without opening fully is one blink at most.
    LivenessTracker hover(Challenge::Blink);
    std::vector<FaceAnalysis> hovering{frame(0), frame(0)};
    for (int i = 0; i < 20; ++i) hovering.push_back(frame(0, 0, i % 2 ? 0.20f : 0.22f));
    EXPECT_LT(feed(hover, hovering), 0);
    EXPECT_EQ(hover.finish().code, "did_not_follow");
}

TEST(LivenessTest, MostlyNoFaceIsNoFace) {
    for (Challenge c : kAllChallenges) {
        LivenessTracker tracker(c);
        std::vector<FaceAnalysis> frames(20, faces(0));
        frames[3] = frame(0);
        frames[4] = frame(0.5f, -0.5f, 0.0f);
        EXPECT_LT(feed(tracker, frames), 0);
        LivenessVerdict v = tracker.finish();
        EXPECT_EQ(v.code, "no_face") << toString(c);
        EXPECT_NE(v.reason.find("18 of 20"), std::string::npos) << v.reason;
    }
}

TEST(LivenessTest, SeveralFacesFail) {
    // Someone beside the subject turns their head: several-face frames are not judged.
    for (Challenge c : kAllChallenges) {
        LivenessTracker tracker(c);
        std::vector<FaceAnalysis> frames = rightMovementFor(c);
        for (auto& f : frames) f.faces = 2;
        EXPECT_LT(feed(tracker, frames), 0) << toString(c);
        EXPECT_EQ(tracker.finish().code, "several_faces") << toString(c);
    }
}

TEST(LivenessTest, ABriefSecondFaceDoesNotHideTheMovement) {
    LivenessTracker tracker(Challenge::TurnRight);
    std::vector<FaceAnalysis> frames = movement(-0.35f, 0);
    frames[1].faces = 2;
    frames[1].pose = HeadPose{0.9f, 0, kOpen};  // Must not enter the baseline.
    EXPECT_GE(feed(tracker, frames), 0);
    EXPECT_TRUE(tracker.finish().passed);
}

LivenessOptions withReferences() {
    LivenessOptions options;
    options.requireMatch = true;
    return options;
}

TEST(LivenessTest, AnotherPersonsFaceIsNotMatched) {
    for (Challenge c : kAllChallenges) {
        LivenessTracker tracker(c, withReferences());
        std::vector<FaceAnalysis> frames = rightMovementFor(c);
        for (auto& f : frames) f.similarity = 0.12f;
        EXPECT_LT(feed(tracker, frames), 0) << toString(c);
        LivenessVerdict v = tracker.finish();
        EXPECT_FALSE(v.passed);
        EXPECT_EQ(v.code, "not_matched") << toString(c);
        EXPECT_TRUE(v.identityChecked);
    }
}

TEST(LivenessTest, NegativeSimilarityIsAComparisonToo) {
    // Cosine similarity to another person's face is often below zero; only -1 means that
    // nothing was compared.
    LivenessTracker tracker(Challenge::TurnLeft, withReferences());
    std::vector<FaceAnalysis> frames = movement(0.35f, 0);
    for (auto& f : frames) f.similarity = -0.08f;
    EXPECT_LT(feed(tracker, frames), 0);
    EXPECT_EQ(tracker.finish().code, "not_matched");
}

// The subject sits still and matches; someone else, in the frames between, makes the movement.
// Half the face frames match, yet the movement was never made by the enrolled face.
TEST(LivenessTest, TheMovementMustBeMadeByTheEnrolledFace) {
    for (Challenge c : kAllChallenges) {
        std::vector<FaceAnalysis> frames;
        for (const FaceAnalysis& other : rightMovementFor(c)) {
            FaceAnalysis subject = frame(0, 0, kOpen, 0.8f);
            frames.push_back(subject);
            FaceAnalysis impostor = other;
            impostor.similarity = 0.05f;
            frames.push_back(impostor);
        }
        LivenessTracker tracker(c, withReferences());
        EXPECT_LT(feed(tracker, frames), 0) << toString(c);
        LivenessVerdict v = tracker.finish();
        EXPECT_EQ(v.code, "did_not_follow") << toString(c) << ": " << v.reason;

        // The same movement by the enrolled face passes.
        LivenessTracker own(c, withReferences());
        std::vector<FaceAnalysis> moves = rightMovementFor(c);
        for (auto& f : moves) f.similarity = 0.8f;
        EXPECT_GE(feed(own, moves), 0) << toString(c);
        EXPECT_TRUE(own.finish().identityChecked);
    }
}

TEST(LivenessTest, MatchingNeedsTheShareOfFaceFrames) {
    // Frames of another face before the enrolled one moves: they count against the share.
    auto run = [](int othersFirst, float otherSimilarity) {
        std::vector<FaceAnalysis> frames(static_cast<size_t>(othersFirst),
                                         frame(0, 0, kOpen, otherSimilarity));
        for (FaceAnalysis f : movement(0.35f, 0)) {
            f.similarity = 0.40f;  // At the threshold exactly: matches.
            frames.push_back(f);
        }
        LivenessTracker tracker(Challenge::TurnLeft, withReferences());
        feed(tracker, frames);
        return tracker.finish();
    };
    // The turn is seen on the fifth matching frame: five of ten face frames match then.
    LivenessVerdict half = run(5, 0.39f);
    EXPECT_TRUE(half.passed) << half.reason;
    // Eleven others first: ten matching frames of twenty-one are not enough, even at the end.
    EXPECT_EQ(run(11, 0.39f).code, "not_matched");
    // Frames that could not be compared count against the match.
    EXPECT_EQ(run(11, -1.0f).code, "not_matched");
}

TEST(LivenessTest, NoReferencesMeansNoMatchIsRequired) {
    LivenessTracker tracker(Challenge::TurnLeft);
    EXPECT_GE(feed(tracker, movement(0.35f, 0)), 0);  // similarity -1 throughout.
    LivenessVerdict v = tracker.finish();
    EXPECT_TRUE(v.passed);
    EXPECT_FALSE(v.identityChecked);
    EXPECT_NE(v.reason.find("identity not checked"), std::string::npos) << v.reason;
}

TEST(LivenessTest, ProgressGuidesTheSubject) {
    LivenessTracker tracker(Challenge::TurnLeft, withReferences());
    EXPECT_EQ(tracker.progress().hint, "no_frames");
    tracker.add(faces(0));
    EXPECT_EQ(tracker.progress().hint, "no_face");
    tracker.add(faces(2));
    EXPECT_EQ(tracker.progress().hint, "several_faces");
    tracker.add(frame(0, 0, kOpen, 0.1f));
    EXPECT_EQ(tracker.progress().hint, "not_matched");
    tracker.add(frame(0, 0, kOpen, 0.8f));
    EXPECT_EQ(tracker.progress().hint, "hold_still");
    tracker.add(frame(0, 0, kOpen, 0.8f));
    EXPECT_EQ(tracker.progress().hint, "move");
    tracker.add(frame(0.06f, 0, kOpen, 0.8f));
    EXPECT_NEAR(tracker.progress().progress, 0.5f, 0.01f);
    tracker.add(frame(0.3f, 0, kOpen, 0.8f));
    EXPECT_EQ(tracker.progress().hint, "done");
    EXPECT_EQ(tracker.progress().progress, 1.0f);
}

TEST(LivenessTest, RequiredMatchWithNoFrameComparedIsNotMatched) {
    // References were given but no frame could be embedded: from the frames alone this looks
    // like a burst without references, so the caller says a match is required.
    LivenessOptions options;
    options.requireMatch = true;
    LivenessTracker tracker(Challenge::TurnLeft, options);
    EXPECT_LT(feed(tracker, movement(0.35f, 0)), 0);
    EXPECT_EQ(tracker.finish().code, "not_matched");

    LivenessTracker matched(Challenge::TurnLeft, options);
    std::vector<FaceAnalysis> frames = movement(0.35f, 0);
    for (auto& f : frames) f.similarity = 0.6f;
    EXPECT_GE(feed(matched, frames), 0);
}

TEST(LivenessTest, AMatchedFaceTurningPassesEarly) {
    LivenessTracker tracker(Challenge::TurnRight, withReferences());
    std::vector<FaceAnalysis> frames = movement(-0.35f, 0);
    for (auto& f : frames) f.similarity = 0.7f;
    EXPECT_EQ(feed(tracker, frames), 4);  // At -0.175, the first frame past -0.12 from 0.005.
}

TEST(LivenessTest, TooFewFrames) {
    LivenessTracker empty(Challenge::Blink);
    LivenessVerdict v = empty.finish();
    EXPECT_TRUE(v.decided);
    EXPECT_FALSE(v.passed);
    EXPECT_EQ(v.code, "too_few_frames");

    // Two face frames only set the starting pose: nothing is left to compare.
    LivenessTracker baselineOnly(Challenge::TurnLeft);
    baselineOnly.add(frame(0));
    baselineOnly.add(frame(0.5f));
    EXPECT_EQ(baselineOnly.finish().code, "too_few_frames");

    // A face without landmarks cannot be measured.
    LivenessTracker noPose(Challenge::TurnLeft);
    for (int i = 0; i < 10; ++i) {
        FaceAnalysis f = frame(0);
        f.pose.reset();
        noPose.add(f);
    }
    EXPECT_EQ(noPose.finish().code, "too_few_frames");
}

TEST(LivenessTest, OptionsChangeTheThresholds) {
    LivenessOptions strict;
    strict.turnYaw = 0.5f;
    LivenessTracker tracker(Challenge::TurnLeft, strict);
    EXPECT_LT(feed(tracker, movement(0.35f, 0)), 0);
    EXPECT_EQ(tracker.finish().code, "did_not_follow");

    LivenessOptions oneBlink;
    oneBlink.blinks = 1;
    LivenessTracker blink(Challenge::Blink, oneBlink);
    EXPECT_GE(feed(blink, blinking(1)), 0);

    LivenessOptions longBaseline;
    longBaseline.baselineFrames = 8;
    LivenessTracker slow(Challenge::LookUp, longBaseline);
    // The whole movement up falls in the eight baseline frames: their mean is the start, and
    // coming back down from it is not looking up.
    EXPECT_LT(feed(slow, movement(0, -0.2f)), 0);
    EXPECT_EQ(slow.finish().code, "did_not_follow");
}

}  // namespace
}  // namespace vigil::vision
