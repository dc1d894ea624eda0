#include "Publisher.hpp"

#include <gst/sdp/sdp.h>
#include <gst/video/video.h>

#include "vigil/common/Log.hpp"

namespace vigil::media::detail {

namespace {
VIGIL_LOG_CATEGORY(publisherLog, "media.publisher")

// Fixed payload types for what the server sends: viewers' offers are made from these caps.
constexpr int kVp8PayloadType = 96;
constexpr int kH264PayloadType = 102;
constexpr int kOpusPayloadType = 111;
constexpr auto kReadyFallback = std::chrono::seconds(3);

// Media lines the browser will send on: audio or video, port set, not recvonly/inactive.
int sendingMediaCount(const std::string& sdp) {
    GstSDPMessage* msg = nullptr;
    gst_sdp_message_new_from_text(sdp.c_str(), &msg);
    int count = 0;
    for (guint i = 0; i < gst_sdp_message_medias_len(msg); ++i) {
        const GstSDPMedia* media = gst_sdp_message_get_media(msg, i);
        std::string kind = gst_sdp_media_get_media(media) ? gst_sdp_media_get_media(media) : "";
        // With BUNDLE, every line but the first may carry port 0 and a=bundle-only.
        bool bundled = gst_sdp_media_get_attribute_val(media, "bundle-only") != nullptr;
        if ((kind != "audio" && kind != "video") ||
            (gst_sdp_media_get_port(media) == 0 && !bundled))
            continue;
        if (gst_sdp_media_get_attribute_val(media, "recvonly") != nullptr ||
            gst_sdp_media_get_attribute_val(media, "inactive") != nullptr)
            continue;
        ++count;
    }
    gst_sdp_message_free(msg);
    return count;
}

void addAndSync(GstElement* pipeline, const std::vector<GstElement*>& chain) {
    for (auto* e : chain) gst_bin_add(GST_BIN(pipeline), e);
    for (size_t i = 0; i + 1 < chain.size(); ++i) {
        if (!gst_element_link(chain[i], chain[i + 1]))
            throw MediaFailure(std::string("could not link ") + GST_ELEMENT_NAME(chain[i]) +
                               " to " + GST_ELEMENT_NAME(chain[i + 1]));
    }
    // Downstream first, so that nothing pushes into an element that is not running yet.
    for (auto it = chain.rbegin(); it != chain.rend(); ++it)
        gst_element_sync_state_with_parent(*it);
}

}  // namespace

Publisher::Publisher(Context& ctx, GstElement* pipeline, PublishRequest request,
                     std::function<void()> ready, std::function<void(const std::string&)> failed)
    : ctx_(ctx), pipeline_(pipeline), request_(std::move(request)), onReady_(std::move(ready)) {
    Endpoint::Callbacks callbacks;
    callbacks.padAdded = [this](GstPad* pad) { onPadAdded(pad); };
    callbacks.failed = std::move(failed);
    endpoint_ = std::make_unique<Endpoint>(ctx_, pipeline_, request_.session, std::move(callbacks));
}

Publisher::~Publisher() {
    stop();
}

common::Task<std::string> Publisher::negotiate(std::string offerSdp) {
    expectedTracks_ = sendingMediaCount(offerSdp);
    endpoint_->start();
    std::string answer = co_await endpoint_->answerOffer(std::move(offerSdp));
    co_return answer;
}

void Publisher::addIceCandidate(int mlineIndex, const std::string& candidate) {
    endpoint_->addIceCandidate(mlineIndex, candidate);
}

std::vector<std::shared_ptr<Track>> Publisher::tracks() const {
    std::lock_guard lock(mutex_);
    return tracks_;
}

std::shared_ptr<Track> Publisher::videoTrack() const {
    std::lock_guard lock(mutex_);
    for (const auto& t : tracks_) {
        if (t->media == "video") return t;
    }
    return nullptr;
}

void Publisher::onPadAdded(GstPad* pad) {
    if (stopped_) return;
    GstCaps* caps = gst_pad_get_current_caps(pad);
    if (caps == nullptr) caps = gst_pad_query_caps(pad, nullptr);
    const GstStructure* s = gst_caps_get_structure(caps, 0);
    std::string media =
        gst_structure_get_string(s, "media") ? gst_structure_get_string(s, "media") : "";
    std::string codec = gst_structure_get_string(s, "encoding-name")
                            ? gst_structure_get_string(s, "encoding-name")
                            : "";
    gst_caps_unref(caps);
    try {
        linkTrack(pad, media, codec);
    } catch (const std::exception& e) {
        publisherLog()->error("session {}: cannot take {} {}: {}", request_.session, media, codec,
                              e.what());
        GstElement* sink = makeElement("fakesink");
        g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
        gst_bin_add(GST_BIN(pipeline_), sink);
        gst_element_sync_state_with_parent(sink);
        GstPad* sinkPad = gst_element_get_static_pad(sink, "sink");
        gst_pad_link(pad, sinkPad);
        gst_object_unref(sinkPad);
    }
}

void Publisher::linkTrack(GstPad* pad, const std::string& media, const std::string& codec) {
    auto track = std::make_shared<Track>();
    track->media = media;
    track->codec = codec;
    bool cameraAudio = media == "audio" && request_.stream == StreamKind::Camera;
    if (codec == "VP8") {
        track->depay = makeElement("rtpvp8depay");
        track->pay = makeElement("rtpvp8pay");
        g_object_set(track->depay, "request-keyframe", TRUE, "wait-for-keyframe", TRUE, nullptr);
        g_object_set(track->pay, "pt", kVp8PayloadType, "mtu", 1200, "picture-id-mode", 2, nullptr);
    } else if (codec == "H264") {
        track->depay = makeElement("rtph264depay");
        track->parse = makeElement("h264parse");
        track->pay = makeElement("rtph264pay");
        g_object_set(track->depay, "request-keyframe", TRUE, "wait-for-keyframe", TRUE, nullptr);
        g_object_set(track->parse, "config-interval", -1, nullptr);
        g_object_set(track->pay, "pt", kH264PayloadType, "mtu", 1200, "config-interval", -1,
                     "aggregate-mode", 1, nullptr);
    } else if (codec == "OPUS" && !cameraAudio) {
        track->depay = makeElement("rtpopusdepay");
        track->pay = makeElement("rtpopuspay");
        g_object_set(track->pay, "pt", kOpusPayloadType, nullptr);
    } else {
        throw MediaFailure(cameraAudio ? "a presence camera sends no audio" : "unsupported codec");
    }
    track->encodedTee = makeElement("tee");
    track->rtpTee = makeElement("tee");
    g_object_set(track->encodedTee, "allow-not-linked", TRUE, nullptr);
    g_object_set(track->rtpTee, "allow-not-linked", TRUE, nullptr);

    std::vector<GstElement*> chain{track->depay};
    if (track->parse != nullptr) chain.push_back(track->parse);
    chain.push_back(track->encodedTee);
    chain.push_back(track->pay);
    chain.push_back(track->rtpTee);
    addAndSync(pipeline_, chain);

    {
        GstPad* depaySink = gst_element_get_static_pad(track->depay, "sink");
        gst_pad_add_probe(depaySink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, limitKeyFrames, this,
                          nullptr);
        gst_object_unref(depaySink);
    }
    // Ready once the payloader has sent its first buffer: its caps are then fixed, and a
    // viewer's offer is made from them.
    GstPad* paySrc = gst_element_get_static_pad(track->pay, "src");
    struct FirstBuffer {
        Publisher* self;
        std::shared_ptr<Track> track;
        std::shared_ptr<std::atomic<bool>> alive;
    };
    // Payloaders push a frame's packets as one buffer list.
    gst_pad_add_probe(
        paySrc,
        static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
        [](GstPad* p, GstPadProbeInfo*, gpointer data) -> GstPadProbeReturn {
            auto* fb = static_cast<FirstBuffer*>(data);
            if (!fb->alive->load()) return GST_PAD_PROBE_REMOVE;
            GstCaps* c = gst_pad_get_current_caps(p);
            Publisher* self = fb->self;
            {
                std::lock_guard lock(self->mutex_);
                if (fb->track->rtpCaps == nullptr)
                    fb->track->rtpCaps = c;
                else if (c != nullptr)
                    gst_caps_unref(c);
                size_t withCaps = 0;
                for (const auto& t : self->tracks_) {
                    if (t->rtpCaps != nullptr) ++withCaps;
                }
                if (static_cast<int>(withCaps) >= self->expectedTracks_) {
                    auto alive = fb->alive;
                    self->ctx_.post([self, alive]() {
                        if (alive->load()) self->markReady();
                    });
                }
            }
            return GST_PAD_PROBE_REMOVE;
        },
        new FirstBuffer{this, track, alive_},
        [](gpointer d) { delete static_cast<FirstBuffer*>(d); });
    gst_object_unref(paySrc);

    bool first = false;
    {
        std::lock_guard lock(mutex_);
        tracks_.push_back(track);
        first = tracks_.size() == 1;
    }
    GstPad* depaySinkPad = gst_element_get_static_pad(track->depay, "sink");
    GstPadLinkReturn linked = gst_pad_link(pad, depaySinkPad);
    gst_object_unref(depaySinkPad);
    if (linked != GST_PAD_LINK_OK) throw MediaFailure("could not link the incoming stream");
    publisherLog()->info("session {}: receiving {} {} from {}", request_.session, media, codec,
                         request_.source);
    if (first) {
        auto alive = alive_;
        ctx_.post([this, alive]() {
            if (!alive->load()) return;
            // An offered track may never send (a muted or failed device): do not wait forever.
            readyFallback_ = ctx_.loop.after(kReadyFallback, [this]() {
                bool any = false;
                {
                    std::lock_guard lock(mutex_);
                    for (const auto& t : tracks_) any = any || t->rtpCaps != nullptr;
                }
                if (any) markReady();
            });
        });
    }
}

void Publisher::markReady() {
    if (ready_ || stopped_) return;
    ready_ = true;
    readyFallback_.cancel();
    if (onReady_) onReady_();
}

GstPadProbeReturn Publisher::limitKeyFrames(GstPad* /*pad*/, GstPadProbeInfo* info, gpointer data) {
    GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
    // A branch linked to a tee asks upstream to renegotiate. Nothing from here on can change
    // format, and webrtcbin's receiving chain fails (not-negotiated) when it tries: stop it here.
    if (event != nullptr && GST_EVENT_TYPE(event) == GST_EVENT_RECONFIGURE)
        return GST_PAD_PROBE_DROP;
    if (event == nullptr || !gst_video_event_is_force_key_unit(event)) return GST_PAD_PROBE_OK;
    auto* self = static_cast<Publisher*>(data);
    const std::int64_t now = g_get_monotonic_time() * 1000;
    const std::int64_t minGap =
        static_cast<std::int64_t>(self->ctx_.options.keyframeMinIntervalMs) * 1000000;
    std::int64_t last = self->lastKeyFrameNs_.load();
    if (now - last < minGap || !self->lastKeyFrameNs_.compare_exchange_strong(last, now)) {
        // Too soon: one request is sent when the interval is over, so that whoever asked
        // (a viewer that just joined, the recorder) is not left waiting for a key frame that
        // nobody else will ask for.
        if (!self->keyFrameDeferred_.exchange(true)) {
            auto wait = std::chrono::milliseconds((minGap - (now - last)) / 1000000 + 1);
            auto alive = self->alive_;
            self->ctx_.post([self, alive, wait]() {
                if (!alive->load()) return;
                self->deferredKeyFrame_ = self->ctx_.loop.after(wait, [self]() {
                    self->keyFrameDeferred_ = false;
                    self->requestKeyFrame();
                });
            });
        }
        return GST_PAD_PROBE_DROP;
    }
    ++self->keyFramesSent_;
    return GST_PAD_PROBE_OK;
}

void Publisher::requestKeyFrame() {
    auto video = videoTrack();
    if (!video || stopped_) return;
    GstPad* pad = gst_element_get_static_pad(video->depay, "sink");
    sendKeyFrameRequest(pad);
    gst_object_unref(pad);
}

void Publisher::stop() {
    if (stopped_.exchange(true)) return;
    *alive_ = false;
    readyFallback_.cancel();
    deferredKeyFrame_.cancel();
    auto tracks = this->tracks();
    // EOS through every branch first: the recorder closes its chunk with a duration.
    for (const auto& t : tracks) {
        GstPad* pad = gst_element_get_static_pad(t->depay, "sink");
        gst_pad_send_event(pad, gst_event_new_eos());
        gst_object_unref(pad);
    }
    endpoint_->stop();
    for (const auto& t : tracks) {
        dropElement(pipeline_, t->depay);
        dropElement(pipeline_, t->parse);
        dropElement(pipeline_, t->encodedTee);
        dropElement(pipeline_, t->pay);
        dropElement(pipeline_, t->rtpTee);
        if (t->rtpCaps != nullptr) gst_caps_unref(t->rtpCaps);
        t->rtpCaps = nullptr;
    }
    publisherLog()->info("session {}: publisher {} stopped", request_.session, request_.source);
}

}  // namespace vigil::media::detail
