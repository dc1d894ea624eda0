#pragma once
// Every knob of presence verification, with the defaults that config/vigil.toml documents.
// The app fills it from the [vision] section; the CLI and the tests build it directly.

#include <string>

namespace vigil::vision {

struct VisionOptions {
    // Where relative model paths are looked up (the setup script fills var/models).
    std::string modelsDir{"var/models"};

    // ultraface (fr_detect.onnx, 320x240) | blazeface (BlazeFace front, 128x128) |
    // yunet (cv::FaceDetectorYN, an agency's own file) | haar (opencv-data cascade; cannot
    // verify identity, warns loudly).
    std::string detector{"ultraface"};
    std::string detectorModel;  // Empty: the detector's default file name.
    float detectThreshold{0.7f};
    // When the configured detector's model file is missing, fall back to the Haar cascade
    // (with a loud warning) instead of refusing to start.
    bool haarFallback{true};
    std::string haarCascade{"/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"};

    // 68-point landmarks (fr_landmark.onnx, 64x64 gray): alignment, head pose, blinks.
    std::string landmarkModel{"fr_landmark.onnx"};

    // arcface (fr_feature.onnx, 512-d, 112x112 aligned) | sface (cv::FaceRecognizerSF).
    std::string recognizer{"arcface"};
    std::string recognizerModel;  // Empty: the recognizer's default file name.
    // Cosine similarity at or above which a face is verified. With arcface over the labelled
    // set (bench/vision_bench: 6729 genuine pairs, 6809 impostor pairs) no pair is wrong
    // between 0.30 and 0.50: the lowest genuine pair is 0.53, the highest impostor 0.25.
    // 0.40 sits in the middle of that gap.
    float matchThreshold{0.40f};

    // Quality gates for samples.
    int minFacePx{40};         // Smaller faces are poor_image.
    double minBrightness{40};  // Darker pictures are poor_image.
    // Blurrier faces are poor_image. Variance of the Laplacian of the face scaled to 64 px
    // wide: webcam faces score 50-120, a face blurred until the recogniser loses half its
    // similarity about 10.
    double minSharpness{15};
    double blackBrightness{12};  // A picture this dark with little contrast is camera_off.
    double blackContrast{6};

    // Quality gates for enrolment (stricter: the reference is kept).
    int enrolMinFacePx{80};
    double enrolMinBrightness{50};
    double enrolMinSharpness{30};
};

}  // namespace vigil::vision
