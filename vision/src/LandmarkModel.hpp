#pragma once
// 68-point landmarks (fr_landmark.onnx): a 64x64 gray crop of the detected box in, the
// iBUG 300-W points relative to that crop out.

#include <opencv2/dnn.hpp>
#include <string>
#include <vector>

namespace vigil::vision {

class LandmarkModel {
public:
    // Throws VisionError("model_invalid") when the file is not this model.
    explicit LandmarkModel(const std::string& modelPath);
    // `gray` is CV_8UC1. Empty when the box does not overlap the picture.
    std::vector<cv::Point2f> locate(const cv::Mat& gray, const cv::Rect2f& box);

    // The ArcFace template's five points from the 68: eye centres (image left, then right),
    // nose tip, mouth corners (image left, then right).
    static std::vector<cv::Point2f> fivePoints(const std::vector<cv::Point2f>& landmarks);

private:
    cv::dnn::Net net_;  // Owned.
};

}  // namespace vigil::vision
