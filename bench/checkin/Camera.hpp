#pragma once
// The subjects' camera: a range of a face clip's 10 fps JPEG frames, looped, with the spans
// in which the man makes the challenge's movement (from the clip's annotations).

#include <string>
#include <utility>
#include <vector>

namespace checkin {

struct CameraClip {
    std::string pattern;  // multifilesrc location of the looped frames, numbered from 0
    int frames = 0;       // in one loop, at 10 fps
    // [first, last] frames of one loop in which the challenge's movement is made.
    std::vector<std::pair<int, int>> movements;
};

// Links frames [first, last] of var/testdata/video/<clip> into `dir` as 00000.jpg...; reads
// the movements of `challenge` in that range from tests/data/face_clip_movements.csv.
// Throws std::runtime_error when the frames are missing or the range has no such movement.
CameraClip makeCameraClip(const std::string& sourceDir, const std::string& clip, int first,
                          int last, const std::string& challenge, const std::string& dir);

// Seconds from a moment `secondsIntoLoop` into the loop until the first movement that starts
// at or after it begins.
double secondsToMovementStart(const CameraClip& camera, double secondsIntoLoop);

}  // namespace checkin
