#pragma once
// The vocabulary of presence verification: what a face is, what one sample of a subject's
// camera concludes, and the errors a misconfigured model gives. Only OpenCV types.

#include <opencv2/core.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::vision {

// The one conclusion drawn from one sampled picture. The strings are stable: they are stored
// in attendance records and sent to browsers.
enum class Outcome {
    Verified,    // "verified": exactly one face, good enough, matching a reference.
    NotMatched,  // "not_matched": one face that matches none of the subject's references.
    // "unenrolled": one good face, but the subject has no enrolled reference, so who it is
    // cannot be checked. Never a mismatch: the missing reference is the agency's to fix.
    Unenrolled,
    NoFace,        // "no_face"
    SeveralFaces,  // "several_faces"
    CameraOff,     // "camera_off": no frames, or a black or frozen picture.
    PoorImage,     // "poor_image": too dark, blurred, or the face too small to judge.
};
std::string_view toString(Outcome outcome);
std::optional<Outcome> outcomeFromString(std::string_view text);

// A detected face in the coordinates of the frame it came from.
struct Face {
    cv::Rect2f box;
    float score{0};
    // Five points in the ArcFace template's order: the eye on the image's left, the eye on
    // the image's right, nose tip, mouth corner on the image's left, on the image's right.
    // Empty when the detector gives none (then landmarks are computed from the box).
    std::vector<cv::Point2f> keypoints;
};

// An L2-normalised identity vector; compared by cosine similarity.
using Embedding = std::vector<float>;

// Picture measures used for camera_off and poor_image.
struct ImageQuality {
    double brightness{0};  // Mean of the gray picture (or the face region), 0..255.
    double contrast{0};    // Standard deviation of the gray picture, 0..255.
    double sharpness{0};   // Variance of the Laplacian of the face region (or the picture).
};

// Milliseconds spent in each stage of one check.
struct StageTimes {
    double detectMs{0};
    double landmarksMs{0};
    double alignMs{0};
    double embedMs{0};
    double compareMs{0};
    double totalMs{0};
};

struct SampleResult {
    Outcome outcome{Outcome::NoFace};
    std::vector<Face> faces;
    float similarity{-1};  // Best similarity to the references; -1 when nothing was compared.
    std::string reason;    // Why, for a person: "too dark (mean 18 < 40)", "face 52 px < 64 px".
    ImageQuality quality;
    StageTimes times;
};

// A model file that is missing, unreadable or of the wrong shape; a bad option. `code` is
// stable: model_missing | model_invalid | bad_config.
class VisionError : public std::runtime_error {
public:
    VisionError(std::string code, const std::string& message)
        : std::runtime_error(message), code_(std::move(code)) {}
    const std::string& code() const { return code_; }

private:
    std::string code_;
};

}  // namespace vigil::vision
