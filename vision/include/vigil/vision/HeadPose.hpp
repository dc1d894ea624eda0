#pragma once
// Head pose and eye openness from the 68 landmarks (iBUG 300-W numbering: jaw 0-16, brows
// 17-26, nose 27-35, eyes 36-47, mouth 48-67). Ratios of distances, so they do not depend on
// the face's size in the picture. Used by the liveness challenges.

#include <opencv2/core.hpp>
#include <optional>
#include <vector>

namespace vigil::vision {

struct HeadPose {
    // Horizontal turn: where the nose tip sits between the two outer eye corners, relative
    // to the inter-ocular distance; 0 facing the camera. Positive when the nose moves toward
    // the image's right, which is the subject's left on an unmirrored camera: turning one's
    // head to one's left makes yaw grow.
    float yaw{0};
    // Vertical tilt: the nose tip's height between the eyes' line and the mouth, relative
    // to that distance, minus its frontal value; negative when looking up.
    float pitch{0};
    // The gap between the eyelids (mean of both eyes) relative to a vertical length of the
    // face, twice the ratio: about 0.3 open, near 0 closed. Unlike the eye aspect ratio
    // (lids over the eye's width) it stays put when a flat photo is tilted or turned.
    float eyeOpenness{0};
};

// Nullopt unless exactly 68 points are given.
std::optional<HeadPose> headPoseFrom68(const std::vector<cv::Point2f>& landmarks);

}  // namespace vigil::vision
