// The credit policy as configured: kept apart from the arithmetic, which knows no config.

#include "vigil/signaling/AttendanceSummary.hpp"

namespace vigil::signaling {

CreditPolicy creditPolicyFrom(const common::Config& config) {
    CreditPolicy policy;
    policy.mode = config.vision.enabled && config.presence.creditPolicy == "verified"
                      ? CreditPolicy::Verified
                      : CreditPolicy::Connected;
    policy.minVerifiedShare = config.presence.creditMinVerifiedShare;
    policy.creditUnenrolled = config.presence.creditUnenrolled;
    return policy;
}

}  // namespace vigil::signaling
