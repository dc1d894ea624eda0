#pragma once
// Pairs the flashes and beeps found in a recording and measures how far apart they are.

#include <algorithm>
#include <string>
#include <vector>

#include "SyncSchedule.hpp"

namespace vigil::testing {

struct SyncPair {
    double video{0};  // Flash onset, seconds on the recording's timeline.
    double audio{0};  // The nearest beep onset.
    int event{-1};    // The sent event the flash was matched to, or -1.
    // Seconds of picture lost just before the flash frame (beyond one frame period): the
    // flash may have begun that much earlier than it is seen.
    double videoLost{0};
    // Seconds of sound lost just before the beep: it may have begun that much earlier.
    double audioLost{0};
    double offsetMs() const { return (audio - video) * 1000.0; }
    // The offset nearest to zero that the lost picture or sound allows: a flash or a beep
    // found late after a hole measures the loss, not the sync; losses are counted apart.
    double leastOffsetMs() const {
        const double offset = offsetMs();
        return offset < 0 ? std::min(0.0, offset + videoLost * 1000.0)
                          : std::max(0.0, offset - audioLost * 1000.0);
    }
};

struct SyncReport {
    int flashesSent{0};
    int flashesFound{0};
    int beepsFound{0};
    int flashesMatched{0};  // Found flashes matched to a sent event.
    int eventsPaired{0};    // Sent events whose flash was found with a beep next to it.
    std::vector<SyncPair> pairs;
    // Audio minus video over the pairs, in milliseconds (positive: sound late).
    double meanMs{0};
    double minMs{0};
    double maxMs{0};
    double maxAbsMs{0};
    double stddevMs{0};
    // The least-squares line through the offsets, from the first pair to the last; and the
    // mean offset over the first and the last tenth of the pairs.
    double driftMs{0};
    double firstMeanMs{0};
    double lastMeanMs{0};
    // How closely the recording's timeline follows the sender's: the range of (flash onset
    // in the recording - its event in the sender's running time) over matched flashes.
    double timelineSpreadMs{0};

    double pairedShare() const {
        return flashesSent > 0 ? static_cast<double>(eventsPaired) / flashesSent : 0.0;
    }
    std::string summary() const;
};

// A flash and a beep further apart than this are not a pair (the shortest gap between
// events is 1 s).
inline constexpr double kPairWindowSeconds = 0.5;

// Index into `sent` (seconds) of each onset, or -1, found from the onsets' spacing alone: the
// recording's timeline has an unknown origin, and may wander a little from the sender's.
std::vector<int> alignToSchedule(const std::vector<double>& onsets, const std::vector<double>& sent,
                                 double toleranceSeconds = 0.25);

// `flashLeads` (optional, parallel to `flashes`): seconds since the frame before each flash;
// `beepLeads` (optional, parallel to `beeps`): seconds of sound lost just before each beep.
SyncReport analyseSync(const std::vector<double>& flashes, const std::vector<double>& beeps,
                       const SyncSchedule& schedule, int flashesSent,
                       const std::vector<double>& flashLeads = {},
                       const std::vector<double>& beepLeads = {});

}  // namespace vigil::testing
