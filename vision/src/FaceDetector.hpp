#pragma once
// A face detector: one picture in, the faces it finds in that picture's coordinates out.
// Implementations own their model and are not thread-safe (one per PresenceVerifier).

#include <opencv2/core.hpp>
#include <string_view>
#include <vector>

#include "vigil/vision/Types.hpp"

namespace vigil::vision {

class FaceDetector {
public:
    virtual ~FaceDetector() = default;
    // `bgr` is CV_8UC3 and not empty. Faces at or above the detector's threshold, best first.
    virtual std::vector<Face> detect(const cv::Mat& bgr) = 0;
    virtual std::string_view name() const = 0;
};

// Greedy non-maximum suppression: keeps the best-scoring face of every group whose boxes
// overlap by more than `iou`. Returns the kept faces, best first.
std::vector<Face> suppressOverlaps(std::vector<Face> faces, float iou);

}  // namespace vigil::vision
