#pragma once
// Command line of fanout.

#include <string>
#include <vector>

namespace fanout {

struct Options {
    std::vector<int> viewers{10, 50, 100, 200};  // one measured step per count, ascending
    int seconds = 20;                            // measuring window of every step
    int decoders = 3;   // viewers that decode and read the time stamp; the rest count frames
    int cameras = 20;   // subjects publishing a presence camera in the last step (0: none)
    bool audio = true;  // the teacher publishes a tone as well as the picture
    std::string pattern = "smpte";  // videotestsrc pattern of the teacher's camera
    int serverCore = 0;             // CPU the server is pinned to...
    int benchCore = 1;              // ...and this process (publisher and viewers)
    std::string vigil = FANOUT_DEFAULT_VIGIL;
    std::string config = FANOUT_DEFAULT_CONFIG;
    bool keep = false;  // keep the folder with the server, Redis and CLI logs
};

// Parses argv; exits with status 0 for --help and 2 for a bad command line.
Options parseOptions(int argc, char** argv);

}  // namespace fanout
