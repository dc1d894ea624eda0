#pragma once
// The labelled pictures under var/testdata: who is in each one and how many faces it shows.

#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace visionbench {

struct Picture {
    std::string path;
    std::string name;      // File name, or capture/frame.
    std::string identity;  // Empty: not a person whose identity is known (mask, drawing).
    int faces{1};          // Faces a detector should find.
    cv::Mat image;
};

struct Dataset {
    std::vector<Picture> photos;     // The still photos.
    std::vector<Picture> webcam;     // Frames of the two webcam captures (cap12, cap13).
    std::vector<cv::Mat> synthetic;  // Frames without a face.
};

// Loads every labelled photo, every `frameStep`-th webcam frame and the synthetic frames.
// Throws std::runtime_error when the test data is missing.
Dataset loadDataset(const std::string& testdataDir, int frameStep);

}  // namespace visionbench
