#include "Recorder.hpp"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include <cstdio>
#include <filesystem>

#include "vigil/common/Log.hpp"

namespace vigil::media::detail {

namespace {
VIGIL_LOG_CATEGORY(recorderLog, "media.recorder")

constexpr auto kFinishTimeout = std::chrono::seconds(10);
// The chunker writes one group of pictures at a time and a player seeks to key frames, but
// browsers send key frames only when asked: ask every few seconds while recording.
constexpr auto kKeyFrameEvery = std::chrono::seconds(3);

std::string sha256OfFile(const std::string& path, std::uint64_t& bytes) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return {};
    GChecksum* sum = g_checksum_new(G_CHECKSUM_SHA256);
    std::vector<unsigned char> buffer(1 << 16);
    bytes = 0;
    size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), f)) > 0) {
        g_checksum_update(sum, buffer.data(), static_cast<gssize>(n));
        bytes += n;
    }
    std::fclose(f);
    std::string hex = g_checksum_get_string(sum);
    g_checksum_free(sum);
    return hex;
}

}  // namespace

namespace {
GstFlowReturn forwardSample(GstElement* sink, gpointer data) {
    GstSample* sample = gst_app_sink_pull_sample(GST_APP_SINK(sink));
    if (sample == nullptr) return GST_FLOW_OK;
    // Never fails the room's stream: a stopped recorder just drops what it is given.
    gst_app_src_push_sample(GST_APP_SRC(data), sample);
    gst_sample_unref(sample);
    return GST_FLOW_OK;
}

gboolean onRecorderBus(GstBus* /*bus*/, GstMessage* message, gpointer data) {
    static_cast<Recorder*>(data)->handleMessage(message);
    return G_SOURCE_CONTINUE;
}
}  // namespace

Recorder::Recorder(Context& ctx, GstElement* pipeline, std::shared_ptr<RecordingInfo> info,
                   Publisher& publisher, std::int64_t segment)
    : ctx_(ctx),
      pipeline_(pipeline),
      info_(std::move(info)),
      source_(publisher.request().source),
      segment_(segment) {
    auto tracks = publisher.tracks();
    std::shared_ptr<Track> video;
    std::shared_ptr<Track> audio;
    for (const auto& t : tracks) {
        if (t->media == "video" && !video) video = t;
        if (t->media == "audio" && !audio) audio = t;
    }
    if (!video && !audio) throw MediaFailure("nothing to record");
    // WebM holds VP8 and Opus; H.264 needs Matroska.
    bool webm = !video || video->codec == "VP8";
    // A folder per segment: a segment's chunks are numbered from 0 and must not overwrite
    // those of the recording's earlier segments.
    std::filesystem::path dir =
        std::filesystem::absolute(ctx_.options.recordDir) / info_->id / std::to_string(segment_);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw MediaFailure("cannot create " + dir.string() + ": " + ec.message());
    std::string pattern = (dir / (webm ? "chunk-%05d.webm" : "chunk-%05d.mkv")).string();

    recordPipeline_ = gst_pipeline_new(("record-" + info_->id).c_str());
    mux_ = makeElement("splitmuxsink");
    g_object_set(mux_, "location", pattern.c_str(), "max-size-time",
                 static_cast<guint64>(ctx_.options.chunkSeconds) * GST_SECOND, "muxer-factory",
                 webm ? "webmmux" : "matroskamux", "start-index", 0, "send-keyframe-requests", TRUE,
                 nullptr);
    gst_bin_add(GST_BIN(recordPipeline_), mux_);

    auto branch = [&](const std::shared_ptr<Track>& track, const char* padName) {
        GstElement* src = makeElement("appsrc");
        g_object_set(src, "format", GST_FORMAT_TIME, "is-live", TRUE, "do-timestamp", FALSE,
                     "max-bytes", static_cast<guint64>(16) << 20, "block", FALSE, nullptr);
        GstElement* srcQueue = makeElement("queue");
        gst_bin_add_many(GST_BIN(recordPipeline_), src, srcQueue, nullptr);
        if (track->codec == "OPUS") {
            // Browsers announce Opus without sprop-stereo, so the depayloader's caps lack the
            // channels and rate that the muxer requires; the parser reads them from the packets.
            GstElement* parse = makeElement("opusparse");
            gst_bin_add(GST_BIN(recordPipeline_), parse);
            gst_element_link_many(src, parse, srcQueue, nullptr);
        } else {
            gst_element_link(src, srcQueue);
        }
        GstPad* muxPad = gst_element_request_pad_simple(mux_, padName);
        GstPad* queueSrc = gst_element_get_static_pad(srcQueue, "src");
        gst_pad_link(queueSrc, muxPad);
        gst_object_unref(queueSrc);
        gst_object_unref(muxPad);
        sources_.push_back(src);

        GstElement* queue = makeElement("queue");
        g_object_set(queue, "leaky", 2, "max-size-buffers", 0, "max-size-bytes", 0, "max-size-time",
                     static_cast<guint64>(3) * GST_SECOND, nullptr);
        GstElement* sink = makeElement("appsink");
        g_object_set(sink, "sync", FALSE, "async", FALSE, "emit-signals", TRUE, "max-buffers", 0,
                     nullptr);
        g_signal_connect(sink, "new-sample", G_CALLBACK(forwardSample), src);
        gst_bin_add_many(GST_BIN(pipeline_), queue, sink, nullptr);
        gst_element_link(queue, sink);
        queues_.push_back(queue);
        queues_.push_back(sink);
        if (track->media == "video") {
            // Start on a key frame so that the first chunk plays from its first second.
            GstPad* pad = gst_element_get_static_pad(queue, "sink");
            gst_pad_add_probe(
                pad, GST_PAD_PROBE_TYPE_BUFFER,
                [](GstPad*, GstPadProbeInfo* i, gpointer) -> GstPadProbeReturn {
                    GstBuffer* b = GST_PAD_PROBE_INFO_BUFFER(i);
                    if (b != nullptr && GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DELTA_UNIT))
                        return GST_PAD_PROBE_DROP;
                    return GST_PAD_PROBE_REMOVE;
                },
                nullptr, nullptr);
            gst_object_unref(pad);
        }
        gst_element_sync_state_with_parent(sink);
        gst_element_sync_state_with_parent(queue);
        links_.push_back(linkFromTee(track->encodedTee, queue));
    };

    // Same clock and base time as the room: the room's timestamps are this pipeline's too.
    gst_pipeline_use_clock(GST_PIPELINE(recordPipeline_),
                           gst_pipeline_get_pipeline_clock(GST_PIPELINE(pipeline_)));
    gst_element_set_base_time(recordPipeline_, gst_element_get_base_time(pipeline_));
    gst_element_set_start_time(recordPipeline_, GST_CLOCK_TIME_NONE);
    GstBus* bus = gst_pipeline_get_bus(GST_PIPELINE(recordPipeline_));
    busWatch_ = gst_bus_create_watch(bus);
    g_source_set_callback(busWatch_, G_SOURCE_FUNC(onRecorderBus), this, nullptr);
    g_source_attach(busWatch_, ctx_.loop.context());
    gst_object_unref(bus);

    if (video) branch(video, "video");
    if (audio) branch(audio, "audio_%u");
    if (gst_element_set_state(recordPipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
        throw MediaFailure("the recording pipeline did not start");
    publisher.requestKeyFrame();
    std::weak_ptr<Publisher> source = publisher.shared_from_this();
    keyFrames_ = ctx_.loop.every(kKeyFrameEvery, [source]() {
        auto p = source.lock();
        if (p) p->requestKeyFrame();
        return static_cast<bool>(p);
    });
    recorderLog()->info("room {}: recording {} of {}, segment {}, to {}", info_->room, info_->id,
                        source_, segment_, dir.string());
}

Recorder::~Recorder() {
    release();
}

void Recorder::handleMessage(GstMessage* message) {
    if (released_) return;
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
        GError* err = nullptr;
        gchar* debug = nullptr;
        gst_message_parse_error(message, &err, &debug);
        recorderLog()->error("recording {}: {} ({}); the recording stops here", info_->id,
                             err != nullptr ? err->message : "error",
                             debug != nullptr ? debug : "");
        if (err != nullptr) g_error_free(err);
        g_free(debug);
        // What was written is reported; its final chunk ends the segment as interrupted.
        for (auto& [location, opened] : openedAt_)
            held_.emplace_back(location, opened, wallMillis());
        openedAt_.clear();
        reportHeld(true, true);
        // Later: from the loop, not from inside this bus callback.
        ctx_.post([this, alive = ctx_.alive]() {
            if (alive->load()) release();
        });
        return;
    }
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS) {
        // Every chunk has been closed (the bus keeps order): report them, then stop.
        reportHeld(true, false);
        ctx_.post([this, alive = ctx_.alive]() {
            if (alive->load()) release();
        });
        return;
    }
    if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ELEMENT ||
        GST_MESSAGE_SRC(message) != GST_OBJECT(mux_))
        return;
    const GstStructure* s = gst_message_get_structure(message);
    const char* location = gst_structure_get_string(s, "location");
    if (location == nullptr) return;
    if (gst_structure_has_name(s, "splitmuxsink-fragment-opened")) {
        openedAt_[location] = wallMillis();
        indexOf_[location] = nextIndex_++;
    } else if (gst_structure_has_name(s, "splitmuxsink-fragment-closed")) {
        auto opened = openedAt_.find(location);
        std::int64_t start = opened != openedAt_.end() ? opened->second : wallMillis();
        if (finishing_) {
            held_.emplace_back(location, start, wallMillis());
        } else {
            reportChunk(location, start, wallMillis(), false);
        }
        if (opened != openedAt_.end()) openedAt_.erase(opened);
    }
}

void Recorder::reportChunk(const std::string& path, std::int64_t startMs, std::int64_t endMs,
                           bool last, bool interrupted) {
    RecordingChunk chunk;
    chunk.recording = info_->id;
    chunk.room = info_->room;
    chunk.kind = info_->kind;
    chunk.participants = info_->participants;
    chunk.source = source_;
    chunk.segment = segment_;
    chunk.index = indexOf_.count(path) != 0 ? indexOf_[path] : 0;
    chunk.path = path;
    chunk.startMs = startMs;
    chunk.endMs = endMs;
    chunk.last = last || interrupted;
    chunk.interrupted = interrupted;
    if (chunk.last) ended_ = true;
    Context* ctx = &ctx_;
    auto alive = ctx_.alive;
    ctx_.hashing.submit([ctx, alive, chunk]() mutable {
        chunk.sha256 = sha256OfFile(chunk.path, chunk.bytes);
        if (!alive->load()) return;
        ctx->post([ctx, chunk]() {
            recorderLog()->info("recording {}: chunk {} closed ({} bytes, sha256 {})",
                                chunk.recording, chunk.index, chunk.bytes, chunk.sha256);
            if (ctx->listener != nullptr) ctx->listener->onRecordingChunk(chunk);
        });
    });
}

void Recorder::finish(std::function<void()> finished) {
    if (released_) {
        // Already stopped by an error: nothing will close, so the room must not wait for it.
        if (finished) ctx_.post(std::move(finished));
        return;
    }
    finishing_ = true;
    finished_ = std::move(finished);
    keyFrames_.cancel();
    for (auto& link : links_) releaseTeeLink(link);
    links_.clear();
    if (openedAt_.empty()) {
        release();
        return;
    }
    // The muxer closes its chunk (duration, cues) on end of stream.
    for (auto* src : sources_) gst_app_src_end_of_stream(GST_APP_SRC(src));
    giveUp_ = ctx_.loop.after(kFinishTimeout, [this]() {
        recorderLog()->warn("recording {}: last chunk did not close in time", info_->id);
        release();
    });
}

void Recorder::reportHeld(bool ending, bool interrupted) {
    for (size_t i = 0; i < held_.size(); ++i) {
        const auto& [location, start, end] = held_[i];
        const bool final = ending && i + 1 == held_.size();
        reportChunk(location, start, end, final, final && interrupted);
    }
    held_.clear();
}

void Recorder::release() {
    if (released_) return;
    released_ = true;
    // Still finishing: the last chunk did not close in time, so the segment ends early.
    reportHeld(finishing_ && !ended_, true);
    giveUp_.cancel();
    keyFrames_.cancel();
    for (auto& link : links_) releaseTeeLink(link);
    links_.clear();
    for (auto* e : queues_) dropElement(pipeline_, e);
    queues_.clear();
    if (busWatch_ != nullptr) {
        g_source_destroy(busWatch_);
        g_source_unref(busWatch_);
        busWatch_ = nullptr;
    }
    if (recordPipeline_ != nullptr) {
        gst_element_set_state(recordPipeline_, GST_STATE_NULL);
        gst_object_unref(recordPipeline_);
        recordPipeline_ = nullptr;
    }
    mux_ = nullptr;
    sources_.clear();
    if (finished_) {
        auto done = std::move(finished_);
        ctx_.post(done);
    }
}

}  // namespace vigil::media::detail
