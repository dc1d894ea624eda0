#pragma once
// When a synchronisation test publisher flashes its picture and beeps: the same instants for
// both, in the publisher pipeline's running time, with irregular gaps (1.0 to 1.5 s in steps
// of 100 ms, from a fixed pseudo-random sequence) so that a flash can only line up with its
// own beep, never with a neighbour's.

#include <cstdint>
#include <vector>

namespace vigil::testing {

struct SyncSchedule {
    static constexpr std::int64_t kMillisecond = 1000000;  // In nanoseconds.
    static constexpr std::int64_t kFlashNs = 100 * kMillisecond;
    static constexpr std::int64_t kBeepNs = 100 * kMillisecond;
    static constexpr double kBeepHz = 1000.0;

    // Events from `startNs` until `startNs + durationNs` (exclusive).
    static SyncSchedule make(std::int64_t startNs, std::int64_t durationNs);

    // The event whose window [event, event + lengthNs) holds `ns`, or -1.
    int eventAt(std::int64_t ns, std::int64_t lengthNs) const;

    std::int64_t endNs() const { return events.empty() ? 0 : events.back() + kFlashNs; }

    std::vector<std::int64_t> events;  // Running time of each event's start, ascending.
};

}  // namespace vigil::testing
