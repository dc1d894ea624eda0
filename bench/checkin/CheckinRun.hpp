#pragma once
// One subject's video check-in, as the phone page makes it: auth, checkin_start, the camera
// published into the check-in (offer with "checkin", ICE), checkin_shown once frames flow,
// then the checkin_result push.

#include <chrono>
#include <string>

#include "Camera.hpp"
#include "Subjects.hpp"

namespace checkin {

using Clock = std::chrono::steady_clock;

struct CheckinOutcome {
    std::string outcome;  // verified | failed | "" (no decision: see error)
    std::string reason;
    std::string error;           // the step that failed, when there was no decision
    double startSeconds = 0;     // from the window's start to checkin_start
    double decidedSeconds = -1;  // from the window's start to the result
    double shownToDecisionMs = -1;
    // From the first frame of the first challenge movement the camera showed after
    // checkin_shown (the clip's annotation, placed by the frames the peer had sent) to the
    // result: the movement itself (up to 1.2 s for the default turn) and the decision.
    double movementToDecisionMs = -1;
};

CheckinOutcome runCheckin(int port, const Subject& subject, const CameraClip& camera,
                          Clock::time_point windowStart);

}  // namespace checkin
