#pragma once
// OpenCV's YuNet detector (cv::FaceDetectorYN) with an agency's own model file. It gives the
// five ArcFace points itself.

#include <opencv2/objdetect.hpp>
#include <string>

#include "FaceDetector.hpp"

namespace vigil::vision {

class YuNetDetector final : public FaceDetector {
public:
    // Throws VisionError("model_invalid") when OpenCV cannot load the file.
    YuNetDetector(const std::string& modelPath, float threshold, float nmsIou = 0.3f);
    std::vector<Face> detect(const cv::Mat& bgr) override;
    std::string_view name() const override { return "yunet"; }

private:
    cv::Ptr<cv::FaceDetectorYN> detector_;  // Owned.
};

}  // namespace vigil::vision
