#include "LandmarkModel.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "vigil/vision/Types.hpp"

namespace vigil::vision {

namespace {
constexpr int kLandmarkSide = 64;
constexpr int kPoints = 68;

// The crop the model was trained on: the detector's box, moved (not shrunk) to lie inside the
// picture when it overhangs an edge, and clipped only when it is larger than the picture.
cv::Rect cropFor(const cv::Rect2f& box, const cv::Size& size) {
    const cv::Rect2f frame(0, 0, static_cast<float>(size.width), static_cast<float>(size.height));
    if ((box & frame).area() < 1) return {};
    const int w = std::min(static_cast<int>(std::lround(box.width)), size.width);
    const int h = std::min(static_cast<int>(std::lround(box.height)), size.height);
    if (w < 2 || h < 2) return {};
    int x = static_cast<int>(std::lround(box.x));
    int y = static_cast<int>(std::lround(box.y));
    x = std::clamp(x, 0, size.width - w);
    y = std::clamp(y, 0, size.height - h);
    return {x, y, w, h};
}

cv::Point2f mean(const std::vector<cv::Point2f>& p, int from, int to) {
    cv::Point2f sum(0, 0);
    for (int i = from; i <= to; ++i) sum += p[static_cast<size_t>(i)];
    return sum / static_cast<float>(to - from + 1);
}
}  // namespace

LandmarkModel::LandmarkModel(const std::string& modelPath) {
    try {
        net_ = cv::dnn::readNetFromONNX(modelPath);
        net_.setInput(cv::dnn::blobFromImage(cv::Mat::zeros(kLandmarkSide, kLandmarkSide, CV_8UC1)),
                      "input");
        const cv::Mat out = net_.forward();
        if (out.total() != 2 * static_cast<size_t>(kPoints)) {
            throw VisionError("model_invalid", "landmark model " + modelPath +
                                                   ": expected 136 outputs, got " +
                                                   std::to_string(out.total()));
        }
    } catch (const cv::Exception& e) {
        throw VisionError("model_invalid",
                          "landmark model " + modelPath + " cannot be loaded: " + e.what());
    }
}

std::vector<cv::Point2f> LandmarkModel::locate(const cv::Mat& gray, const cv::Rect2f& box) {
    const cv::Rect crop = cropFor(box, gray.size());
    if (crop.empty()) return {};
    cv::Mat patch;
    cv::resize(gray(crop), patch, cv::Size(kLandmarkSide, kLandmarkSide), 0, 0, cv::INTER_LINEAR);
    net_.setInput(cv::dnn::blobFromImage(patch, 1.0 / 256.0), "input");
    const cv::Mat out = net_.forward();
    const auto* v = out.ptr<float>();
    std::vector<cv::Point2f> points;
    points.reserve(kPoints);
    for (int i = 0; i < kPoints; ++i) {
        points.emplace_back(
            static_cast<float>(crop.x) + v[2 * std::ptrdiff_t{i}] * static_cast<float>(crop.width),
            static_cast<float>(crop.y) +
                v[2 * std::ptrdiff_t{i} + 1] * static_cast<float>(crop.height));
    }
    return points;
}

std::vector<cv::Point2f> LandmarkModel::fivePoints(const std::vector<cv::Point2f>& landmarks) {
    if (landmarks.size() != kPoints) return {};
    return {mean(landmarks, 36, 41), mean(landmarks, 42, 47), landmarks[30], landmarks[48],
            landmarks[54]};
}

}  // namespace vigil::vision
