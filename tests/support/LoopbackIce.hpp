#pragma once
// Keeps a test peer's WebRTC traffic on loopback. libnice gathers on every interface except
// `lo` by default, so a webrtcbin peer of a server on 127.0.0.1 would otherwise offer (and
// send media from) the machine's other addresses. Naming 127.0.0.1 stops that discovery.
// Header-only: the integration tests, the A/V sync test and the benchmarks all build it.

#include <gst/gst.h>

namespace vigil::testing {

// Call before the webrtcbin gathers (before set-local-description). Also turns off libnice's
// UPnP, whose router search (SSDP multicast) goes out of every interface. False when the
// element has no libnice agent or the agent refused the address.
inline bool restrictIceToLoopback(GstElement* webrtcbin) {
    GstObject* ice = nullptr;
    g_object_get(webrtcbin, "ice-agent", &ice, nullptr);
    if (ice == nullptr) return false;
    GObject* agent = nullptr;
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent") != nullptr)
        g_object_get(ice, "agent", &agent, nullptr);
    const bool libnice = agent != nullptr;
    if (libnice) {
        g_object_set(agent, "upnp", FALSE, nullptr);
        g_object_unref(agent);
    }
    gboolean added = FALSE;
    g_signal_emit_by_name(ice, "add-local-ip-address", "127.0.0.1", &added);
    gst_object_unref(ice);
    return libnice && added != FALSE;
}

}  // namespace vigil::testing
