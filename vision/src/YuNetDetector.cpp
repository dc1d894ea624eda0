#include "YuNetDetector.hpp"

#include <algorithm>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

namespace vigil::vision {

namespace {
// YuNet runs on the whole picture at its own size; past this width it only costs more.
constexpr int kWorkWidth = 640;
}  // namespace

YuNetDetector::YuNetDetector(const std::string& modelPath, float threshold, float nmsIou) {
    try {
        detector_ =
            cv::FaceDetectorYN::create(modelPath, "", cv::Size(320, 320), threshold, nmsIou, 5000);
        // FaceDetectorYN loads any ONNX file and then finds nothing with a wrong one: check
        // that the network has the outputs OpenCV 4.6's YuNet reads (loc, conf, iou).
        const cv::dnn::Net net = cv::dnn::readNet(modelPath);
        const auto names = net.getUnconnectedOutLayersNames();
        for (const char* wanted : {"loc", "conf", "iou"}) {
            if (std::find(names.begin(), names.end(), wanted) == names.end()) {
                throw VisionError("model_invalid", "face detector " + modelPath +
                                                       ": not a YuNet model (no output '" + wanted +
                                                       "')");
            }
        }
    } catch (const cv::Exception& e) {
        throw VisionError("model_invalid",
                          "face detector " + modelPath + " cannot be loaded: " + e.what());
    }
    if (!detector_) {
        throw VisionError("model_invalid", "face detector " + modelPath + " cannot be loaded");
    }
}

std::vector<Face> YuNetDetector::detect(const cv::Mat& bgr) {
    cv::Mat work = bgr;
    float scale = 1.0f;
    if (bgr.cols > kWorkWidth) {
        scale = static_cast<float>(bgr.cols) / static_cast<float>(kWorkWidth);
        cv::resize(bgr, work,
                   cv::Size(kWorkWidth,
                            std::max(1, static_cast<int>(static_cast<float>(bgr.rows) / scale))),
                   0, 0, cv::INTER_AREA);
    }
    detector_->setInputSize(work.size());
    cv::Mat rows;
    detector_->detect(work, rows);
    std::vector<Face> faces;
    for (int i = 0; i < rows.rows; ++i) {
        const auto* r = rows.ptr<float>(i);
        Face face;
        face.box = cv::Rect2f(r[0] * scale, r[1] * scale, r[2] * scale, r[3] * scale);
        // YuNet's order is the ArcFace template's: eyes, nose, mouth corners, image left first.
        for (int k = 0; k < 5; ++k)
            face.keypoints.emplace_back(r[4 + 2 * k] * scale, r[5 + 2 * k] * scale);
        face.score = r[14];
        faces.push_back(std::move(face));
    }
    std::sort(faces.begin(), faces.end(),
              [](const Face& a, const Face& b) { return a.score > b.score; });
    return faces;
}

}  // namespace vigil::vision
