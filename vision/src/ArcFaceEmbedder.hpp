#pragma once
// ArcFace-style recogniser (fr_feature.onnx): a 112x112 RGB face aligned to the ArcFace
// template in, 512 values out.

#include <opencv2/dnn.hpp>
#include <string>

#include "FaceEmbedder.hpp"

namespace vigil::vision {

class ArcFaceEmbedder final : public FaceEmbedder {
public:
    // Throws VisionError("model_invalid") when the file is not this model.
    explicit ArcFaceEmbedder(const std::string& modelPath);
    std::optional<Embedding> embed(const cv::Mat& bgr, const Face& face,
                                   const std::vector<cv::Point2f>& fivePoints) override;
    std::optional<Embedding> embedAligned(const cv::Mat& aligned) override;
    cv::Mat align(const cv::Mat& bgr, const Face& face,
                  const std::vector<cv::Point2f>& fivePoints) override;
    std::string_view name() const override { return "arcface"; }

private:
    cv::dnn::Net net_;  // Owned.
    size_t dims_{0};
};

}  // namespace vigil::vision
