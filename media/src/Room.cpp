#include "Room.hpp"

#include "vigil/common/Log.hpp"

namespace vigil::media::detail {

namespace {
VIGIL_LOG_CATEGORY(roomLog, "media.room")

gboolean onBus(GstBus* /*bus*/, GstMessage* message, gpointer data) {
    auto* room = static_cast<Room*>(data);
    if (room->onMessage) room->onMessage(message);
    return G_SOURCE_CONTINUE;
}

bool within(GstMessage* message, GstElement* element) {
    return element != nullptr &&
           (GST_MESSAGE_SRC(message) == GST_OBJECT(element) ||
            gst_object_has_as_ancestor(GST_MESSAGE_SRC(message), GST_OBJECT(element)));
}
}  // namespace

Room::Room(Context& c, RoomSpec s, std::function<void(GstMessage*)> handler)
    : ctx(c), spec(std::move(s)), onMessage(std::move(handler)) {
    pipeline = gst_pipeline_new(spec.id.c_str());
    GstBus* bus = gst_pipeline_get_bus(GST_PIPELINE(pipeline));
    busWatch = gst_bus_create_watch(bus);
    g_source_set_callback(busWatch, G_SOURCE_FUNC(onBus), this, nullptr);
    g_source_attach(busWatch, ctx.loop.context());
    gst_object_unref(bus);
    if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
        throw MediaFailure("the pipeline of room " + spec.id + " did not start");
    roomLog()->info("room {}: pipeline started", spec.id);
}

Room::~Room() {
    for (auto& [id, viewer] : viewers) viewer->dropNow();
    viewers.clear();
    for (auto& [id, tap] : taps) tap->stop();
    taps.clear();
    for (auto& [id, publisher] : publishers) publisher->stop();
    publishers.clear();
    recorders.clear();
    finishing.clear();
    g_source_destroy(busWatch);
    g_source_unref(busWatch);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
    roomLog()->info("room {}: pipeline freed", spec.id);
}

std::string Room::sessionOf(GstMessage* message) const {
    for (const auto& [id, viewer] : viewers) {
        if (within(message, viewer->element())) return id;
    }
    for (const auto& [id, publisher] : publishers) {
        if (within(message, publisher->element())) return id;
    }
    return {};
}

std::shared_ptr<Publisher> Room::publisherOf(const std::string& source, StreamKind stream) const {
    for (const auto& [id, p] : publishers) {
        if (p->request().source == source && p->request().stream == stream) return p;
    }
    return nullptr;
}

}  // namespace vigil::media::detail
