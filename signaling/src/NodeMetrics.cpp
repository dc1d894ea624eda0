#include "vigil/signaling/NodeMetrics.hpp"

namespace vigil::signaling {

namespace metrics {

common::Counter& classJoins() {
    static auto& c = common::Metrics::global().counter(
        "vigil_class_joins_total",
        "Joins to a class accepted on this node (subjects and teachers).");
    return c;
}

common::Counter& callsPlaced() {
    static auto& c = common::Metrics::global().counter("vigil_calls_total",
                                                       "Supervision calls placed on this node.");
    return c;
}

common::Counter& checkins(const std::string& result) {
    return common::Metrics::global().counter(
        "vigil_checkins_total", "Self-service check-ins decided, by result.", {{"result", result}});
}

common::Counter& recordingBytes() {
    static auto& c = common::Metrics::global().counter(
        "vigil_recording_bytes_total", "Bytes of recording chunks closed and stored.");
    return c;
}

common::Counter& loginThrottled(const std::string& scope) {
    return common::Metrics::global().counter(
        "vigil_login_throttled_total",
        "Login attempts refused by the throttle (rate_limited), by what was throttled.",
        {{"scope", scope}});
}

}  // namespace metrics

ClassHub::LiveCounts ClassHub::liveCounts() const {
    LiveCounts counts;
    counts.classes = members_.size();
    for (const auto& [classId, conns] : members_) counts.members += conns.size();
    for (const auto& [id, conn] : conns_) {
        for (const auto& [session, media] : conn->media)
            ++(media.publisher ? counts.publishers : counts.viewers);
    }
    counts.calls = calls_.size();
    return counts;
}

NodeMetrics::NodeMetrics(const ClassHub& hub) {
    auto& metrics = common::Metrics::global();
    auto add = [&](const char* name, const char* help, auto read) {
        gauges_.push_back(metrics.gaugeCallback(
            name, help, [&hub, read] { return static_cast<double>(read(hub)); }));
    };
    add("vigil_ws_connections", "Open WebSocket connections on this node.",
        [](const ClassHub& h) { return h.connectionCount(); });
    add("vigil_classes_live", "Classes with at least one member connected to this node.",
        [](const ClassHub& h) { return h.liveCounts().classes; });
    add("vigil_class_members", "Connections on this node that are in a class.",
        [](const ClassHub& h) { return h.liveCounts().members; });
    add("vigil_media_publishers", "Media sessions sending to this node (cameras, screens).",
        [](const ClassHub& h) { return h.liveCounts().publishers; });
    add("vigil_media_viewers", "Media sessions receiving from this node.",
        [](const ClassHub& h) { return h.liveCounts().viewers; });
    add("vigil_calls_active", "Supervision calls placed on this node and not ended.",
        [](const ClassHub& h) { return h.liveCounts().calls; });
}

}  // namespace vigil::signaling
