#include "SFaceEmbedder.hpp"

#include "vigil/vision/Types.hpp"

namespace vigil::vision {

SFaceEmbedder::SFaceEmbedder(const std::string& modelPath) {
    try {
        recognizer_ = cv::FaceRecognizerSF::create(modelPath, "");
        // Any ONNX file loads; only running it shows whether it gives a feature vector.
        if (recognizer_) {
            cv::Mat feature;
            recognizer_->feature(cv::Mat::zeros(112, 112, CV_8UC3), feature);
            if (feature.total() < 64) {
                throw VisionError("model_invalid",
                                  "face recogniser " + modelPath + ": not an SFace model (" +
                                      std::to_string(feature.total()) + " values)");
            }
        }
    } catch (const cv::Exception& e) {
        throw VisionError("model_invalid",
                          "face recogniser " + modelPath + " cannot be loaded: " + e.what());
    }
    if (!recognizer_) {
        throw VisionError("model_invalid", "face recogniser " + modelPath + " cannot be loaded");
    }
}

cv::Mat SFaceEmbedder::align(const cv::Mat& bgr, const Face& face,
                             const std::vector<cv::Point2f>& fivePoints) {
    if (fivePoints.size() != 5) return {};
    // FaceDetectorYN's row layout, which alignCrop expects: box, five points, score.
    cv::Mat row(1, 15, CV_32F);
    auto* r = row.ptr<float>();
    r[0] = face.box.x;
    r[1] = face.box.y;
    r[2] = face.box.width;
    r[3] = face.box.height;
    for (int i = 0; i < 5; ++i) {
        r[4 + 2 * i] = fivePoints[static_cast<size_t>(i)].x;
        r[5 + 2 * i] = fivePoints[static_cast<size_t>(i)].y;
    }
    r[14] = face.score;
    cv::Mat aligned;
    try {
        recognizer_->alignCrop(bgr, row, aligned);
    } catch (const cv::Exception&) {
        return {};
    }
    return aligned;
}

std::optional<Embedding> SFaceEmbedder::embedAligned(const cv::Mat& aligned) {
    if (aligned.empty() || aligned.type() != CV_8UC3) return std::nullopt;
    cv::Mat feature;
    recognizer_->feature(aligned, feature);
    if (feature.empty() || feature.type() != CV_32F) return std::nullopt;
    feature = feature.reshape(1, 1).clone();
    return normalised(feature.ptr<float>(), feature.total());
}

std::optional<Embedding> SFaceEmbedder::embed(const cv::Mat& bgr, const Face& face,
                                              const std::vector<cv::Point2f>& fivePoints) {
    return embedAligned(align(bgr, face, fivePoints));
}

}  // namespace vigil::vision
