#include "vigil/vision/HeadPose.hpp"

#include <cmath>

namespace vigil::vision {

namespace {
// Where the nose tip sits, as a share of the way from the eyes' line to the mouth, on a
// frontal face as the landmark model places it (mean over the labelled frontal portraits).
constexpr float kFrontalNoseHeight = 0.54f;

float dot(const cv::Point2f& a, const cv::Point2f& b) {
    return a.x * b.x + a.y * b.y;
}
float distance(const cv::Point2f& a, const cv::Point2f& b) {
    return std::hypot(a.x - b.x, a.y - b.y);
}

cv::Point2f mean(const std::vector<cv::Point2f>& p, size_t from, size_t to) {
    cv::Point2f sum(0, 0);
    for (size_t i = from; i <= to; ++i) sum += p[i];
    return sum / static_cast<float>(to - from + 1);
}

// The gap between one eye's lids: the mean of its two vertical lid distances.
float lidGap(const std::vector<cv::Point2f>& p, size_t first) {
    return (distance(p[first + 1], p[first + 5]) + distance(p[first + 2], p[first + 4])) / 2;
}
}  // namespace

std::optional<HeadPose> headPoseFrom68(const std::vector<cv::Point2f>& landmarks) {
    if (landmarks.size() != 68) return std::nullopt;
    for (const auto& p : landmarks) {
        if (!std::isfinite(p.x) || !std::isfinite(p.y)) return std::nullopt;
    }
    const cv::Point2f& nose = landmarks[30];
    // Measured along the line of the outer eye corners, so that rolling the head (tilting it
    // toward a shoulder) does not read as a turn.
    const cv::Point2f eyeAxis = landmarks[45] - landmarks[36];
    const float eyeSpan2 = dot(eyeAxis, eyeAxis);
    if (eyeSpan2 <= 1e-6f) return std::nullopt;
    const cv::Point2f eyeMid = (landmarks[36] + landmarks[45]) * 0.5f;

    const cv::Point2f eyesCentre = (mean(landmarks, 36, 41) + mean(landmarks, 42, 47)) * 0.5f;
    const cv::Point2f mouthCentre = (landmarks[48] + landmarks[54]) * 0.5f;
    const cv::Point2f faceAxis = mouthCentre - eyesCentre;
    const float faceSpan2 = dot(faceAxis, faceAxis);
    if (faceSpan2 <= 1e-6f) return std::nullopt;

    HeadPose pose;
    pose.yaw = dot(nose - eyeMid, eyeAxis) / eyeSpan2;
    pose.pitch = dot(nose - eyesCentre, faceAxis) / faceSpan2 - kFrontalNoseHeight;
    // The lids' gap over a vertical length of the face, not over the eye's width as the eye
    // aspect ratio does: a photo tilted back in the hand shortens both alike, where the width
    // stays, and the eyes of a photo turned or tilted by up to 40 degrees read as low as 0.69
    // of their widest. The length is the geometric mean of the eyes-to-mouth distance and the
    // nose's (27 to 30), which kept such a photo within 0.80 of its widest reading (the
    // eyes-to-mouth distance alone: 0.76; the nose alone: 0.84, but it saw fewer real blinks).
    const float noseLength = distance(landmarks[27], landmarks[30]);
    const float scale = std::sqrt(std::sqrt(faceSpan2) * noseLength);
    if (scale <= 1e-3f) return std::nullopt;
    // Twice the ratio, so that open eyes read about 0.3 and closed ones near 0.
    pose.eyeOpenness = (lidGap(landmarks, 36) + lidGap(landmarks, 42)) / scale;
    return pose;
}

}  // namespace vigil::vision
