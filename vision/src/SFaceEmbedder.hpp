#pragma once
// OpenCV's SFace recogniser (cv::FaceRecognizerSF) with an agency's own model file; it aligns
// to the same five-point template as ArcFace.

#include <opencv2/objdetect.hpp>
#include <string>

#include "FaceEmbedder.hpp"

namespace vigil::vision {

class SFaceEmbedder final : public FaceEmbedder {
public:
    // Throws VisionError("model_invalid") when OpenCV cannot load the file.
    explicit SFaceEmbedder(const std::string& modelPath);
    std::optional<Embedding> embed(const cv::Mat& bgr, const Face& face,
                                   const std::vector<cv::Point2f>& fivePoints) override;
    std::optional<Embedding> embedAligned(const cv::Mat& aligned) override;
    cv::Mat align(const cv::Mat& bgr, const Face& face,
                  const std::vector<cv::Point2f>& fivePoints) override;
    std::string_view name() const override { return "sface"; }

private:
    cv::Ptr<cv::FaceRecognizerSF> recognizer_;  // Owned.
};

}  // namespace vigil::vision
