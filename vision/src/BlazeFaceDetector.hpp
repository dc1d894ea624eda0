#pragma once
// MediaPipe's BlazeFace front-camera model (128x128, NHWC, Barracuda export). The network
// gives raw offsets for 896 fixed anchors; the anchors and their decoding are MediaPipe's
// (SsdAnchorsCalculator, TensorsToDetectionsCalculator) for this model.

#include <opencv2/dnn.hpp>
#include <string>

#include "FaceDetector.hpp"

namespace vigil::vision {

class BlazeFaceDetector final : public FaceDetector {
public:
    // Throws VisionError("model_invalid") when OpenCV cannot load or run the file.
    BlazeFaceDetector(const std::string& modelPath, float threshold, float nmsIou = 0.3f);
    std::vector<Face> detect(const cv::Mat& bgr) override;
    std::string_view name() const override { return "blazeface"; }

private:
    struct Anchor {
        float cx;
        float cy;
    };
    std::vector<Face> decode(const std::vector<cv::Mat>& outs, float side) const;

    cv::dnn::Net net_;  // Owned.
    float threshold_;
    float nmsIou_;
    std::vector<Anchor> anchors_;
    std::vector<cv::String> outputs_;
};

}  // namespace vigil::vision
