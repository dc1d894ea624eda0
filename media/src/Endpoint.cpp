#include "Endpoint.hpp"

#include "vigil/common/Log.hpp"

namespace vigil::media::detail {

namespace {
VIGIL_LOG_CATEGORY(endpointLog, "media.endpoint")
}  // namespace

struct Endpoint::Shared {
    Context* ctx;
    std::string session;
    std::atomic<bool> active{true};
    std::atomic<bool> failedOnce{false};
    Callbacks callbacks;
};

namespace {

using SharedRef = std::shared_ptr<Endpoint::Shared>;

void freeSharedRef(gpointer data, GClosure* /*closure*/) {
    delete static_cast<SharedRef*>(data);
}

SharedRef& sharedOf(gpointer data) {
    return *static_cast<SharedRef*>(data);
}

void onIceCandidate(GstElement* /*webrtc*/, guint mline, gchar* candidate, gpointer data) {
    auto shared = sharedOf(data);
    if (!shared->active) return;
    std::string text = candidate != nullptr ? candidate : "";
    shared->ctx->post([shared, mline, text]() {
        if (!shared->active || shared->ctx->listener == nullptr) return;
        shared->ctx->listener->onIceCandidate(shared->session, static_cast<int>(mline), text);
    });
}

void reportFailure(const SharedRef& shared, const std::string& reason) {
    if (!shared->active || shared->failedOnce.exchange(true)) return;
    shared->ctx->post([shared, reason]() {
        if (shared->active && shared->callbacks.failed) shared->callbacks.failed(reason);
    });
}

void onIceConnectionState(GObject* webrtc, GParamSpec* /*spec*/, gpointer data) {
    GstWebRTCICEConnectionState state = GST_WEBRTC_ICE_CONNECTION_STATE_NEW;
    g_object_get(webrtc, "ice-connection-state", &state, nullptr);
    auto shared = sharedOf(data);
    endpointLog()->debug("session {}: ice connection state {}", shared->session,
                         static_cast<int>(state));
    if (state == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED) reportFailure(shared, "ice_failed");
}

void onConnectionState(GObject* webrtc, GParamSpec* /*spec*/, gpointer data) {
    GstWebRTCPeerConnectionState state = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;
    g_object_get(webrtc, "connection-state", &state, nullptr);
    if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
        reportFailure(sharedOf(data), "dtls_failed");
}

void onGatheringState(GObject* webrtc, GParamSpec* /*spec*/, gpointer data) {
    GstWebRTCICEGatheringState state = GST_WEBRTC_ICE_GATHERING_STATE_NEW;
    g_object_get(webrtc, "ice-gathering-state", &state, nullptr);
    if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) return;
    auto shared = sharedOf(data);
    if (!shared->active) return;
    // An empty candidate tells the browser that no more will come.
    shared->ctx->post([shared]() {
        if (shared->active && shared->ctx->listener != nullptr)
            shared->ctx->listener->onIceCandidate(shared->session, 0, "");
    });
}

void onPadAdded(GstElement* /*webrtc*/, GstPad* pad, gpointer data) {
    auto& shared = sharedOf(data);
    if (!shared->active || GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
    if (shared->callbacks.padAdded) shared->callbacks.padAdded(pad);
}

// libnice's UPnP port mapping looks for a router on the LAN (SSDP multicast from every
// interface) while it gathers. Off wherever the ICE addresses are named: traffic on other
// interfaces is what naming them rules out. False when the agent is not libnice's.
bool turnOffUpnp(GstWebRTCICE* ice) {
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent") == nullptr) return false;
    GObject* agent = nullptr;
    g_object_get(ice, "agent", &agent, nullptr);
    if (agent == nullptr) return false;
    const bool found = g_object_class_find_property(G_OBJECT_GET_CLASS(agent), "upnp") != nullptr;
    if (found) g_object_set(agent, "upnp", FALSE, nullptr);
    g_object_unref(agent);
    return found;
}

// The agent's port range and local addresses, before anything is gathered. Naming an address
// stops libnice's own discovery, which would otherwise use every interface except loopback.
void configureIceAgent(GstElement* webrtc, const MediaOptions& options,
                       const std::string& session) {
    const bool portRange = options.portMin > 0 && options.portMax >= options.portMin;
    if (!portRange && options.iceAddresses.empty()) return;
    GstWebRTCICE* ice = nullptr;
    g_object_get(webrtc, "ice-agent", &ice, nullptr);
    if (ice == nullptr) {
        endpointLog()->warn("session {}: webrtcbin has no ICE agent to configure", session);
        return;
    }
    if (portRange) {
        g_object_set(ice, "min-rtp-port", static_cast<guint>(options.portMin), "max-rtp-port",
                     static_cast<guint>(options.portMax), nullptr);
    }
    if (!options.iceAddresses.empty() && !turnOffUpnp(ice))
        endpointLog()->warn("session {}: cannot turn off the ICE agent's UPnP", session);
    for (const auto& address : options.iceAddresses) {
        gboolean added = FALSE;
        g_signal_emit_by_name(ice, "add-local-ip-address", address.c_str(), &added);
        if (added == FALSE)
            endpointLog()->warn("session {}: ICE cannot gather on {}", session, address);
    }
    gst_object_unref(ice);
}

void connect(GstElement* webrtc, const char* signal, GCallback cb, const SharedRef& shared) {
    g_signal_connect_data(webrtc, signal, cb, new SharedRef(shared), freeSharedRef,
                          static_cast<GConnectFlags>(0));
}

}  // namespace

Endpoint::Endpoint(Context& ctx, GstElement* pipeline, std::string session, Callbacks callbacks)
    : ctx_(ctx), pipeline_(pipeline), session_(std::move(session)) {
    shared_ = std::make_shared<Shared>();
    shared_->ctx = &ctx;
    shared_->session = session_;
    shared_->callbacks = std::move(callbacks);

    webrtc_ = makeElement("webrtcbin");
    g_object_set(webrtc_, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency",
                 static_cast<guint>(ctx.options.jitterMs), nullptr);
    if (!ctx.options.stunServer.empty())
        g_object_set(webrtc_, "stun-server", ctx.options.stunServer.c_str(), nullptr);
    configureIceAgent(webrtc_, ctx.options, session_);
    connect(webrtc_, "on-ice-candidate", G_CALLBACK(onIceCandidate), shared_);
    connect(webrtc_, "notify::ice-connection-state", G_CALLBACK(onIceConnectionState), shared_);
    connect(webrtc_, "notify::connection-state", G_CALLBACK(onConnectionState), shared_);
    connect(webrtc_, "notify::ice-gathering-state", G_CALLBACK(onGatheringState), shared_);
    connect(webrtc_, "pad-added", G_CALLBACK(onPadAdded), shared_);
    gst_bin_add(GST_BIN(pipeline_), webrtc_);
}

Endpoint::~Endpoint() {
    stop();
}

void Endpoint::start() {
    gst_element_sync_state_with_parent(webrtc_);
}

common::Task<std::string> Endpoint::answerOffer(std::string sdp) {
    GstWebRTCSessionDescription* offer = parseDescription(sdp, GST_WEBRTC_SDP_TYPE_OFFER);
    {
        PromiseOp op(ctx_.loop, "set-remote-description");
        g_signal_emit_by_name(webrtc_, "set-remote-description", offer, op.promise());
        gst_webrtc_session_description_free(offer);
        GstStructure* reply = co_await op;
        if (reply != nullptr) gst_structure_free(reply);
    }
    haveRemote_ = true;
    std::string answerText;
    {
        PromiseOp op(ctx_.loop, "create-answer");
        g_signal_emit_by_name(webrtc_, "create-answer", nullptr, op.promise());
        GstStructure* reply = co_await op;
        try {
            answerText = descriptionText(reply, "answer");
        } catch (...) {
            if (reply != nullptr) gst_structure_free(reply);
            throw;
        }
        gst_structure_free(reply);
    }
    GstWebRTCSessionDescription* answer = parseDescription(answerText, GST_WEBRTC_SDP_TYPE_ANSWER);
    {
        PromiseOp op(ctx_.loop, "set-local-description");
        g_signal_emit_by_name(webrtc_, "set-local-description", answer, op.promise());
        gst_webrtc_session_description_free(answer);
        GstStructure* reply = co_await op;
        if (reply != nullptr) gst_structure_free(reply);
    }
    co_return answerText;
}

common::Task<std::string> Endpoint::makeOffer() {
    std::string offerText;
    {
        PromiseOp op(ctx_.loop, "create-offer");
        g_signal_emit_by_name(webrtc_, "create-offer", nullptr, op.promise());
        GstStructure* reply = co_await op;
        try {
            offerText = descriptionText(reply, "offer");
        } catch (...) {
            if (reply != nullptr) gst_structure_free(reply);
            throw;
        }
        gst_structure_free(reply);
    }
    GstSDPMessage* msg = nullptr;
    gst_sdp_message_new_from_text(offerText.c_str(), &msg);
    GstWebRTCSessionDescription* offer =
        gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, msg);
    {
        PromiseOp op(ctx_.loop, "set-local-description");
        g_signal_emit_by_name(webrtc_, "set-local-description", offer, op.promise());
        gst_webrtc_session_description_free(offer);
        GstStructure* reply = co_await op;
        if (reply != nullptr) gst_structure_free(reply);
    }
    co_return offerText;
}

common::Task<void> Endpoint::applyAnswer(std::string sdp) {
    GstWebRTCSessionDescription* answer = parseDescription(sdp, GST_WEBRTC_SDP_TYPE_ANSWER);
    PromiseOp op(ctx_.loop, "set-remote-description");
    g_signal_emit_by_name(webrtc_, "set-remote-description", answer, op.promise());
    gst_webrtc_session_description_free(answer);
    GstStructure* reply = co_await op;
    if (reply != nullptr) gst_structure_free(reply);
    haveRemote_ = true;
}

void Endpoint::addIceCandidate(int mlineIndex, const std::string& candidate) {
    if (stopped_) return;
    // webrtcbin takes "" as end of candidates only from 1.24; older versions log an error.
    if (candidate.empty()) return;
    g_signal_emit_by_name(webrtc_, "add-ice-candidate", static_cast<guint>(mlineIndex),
                          candidate.c_str());
}

void Endpoint::silence() {
    shared_->active = false;
}

void Endpoint::stop() {
    if (stopped_) return;
    stopped_ = true;
    shared_->active = false;
    dropElement(pipeline_, webrtc_);
    webrtc_ = nullptr;
}

}  // namespace vigil::media::detail
