#pragma once
// The picture measures behind camera_off and poor_image: brightness and contrast of the whole
// picture, and the sharpness of the face at the resolution the recogniser sees it.

#include <opencv2/core.hpp>

#include "vigil/vision/Types.hpp"

namespace vigil::vision {

class ImageQualityMeasure {
public:
    // Side the face region is scaled to before its Laplacian is taken, so that a face's
    // sharpness does not depend on how large it appears in the frame. At 64 px (the landmark
    // model's input) a webcam's soft but recognisable face still scores 50-120, while blur
    // that costs the recogniser half its similarity (a Gaussian of sigma 9 on a 240 px face,
    // of sigma 3 on a 90 px webcam face) scores about 10.
    static constexpr int kFaceSide = 64;

    // Brightness and contrast of the whole gray picture; sharpness of the whole picture.
    static ImageQuality picture(const cv::Mat& gray);
    // Variance of the Laplacian of `box` (clipped to the picture) scaled to kFaceSide;
    // 0 when the box does not overlap the picture.
    static double faceSharpness(const cv::Mat& gray, const cv::Rect2f& box);
    // Mean gray level inside `box`; 0 when it does not overlap the picture.
    static double faceBrightness(const cv::Mat& gray, const cv::Rect2f& box);
};

}  // namespace vigil::vision
