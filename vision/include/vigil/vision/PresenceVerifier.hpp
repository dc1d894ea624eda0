#pragma once
// The presence check on one picture: detect faces, count them, measure the picture, find the
// landmarks, align the face to the ArcFace template, embed it and compare it with the
// subject's references. Also the enrolment quality gate and the per-frame analysis that the
// liveness challenges need. Loads its models once; not thread-safe: one per worker thread.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/vision/HeadPose.hpp"
#include "vigil/vision/Types.hpp"
#include "vigil/vision/VisionOptions.hpp"

namespace vigil::vision {

struct EnrolResult {
    // ok | no_face | several_faces | face_too_small | too_dark | blurred | no_recognizer
    std::string code;
    std::string reason;  // For a person, with the measured value and the limit.
    Embedding embedding;
    Face face;
    ImageQuality quality;
    bool ok() const { return code == "ok"; }
};

// What liveness needs from one frame of a challenge burst.
struct FaceAnalysis {
    int faces{0};                        // How many faces the frame has.
    Face face;                           // The largest one.
    std::vector<cv::Point2f> landmarks;  // Its 68 points; empty if none.
    std::optional<HeadPose> pose;
    float similarity{-1};  // Against the references; -1 when none were given.
};

class PresenceVerifier {
public:
    // Throws VisionError (model_missing, model_invalid, bad_config).
    explicit PresenceVerifier(VisionOptions options);
    ~PresenceVerifier();
    PresenceVerifier(const PresenceVerifier&) = delete;
    PresenceVerifier& operator=(const PresenceVerifier&) = delete;

    const VisionOptions& options() const;
    std::string_view detectorName()
        const;                       // The detector actually in use ("haar" after a fallback).
    bool canVerifyIdentity() const;  // False with the Haar fallback.

    std::vector<Face> detect(const cv::Mat& bgr);
    SampleResult check(const cv::Mat& bgr, const std::vector<Embedding>& references);
    // `minFacePx` > 0 replaces the options' enrolMinFacePx (a frame of a live camera comes at
    // the presence camera's low resolution, where faces are smaller than in a photo).
    EnrolResult enrol(const cv::Mat& bgr, int minFacePx = 0);
    // The embedding of one detected face; nullopt when it cannot be computed.
    std::optional<Embedding> embed(const cv::Mat& bgr, const Face& face);
    FaceAnalysis analyze(const cv::Mat& bgr, const std::vector<Embedding>& references);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Cosine similarity of two embeddings of the same length; -1 when they cannot be compared.
float similarity(const Embedding& a, const Embedding& b);

}  // namespace vigil::vision
