#pragma once
// Presence checks per second on one core at a given frame size, with each stage's latency.

#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "vigil/vision/PresenceVerifier.hpp"

namespace visionbench {

struct Percentiles {
    double p50{0};
    double p99{0};
};

struct ThroughputResult {
    cv::Size size;
    int checks{0};
    double wallSeconds{0};
    double cpuSeconds{0};
    int verified{0};  // Checks whose outcome was verified (the pictures are of the subject).
    Percentiles detect, landmarks, align, embed, compare, total;
};

// Runs full checks (detect, landmarks, align, embed, compare against `references`) on
// `pictures` scaled to `size`, round-robin, for about `seconds` after a short warm-up.
ThroughputResult measureThroughput(vigil::vision::PresenceVerifier& verifier,
                                   const std::vector<cv::Mat>& pictures, cv::Size size,
                                   const std::vector<vigil::vision::Embedding>& references,
                                   double seconds);

// Scales to `size` after cropping the picture's centre to the same aspect ratio.
cv::Mat fitTo(const cv::Mat& picture, cv::Size size);

}  // namespace visionbench
