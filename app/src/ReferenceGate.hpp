#pragma once
// The enrolment quality gate on a photo's bytes, as both `vigil serve` (uploads) and
// `vigil vision enrol` apply it: decode, check, embed, and say why not in signaling's terms.

#include <string>

#include "vigil/signaling/PresenceService.hpp"
#include "vigil/vision/PresenceVerifier.hpp"

namespace vigil::app {

// `model`: the recognizer's name, stored with the embedding. Never throws for bad bytes:
// they give code "bad_image".
// `minFacePx` > 0: the smallest face accepted, instead of the verifier's photo minimum.
// A photo whose header gives more than `maxPixels` pixels is refused ("image_too_large")
// before it is decoded; one whose header cannot be read is "bad_image".
signaling::ReferenceCheck gateReference(vision::PresenceVerifier& verifier,
                                        const std::string& bytes, const std::string& model,
                                        int minFacePx = 0, long long maxPixels = 4096LL * 4096);

}  // namespace vigil::app
