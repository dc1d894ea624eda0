#pragma once
// Command line of checkin_bench.

#include <string>

namespace checkin {

struct Options {
    int subjects = 200;
    int windowSeconds = 600;  // every subject starts its check-in inside this window...
    int tailSeconds = 30;     // ...arrivals spread over all but its last tailSeconds
    int concurrency = 24;     // check-ins under way at once, at most
    // The camera: frames [firstFrame, lastFrame] of the clip, looped at 10 fps; the server's
    // only challenge is one the man makes in them (tests/data/face_clip_movements.csv).
    std::string clip = "cap13";
    int firstFrame = 190;
    int lastFrame = 240;
    std::string challenge = "turn_left";
    std::string reference = "00010.jpg";  // the enrolled photo, a frame of the same clip
    int serverCore = -1;                  // CPU to pin the server to; -1: free
    std::string vigil = CHECKIN_BENCH_DEFAULT_VIGIL;
    std::string config = CHECKIN_BENCH_DEFAULT_CONFIG;
    std::string sourceDir = CHECKIN_BENCH_SOURCE_DIR;
    bool keep = false;
};

// Parses argv; exits with status 0 for --help and 2 for a bad command line.
Options parseOptions(int argc, char** argv);

}  // namespace checkin
