#include "FaceDetector.hpp"

#include <algorithm>

namespace vigil::vision {

namespace {
float overlap(const cv::Rect2f& a, const cv::Rect2f& b) {
    const float inter = (a & b).area();
    const float both = a.area() + b.area() - inter;
    return both > 0 ? inter / both : 0.0f;
}
}  // namespace

std::vector<Face> suppressOverlaps(std::vector<Face> faces, float iou) {
    std::sort(faces.begin(), faces.end(),
              [](const Face& a, const Face& b) { return a.score > b.score; });
    std::vector<Face> kept;
    for (auto& face : faces) {
        const bool covered = std::any_of(kept.begin(), kept.end(), [&](const Face& k) {
            return overlap(k.box, face.box) > iou;
        });
        if (!covered) kept.push_back(std::move(face));
    }
    return kept;
}

}  // namespace vigil::vision
