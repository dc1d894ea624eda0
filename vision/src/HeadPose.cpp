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

// Soukupova and Cech: the two vertical lids' distances over twice the horizontal one.
float eyeAspectRatio(const std::vector<cv::Point2f>& p, size_t first) {
    const float width = distance(p[first], p[first + 3]);
    if (width <= 0) return 0;
    return (distance(p[first + 1], p[first + 5]) + distance(p[first + 2], p[first + 4])) /
           (2 * width);
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
    pose.eyeOpenness = (eyeAspectRatio(landmarks, 36) + eyeAspectRatio(landmarks, 42)) / 2;
    return pose;
}

}  // namespace vigil::vision
