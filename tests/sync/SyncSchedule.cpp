#include "SyncSchedule.hpp"

#include <algorithm>

namespace vigil::testing {

SyncSchedule SyncSchedule::make(std::int64_t startNs, std::int64_t durationNs) {
    SyncSchedule schedule;
    std::uint32_t seed = 20261129;
    for (std::int64_t t = startNs; t < startNs + durationNs;) {
        schedule.events.push_back(t);
        seed = seed * 1103515245u + 12345u;
        const std::int64_t steps = (seed >> 16) % 6;  // 0..5 tenths of a second
        t += 1000 * kMillisecond + steps * 100 * kMillisecond;
    }
    return schedule;
}

int SyncSchedule::eventAt(std::int64_t ns, std::int64_t lengthNs) const {
    // The last event that starts at or before `ns`.
    auto it = std::upper_bound(events.begin(), events.end(), ns);
    if (it == events.begin()) return -1;
    --it;
    return ns < *it + lengthNs ? static_cast<int>(it - events.begin()) : -1;
}

}  // namespace vigil::testing
