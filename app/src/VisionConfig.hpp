#pragma once
// The [vision] and [presence] sections as the vision library's options.

#include "vigil/common/Config.hpp"
#include "vigil/vision/PresenceJudge.hpp"
#include "vigil/vision/VisionOptions.hpp"

namespace vigil::app {

inline vision::VisionOptions visionOptionsFrom(const common::Config& config) {
    vision::VisionOptions o;
    o.modelsDir = config.vision.modelsDir;
    o.detector = config.vision.detector;
    o.detectorModel = config.vision.detectorModel;
    o.landmarkModel = config.vision.landmarkModel;
    o.recognizer = config.vision.recognizer;
    o.recognizerModel = config.vision.recognizerModel;
    o.haarFallback = config.vision.haarFallback;
    o.detectThreshold = static_cast<float>(config.vision.detectThreshold);
    o.matchThreshold = static_cast<float>(config.vision.matchThreshold);
    o.minFacePx = config.vision.minFacePx;
    return o;
}

inline vision::JudgeOptions judgeOptionsFrom(const common::Config& config) {
    vision::JudgeOptions o;
    o.absentAfterMs = std::int64_t{config.presence.absentAfterSeconds} * 1000;
    o.absentAlertMs = std::int64_t{config.presence.absentAlertSeconds} * 1000;
    o.notMatchedAlertAfter = config.presence.notMatchedAlertAfter;
    o.noFrameMs = std::int64_t{config.presence.noFrameSeconds} * 1000;
    return o;
}

}  // namespace vigil::app
