#pragma once
// This node's live gauges for GET /metrics: WebSocket connections, classes and their
// members, media publishers and viewers, supervision calls. Read from the hub when scraped
// (on the loop thread); withdrawn when this object goes.

#include <string>
#include <vector>

#include "vigil/common/Metrics.hpp"
#include "vigil/signaling/ClassHub.hpp"

namespace vigil::signaling {

class NodeMetrics {
public:
    explicit NodeMetrics(const ClassHub& hub);

private:
    std::vector<common::Metrics::Registration> gauges_;
};

// Counters that components bump where the event happens (names in docs/api.md).
namespace metrics {
common::Counter& classJoins();   // vigil_class_joins_total
common::Counter& callsPlaced();  // vigil_calls_total
// vigil_checkins_total{result}: verified, failed, missed.
common::Counter& checkins(const std::string& result);
common::Counter& recordingBytes();  // vigil_recording_bytes_total
// vigil_login_throttled_total{scope}: "address" or "account".
common::Counter& loginThrottled(const std::string& scope);
}  // namespace metrics

}  // namespace vigil::signaling
