#include <cstdint>
#include <opencv2/imgproc.hpp>

#include "vigil/vision/PresenceJudge.hpp"

namespace vigil::vision {

namespace {

// Small enough that sensor noise averages out, large enough that a moving head changes it.
const cv::Size kThumb{32, 24};

cv::Mat thumbnail(const cv::Mat& frame) {
    cv::Mat picture = frame;
    if (picture.depth() != CV_8U) frame.convertTo(picture, CV_8U);
    cv::Mat gray;
    switch (picture.channels()) {
        case 1:
            gray = picture;
            break;
        case 3:
            cv::cvtColor(picture, gray, cv::COLOR_BGR2GRAY);
            break;
        case 4:
            cv::cvtColor(picture, gray, cv::COLOR_BGRA2GRAY);
            break;
        default:
            cv::extractChannel(picture, gray, 0);
            break;
    }
    cv::Mat small;
    cv::resize(gray, small, kThumb, 0, 0, cv::INTER_AREA);
    return small;
}

}  // namespace

bool FreezeDetector::frozen(const cv::Mat& bgr, std::int64_t ms) {
    if (bgr.empty()) {
        last_.release();
        unchangedSinceMs_ = -1;
        return false;
    }
    cv::Mat thumb = thumbnail(bgr);
    bool same = false;
    if (!last_.empty()) {
        cv::Mat diff;
        cv::absdiff(thumb, last_, diff);
        same = cv::mean(diff)[0] <= maxMeanDiff_;
    }
    if (!same) {
        last_ = thumb;
        unchangedSinceMs_ = ms;
        return false;
    }
    // A timestamp before the run began (a clock step back) is not evidence of a freeze.
    if (ms < unchangedSinceMs_) return false;
    const std::uint64_t unchanged =
        static_cast<std::uint64_t>(ms) - static_cast<std::uint64_t>(unchangedSinceMs_);
    return frozenMs_ <= 0 || unchanged >= static_cast<std::uint64_t>(frozenMs_);
}

}  // namespace vigil::vision
