#include "Throughput.hpp"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <opencv2/imgproc.hpp>

namespace visionbench {

namespace {

using vigil::vision::Outcome;
using vigil::vision::StageTimes;

double cpuSecondsNow() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

Percentiles percentiles(std::vector<double> values) {
    if (values.empty()) return {};
    std::sort(values.begin(), values.end());
    const auto at = [&](double q) {
        const auto i = static_cast<size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
        return values[std::min(i, values.size() - 1)];
    };
    return {at(0.50), at(0.99)};
}

}  // namespace

cv::Mat fitTo(const cv::Mat& picture, cv::Size size) {
    const double want = static_cast<double>(size.width) / size.height;
    const double have = static_cast<double>(picture.cols) / picture.rows;
    cv::Rect crop(0, 0, picture.cols, picture.rows);
    if (have > want) {
        crop.width = static_cast<int>(picture.rows * want);
        crop.x = (picture.cols - crop.width) / 2;
    } else {
        crop.height = static_cast<int>(picture.cols / want);
        crop.y = (picture.rows - crop.height) / 2;
    }
    cv::Mat out;
    cv::resize(picture(crop), out, size, 0, 0, cv::INTER_AREA);
    return out;
}

ThroughputResult measureThroughput(vigil::vision::PresenceVerifier& verifier,
                                   const std::vector<cv::Mat>& pictures, cv::Size size,
                                   const std::vector<vigil::vision::Embedding>& references,
                                   double seconds) {
    std::vector<cv::Mat> frames;
    for (const auto& p : pictures) frames.push_back(fitTo(p, size));
    for (size_t i = 0; i < std::min<size_t>(5, frames.size()); ++i) {
        (void)verifier.check(frames[i], references);
    }

    ThroughputResult r;
    r.size = size;
    std::vector<StageTimes> times;
    const auto start = std::chrono::steady_clock::now();
    const double cpuStart = cpuSecondsNow();
    for (size_t i = 0;; ++i) {
        const auto result = verifier.check(frames[i % frames.size()], references);
        times.push_back(result.times);
        if (result.outcome == Outcome::Verified) ++r.verified;
        ++r.checks;
        r.wallSeconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (r.wallSeconds >= seconds && i + 1 >= frames.size()) break;
    }
    r.cpuSeconds = cpuSecondsNow() - cpuStart;

    const auto stage = [&](double StageTimes::*field) {
        std::vector<double> values;
        for (const auto& t : times) values.push_back(t.*field);
        return percentiles(std::move(values));
    };
    r.detect = stage(&StageTimes::detectMs);
    r.landmarks = stage(&StageTimes::landmarksMs);
    r.align = stage(&StageTimes::alignMs);
    r.embed = stage(&StageTimes::embedMs);
    r.compare = stage(&StageTimes::compareMs);
    r.total = stage(&StageTimes::totalMs);
    return r;
}

}  // namespace visionbench
