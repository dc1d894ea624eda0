#pragma once
// Paths and pictures shared by the vision tests: the models and labelled media installed by
// scripts/assets under var/, and synthetic frames with no face in them.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "vigil/vision/Liveness.hpp"
#include "vigil/vision/VisionOptions.hpp"

namespace vigil::vision::test {

inline std::string assets() {
    return VIGIL_ASSETS_DIR;
}
inline std::string modelsDir() {
    return assets() + "/models";
}
inline std::string photo(const std::string& name) {
    return assets() + "/testdata/photos/" + name;
}

// Frame `index` (00001.jpg, ...) of a labelled clip under testdata/video/.
inline std::string framePath(const std::string& clip, int index) {
    char name[16];
    std::snprintf(name, sizeof name, "%05d.jpg", index);
    return assets() + "/testdata/video/" + clip + "/" + name;
}

// Every challenge a subject can be given.
inline const std::vector<Challenge> kAllChallenges{Challenge::TurnLeft, Challenge::TurnRight,
                                                   Challenge::LookUp, Challenge::Blink};

inline VisionOptions defaultOptions() {
    VisionOptions options;
    options.modelsDir = modelsDir();
    return options;
}

inline cv::Mat load(const std::string& path) {
    cv::Mat image = cv::imread(path, cv::IMREAD_COLOR);
    if (image.empty()) ADD_FAILURE() << "cannot read " << path << " (run scripts/assets)";
    return image;
}

inline cv::Mat loadPhoto(const std::string& name) {
    return load(photo(name));
}

// Every `step`-th frame of a 10 fps capture under var/testdata/video/<name>/, in order.
inline std::vector<std::string> videoFrames(const std::string& name, size_t step = 1) {
    std::vector<std::string> all;
    for (const auto& e :
         std::filesystem::directory_iterator(assets() + "/testdata/video/" + name)) {
        if (e.path().extension() == ".jpg") all.push_back(e.path().string());
    }
    std::sort(all.begin(), all.end());
    std::vector<std::string> picked;
    for (size_t i = 0; i < all.size(); i += step) picked.push_back(all[i]);
    return picked;
}

// Frames without a face: noise, gradients, colour bars, blobs and a dull wall; the same
// frames on every call (their own random generator, not OpenCV's global one).
inline std::vector<cv::Mat> syntheticFrames() {
    std::vector<cv::Mat> frames;
    cv::RNG rng(20240611);
    for (const cv::Size size : {cv::Size(320, 240), cv::Size(640, 480)}) {
        cv::Mat uniform(size, CV_8UC3);
        rng.fill(uniform, cv::RNG::UNIFORM, 0, 256);
        frames.push_back(uniform);

        cv::Mat gray(size, CV_8UC1);
        rng.fill(gray, cv::RNG::NORMAL, 128, 40);
        cv::Mat grayBgr;
        cv::cvtColor(gray, grayBgr, cv::COLOR_GRAY2BGR);
        frames.push_back(grayBgr);

        cv::Mat gradient(size, CV_8UC3);
        for (int y = 0; y < size.height; ++y) {
            gradient.row(y).setTo(
                cv::Scalar(y * 255 / size.height, 255 - y * 255 / size.height, 90));
        }
        frames.push_back(gradient);

        cv::Mat bars(size, CV_8UC3);
        for (int x = 0; x < size.width; ++x) {
            const int bar = x * 7 / size.width;
            bars.col(x).setTo(cv::Scalar(bar & 1 ? 255 : 0, bar & 2 ? 255 : 0, bar & 4 ? 255 : 0));
        }
        frames.push_back(bars);

        cv::Mat blobs(size, CV_8UC3, cv::Scalar(180, 160, 140));
        for (int i = 0; i < 12; ++i) {
            cv::circle(blobs, {rng.uniform(0, size.width), rng.uniform(0, size.height)},
                       rng.uniform(5, 60),
                       cv::Scalar(rng.uniform(0, 256), rng.uniform(0, 256), rng.uniform(0, 256)),
                       cv::FILLED);
        }
        frames.push_back(blobs);

        cv::Mat coarse(size.height / 8, size.width / 8, CV_8UC3);
        rng.fill(coarse, cv::RNG::UNIFORM, 0, 256);
        cv::Mat smooth;
        cv::resize(coarse, smooth, size, 0, 0, cv::INTER_CUBIC);
        frames.push_back(smooth);

        frames.emplace_back(size, CV_8UC3, cv::Scalar(200, 205, 210));
    }
    return frames;
}

}  // namespace vigil::vision::test
