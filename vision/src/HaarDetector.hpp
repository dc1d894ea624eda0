#pragma once
// OpenCV's frontal-face Haar cascade (package opencv-data). It finds faces but its boxes are
// too loose and too unsteady to align a face for identity, so a verifier using it cannot
// verify anyone; it is the last resort when no detector model is installed.

#include <opencv2/objdetect.hpp>
#include <string>

#include "FaceDetector.hpp"

namespace vigil::vision {

class HaarDetector final : public FaceDetector {
public:
    // Throws VisionError("model_missing") when the cascade file is missing and
    // VisionError("model_invalid") when it cannot be parsed.
    explicit HaarDetector(const std::string& cascadePath);
    std::vector<Face> detect(const cv::Mat& bgr) override;
    std::string_view name() const override { return "haar"; }

private:
    cv::CascadeClassifier cascade_;  // Owned.
};

}  // namespace vigil::vision
