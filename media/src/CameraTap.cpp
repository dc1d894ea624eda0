#include "CameraTap.hpp"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include <algorithm>

#include "vigil/common/Log.hpp"

namespace vigil::media::detail {

namespace {
VIGIL_LOG_CATEGORY(cameraTapLog, "media.tap")

// Marks on a decoded picture, set by the gate behind the decoder and read by onSample:
// videoconvert copies buffer flags, and GStreamer leaves those from
// GST_VIDEO_BUFFER_FLAG_LAST on to the application. Plain integers, not GstBufferFlags:
// these values lie outside that enum's range.
constexpr guint kSampleFlag = GST_VIDEO_BUFFER_FLAG_LAST;
constexpr guint kBurstFlag = static_cast<guint>(GST_VIDEO_BUFFER_FLAG_LAST) << 1;

std::int64_t monotonicNs() {
    return g_get_monotonic_time() * 1000;
}

}  // namespace

CameraTap::CameraTap(Context& ctx, GstElement* pipeline, std::string room,
                     std::shared_ptr<Publisher> publisher)
    : ctx_(ctx),
      pipeline_(pipeline),
      room_(std::move(room)),
      subject_(publisher->request().source),
      publisher_(std::move(publisher)) {
    auto video = publisher_->videoTrack();
    if (!video) throw MediaFailure("the camera stream has no video");
    // Outside a burst the gate behind it drops nearly everything, so the queue stays short;
    // during one it absorbs a slow decode for about half a second before it drops frames
    // (and the gate then waits for a key frame: see onOverrun).
    GstElement* queue = makeElement("queue");
    g_object_set(queue, "leaky", 2, "max-size-buffers", 8, "max-size-bytes", 0, "max-size-time",
                 static_cast<guint64>(0), nullptr);
    g_signal_connect(queue, "overrun", G_CALLBACK(onOverrun), this);
    GstElement* decoder = makeElement(video->codec == "H264" ? "avdec_h264" : "vp8dec");
    if (video->codec != "H264") g_object_set(decoder, "threads", 1, nullptr);
    GstElement* convert = makeElement("videoconvert");
    GstElement* filter = makeElement("capsfilter");
    GstCaps* caps = gst_caps_from_string("video/x-raw,format=BGR");
    g_object_set(filter, "caps", caps, nullptr);
    gst_caps_unref(caps);
    GstElement* sink = makeElement("appsink");
    g_object_set(sink, "sync", FALSE, "async", FALSE, "max-buffers", 1, "drop", TRUE,
                 "emit-signals", TRUE, nullptr);
    g_signal_connect(sink, "new-sample", G_CALLBACK(onSample), this);
    elements_ = {queue, decoder, convert, filter, sink};
    for (auto* e : elements_) gst_bin_add(GST_BIN(pipeline_), e);
    gst_element_link_many(queue, decoder, convert, filter, sink, nullptr);
    for (auto it = elements_.rbegin(); it != elements_.rend(); ++it)
        gst_element_sync_state_with_parent(*it);
    GstPad* queueSrc = gst_element_get_static_pad(queue, "src");
    gst_pad_add_probe(queueSrc, GST_PAD_PROBE_TYPE_BUFFER, gate, this, nullptr);
    gst_object_unref(queueSrc);
    // Pictures nobody takes are dropped before they are converted.
    GstPad* decoded = gst_element_get_static_pad(decoder, "src");
    gst_pad_add_probe(decoded, GST_PAD_PROBE_TYPE_BUFFER, pick, this, nullptr);
    gst_object_unref(decoded);
    link_ = linkFromTee(video->encodedTee, queue);

    publisher_->requestKeyFrame();
    sampleTimer_ = ctx_.loop.every(std::chrono::seconds(ctx_.options.sampleSeconds), [this]() {
        due_ = true;
        publisher_->requestKeyFrame();
        return true;
    });
    cameraTapLog()->info("room {}: sampling {}'s camera every {} s", room_, subject_,
                         ctx_.options.sampleSeconds);
}

CameraTap::~CameraTap() {
    stop();
}

void CameraTap::burst(int fps, int durationMs) {
    burstSlotNs_ = 1000000000LL / fps;
    ++burstId_;
    burstUntilNs_ = monotonicNs() + static_cast<std::int64_t>(durationMs) * 1000000;
    // Until a key frame arrives the gate has nothing the decoder can start from.
    publisher_->requestKeyFrame();
    cameraTapLog()->info("room {}: burst of {}'s camera, {} fps for {} ms", room_, subject_, fps,
                         durationMs);
}

bool CameraTap::bursting() const {
    return monotonicNs() < burstUntilNs_.load();
}

// In front of the decoder: regular sampling lets only key frames through while a sample is
// due; a burst lets every frame through once the decoder is in step with the stream.
GstPadProbeReturn CameraTap::gate(GstPad* /*pad*/, GstPadProbeInfo* info, gpointer data) {
    auto* self = static_cast<CameraTap*>(data);
    GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    if (buffer == nullptr) return GST_PAD_PROBE_DROP;
    const bool key = !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
    const bool bursting = self->bursting();
    if (self->resync_.exchange(false)) {
        if (bursting && self->inStep_ && !key) {
            // From the loop, like every other key frame request, not from inside this probe:
            // the request travels into webrtcbin, which this streaming thread must not wait on.
            std::weak_ptr<Publisher> publisher = self->publisher_;
            self->ctx_.post([publisher]() {
                if (auto p = publisher.lock()) p->requestKeyFrame();
            });
        }
        self->inStep_ = false;
    }
    const bool pass = bursting ? key || self->inStep_ : key && self->due_.load();
    // Any frame dropped here leaves the decoder without a reference the next delta needs.
    self->inStep_ = pass;
    return pass ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

// Behind the decoder: takes the due sample and the burst's slots, drops the rest.
GstPadProbeReturn CameraTap::pick(GstPad* /*pad*/, GstPadProbeInfo* info, gpointer data) {
    auto* self = static_cast<CameraTap*>(data);
    if (GST_PAD_PROBE_INFO_BUFFER(info) == nullptr) return GST_PAD_PROBE_DROP;
    bool expected = true;
    const bool sample = self->due_.compare_exchange_strong(expected, false);
    bool burst = false;
    const std::int64_t now = monotonicNs();
    if (now < self->burstUntilNs_.load()) {
        const std::uint64_t id = self->burstId_.load();
        const std::int64_t slot = self->burstSlotNs_.load();
        if (id != self->slotBurst_) {
            self->slotBurst_ = id;
            self->nextSlotNs_ = now;
        }
        if (now >= self->nextSlotNs_) {
            burst = true;
            // Slots on a fixed grid keep every picture of a camera that sends exactly `fps`
            // despite jitter; a late picture pushes the grid instead of earning the slots it
            // missed, so no second has more than fps + 1 burst pictures.
            self->nextSlotNs_ = std::max(self->nextSlotNs_ + slot, now + slot / 2);
        }
    }
    if (!sample && !burst) return GST_PAD_PROBE_DROP;
    GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    if (sample) GST_BUFFER_FLAG_SET(buffer, kSampleFlag);
    if (burst) GST_BUFFER_FLAG_SET(buffer, kBurstFlag);
    return GST_PAD_PROBE_OK;
}

void CameraTap::onOverrun(GstElement* /*queue*/, gpointer data) {
    static_cast<CameraTap*>(data)->resync_ = true;
}

GstFlowReturn CameraTap::onSample(GstElement* sink, gpointer data) {
    auto* self = static_cast<CameraTap*>(data);
    GstSample* sample = gst_app_sink_pull_sample(GST_APP_SINK(sink));
    if (sample == nullptr) return GST_FLOW_OK;
    GstBuffer* buffer = gst_sample_get_buffer(sample);
    GstVideoInfo info;
    GstVideoFrame frame;
    if (buffer != nullptr && gst_video_info_from_caps(&info, gst_sample_get_caps(sample)) &&
        gst_video_frame_map(&frame, &info, buffer, GST_MAP_READ)) {
        Frame out;
        out.room = self->room_;
        out.subject = self->subject_;
        out.width = GST_VIDEO_FRAME_WIDTH(&frame);
        out.height = GST_VIDEO_FRAME_HEIGHT(&frame);
        out.capturedMs = wallMillis();
        const auto rowBytes = static_cast<size_t>(out.width) * 3;
        out.bgr.resize(rowBytes * static_cast<size_t>(out.height));
        const auto* src = static_cast<const std::uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
        const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
        for (int y = 0; y < out.height; ++y) {
            std::copy_n(
                src + static_cast<ptrdiff_t>(y) * stride, rowBytes,
                out.bgr.begin() + static_cast<ptrdiff_t>(rowBytes * static_cast<size_t>(y)));
        }
        gst_video_frame_unmap(&frame);
        const bool asSample = GST_BUFFER_FLAG_IS_SET(buffer, kSampleFlag);
        const bool asBurst = GST_BUFFER_FLAG_IS_SET(buffer, kBurstFlag);
        const bool twice = asSample && asBurst;
        out.burst = asBurst && !asSample;
        Frame burstCopy;
        if (twice) {
            burstCopy = out;
            burstCopy.burst = true;
        }
        self->delivered_ += twice ? 2 : 1;
        std::lock_guard lock(self->ctx_.sinkMutex);
        if (self->ctx_.frameSink != nullptr) {
            self->ctx_.frameSink->onFrame(std::move(out));
            if (twice) self->ctx_.frameSink->onFrame(std::move(burstCopy));
        }
    }
    gst_sample_unref(sample);
    return GST_FLOW_OK;
}

void CameraTap::stop() {
    if (stopped_) return;
    stopped_ = true;
    burstUntilNs_ = 0;
    sampleTimer_.cancel();
    releaseTeeLink(link_);
    for (auto* e : elements_) dropElement(pipeline_, e);
    elements_.clear();
}

}  // namespace vigil::media::detail
