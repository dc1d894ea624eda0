#include "BlazeFaceDetector.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace vigil::vision {

namespace {
constexpr int kBlazeSide = 128;
constexpr int kValues = 16;  // Box (cx, cy, w, h) then six keypoints (x, y).

// The front model's anchor layout: a 16x16 grid (stride 8) with 2 anchors per cell, then an
// 8x8 grid (stride 16, three layers merged) with 6; 896 in all, every anchor of unit size.
struct Layer {
    int grid;
    int perCell;
};
constexpr std::array<Layer, 2> kLayers{{{16, 2}, {8, 6}}};

float sigmoid(float x) {
    return 1.0f / (1.0f + std::exp(-std::clamp(x, -100.0f, 100.0f)));
}

cv::Mat blazeInput(const cv::Mat& square) {
    // NHWC, RGB scaled to [-1, 1].
    cv::Mat rgb;
    cv::cvtColor(square, rgb, cv::COLOR_BGR2RGB);
    cv::resize(rgb, rgb, cv::Size(kBlazeSide, kBlazeSide), 0, 0, cv::INTER_AREA);
    cv::Mat scaled;
    rgb.convertTo(scaled, CV_32FC3, 1.0 / 127.5, -1.0);
    const int shape[] = {1, kBlazeSide, kBlazeSide, 3};
    return cv::Mat(4, shape, CV_32F, scaled.data).clone();
}

int anchorsOf(const cv::Mat& m) {
    return m.dims == 3 ? m.size[1] : 0;
}
int widthOf(const cv::Mat& m) {
    return m.dims == 3 ? m.size[2] : 0;
}
}  // namespace

BlazeFaceDetector::BlazeFaceDetector(const std::string& modelPath, float threshold, float nmsIou)
    : threshold_(threshold), nmsIou_(nmsIou) {
    for (const auto& layer : kLayers) {
        for (int y = 0; y < layer.grid; ++y) {
            for (int x = 0; x < layer.grid; ++x) {
                for (int a = 0; a < layer.perCell; ++a) {
                    anchors_.push_back(
                        {(static_cast<float>(x) + 0.5f) / static_cast<float>(layer.grid),
                         (static_cast<float>(y) + 0.5f) / static_cast<float>(layer.grid)});
                }
            }
        }
    }
    try {
        net_ = cv::dnn::readNetFromONNX(modelPath);
        outputs_ = net_.getUnconnectedOutLayersNames();
        net_.setInput(blazeInput(cv::Mat::zeros(kBlazeSide, kBlazeSide, CV_8UC3)));
        std::vector<cv::Mat> outs;
        net_.forward(outs, outputs_);
        // Four outputs: scores and regressors for each of the two grids, in any order.
        int scores = 0, regressors = 0;
        for (const auto& o : outs) {
            if (widthOf(o) == 1) scores += anchorsOf(o);
            if (widthOf(o) == kValues) regressors += anchorsOf(o);
        }
        if (outs.size() != 4 || scores != static_cast<int>(anchors_.size()) ||
            regressors != static_cast<int>(anchors_.size())) {
            throw VisionError("model_invalid",
                              "face detector " + modelPath +
                                  ": expected BlazeFace front outputs for 896 anchors");
        }
    } catch (const cv::Exception& e) {
        throw VisionError("model_invalid",
                          "face detector " + modelPath + " cannot be loaded: " + e.what());
    }
}

std::vector<Face> BlazeFaceDetector::decode(const std::vector<cv::Mat>& outs, float side) const {
    // Pair each grid's scores with its regressors by anchor count (512 then 384).
    std::vector<Face> faces;
    size_t first = 0;
    for (const auto& layer : kLayers) {
        const int count = layer.grid * layer.grid * layer.perCell;
        const cv::Mat* scores = nullptr;
        const cv::Mat* boxes = nullptr;
        for (const auto& o : outs) {
            if (anchorsOf(o) != count) continue;
            if (widthOf(o) == 1) scores = &o;
            if (widthOf(o) == kValues) boxes = &o;
        }
        if (scores == nullptr || boxes == nullptr) return {};
        const auto* s = scores->ptr<float>();
        const auto* b = boxes->ptr<float>();
        for (int i = 0; i < count; ++i) {
            const float score = sigmoid(s[i]);
            if (score < threshold_) continue;
            const Anchor& anchor = anchors_[first + static_cast<size_t>(i)];
            const float* r = b + static_cast<ptrdiff_t>(i) * kValues;
            const float cx = (r[0] / kBlazeSide + anchor.cx) * side;
            const float cy = (r[1] / kBlazeSide + anchor.cy) * side;
            const float w = r[2] / kBlazeSide * side;
            const float h = r[3] / kBlazeSide * side;
            if (!(w > 1) || !(h > 1)) continue;
            Face face;
            face.box = cv::Rect2f(cx - w / 2, cy - h / 2, w, h);
            face.score = score;
            faces.push_back(std::move(face));
        }
        first += static_cast<size_t>(count);
    }
    return faces;
}

std::vector<Face> BlazeFaceDetector::detect(const cv::Mat& bgr) {
    // Pad to a square on the right and bottom so that the face keeps its proportions, as
    // MediaPipe letterboxes; coordinates then map back by one scale factor.
    const int side = std::max(bgr.cols, bgr.rows);
    cv::Mat square;
    cv::copyMakeBorder(bgr, square, 0, side - bgr.rows, 0, side - bgr.cols, cv::BORDER_CONSTANT,
                       cv::Scalar(0, 0, 0));
    net_.setInput(blazeInput(square));
    std::vector<cv::Mat> outs;
    net_.forward(outs, outputs_);
    std::vector<Face> faces = suppressOverlaps(decode(outs, static_cast<float>(side)), nmsIou_);
    const cv::Rect2f frame(0, 0, static_cast<float>(bgr.cols), static_cast<float>(bgr.rows));
    std::vector<Face> inside;
    for (auto& face : faces) {
        face.box &= frame;
        if (face.box.width >= 1 && face.box.height >= 1) inside.push_back(std::move(face));
    }
    return inside;
}

}  // namespace vigil::vision
