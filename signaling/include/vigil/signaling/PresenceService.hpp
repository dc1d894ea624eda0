#pragma once
// What signaling needs from presence verification, without knowing how it is done: the app
// implements it over vision/ and media/. Signaling owns the records (samples, alerts,
// references, spot checks); the implementation owns frames, models and the presence judge.

#include <cstdint>
#include <string>
#include <vector>

#include "vigil/common/Clock.hpp"
#include "vigil/common/Task.hpp"

namespace vigil::signaling {

// The quality gate's verdict on a reference photo, and its embedding when it passed.
struct ReferenceCheck {
    // ok | bad_image | no_face | several_faces | face_too_small | too_dark | blurred |
    // no_recognizer
    std::string code;
    std::string reason;
    std::string model;             // The recognizer that made the embedding ("arcface").
    std::vector<float> embedding;  // Empty unless ok.
    int faceWidth{0};
    double sharpness{0};
    double brightness{0};
    bool ok() const { return code == "ok"; }
};

// One judged sample of a subject in a class: written to the class session's attendance
// stream and shown to the officer.
struct PresenceSample {
    std::string classId;
    std::string subject;
    common::Millis ts{0};
    std::string
        outcome;       // verified | not_matched | no_face | several_faces | camera_off | poor_image
    double score{-1};  // Similarity to the best reference; -1 when not compared.
    int faces{0};
    std::string reason;
    std::string state;  // present | uncertain | absent (after this sample)
    bool stateChanged{false};
};

// An alert raised by the presence judge: absent | not_matched | several_faces | camera_off.
struct PresenceAlert {
    std::string classId;
    std::string subject;
    common::Millis ts{0};
    std::string kind;
    std::string message;
};

class PresenceService {
public:
    virtual ~PresenceService() = default;

    // Decodes a JPEG or PNG photo, applies the enrolment quality gate and computes the
    // embedding, off the event loop. Resumes on the loop.
    // `liveFrame`: a frame of the subject's live camera (a class or a call), judged with
    // [vision] enrol_live_min_face_px instead of the photo minimum.
    virtual common::Task<ReferenceCheck> checkReference(std::string imageBytes,
                                                        bool liveFrame = false) = 0;
    // The subject's references changed: drop any cached copy.
    virtual void referencesChanged(const std::string& subject) = 0;

    // A subject joined or left a class on this node: the judge starts or stops.
    virtual void subjectJoined(const std::string& classId, const std::string& subject,
                               common::Millis ts) = 0;
    virtual void subjectLeft(const std::string& classId, const std::string& subject) = 0;

    // Whether the subject's camera in the class reaches this node now.
    virtual bool receivingCamera(const std::string& classId, const std::string& subject) = 0;
    // Starts a liveness challenge (turn_left | turn_right | look_up | blink) on the subject's
    // camera in the media room `room` ("class:<id>" for a spot check, "checkin:<id>" for a
    // self-service check-in, whose frames feed only the challenge) until `deadline`; the
    // verdict comes back through ClassHub::onLivenessVerdict with the room. False when the
    // subject's camera is not being received. `fps`: the frames a second to judge (the camera
    // is asked for as many).
    virtual bool startLiveness(const std::string& room, const std::string& subject,
                               const std::string& check, const std::string& challenge,
                               common::Millis deadline, int fps) = 0;
    // The subject's page says the challenge's instruction is on screen since `shownAt`: only
    // frames captured from then on are judged (none before it ever are). False when no such
    // challenge runs on this node.
    virtual bool livenessShown(const std::string& check, common::Millis shownAt) = 0;
};

// Live guidance while a challenge runs, for the subject's dialog.
struct LivenessProgressReport {
    std::string room;  // the media room: "class:<id>" or "checkin:<id>"
    std::string classId;
    std::string subject;
    std::string check;
    // no_frames | no_face | several_faces | not_matched | hold_still | move | done
    std::string hint;
    double progress{0};  // 0..1 of the movement needed.
};

// A challenge's decision.
struct LivenessVerdictReport {
    std::string room;  // the media room: "class:<id>" or "checkin:<id>"
    std::string subject;
    std::string check;
    bool passed{false};
    // passed | no_face | several_faces | not_matched | did_not_follow | too_few_frames |
    // not_shown
    std::string code;
    std::string reason;
    bool identityChecked{false};  // False: the subject has no reference; only motion judged.
    double score{-1};             // Best similarity to a reference among the judged frames.
    // JPEG frames the decision rests on (the starting pose, the movement, the last), at most
    // [checkin] evidence_frames; kept sealed as a check-in's evidence.
    std::vector<std::string> evidence;
};

}  // namespace vigil::signaling
