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
signaling::ReferenceCheck gateReference(vision::PresenceVerifier& verifier,
                                        const std::string& bytes, const std::string& model,
                                        int minFacePx = 0);

}  // namespace vigil::app
