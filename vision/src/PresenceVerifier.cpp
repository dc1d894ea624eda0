#include "vigil/vision/PresenceVerifier.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <opencv2/imgproc.hpp>

#include "ArcFaceEmbedder.hpp"
#include "BlazeFaceDetector.hpp"
#include "FaceAlignment.hpp"
#include "HaarDetector.hpp"
#include "ImageQualityMeasure.hpp"
#include "LandmarkModel.hpp"
#include "ModelFile.hpp"
#include "SFaceEmbedder.hpp"
#include "UltraFaceDetector.hpp"
#include "YuNetDetector.hpp"

namespace vigil::vision {

namespace {
using Clock = std::chrono::steady_clock;

// Pictures larger than this on either side are scaled down before anything else: no detector
// here looks at more than 640 columns, and a hostile 30000x30000 frame must not cost seconds.
constexpr int kMaxSide = 1920;

double msSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string fixed(double value, int decimals = 0) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

// A frame as the models want it: 8-bit BGR no larger than kMaxSide, its gray version, and the
// factor that maps its coordinates back to the caller's picture.
struct Frame {
    cv::Mat bgr;
    cv::Mat gray;
    float scale{1};  // Caller's coordinates = work coordinates * scale.
};

std::optional<Frame> prepare(const cv::Mat& input) {
    if (input.empty() || input.dims != 2 || input.cols < 1 || input.rows < 1) return std::nullopt;
    cv::Mat eight = input;
    if (input.depth() != CV_8U) {
        // 16-bit cameras use the full range; floating-point pictures are taken as 0..1.
        const double factor = input.depth() == CV_16U                              ? 1.0 / 257.0
                              : input.depth() == CV_32F || input.depth() == CV_64F ? 255.0
                                                                                   : 1.0;
        input.convertTo(eight, CV_MAKETYPE(CV_8U, input.channels()), factor);
    }
    Frame frame;
    switch (eight.channels()) {
        case 1:
            cv::cvtColor(eight, frame.bgr, cv::COLOR_GRAY2BGR);
            break;
        case 3:
            frame.bgr = eight;
            break;
        case 4:
            cv::cvtColor(eight, frame.bgr, cv::COLOR_BGRA2BGR);
            break;
        default: {
            // An unusual layout: the first channel is as good a gray picture as any.
            cv::Mat first;
            cv::extractChannel(eight, first, 0);
            cv::cvtColor(first, frame.bgr, cv::COLOR_GRAY2BGR);
        }
    }
    const int longest = std::max(frame.bgr.cols, frame.bgr.rows);
    if (longest > kMaxSide) {
        const double f = static_cast<double>(kMaxSide) / longest;
        cv::resize(frame.bgr, frame.bgr,
                   cv::Size(std::max(1, static_cast<int>(frame.bgr.cols * f)),
                            std::max(1, static_cast<int>(frame.bgr.rows * f))),
                   0, 0, cv::INTER_AREA);
        frame.scale = static_cast<float>(1.0 / f);
    }
    cv::cvtColor(frame.bgr, frame.gray, cv::COLOR_BGR2GRAY);
    return frame;
}

Face scaled(Face face, float s) {
    face.box = cv::Rect2f(face.box.x * s, face.box.y * s, face.box.width * s, face.box.height * s);
    for (auto& p : face.keypoints) p *= s;
    return face;
}

float sizeOf(const Face& face) {
    return std::min(face.box.width, face.box.height);
}

void warnHaar(const std::string& why) {
    std::cerr << "vigil vision: WARNING: " << why
              << "; using the Haar cascade: faces are counted but identity cannot be verified\n";
}

constexpr const char* kNoIdentity = "identity cannot be verified (no face recogniser in use)";
}  // namespace

struct PresenceVerifier::Impl {
    VisionOptions options;
    std::unique_ptr<FaceDetector> detector;    // Owned.
    std::unique_ptr<LandmarkModel> landmarks;  // Owned; null only with Haar and no file.
    std::unique_ptr<FaceEmbedder> embedder;    // Owned; null with Haar.

    // Faces of the work frame large enough to count (in the caller's pixels), best first.
    std::vector<Face> countedFaces(const std::vector<Face>& faces, float scale) const {
        std::vector<Face> counted;
        for (const auto& face : faces) {
            if (sizeOf(face) * scale >= static_cast<float>(options.minFacePx) / 2) {
                counted.push_back(face);
            }
        }
        return counted;
    }

    std::vector<cv::Point2f> locate(const Frame& frame, const Face& face) {
        if (!landmarks) return {};
        return landmarks->locate(frame.gray, face.box);
    }

    // The five alignment points: the detector's own when it gives them, else from the 68.
    std::vector<cv::Point2f> fivePoints(const Face& face, const std::vector<cv::Point2f>& points) {
        if (face.keypoints.size() == 5) return face.keypoints;
        return LandmarkModel::fivePoints(points);
    }
};

PresenceVerifier::PresenceVerifier(VisionOptions options) : impl_(std::make_unique<Impl>()) {
    auto& o = options;
    if (!(o.detectThreshold > 0 && o.detectThreshold < 1)) {
        throw VisionError("bad_config", "detect_threshold must be between 0 and 1, got " +
                                            fixed(o.detectThreshold, 2));
    }
    if (!(o.matchThreshold >= -1 && o.matchThreshold <= 1)) {
        throw VisionError("bad_config", "match_threshold must be between -1 and 1, got " +
                                            fixed(o.matchThreshold, 2));
    }
    if (o.minFacePx < 1 || o.enrolMinFacePx < 1) {
        throw VisionError("bad_config", "minimum face sizes must be at least 1 pixel");
    }

    bool haar = o.detector == "haar";
    if (!haar) {
        std::string file = o.detectorModel;
        if (o.detector == "ultraface") {
            if (file.empty()) file = "fr_detect.onnx";
        } else if (o.detector == "blazeface") {
            if (file.empty()) file = "face_detection_front_128x128_barracuda.onnx";
        } else if (o.detector == "yunet") {
            if (file.empty()) file = "face_detection_yunet_2022mar.onnx";
        } else {
            throw VisionError("bad_config", "unknown face detector '" + o.detector +
                                                "' (ultraface, blazeface, yunet or haar)");
        }
        const ModelFile model(o.modelsDir, file);
        if (!model.exists() && o.haarFallback) {
            warnHaar("face detector model " + model.path() + " is missing");
            haar = true;
        } else {
            const std::string& path = model.require("face detector (" + o.detector + ")");
            if (o.detector == "ultraface") {
                impl_->detector = std::make_unique<UltraFaceDetector>(path, o.detectThreshold);
            } else if (o.detector == "blazeface") {
                impl_->detector = std::make_unique<BlazeFaceDetector>(path, o.detectThreshold);
            } else {
                impl_->detector = std::make_unique<YuNetDetector>(path, o.detectThreshold);
            }
        }
    } else {
        warnHaar("detector \"haar\" configured");
    }
    if (haar) {
        impl_->detector =
            std::make_unique<HaarDetector>(ModelFile(o.modelsDir, o.haarCascade).path());
    }

    const ModelFile landmarkFile(o.modelsDir, o.landmarkModel);
    if (!haar || landmarkFile.exists()) {
        impl_->landmarks = std::make_unique<LandmarkModel>(landmarkFile.require("face landmark"));
    }

    if (!haar) {
        std::string file = o.recognizerModel;
        if (o.recognizer == "arcface") {
            if (file.empty()) file = "fr_feature.onnx";
            impl_->embedder = std::make_unique<ArcFaceEmbedder>(
                ModelFile(o.modelsDir, file).require("face recogniser (arcface)"));
        } else if (o.recognizer == "sface") {
            if (file.empty()) file = "face_recognition_sface_2021dec.onnx";
            impl_->embedder = std::make_unique<SFaceEmbedder>(
                ModelFile(o.modelsDir, file).require("face recogniser (sface)"));
        } else {
            throw VisionError("bad_config",
                              "unknown face recogniser '" + o.recognizer + "' (arcface or sface)");
        }
    }
    impl_->options = std::move(options);
}

PresenceVerifier::~PresenceVerifier() = default;

const VisionOptions& PresenceVerifier::options() const {
    return impl_->options;
}

std::string_view PresenceVerifier::detectorName() const {
    return impl_->detector->name();
}

bool PresenceVerifier::canVerifyIdentity() const {
    return impl_->embedder != nullptr;
}

std::vector<Face> PresenceVerifier::detect(const cv::Mat& bgr) {
    const auto frame = prepare(bgr);
    if (!frame) return {};
    std::vector<Face> faces;
    for (const auto& face : impl_->detector->detect(frame->bgr)) {
        faces.push_back(scaled(face, frame->scale));
    }
    return faces;
}

SampleResult PresenceVerifier::check(const cv::Mat& bgr, const std::vector<Embedding>& references) {
    const auto& o = impl_->options;
    const auto start = Clock::now();
    SampleResult r;
    const auto finish = [&](Outcome outcome, std::string reason) {
        r.outcome = outcome;
        r.reason = std::move(reason);
        r.times.totalMs = msSince(start);
        return r;
    };

    const auto frame = prepare(bgr);
    if (!frame) return finish(Outcome::CameraOff, "no picture");
    r.quality = ImageQualityMeasure::picture(frame->gray);
    if (r.quality.brightness < o.blackBrightness && r.quality.contrast < o.blackContrast) {
        return finish(Outcome::CameraOff, "black picture (mean " + fixed(r.quality.brightness, 1) +
                                              " < " + fixed(o.blackBrightness, 1) + ", contrast " +
                                              fixed(r.quality.contrast, 1) + " < " +
                                              fixed(o.blackContrast, 1) + ")");
    }
    if (r.quality.brightness < o.minBrightness) {
        return finish(Outcome::PoorImage, "too dark (mean " + fixed(r.quality.brightness) + " < " +
                                              fixed(o.minBrightness) + ")");
    }

    auto t = Clock::now();
    const std::vector<Face> found = impl_->detector->detect(frame->bgr);
    r.times.detectMs = msSince(t);
    for (const auto& face : found) r.faces.push_back(scaled(face, frame->scale));
    const std::vector<Face> counted = impl_->countedFaces(found, frame->scale);
    if (counted.empty()) return finish(Outcome::NoFace, "no face found");
    if (counted.size() > 1) {
        return finish(Outcome::SeveralFaces, std::to_string(counted.size()) + " faces");
    }
    const Face& face = counted.front();
    const float px = sizeOf(face) * frame->scale;
    if (px < static_cast<float>(o.minFacePx)) {
        return finish(Outcome::PoorImage,
                      "face " + fixed(px) + " px < " + std::to_string(o.minFacePx) + " px");
    }
    r.quality.sharpness = ImageQualityMeasure::faceSharpness(frame->gray, face.box);
    if (r.quality.sharpness < o.minSharpness) {
        return finish(Outcome::PoorImage, "face blurred (sharpness " +
                                              fixed(r.quality.sharpness, 1) + " < " +
                                              fixed(o.minSharpness, 1) + ")");
    }
    if (!impl_->embedder) return finish(Outcome::NotMatched, kNoIdentity);
    if (references.empty()) {
        return finish(Outcome::Unenrolled, "no face reference is enrolled: identity not checked");
    }

    t = Clock::now();
    std::vector<cv::Point2f> points;
    if (face.keypoints.size() != 5) points = impl_->locate(*frame, face);
    const std::vector<cv::Point2f> five = impl_->fivePoints(face, points);
    r.times.landmarksMs = msSince(t);
    t = Clock::now();
    const cv::Mat aligned = impl_->embedder->align(frame->bgr, face, five);
    r.times.alignMs = msSince(t);
    t = Clock::now();
    const auto embedding = impl_->embedder->embedAligned(aligned);
    r.times.embedMs = msSince(t);
    if (!embedding) return finish(Outcome::PoorImage, "face could not be aligned");

    t = Clock::now();
    for (const auto& reference : references) {
        r.similarity = std::max(r.similarity, similarity(*embedding, reference));
    }
    r.times.compareMs = msSince(t);
    if (r.similarity >= o.matchThreshold) {
        return finish(Outcome::Verified,
                      "similarity " + fixed(r.similarity, 2) + " >= " + fixed(o.matchThreshold, 2));
    }
    return finish(Outcome::NotMatched,
                  "similarity " + fixed(r.similarity, 2) + " < " + fixed(o.matchThreshold, 2));
}

EnrolResult PresenceVerifier::enrol(const cv::Mat& bgr, int minFacePx) {
    const auto& o = impl_->options;
    EnrolResult r;
    const auto fail = [&](std::string code, std::string reason) {
        r.code = std::move(code);
        r.reason = std::move(reason);
        r.embedding.clear();
        return r;
    };
    if (!impl_->embedder) {
        return fail("no_recognizer",
                    "no face recogniser is installed: identity cannot be enrolled");
    }
    const auto frame = prepare(bgr);
    if (!frame) return fail("no_face", "no picture");
    r.quality = ImageQualityMeasure::picture(frame->gray);

    const std::vector<Face> found = impl_->detector->detect(frame->bgr);
    const std::vector<Face> counted = impl_->countedFaces(found, frame->scale);
    if (counted.empty()) {
        if (r.quality.brightness < o.enrolMinBrightness) {
            return fail("too_dark", "too dark to find a face (mean " + fixed(r.quality.brightness) +
                                        " < " + fixed(o.enrolMinBrightness) + ")");
        }
        return fail("no_face", "no face found");
    }
    if (counted.size() > 1) {
        return fail("several_faces",
                    std::to_string(counted.size()) + " faces: the photo must show one person");
    }
    const Face& face = counted.front();
    r.face = scaled(face, frame->scale);
    const float px = sizeOf(r.face);
    const int minPx = minFacePx > 0 ? minFacePx : o.enrolMinFacePx;
    if (px < static_cast<float>(minPx)) {
        return fail("face_too_small",
                    "face " + fixed(px) + " px < " + std::to_string(minPx) + " px");
    }
    // The face itself must be lit, not only the room: a backlit reference makes a poor one.
    r.quality.brightness = ImageQualityMeasure::faceBrightness(frame->gray, face.box);
    if (r.quality.brightness < o.enrolMinBrightness) {
        return fail("too_dark", "face too dark (mean " + fixed(r.quality.brightness) + " < " +
                                    fixed(o.enrolMinBrightness) + ")");
    }
    r.quality.sharpness = ImageQualityMeasure::faceSharpness(frame->gray, face.box);
    if (r.quality.sharpness < o.enrolMinSharpness) {
        return fail("blurred", "face blurred (sharpness " + fixed(r.quality.sharpness, 1) + " < " +
                                   fixed(o.enrolMinSharpness, 1) + ")");
    }
    const auto points =
        face.keypoints.size() == 5 ? std::vector<cv::Point2f>{} : impl_->locate(*frame, face);
    const auto embedding =
        impl_->embedder->embed(frame->bgr, face, impl_->fivePoints(face, points));
    if (!embedding) return fail("no_face", "the face could not be aligned");
    r.embedding = *embedding;
    r.code = "ok";
    r.reason = "face " + fixed(px) + " px, brightness " + fixed(r.quality.brightness) +
               ", sharpness " + fixed(r.quality.sharpness, 1);
    return r;
}

std::optional<Embedding> PresenceVerifier::embed(const cv::Mat& bgr, const Face& face) {
    if (!impl_->embedder) return std::nullopt;
    const auto frame = prepare(bgr);
    if (!frame) return std::nullopt;
    const Face work = scaled(face, 1.0f / frame->scale);
    if (!(work.box.width >= 2 && work.box.height >= 2)) return std::nullopt;
    const auto points =
        work.keypoints.size() == 5 ? std::vector<cv::Point2f>{} : impl_->locate(*frame, work);
    return impl_->embedder->embed(frame->bgr, work, impl_->fivePoints(work, points));
}

FaceAnalysis PresenceVerifier::analyze(const cv::Mat& bgr,
                                       const std::vector<Embedding>& references) {
    FaceAnalysis a;
    const auto frame = prepare(bgr);
    if (!frame) return a;
    const std::vector<Face> counted =
        impl_->countedFaces(impl_->detector->detect(frame->bgr), frame->scale);
    a.faces = static_cast<int>(counted.size());
    if (counted.empty()) return a;
    const Face& face =
        *std::max_element(counted.begin(), counted.end(),
                          [](const Face& x, const Face& y) { return x.box.area() < y.box.area(); });
    a.face = scaled(face, frame->scale);
    const std::vector<cv::Point2f> points = impl_->locate(*frame, face);
    a.landmarks = points;
    for (auto& p : a.landmarks) p *= frame->scale;
    a.pose = headPoseFrom68(points);
    if (!references.empty() && impl_->embedder) {
        const auto embedding =
            impl_->embedder->embed(frame->bgr, face, impl_->fivePoints(face, points));
        if (embedding) {
            for (const auto& reference : references) {
                a.similarity = std::max(a.similarity, similarity(*embedding, reference));
            }
        }
    }
    return a;
}

float similarity(const Embedding& a, const Embedding& b) {
    if (a.empty() || a.size() != b.size()) return -1;
    double dot = 0, na = 0, nb = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        dot += static_cast<double>(a[i]) * b[i];
        na += static_cast<double>(a[i]) * a[i];
        nb += static_cast<double>(b[i]) * b[i];
    }
    if (!(na > 0) || !(nb > 0) || !std::isfinite(dot)) return -1;
    return static_cast<float>(dot / std::sqrt(na * nb));
}

}  // namespace vigil::vision
