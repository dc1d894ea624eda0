#include "HaarDetector.hpp"

#include <algorithm>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <system_error>

namespace vigil::vision {

namespace {
// Pictures are scanned at most this wide: beyond it the cascade only costs more time.
constexpr int kWorkWidth = 640;
}  // namespace

HaarDetector::HaarDetector(const std::string& cascadePath) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(cascadePath, ec)) {
        throw VisionError("model_missing", "Haar cascade file not found: " + cascadePath);
    }
    bool loaded = false;
    try {
        loaded = cascade_.load(cascadePath);
    } catch (const cv::Exception&) {
        loaded = false;
    }
    if (!loaded || cascade_.empty()) {
        throw VisionError("model_invalid", "Haar cascade " + cascadePath + " cannot be loaded");
    }
}

std::vector<Face> HaarDetector::detect(const cv::Mat& bgr) {
    cv::Mat gray;
    cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
    double scale = 1.0;
    if (gray.cols > kWorkWidth) {
        scale = static_cast<double>(gray.cols) / kWorkWidth;
        const int rows = std::max(1, static_cast<int>(gray.rows / scale));
        cv::resize(gray, gray, cv::Size(kWorkWidth, rows), 0, 0, cv::INTER_AREA);
    }
    cv::equalizeHist(gray, gray);
    std::vector<cv::Rect> boxes;
    std::vector<int> neighbours;
    // Six neighbours: fewer let wallpaper and shirt folds through on webcam frames.
    cascade_.detectMultiScale(gray, boxes, neighbours, 1.1, 6, 0, cv::Size(24, 24));
    std::vector<Face> faces;
    for (size_t i = 0; i < boxes.size(); ++i) {
        Face face;
        const auto s = static_cast<float>(scale);
        face.box = cv::Rect2f(
            static_cast<float>(boxes[i].x) * s, static_cast<float>(boxes[i].y) * s,
            static_cast<float>(boxes[i].width) * s, static_cast<float>(boxes[i].height) * s);
        // The cascade has no calibrated confidence: every face it keeps counts as certain.
        face.score = 1.0f;
        faces.push_back(std::move(face));
    }
    std::sort(faces.begin(), faces.end(),
              [](const Face& a, const Face& b) { return a.box.area() > b.box.area(); });
    return faces;
}

}  // namespace vigil::vision
