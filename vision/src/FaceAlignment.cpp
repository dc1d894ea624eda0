#include "FaceAlignment.hpp"

#include <cmath>
#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

namespace vigil::vision {

const std::vector<cv::Point2f>& FaceAlignment::templatePoints() {
    static const std::vector<cv::Point2f> points{{38.2946f, 51.6963f},
                                                 {73.5318f, 51.5014f},
                                                 {56.0252f, 71.7366f},
                                                 {41.5493f, 92.3655f},
                                                 {70.7299f, 92.2041f}};
    return points;
}

cv::Mat FaceAlignment::align(const cv::Mat& bgr, const std::vector<cv::Point2f>& fivePoints) {
    if (fivePoints.size() != 5 || bgr.empty()) return {};
    for (const auto& p : fivePoints) {
        if (!std::isfinite(p.x) || !std::isfinite(p.y)) return {};
    }
    // A reprojection threshold far beyond the template's size makes every point an inlier, so
    // the result is the least-squares similarity over all five points (as ArcFace's own
    // alignment does) rather than a fit that drops a point.
    const cv::Mat transform = cv::estimateAffinePartial2D(
        fivePoints, templatePoints(), cv::noArray(), cv::RANSAC, /*ransacReprojThreshold=*/1e4);
    if (transform.empty()) return {};
    // A scale of zero (all points on top of each other) cannot be inverted by warpAffine.
    const double scale = std::hypot(transform.at<double>(0, 0), transform.at<double>(1, 0));
    if (!(scale > 1e-6) || !std::isfinite(scale)) return {};
    cv::Mat aligned;
    cv::warpAffine(bgr, aligned, transform, cv::Size(kSide, kSide), cv::INTER_LINEAR,
                   cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0));
    return aligned;
}

}  // namespace vigil::vision
