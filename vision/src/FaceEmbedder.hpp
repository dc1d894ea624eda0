#pragma once
// A face recogniser: a face and its five points in, an L2-normalised identity vector out.
// Implementations own their model and are not thread-safe.

#include <opencv2/core.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "vigil/vision/Types.hpp"

namespace vigil::vision {

class FaceEmbedder {
public:
    virtual ~FaceEmbedder() = default;
    // `bgr` is CV_8UC3; `fivePoints` in Face::keypoints' order. Nullopt when the face cannot
    // be aligned.
    virtual std::optional<Embedding> embed(const cv::Mat& bgr, const Face& face,
                                           const std::vector<cv::Point2f>& fivePoints) = 0;
    // Embedding of a face already aligned to the 112x112 template (for the benchmark's stages).
    virtual std::optional<Embedding> embedAligned(const cv::Mat& aligned) = 0;
    // The aligned 112x112 crop this embedder would feed its network.
    virtual cv::Mat align(const cv::Mat& bgr, const Face& face,
                          const std::vector<cv::Point2f>& fivePoints) = 0;
    virtual std::string_view name() const = 0;

    // Scales `v` to unit length; nullopt when it is zero or not finite.
    static std::optional<Embedding> normalised(const float* v, size_t n);
};

}  // namespace vigil::vision
