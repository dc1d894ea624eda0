#pragma once
// Warps a face onto the ArcFace 112x112 template from its five points, so that the embedder
// always sees the eyes, nose and mouth at the same place.

#include <opencv2/core.hpp>
#include <vector>

namespace vigil::vision {

class FaceAlignment {
public:
    static constexpr int kSide = 112;
    // The template's points, in the order of Face::keypoints.
    static const std::vector<cv::Point2f>& templatePoints();
    // Empty when the points are not five or give no usable similarity transform.
    static cv::Mat align(const cv::Mat& bgr, const std::vector<cv::Point2f>& fivePoints);
};

}  // namespace vigil::vision
