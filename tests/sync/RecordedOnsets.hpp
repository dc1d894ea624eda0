#pragma once
// Decodes a recording's chunk files in order onto one timeline and finds where its picture
// turns white (flash onsets) and where its sound starts beeping (beep onsets).
//
// The timeline is the chunks' own timestamps, which splitmuxsink continues from one chunk to
// the next. A chunk whose timestamps start over (below the end of the chunk before it) is
// placed right after that chunk instead.

#include <string>
#include <vector>

namespace vigil::testing {

struct RecordedChunk {
    std::string path;
    double firstSeconds{0};   // Its earliest decoded timestamp, as written in the file.
    double endSeconds{0};     // Its latest decoded timestamp plus that buffer's duration.
    double offsetSeconds{0};  // Added to its timestamps to place it on the timeline.
    int videoFrames{0};
    long long audioSamples{0};
    int flashes{0};  // Onsets found in this chunk.
    int beeps{0};
    // Damage to the chunk's own timeline, in the order the decoders hand buffers on: holes
    // (video: more than 2.5 frame durations between frames; audio: more than 10 ms between
    // one buffer's end and the next one's start), the longest of them, and timestamps that go
    // back (by more than 2 ms for audio).
    int videoHoles{0};
    int audioHoles{0};
    double longestHoleSeconds{0};
    int backwardSteps{0};
};

struct RecordedOnsets {
    std::vector<double> flashes;  // Seconds on the recording's timeline, ascending.
    // For each flash, seconds since the frame decoded before it: one frame period, or more
    // where frames were lost, in which case the flash may have begun anywhere in that gap.
    std::vector<double> flashLeads;
    std::vector<double> beeps;
    // For each beep, seconds of sound lost just before the millisecond it is heard in (0 when
    // none): the beep may have begun anywhere in that hole.
    std::vector<double> beepLeads;
    std::vector<RecordedChunk> chunks;
    std::string error;  // Empty if every chunk decoded to its end.
};

// Mean luma (0..255) above which a frame is a flash, and the RMS (full scale 1.0) of one
// millisecond of sound above which it is a beep.
inline constexpr double kFlashLuma = (16.0 + 235.0) / 2.0;
inline constexpr double kBeepRms = 0.1;

// Decodes `files` (in the order given) with decodebin; waits at most `timeoutSeconds` per file.
RecordedOnsets findOnsets(const std::vector<std::string>& files, int timeoutSeconds = 120);

}  // namespace vigil::testing
