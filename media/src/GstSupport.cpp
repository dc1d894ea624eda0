#include "GstSupport.hpp"

#include <gst/sdp/sdp.h>
#include <gst/video/video.h>

#include <algorithm>
#include <cctype>

#include "vigil/common/Error.hpp"

namespace vigil::media::detail {

namespace {
constexpr auto kPromiseTimeout = std::chrono::seconds(10);

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

// A codec the media role can forward and record: VP8 or H.264 video, Opus audio.
bool acceptedCodec(const GstSDPMedia* media) {
    const std::string kind = gst_sdp_media_get_media(media) ? gst_sdp_media_get_media(media) : "";
    for (guint i = 0; i < gst_sdp_media_attributes_len(media); ++i) {
        const GstSDPAttribute* attr = gst_sdp_media_get_attribute(media, i);
        if (attr->key == nullptr || std::string(attr->key) != "rtpmap" || attr->value == nullptr)
            continue;
        // "96 VP8/90000"
        std::string value = attr->value;
        auto space = value.find(' ');
        if (space == std::string::npos) continue;
        std::string codec = upper(value.substr(space + 1, value.find('/') - space - 1));
        if (kind == "video" && (codec == "VP8" || codec == "H264")) return true;
        if (kind == "audio" && codec == "OPUS") return true;
    }
    return false;
}

bool hasAttribute(const GstSDPMessage* msg, const char* key) {
    if (gst_sdp_message_get_attribute_val(msg, key) != nullptr) return true;
    for (guint i = 0; i < gst_sdp_message_medias_len(msg); ++i) {
        if (gst_sdp_media_get_attribute_val(gst_sdp_message_get_media(msg, i), key) != nullptr)
            return true;
    }
    return false;
}

}  // namespace

GstElement* makeElement(const char* factory, const std::string& name) {
    GstElement* e = gst_element_factory_make(factory, name.empty() ? nullptr : name.c_str());
    if (e == nullptr)
        throw MediaFailure(std::string("GStreamer element '") + factory + "' is missing");
    return e;
}

struct PromiseOp::State {
    std::mutex mutex;
    bool done{false};
    bool resumed{false};
    std::coroutine_handle<> handle;
    GstStructure* reply{nullptr};
    std::string error;
    common::EventLoop* loop{nullptr};

    ~State() {
        if (reply != nullptr) gst_structure_free(reply);
    }

    // Resumes the awaiting coroutine once, on the loop thread.
    static void resumeOnLoop(const std::shared_ptr<State>& self) {
        std::coroutine_handle<> h;
        {
            std::lock_guard lock(self->mutex);
            if (!self->handle || self->resumed) return;
            self->resumed = true;
            h = self->handle;
        }
        self->loop->defer([h]() { h.resume(); });
    }
};

namespace {
void onPromiseChanged(GstPromise* promise, gpointer data) {
    auto self = *static_cast<std::shared_ptr<PromiseOp::State>*>(data);
    GstStructure* copy = nullptr;
    std::string error;
    if (gst_promise_wait(promise) == GST_PROMISE_RESULT_REPLIED) {
        const GstStructure* reply = gst_promise_get_reply(promise);
        if (reply != nullptr) {
            GError* err = nullptr;
            if (gst_structure_has_field(reply, "error") &&
                gst_structure_get(reply, "error", G_TYPE_ERROR, &err, nullptr) && err != nullptr) {
                error = err->message;
                g_error_free(err);
            } else {
                copy = gst_structure_copy(reply);
            }
        }
    } else {
        error = "the operation was interrupted";
    }
    {
        std::lock_guard lock(self->mutex);
        self->done = true;
        self->reply = copy;
        self->error = error;
    }
    PromiseOp::State::resumeOnLoop(self);
}

void freeStateRef(gpointer data) {
    delete static_cast<std::shared_ptr<PromiseOp::State>*>(data);
}
}  // namespace

PromiseOp::PromiseOp(common::EventLoop& loop, const char* what)
    : state_(std::make_shared<State>()), loop_(loop), what_(what) {
    state_->loop = &loop;
    promise_ = gst_promise_new_with_change_func(onPromiseChanged,
                                                new std::shared_ptr<State>(state_), freeStateRef);
}

PromiseOp::~PromiseOp() {
    timeout_.cancel();
    // A late reply finds no handle and resumes nothing.
    {
        std::lock_guard lock(state_->mutex);
        state_->resumed = true;
    }
    gst_promise_unref(promise_);
}

bool PromiseOp::await_ready() const {
    std::lock_guard lock(state_->mutex);
    return state_->done;
}

bool PromiseOp::await_suspend(std::coroutine_handle<> h) {
    {
        std::lock_guard lock(state_->mutex);
        if (state_->done) return false;
        state_->handle = h;
    }
    auto state = state_;
    timeout_ = loop_.after(kPromiseTimeout, [state]() {
        {
            std::lock_guard lock(state->mutex);
            if (!state->done) state->error = "webrtcbin did not answer in time";
            state->done = true;
        }
        State::resumeOnLoop(state);
    });
    return true;
}

GstStructure* PromiseOp::await_resume() {
    timeout_.cancel();
    std::lock_guard lock(state_->mutex);
    if (!state_->error.empty()) throw MediaFailure(what_ + ": " + state_->error);
    GstStructure* reply = state_->reply;
    state_->reply = nullptr;
    return reply;
}

std::string descriptionText(const GstStructure* reply, const char* field) {
    GstWebRTCSessionDescription* desc = nullptr;
    if (reply == nullptr ||
        !gst_structure_get(reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, nullptr) ||
        desc == nullptr) {
        throw MediaFailure(std::string("webrtcbin gave no ") + field);
    }
    gchar* text = gst_sdp_message_as_text(desc->sdp);
    std::string out = text;
    g_free(text);
    gst_webrtc_session_description_free(desc);
    return out;
}

GstWebRTCSessionDescription* parseDescription(const std::string& sdp, GstWebRTCSDPType type) {
    GstSDPMessage* msg = nullptr;
    gst_sdp_message_new(&msg);
    auto result = gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(sdp.data()),
                                               static_cast<guint>(sdp.size()), msg);
    const gchar* version = gst_sdp_message_get_version(msg);
    if (result != GST_SDP_OK || version == nullptr || std::string(version) != "0" ||
        gst_sdp_message_get_origin(msg) == nullptr ||
        gst_sdp_message_get_origin(msg)->sess_id == nullptr) {
        gst_sdp_message_free(msg);
        throw common::ApiError("bad_sdp",
                               "the SDP does not parse (it must start with v=0 and "
                               "have an o= line)");
    }
    guint medias = gst_sdp_message_medias_len(msg);
    guint usable = 0;
    for (guint i = 0; i < medias; ++i) {
        const GstSDPMedia* media = gst_sdp_message_get_media(msg, i);
        bool bundled = gst_sdp_media_get_attribute_val(media, "bundle-only") != nullptr;
        if ((gst_sdp_media_get_port(media) != 0 || bundled) && acceptedCodec(media)) ++usable;
    }
    if (type == GST_WEBRTC_SDP_TYPE_OFFER && usable == 0) {
        gst_sdp_message_free(msg);
        throw common::ApiError("no_media",
                               "the offer has no audio or video line with a codec the server "
                               "takes (VP8 or H.264 video, Opus audio)");
    }
    if (medias > 0 && (!hasAttribute(msg, "fingerprint") || !hasAttribute(msg, "ice-ufrag"))) {
        gst_sdp_message_free(msg);
        throw common::ApiError("bad_sdp", "the SDP has no DTLS fingerprint or ICE credentials");
    }
    if (type == GST_WEBRTC_SDP_TYPE_ANSWER && medias == 0) {
        gst_sdp_message_free(msg);
        throw common::ApiError("bad_sdp", "the answer has no media lines");
    }
    return gst_webrtc_session_description_new(type, msg);
}

namespace {
struct DetachState {
    common::EventLoop* loop;
    std::shared_ptr<std::atomic<bool>> alive;
    GstPad* sinkPad;  // One ref.
    std::function<void()> done;
    std::atomic<bool> fired{false};
};

GstPadProbeReturn onTeePadIdle(GstPad* pad, GstPadProbeInfo* /*info*/, gpointer data) {
    auto* state = static_cast<DetachState*>(data);
    if (state->fired.exchange(true)) return GST_PAD_PROBE_REMOVE;
    gst_pad_unlink(pad, state->sinkPad);
    auto alive = state->alive;
    auto done = std::move(state->done);
    state->loop->defer([alive, done]() {
        if (alive->load() && done) done();
    });
    return GST_PAD_PROBE_REMOVE;
}

void freeDetachState(gpointer data) {
    auto* state = static_cast<DetachState*>(data);
    // The pad went away before it was idle (its tee was removed): nothing flows any more.
    if (!state->fired.exchange(true) && state->done) {
        auto alive = state->alive;
        auto done = std::move(state->done);
        state->loop->defer([alive, done]() {
            if (alive->load()) done();
        });
    }
    gst_object_unref(state->sinkPad);
    delete state;
}
}  // namespace

void detachFromTee(Context& ctx, GstElement* /*tee*/, GstPad* teePad, GstPad* sinkPad,
                   std::function<void()> done) {
    auto* state =
        new DetachState{&ctx.loop, ctx.alive, GST_PAD(gst_object_ref(sinkPad)), std::move(done)};
    gst_pad_add_probe(teePad, GST_PAD_PROBE_TYPE_IDLE, onTeePadIdle, state, freeDetachState);
}

void dropElement(GstElement* bin, GstElement* element) {
    if (element == nullptr) return;
    gst_element_set_locked_state(element, TRUE);
    gst_element_set_state(element, GST_STATE_NULL);
    if (GST_OBJECT_PARENT(element) == GST_OBJECT(bin)) gst_bin_remove(GST_BIN(bin), element);
}

void sendKeyFrameRequest(GstPad* pad) {
    gst_pad_push_event(pad,
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

TeeLink linkFromTee(GstElement* tee, GstElement* downstream) {
    TeeLink link;
    link.tee = GST_ELEMENT(gst_object_ref(tee));
    link.teePad = gst_element_request_pad_simple(tee, "src_%u");
    link.sinkPad = gst_element_get_static_pad(downstream, "sink");
    GstPadLinkReturn result = GST_PAD_LINK_REFUSED;
    if (link.teePad != nullptr && link.sinkPad != nullptr)
        result = gst_pad_link(link.teePad, link.sinkPad);
    if (result != GST_PAD_LINK_OK) {
        releaseTeeLink(link);
        throw MediaFailure(std::string("could not link a branch to its tee: ") +
                           gst_pad_link_get_name(result));
    }
    return link;
}

void releaseTeeLink(TeeLink& link) {
    if (link.teePad != nullptr) {
        if (link.sinkPad != nullptr && gst_pad_is_linked(link.teePad))
            gst_pad_unlink(link.teePad, link.sinkPad);
        gst_element_release_request_pad(link.tee, link.teePad);
        gst_object_unref(link.teePad);
        link.teePad = nullptr;
    }
    if (link.sinkPad != nullptr) {
        gst_object_unref(link.sinkPad);
        link.sinkPad = nullptr;
    }
    if (link.tee != nullptr) {
        gst_object_unref(link.tee);
        link.tee = nullptr;
    }
}

void detachAll(Context& ctx, std::vector<TeeLink> links, std::function<void()> done) {
    struct Pending {
        std::vector<TeeLink> links;
        std::size_t remaining;
        std::function<void()> done;
    };
    auto pending = std::make_shared<Pending>();
    pending->remaining = links.size();
    pending->links = std::move(links);
    pending->done = std::move(done);
    if (pending->remaining == 0) {
        ctx.post([pending]() { pending->done(); });
        return;
    }
    // The probes may fire at once, on this thread; their completions are queued regardless.
    for (auto& link : pending->links) {
        detachFromTee(ctx, link.tee, link.teePad, link.sinkPad, [pending]() {
            if (--pending->remaining > 0) return;
            for (auto& l : pending->links) releaseTeeLink(l);
            pending->done();
        });
    }
}

std::int64_t wallMillis() {
    return g_get_real_time() / 1000;
}

}  // namespace vigil::media::detail
