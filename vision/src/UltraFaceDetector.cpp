#include "UltraFaceDetector.hpp"

#include <algorithm>

#include "vigil/vision/Types.hpp"

namespace vigil::vision {

namespace {
constexpr int kWidth = 320;
constexpr int kHeight = 240;
constexpr int kPriors = 4420;

cv::Mat ultraFaceInput(const cv::Mat& bgr) {
    // (pixel - 127) / 128 in BGR order, as the model's own JavaScript ends up feeding it (an
    // RGBA canvas put through BGR2RGB). Measured on the labelled photos, BGR and RGB find the
    // same faces; BGR keeps faces a little better at small sizes and gives fewer doubles.
    return cv::dnn::blobFromImage(bgr, 1.0 / 128.0, cv::Size(kWidth, kHeight),
                                  cv::Scalar(127, 127, 127), /*swapRB=*/false, /*crop=*/false);
}

bool hasShape(const cv::Mat& m, int rows, int cols) {
    return m.dims == 3 && m.size[0] == 1 && m.size[1] == rows && m.size[2] == cols &&
           m.type() == CV_32F;
}
}  // namespace

UltraFaceDetector::UltraFaceDetector(const std::string& modelPath, float threshold, float nmsIou)
    : threshold_(threshold), nmsIou_(nmsIou) {
    try {
        net_ = cv::dnn::readNetFromONNX(modelPath);
        // One pass on a blank picture checks the outputs' names and shapes now rather than on
        // the first subject's frame.
        net_.setInput(ultraFaceInput(cv::Mat::zeros(kHeight, kWidth, CV_8UC3)), "input");
        std::vector<cv::Mat> outs;
        net_.forward(outs, outputs_);
        if (outs.size() != 2 || !hasShape(outs[0], kPriors, 4) || !hasShape(outs[1], kPriors, 2)) {
            throw VisionError("model_invalid",
                              "face detector " + modelPath +
                                  ": expected outputs boxes [1,4420,4] and scores [1,4420,2]");
        }
    } catch (const cv::Exception& e) {
        throw VisionError("model_invalid",
                          "face detector " + modelPath + " cannot be loaded: " + e.what());
    }
}

std::vector<Face> UltraFaceDetector::detect(const cv::Mat& bgr) {
    net_.setInput(ultraFaceInput(bgr), "input");
    std::vector<cv::Mat> outs;
    net_.forward(outs, outputs_);
    const auto* boxes = outs[0].ptr<float>();
    const auto* scores = outs[1].ptr<float>();
    const auto w = static_cast<float>(bgr.cols);
    const auto h = static_cast<float>(bgr.rows);
    std::vector<Face> faces;
    for (int i = 0; i < kPriors; ++i) {
        const float score = scores[2 * i + 1];
        if (score < threshold_) continue;
        const float* b = boxes + 4 * std::ptrdiff_t{i};
        const float x1 = std::clamp(b[0], 0.0f, 1.0f) * w;
        const float y1 = std::clamp(b[1], 0.0f, 1.0f) * h;
        const float x2 = std::clamp(b[2], 0.0f, 1.0f) * w;
        const float y2 = std::clamp(b[3], 0.0f, 1.0f) * h;
        if (x2 - x1 < 1 || y2 - y1 < 1) continue;
        Face face;
        face.box = cv::Rect2f(x1, y1, x2 - x1, y2 - y1);
        face.score = score;
        faces.push_back(std::move(face));
    }
    return suppressOverlaps(std::move(faces), nmsIou_);
}

}  // namespace vigil::vision
