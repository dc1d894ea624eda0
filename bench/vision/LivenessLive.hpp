#pragma once
// Liveness on a live person, not only on spoofs: how often the man in the face clips fails a
// challenge he really follows (false rejects, per challenge), and how often a still photo, a
// photo moved in the hand or a person sitting still passes one (false accepts).

#include <string>

#include "FaceClipMovements.hpp"
#include "vigil/vision/PresenceVerifier.hpp"

namespace visionbench {

struct LivenessLiveOptions {
    std::string testdataDir;    // var/testdata: the clips' frames.
    std::string movementsFile;  // tests/data/face_clip_movements.csv.
    vigil::vision::clips::BurstShape shape;
};

// Prints the table; throws std::runtime_error when the clips or the annotation are missing.
void runLivenessLive(vigil::vision::PresenceVerifier& verifier, const LivenessLiveOptions& o);

}  // namespace visionbench
