#pragma once
// Detection and verification accuracy of a verifier over the labelled set.

#include <string>
#include <vector>

#include "Dataset.hpp"
#include "vigil/vision/PresenceVerifier.hpp"

namespace visionbench {

struct DetectionAccuracy {
    int expectedFaces{0};             // Faces in the labelled pictures.
    int foundFaces{0};                // Of those, found (at most the expected count per picture).
    int extraOnLabelled{0};           // Detections beyond the expected count on labelled pictures.
    int facelessFrames{0};            // Synthetic frames and photos without a human face.
    int falseOnFaceless{0};           // Detections on them.
    std::vector<std::string> misses;  // Pictures with fewer or more faces than expected.
};

struct VerificationAccuracy {
    float threshold{0};
    int genuinePairs{0};
    int falseRejects{0};
    int impostorPairs{0};
    int falseAccepts{0};
    float lowestGenuine{1};
    std::string lowestGenuinePair;
    float highestImpostor{-1};
    std::string highestImpostorPair;
    int embedded{0};     // Pictures with an embedding.
    int notEmbedded{0};  // Pictures with an identity whose face gave none.
    // FRR and FAR at other thresholds, to show the margin: {threshold, rejects, accepts}.
    struct Point {
        float threshold;
        int falseRejects;
        int falseAccepts;
    };
    std::vector<Point> sweep;
};

DetectionAccuracy measureDetection(vigil::vision::PresenceVerifier& verifier, const Dataset& data);

// Genuine pairs: two pictures of the same known person (for the webcam subject, one frame of
// each capture). Impostor pairs: a known person against anyone else, masks and drawings
// included. Each picture's largest face is embedded as enrolment would.
VerificationAccuracy measureVerification(vigil::vision::PresenceVerifier& verifier,
                                         const Dataset& data);

}  // namespace visionbench
