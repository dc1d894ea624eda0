#include "CameraTap.hpp"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "vigil/common/Log.hpp"

namespace vigil::media::detail {

namespace {
VIGIL_LOG_CATEGORY("media.tap")
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
    GstElement* queue = makeElement("queue");
    g_object_set(queue, "leaky", 2, "max-size-buffers", 2, "max-size-bytes", 0, "max-size-time",
                 static_cast<guint64>(0), nullptr);
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
    link_ = linkFromTee(video->encodedTee, queue);

    publisher_->requestKeyFrame();
    sampleTimer_ = ctx_.loop.every(std::chrono::seconds(ctx_.options.sampleSeconds), [this]() {
        due_ = true;
        publisher_->requestKeyFrame();
        return true;
    });
    logger()->info("room {}: sampling {}'s camera every {} s", room_, subject_,
                   ctx_.options.sampleSeconds);
}

CameraTap::~CameraTap() {
    stop();
}

GstPadProbeReturn CameraTap::gate(GstPad* /*pad*/, GstPadProbeInfo* info, gpointer data) {
    auto* self = static_cast<CameraTap*>(data);
    GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    if (buffer == nullptr || GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT))
        return GST_PAD_PROBE_DROP;
    bool expected = true;
    if (!self->due_.compare_exchange_strong(expected, false)) return GST_PAD_PROBE_DROP;
    return GST_PAD_PROBE_OK;
}

GstFlowReturn CameraTap::onSample(GstElement* sink, gpointer data) {
    auto* self = static_cast<CameraTap*>(data);
    GstSample* sample = gst_app_sink_pull_sample(GST_APP_SINK(sink));
    if (sample == nullptr) return GST_FLOW_OK;
    GstVideoInfo info;
    GstVideoFrame frame;
    if (gst_video_info_from_caps(&info, gst_sample_get_caps(sample)) &&
        gst_video_frame_map(&frame, &info, gst_sample_get_buffer(sample), GST_MAP_READ)) {
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
        ++self->delivered_;
        std::lock_guard lock(self->ctx_.sinkMutex);
        if (self->ctx_.frameSink != nullptr) self->ctx_.frameSink->onFrame(std::move(out));
    }
    gst_sample_unref(sample);
    return GST_FLOW_OK;
}

void CameraTap::stop() {
    if (stopped_) return;
    stopped_ = true;
    sampleTimer_.cancel();
    releaseTeeLink(link_);
    for (auto* e : elements_) dropElement(pipeline_, e);
    elements_.clear();
}

}  // namespace vigil::media::detail
