#include "Recorder.hpp"

#include <glib/gstdio.h>

#include <cstdio>
#include <filesystem>

#include "vigil/common/Log.hpp"

namespace vigil::media::detail {

namespace {
VIGIL_LOG_CATEGORY("media.recorder")

constexpr auto kFinishTimeout = std::chrono::seconds(10);

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

Recorder::Recorder(Context& ctx, GstElement* pipeline, std::shared_ptr<RecordingInfo> info,
                   const Publisher& publisher)
    : ctx_(ctx), pipeline_(pipeline), info_(std::move(info)) {
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
    std::filesystem::path dir = std::filesystem::absolute(ctx_.options.recordDir) / info_->id;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw MediaFailure("cannot create " + dir.string() + ": " + ec.message());
    std::string pattern = (dir / (webm ? "chunk-%05d.webm" : "chunk-%05d.mkv")).string();

    mux_ = makeElement("splitmuxsink");
    g_object_set(mux_, "location", pattern.c_str(), "max-size-time",
                 static_cast<guint64>(ctx_.options.chunkSeconds) * GST_SECOND, "muxer-factory",
                 webm ? "webmmux" : "matroskamux", "start-index", info_->nextIndex,
                 "send-keyframe-requests", TRUE, nullptr);
    gst_bin_add(GST_BIN(pipeline_), mux_);
    gst_element_sync_state_with_parent(mux_);

    auto branch = [&](const std::shared_ptr<Track>& track, const char* padName) {
        GstElement* queue = makeElement("queue");
        // Generous: the muxer may wait for the other stream; never block the tee.
        g_object_set(queue, "leaky", 2, "max-size-buffers", 0, "max-size-bytes", 0,
                     "max-size-time", static_cast<guint64>(3) * GST_SECOND, nullptr);
        gst_bin_add(GST_BIN(pipeline_), queue);
        GstPad* muxPad = gst_element_request_pad_simple(mux_, padName);
        GstPad* queueSrc = gst_element_get_static_pad(queue, "src");
        gst_pad_link(queueSrc, muxPad);
        gst_object_unref(queueSrc);
        gst_object_unref(muxPad);
        gst_element_sync_state_with_parent(queue);
        queues_.push_back(queue);
        links_.push_back(linkFromTee(track->encodedTee, queue));
    };
    if (video) {
        branch(video, "video");
        // Start on a key frame so that the first chunk plays from its first second.
        GstPad* pad = gst_element_get_static_pad(queues_.back(), "sink");
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
    if (audio) branch(audio, "audio_%u");
    logger()->info("room {}: recording {} to {}", info_->room, info_->id, dir.string());
}

Recorder::~Recorder() {
    release();
}

bool Recorder::handleMessage(GstMessage* message) {
    if (released_ || GST_MESSAGE_TYPE(message) != GST_MESSAGE_ELEMENT ||
        GST_MESSAGE_SRC(message) != GST_OBJECT(mux_))
        return false;
    const GstStructure* s = gst_message_get_structure(message);
    const char* location = gst_structure_get_string(s, "location");
    if (location == nullptr) return true;
    if (gst_structure_has_name(s, "splitmuxsink-fragment-opened")) {
        openedAt_[location] = wallMillis();
        indexOf_[location] = info_->nextIndex++;
    } else if (gst_structure_has_name(s, "splitmuxsink-fragment-closed")) {
        auto opened = openedAt_.find(location);
        std::int64_t start = opened != openedAt_.end() ? opened->second : wallMillis();
        bool last = finishing_ && last_;
        reportChunk(location, start, wallMillis(), last);
        if (opened != openedAt_.end()) openedAt_.erase(opened);
        if (finishing_ && openedAt_.empty()) release();
    }
    return true;
}

void Recorder::reportChunk(const std::string& path, std::int64_t startMs, std::int64_t endMs,
                           bool last) {
    RecordingChunk chunk;
    chunk.recording = info_->id;
    chunk.room = info_->room;
    chunk.kind = info_->kind;
    chunk.participants = info_->participants;
    chunk.index = indexOf_.count(path) != 0 ? indexOf_[path] : 0;
    chunk.path = path;
    chunk.startMs = startMs;
    chunk.endMs = endMs;
    chunk.last = last;
    Context* ctx = &ctx_;
    auto alive = ctx_.alive;
    ctx_.hashing.submit([ctx, alive, chunk]() mutable {
        chunk.sha256 = sha256OfFile(chunk.path, chunk.bytes);
        if (!alive->load()) return;
        ctx->post([ctx, chunk]() {
            logger()->info("recording {}: chunk {} closed ({} bytes, sha256 {})", chunk.recording,
                           chunk.index, chunk.bytes, chunk.sha256);
            if (ctx->listener != nullptr) ctx->listener->onRecordingChunk(chunk);
        });
    });
}

void Recorder::finish(bool last, std::function<void()> finished) {
    finishing_ = true;
    last_ = last;
    finished_ = std::move(finished);
    // The tees were stopped with EOS by the publisher; the muxer closes its chunk on it.
    for (auto& link : links_) releaseTeeLink(link);
    links_.clear();
    if (openedAt_.empty()) {
        release();
        return;
    }
    giveUp_ = ctx_.loop.after(kFinishTimeout, [this]() {
        logger()->warn("recording {}: last chunk did not close in time", info_->id);
        release();
    });
}

void Recorder::release() {
    if (released_) return;
    released_ = true;
    giveUp_.cancel();
    for (auto& link : links_) releaseTeeLink(link);
    links_.clear();
    for (auto* q : queues_) dropElement(pipeline_, q);
    queues_.clear();
    dropElement(pipeline_, mux_);
    mux_ = nullptr;
    if (finished_) {
        auto done = std::move(finished_);
        ctx_.post(done);
    }
}

}  // namespace vigil::media::detail
