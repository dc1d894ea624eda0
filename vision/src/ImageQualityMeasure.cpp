#include "ImageQualityMeasure.hpp"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace vigil::vision {

namespace {
// Measures are taken on at most this many columns: they describe the picture as a whole and
// need not cost more on a 4K frame than on a VGA one.
constexpr int kMeasureWidth = 640;

cv::Rect clip(const cv::Rect2f& box, const cv::Size& size) {
    const cv::Rect r(
        cv::Point(static_cast<int>(box.x), static_cast<int>(box.y)),
        cv::Point(static_cast<int>(box.x + box.width), static_cast<int>(box.y + box.height)));
    return r & cv::Rect(0, 0, size.width, size.height);
}

double laplacianVariance(const cv::Mat& gray) {
    cv::Mat lap;
    cv::Laplacian(gray, lap, CV_32F);
    cv::Scalar mean, stddev;
    cv::meanStdDev(lap, mean, stddev);
    return stddev[0] * stddev[0];
}
}  // namespace

ImageQuality ImageQualityMeasure::picture(const cv::Mat& gray) {
    ImageQuality q;
    if (gray.empty()) return q;
    cv::Mat small = gray;
    if (gray.cols > kMeasureWidth) {
        const int rows = std::max(1, gray.rows * kMeasureWidth / gray.cols);
        cv::resize(gray, small, cv::Size(kMeasureWidth, rows), 0, 0, cv::INTER_AREA);
    }
    cv::Scalar mean, stddev;
    cv::meanStdDev(small, mean, stddev);
    q.brightness = mean[0];
    q.contrast = stddev[0];
    q.sharpness = small.rows >= 3 && small.cols >= 3 ? laplacianVariance(small) : 0.0;
    return q;
}

double ImageQualityMeasure::faceSharpness(const cv::Mat& gray, const cv::Rect2f& box) {
    const cv::Rect r = clip(box, gray.size());
    if (r.width < 3 || r.height < 3) return 0.0;
    cv::Mat face;
    // Downscaling averages (INTER_AREA) and upscaling interpolates, so neither invents detail.
    const int interpolation = r.width > kFaceSide ? cv::INTER_AREA : cv::INTER_LINEAR;
    const int height = std::max(3, r.height * kFaceSide / r.width);
    cv::resize(gray(r), face, cv::Size(kFaceSide, height), 0, 0, interpolation);
    return laplacianVariance(face);
}

double ImageQualityMeasure::faceBrightness(const cv::Mat& gray, const cv::Rect2f& box) {
    const cv::Rect r = clip(box, gray.size());
    if (r.empty()) return 0.0;
    return cv::mean(gray(r))[0];
}

}  // namespace vigil::vision
