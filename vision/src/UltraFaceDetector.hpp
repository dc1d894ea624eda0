#pragma once
// UltraFace-style detector (fr_detect.onnx): 320x240 RGB input, 4420 priors whose boxes the
// model already decodes to normalised corners, and a background/face score pair per prior.

#include <opencv2/dnn.hpp>
#include <string>

#include "FaceDetector.hpp"

namespace vigil::vision {

class UltraFaceDetector final : public FaceDetector {
public:
    // Throws VisionError("model_invalid") when the file is not this model.
    UltraFaceDetector(const std::string& modelPath, float threshold, float nmsIou = 0.4f);
    std::vector<Face> detect(const cv::Mat& bgr) override;
    std::string_view name() const override { return "ultraface"; }

private:
    cv::dnn::Net net_;  // Owned.
    float threshold_;
    float nmsIou_;
    std::vector<cv::String> outputs_{"boxes", "scores"};
};

}  // namespace vigil::vision
