#pragma once
// The pure rules of a self-service check-in (视频报到), apart from Redis and media so that
// they are tested on their own: how a liveness verdict becomes the check-in's outcome and
// reason, how the browser's location is checked, how long the written report is.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/signaling/PresenceService.hpp"

namespace vigil::signaling {

// A position from the browser's Geolocation API: degrees, and the accuracy radius in metres.
struct CheckinLocation {
    double lat{0};
    double lon{0};
    double accuracy{0};
};

// {lat, lon, accuracy}: numbers, lat in [-90, 90], lon in [-180, 180], accuracy in
// [0, 1e6] metres (absent: 0). nullopt for anything else (the caller answers bad_request).
std::optional<CheckinLocation> parseCheckinLocation(const nlohmann::json& j);
nlohmann::json toJson(const CheckinLocation& location);

// A decided check-in: outcome verified | failed, and for a failure its reason:
//   not_matched      the face is not the subject's enrolled reference
//   several_faces    more than one face in front of the camera
//   no_face          no face in most frames
//   poor_image       too dark or blurred to judge
//   liveness_failed  the challenge's movement was not seen (did_not_follow), too few frames
//                    with a face to judge (too_few_frames), or the page never confirmed the
//                    instruction on screen (not_shown)
//   camera_off       no frame at all reached the server (the camera never arrived or left)
//   no_reference     the challenge passed but the subject has no face reference, so who it
//                    was is unknown: never verified
struct CheckinDecision {
    std::string outcome;
    std::string reason;
};
// `framesJudged`: whether any frame was judged (false: camera_off, whatever the code).
CheckinDecision decideCheckin(const LivenessVerdictReport& verdict, bool framesJudged);

// Unicode code points in UTF-8 text (a report's length as its writer counts it).
size_t codePoints(std::string_view text);

}  // namespace vigil::signaling
