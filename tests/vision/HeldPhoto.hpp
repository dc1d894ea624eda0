#pragma once
// A photo held up to the camera: a picture warped as a flat print turned and tilted in the
// hand. Shared by the liveness tests and `vision_bench --liveness-live`.

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace vigil::vision::spoof {

// `picture` as a flat photo turned by `turnDeg` about its vertical axis and tilted by
// `tiltDeg` about its horizontal one, in front of a camera whose focal length is the width.
inline cv::Mat heldPhoto(const cv::Mat& picture, double turnDeg, double tiltDeg) {
    const double w = picture.cols;
    const double h = picture.rows;
    const double focal = w;
    const double a = turnDeg * CV_PI / 180;
    const double b = tiltDeg * CV_PI / 180;
    const std::vector<cv::Point2f> corners{{0, 0},
                                           {static_cast<float>(w), 0},
                                           {static_cast<float>(w), static_cast<float>(h)},
                                           {0, static_cast<float>(h)}};
    std::vector<cv::Point2f> seen;
    for (const cv::Point2f& c : corners) {
        const double x = c.x - w / 2;
        const double y = c.y - h / 2;
        const double x1 = x * std::cos(a);
        const double z1 = -x * std::sin(a);
        const double y2 = y * std::cos(b) - z1 * std::sin(b);
        const double z2 = y * std::sin(b) + z1 * std::cos(b);
        const double depth = focal + z2;
        seen.emplace_back(static_cast<float>(focal * x1 / depth + w / 2),
                          static_cast<float>(focal * y2 / depth + h / 2));
    }
    cv::Mat out;
    cv::warpPerspective(picture, out, cv::getPerspectiveTransform(corners, seen), picture.size(),
                        cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(40, 40, 40));
    return out;
}

}  // namespace vigil::vision::spoof
