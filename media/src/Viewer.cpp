#include "Viewer.hpp"

#include "vigil/common/Log.hpp"

namespace vigil::media::detail {

namespace {
VIGIL_LOG_CATEGORY(viewerLog, "media.viewer")

constexpr guint64 kQueueNs = 500ULL * GST_MSECOND;
}  // namespace

Viewer::Viewer(Context& ctx, GstElement* pipeline, ViewRequest request,
               std::shared_ptr<Publisher> source, std::function<void(const std::string&)> failed)
    : ctx_(ctx),
      pipeline_(pipeline),
      request_(std::move(request)),
      source_(std::move(source)),
      failed_(std::move(failed)) {}

Viewer::~Viewer() {
    if (current_) drop(*current_);
}

std::shared_ptr<Viewer::Attachment> Viewer::attach() {
    auto att = std::make_shared<Attachment>();
    Endpoint::Callbacks callbacks;
    std::weak_ptr<Viewer> weak = weak_from_this();
    std::weak_ptr<Attachment> weakAtt = att;
    callbacks.failed = [weak, weakAtt](const std::string& reason) {
        auto self = weak.lock();
        auto a = weakAtt.lock();
        // Only the current endpoint's failure counts; an old one after a restart does not.
        if (self && a && self->current_ == a && self->failed_) self->failed_(reason);
    };
    att->endpoint =
        std::make_unique<Endpoint>(ctx_, pipeline_, request_.session, std::move(callbacks));
    GstElement* webrtc = att->endpoint->element();
    // Each queue is fed from its tee only once the webrtcbin runs: a buffer pushed into a
    // stopped webrtcbin returns FLUSHING, which the tee passes upstream to the publisher.
    std::vector<std::pair<GstElement*, GstElement*>> feeds;  // tee, queue
    try {
        for (const auto& track : source_->tracks()) {
            if (track->rtpCaps == nullptr) continue;
            if (request_.stream == StreamKind::Camera && track->media != "video") continue;
            GstElement* queue = makeElement("queue");
            g_object_set(queue, "leaky", 2, "max-size-buffers", 0, "max-size-bytes", 0,
                         "max-size-time", kQueueNs, nullptr);
            gst_bin_add(GST_BIN(pipeline_), queue);
            att->queues.push_back(queue);
            GstPad* sinkPad = gst_element_request_pad_simple(webrtc, "sink_%u");
            GstPad* queueSrc = gst_element_get_static_pad(queue, "src");
            GstPadLinkReturn linked = gst_pad_link(queueSrc, sinkPad);
            gst_object_unref(queueSrc);
            GstWebRTCRTPTransceiver* transceiver = nullptr;
            g_object_get(sinkPad, "transceiver", &transceiver, nullptr);
            gst_object_unref(sinkPad);
            if (linked != GST_PAD_LINK_OK) throw MediaFailure("could not link a viewer's queue");
            if (transceiver != nullptr) {
                // The offer is made from these caps: the forwarded codec exactly, with PLI so
                // that the browser can ask for a key frame when it loses one.
                GstCaps* prefs = gst_caps_copy(track->rtpCaps);
                gst_caps_set_simple(prefs, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE, nullptr);
                gchar* text = gst_caps_to_string(prefs);
                viewerLog()->debug("session {}: offering {}", request_.session, text);
                g_free(text);
                g_object_set(transceiver, "direction",
                             GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, "codec-preferences",
                             prefs, nullptr);
                gst_caps_unref(prefs);
                gst_object_unref(transceiver);
            }
            gst_element_sync_state_with_parent(queue);
            feeds.emplace_back(track->rtpTee, queue);
        }
        if (feeds.empty()) throw MediaFailure("the publisher has no stream to send yet");
        att->endpoint->start();
        for (auto [tee, queue] : feeds) att->links.push_back(linkFromTee(tee, queue));
    } catch (...) {
        drop(*att);
        throw;
    }
    return att;
}

common::Task<std::string> Viewer::start() {
    current_ = attach();
    auto att = current_;
    std::string offer = co_await att->endpoint->makeOffer();
    source_->requestKeyFrame();
    co_return offer;
}

common::Task<void> Viewer::applyAnswer(std::string sdp) {
    if (!current_ || stopped_) throw MediaFailure("the session has ended");
    auto att = current_;
    co_await att->endpoint->applyAnswer(std::move(sdp));
    // The browser can decode nothing until a key frame: ask now that it can connect.
    source_->requestKeyFrame();
}

bool Viewer::answered() const {
    return current_ && current_->endpoint && current_->endpoint->hasRemoteDescription();
}

void Viewer::addIceCandidate(int mlineIndex, const std::string& candidate) {
    if (current_ && current_->endpoint) current_->endpoint->addIceCandidate(mlineIndex, candidate);
}

common::Task<std::string> Viewer::restart() {
    auto old = current_;
    current_.reset();
    if (old) {
        old->endpoint->silence();  // Its candidates would confuse the new connection.
        auto self = shared_from_this();
        detachAll(ctx_, old->links, [self, old]() { self->drop(*old); });
        old->links.clear();
    }
    current_ = attach();
    auto att = current_;
    std::string offer = co_await att->endpoint->makeOffer();
    viewerLog()->info("session {}: ICE restarted with a new endpoint", request_.session);
    co_return offer;
}

void Viewer::stop() {
    if (stopped_) return;
    stopped_ = true;
    auto att = current_;
    if (!att) return;
    att->endpoint->silence();
    auto self = shared_from_this();
    auto links = std::move(att->links);
    att->links.clear();
    detachAll(ctx_, std::move(links), [self, att]() { self->drop(*att); });
}

void Viewer::dropNow() {
    stopped_ = true;
    if (current_) drop(*current_);
}

void Viewer::drop(Attachment& att) {
    if (att.dropped) return;
    att.dropped = true;
    for (auto& link : att.links) releaseTeeLink(link);
    att.links.clear();
    // webrtcbin first: until DTLS is up it blocks the queues' pushes, and stopping a queue
    // waits for its push to return.
    if (att.endpoint) att.endpoint->stop();
    for (auto* q : att.queues) dropElement(pipeline_, q);
    att.queues.clear();
}

}  // namespace vigil::media::detail
