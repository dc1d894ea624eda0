#include "RecordedOnsets.hpp"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>

namespace vigil::testing {

namespace {

constexpr double kNs = 1e9;
constexpr int kBlockSamples = 48;  // One millisecond at 48 kHz: one period of the beep.
constexpr int kRate = 48000;
// A beep is over once this much sound stays below kBeepRms (the beep is 100 ms, the shortest
// gap 900 ms): a quieter millisecond inside a beep does not start a new one.
constexpr double kBeepQuietSeconds = 0.2;
constexpr std::int64_t kFrameNs = 1000000000 / 30;
constexpr std::int64_t kAudioSlackNs = 2000000;
constexpr std::int64_t kAudioHoleNs = 10000000;

struct Frame {
    double seconds;
    double luma;
};

struct Block {
    double seconds;    // Start of the millisecond.
    double firstLoud;  // First sample at or above the beep's level in it, or -1.
    double rms;
};

// What one file decodes to; filled from streaming threads.
struct Decoded {
    std::mutex mutex;
    std::vector<Frame> frames;
    std::vector<Block> blocks;
    std::int64_t firstNs{std::numeric_limits<std::int64_t>::max()};
    std::int64_t endNs{std::numeric_limits<std::int64_t>::min()};
    long long samples{0};
    std::int64_t lastFrameNs{-1};
    std::int64_t lastAudioEndNs{-1};
    int videoHoles{0};
    int audioHoles{0};
    std::int64_t longestHoleNs{0};
    int backwardSteps{0};
    std::string error;

    // Called with `mutex` held, for each video frame in decoding order.
    void followVideo(GstBuffer* buffer) {
        if (!GST_BUFFER_PTS_IS_VALID(buffer)) return;
        const auto pts = static_cast<std::int64_t>(GST_BUFFER_PTS(buffer));
        const std::int64_t frame = GST_BUFFER_DURATION_IS_VALID(buffer)
                                       ? static_cast<std::int64_t>(GST_BUFFER_DURATION(buffer))
                                       : kFrameNs;
        if (lastFrameNs >= 0) {
            const std::int64_t step = pts - lastFrameNs;
            if (step < 0) {
                ++backwardSteps;
            } else if (step * 2 > frame * 5) {
                ++videoHoles;
                longestHoleNs = std::max(longestHoleNs, step - frame);
            }
        }
        lastFrameNs = pts;
    }
    // The same for each audio buffer.
    void followAudio(GstBuffer* buffer, std::int64_t durationNs) {
        if (!GST_BUFFER_PTS_IS_VALID(buffer)) return;
        const auto pts = static_cast<std::int64_t>(GST_BUFFER_PTS(buffer));
        if (lastAudioEndNs >= 0) {
            const std::int64_t step = pts - lastAudioEndNs;
            if (step < -kAudioSlackNs) {
                ++backwardSteps;
            } else if (step > kAudioHoleNs) {
                ++audioHoles;
                longestHoleNs = std::max(longestHoleNs, step);
            }
        }
        lastAudioEndNs = pts + durationNs;
    }

    void span(GstBuffer* buffer) {
        if (!GST_BUFFER_PTS_IS_VALID(buffer)) return;
        const auto pts = static_cast<std::int64_t>(GST_BUFFER_PTS(buffer));
        const auto duration = GST_BUFFER_DURATION_IS_VALID(buffer)
                                  ? static_cast<std::int64_t>(GST_BUFFER_DURATION(buffer))
                                  : 0;
        firstNs = std::min(firstNs, pts);
        endNs = std::max(endNs, pts + duration);
    }
};

GstFlowReturn onVideoSample(GstAppSink* sink, gpointer data) {
    auto& decoded = *static_cast<Decoded*>(data);
    GstSample* sample = gst_app_sink_pull_sample(sink);
    if (sample == nullptr) return GST_FLOW_EOS;
    GstBuffer* buffer = gst_sample_get_buffer(sample);
    GstVideoInfo info;
    GstVideoFrame frame;
    if (buffer != nullptr && GST_BUFFER_PTS_IS_VALID(buffer) &&
        gst_video_info_from_caps(&info, gst_sample_get_caps(sample)) &&
        gst_video_frame_map(&frame, &info, buffer, GST_MAP_READ)) {
        const auto* luma = static_cast<const guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
        const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
        const int width = GST_VIDEO_FRAME_COMP_WIDTH(&frame, 0);
        const int height = GST_VIDEO_FRAME_COMP_HEIGHT(&frame, 0);
        double sum = 0;
        for (int row = 0; row < height; ++row) {
            for (int col = 0; col < width; ++col) sum += luma[row * stride + col];
        }
        gst_video_frame_unmap(&frame);
        std::lock_guard lock(decoded.mutex);
        decoded.span(buffer);
        decoded.followVideo(buffer);
        decoded.frames.push_back(
            {static_cast<double>(GST_BUFFER_PTS(buffer)) / kNs, sum / (width * height)});
    }
    gst_sample_unref(sample);
    return GST_FLOW_OK;
}

GstFlowReturn onAudioSample(GstAppSink* sink, gpointer data) {
    auto& decoded = *static_cast<Decoded*>(data);
    GstSample* sample = gst_app_sink_pull_sample(sink);
    if (sample == nullptr) return GST_FLOW_EOS;
    GstBuffer* buffer = gst_sample_get_buffer(sample);
    GstMapInfo map;
    if (buffer != nullptr && GST_BUFFER_PTS_IS_VALID(buffer) &&
        gst_buffer_map(buffer, &map, GST_MAP_READ)) {
        const auto* samples = reinterpret_cast<const float*>(map.data);
        const auto count = static_cast<long long>(map.size / sizeof(float));
        const double start = static_cast<double>(GST_BUFFER_PTS(buffer)) / kNs;
        std::vector<Block> blocks;
        for (long long from = 0; from < count; from += kBlockSamples) {
            const long long to = std::min(count, from + kBlockSamples);
            double energy = 0;
            double firstLoud = -1;
            for (long long i = from; i < to; ++i) {
                energy += static_cast<double>(samples[i]) * samples[i];
                if (firstLoud < 0 && std::fabs(samples[i]) >= kBeepRms) {
                    firstLoud = start + static_cast<double>(i) / kRate;
                }
            }
            blocks.push_back({start + static_cast<double>(from) / kRate, firstLoud,
                              std::sqrt(energy / static_cast<double>(to - from))});
        }
        gst_buffer_unmap(buffer, &map);
        std::lock_guard lock(decoded.mutex);
        decoded.span(buffer);
        decoded.followAudio(buffer, count * 1000000000 / kRate);
        decoded.samples += count;
        decoded.blocks.insert(decoded.blocks.end(), blocks.begin(), blocks.end());
    }
    gst_sample_unref(sample);
    return GST_FLOW_OK;
}

// Links a decoded pad to a converter and an app sink for its kind of media.
void onDecodedPad(GstElement* decodebin, GstPad* pad, gpointer data) {
    auto& decoded = *static_cast<Decoded*>(data);
    GstCaps* caps = gst_pad_get_current_caps(pad);
    if (caps == nullptr) caps = gst_pad_query_caps(pad, nullptr);
    const std::string name = gst_structure_get_name(gst_caps_get_structure(caps, 0));
    gst_caps_unref(caps);
    const bool video = name.rfind("video/", 0) == 0;
    const bool audio = name.rfind("audio/", 0) == 0;
    if (!video && !audio) return;
    const char* description =
        video ? "videoconvert ! video/x-raw,format=I420 ! appsink name=sink sync=false"
              : "audioconvert ! audioresample ! audio/x-raw,format=F32LE,layout=interleaved,"
                "channels=1,rate=48000 ! appsink name=sink sync=false";
    GError* error = nullptr;
    GstElement* bin = gst_parse_bin_from_description(description, TRUE, &error);
    if (bin == nullptr) {
        std::lock_guard lock(decoded.mutex);
        decoded.error = std::string("cannot make a sink for ") + name + ": " +
                        (error != nullptr ? error->message : "?");
        g_clear_error(&error);
        return;
    }
    GstElement* sink = gst_bin_get_by_name(GST_BIN(bin), "sink");
    GstAppSinkCallbacks callbacks{};
    callbacks.new_sample = video ? onVideoSample : onAudioSample;
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, &decoded, nullptr);
    gst_object_unref(sink);
    GstObject* parent = gst_element_get_parent(decodebin);
    gst_bin_add(GST_BIN(parent), bin);
    gst_object_unref(parent);
    GstPad* sinkPad = gst_element_get_static_pad(bin, "sink");
    const bool linked = gst_pad_link(pad, sinkPad) == GST_PAD_LINK_OK;
    gst_object_unref(sinkPad);
    gst_element_sync_state_with_parent(bin);
    if (!linked) {
        std::lock_guard lock(decoded.mutex);
        decoded.error = "cannot link decoded " + name;
    }
}

// Decodes one file to its end; false (with `decoded.error`) on an error or timeout.
bool decodeFile(const std::string& path, Decoded& decoded, int timeoutSeconds) {
    GstElement* pipeline = gst_pipeline_new(nullptr);
    GstElement* source = gst_element_factory_make("filesrc", nullptr);
    GstElement* decodebin = gst_element_factory_make("decodebin", nullptr);
    if (source == nullptr || decodebin == nullptr) {
        decoded.error = "no filesrc or decodebin";
        if (source != nullptr) gst_object_unref(gst_object_ref_sink(source));
        if (decodebin != nullptr) gst_object_unref(gst_object_ref_sink(decodebin));
        gst_object_unref(pipeline);
        return false;
    }
    g_object_set(source, "location", path.c_str(), nullptr);
    gst_bin_add_many(GST_BIN(pipeline), source, decodebin, nullptr);
    gst_element_link(source, decodebin);
    g_signal_connect(decodebin, "pad-added", G_CALLBACK(onDecodedPad), &decoded);

    bool ok = false;
    if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        decoded.error = "the decoding pipeline does not start";
    } else {
        GstBus* bus = gst_element_get_bus(pipeline);
        GstMessage* message = gst_bus_timed_pop_filtered(
            bus, static_cast<GstClockTime>(timeoutSeconds) * GST_SECOND,
            static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
        if (message == nullptr) {
            decoded.error = "not decoded within " + std::to_string(timeoutSeconds) + " s";
        } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
            GError* error = nullptr;
            gst_message_parse_error(message, &error, nullptr);
            decoded.error = std::string("decoding failed: ") +
                            (error != nullptr ? error->message : "unknown error");
            g_clear_error(&error);
        } else {
            ok = true;
        }
        if (message != nullptr) gst_message_unref(message);
        gst_object_unref(bus);
    }
    // Stopped before `decoded` goes: no streaming thread calls back after this.
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
    std::lock_guard lock(decoded.mutex);
    return ok && decoded.error.empty();
}

// Times at which the flash starts: a frame above kFlashLuma after one below it; and, if
// `leads` is given, the time from that frame before to the onset.
std::vector<double> flashOnsets(const std::vector<Frame>& frames,
                                std::vector<double>* leads = nullptr) {
    std::vector<double> onsets;
    for (size_t i = 1; i < frames.size(); ++i) {
        if (frames[i].luma > kFlashLuma && frames[i - 1].luma <= kFlashLuma) {
            onsets.push_back(frames[i].seconds);
            if (leads != nullptr) leads->push_back(frames[i].seconds - frames[i - 1].seconds);
        }
    }
    return onsets;
}

// Times at which a beep starts: the first loud sample of a loud millisecond after at least
// kBeepQuietSeconds of quiet ones (the recording's start counts as loud: a beep that is
// already sounding when the recording starts has no known onset); and, if `leads` is given,
// the sound missing right before that millisecond (a hole in the audio).
std::vector<double> beepOnsets(const std::vector<Block>& blocks,
                               std::vector<double>* leads = nullptr) {
    constexpr double kBlockSeconds = static_cast<double>(kBlockSamples) / kRate;
    std::vector<double> onsets;
    if (blocks.empty()) return onsets;
    double quietFrom = blocks.front().seconds;
    double previousEnd = blocks.front().seconds;
    for (const auto& b : blocks) {
        const double missing = b.seconds - previousEnd;
        previousEnd = b.seconds + kBlockSeconds;
        if (b.rms <= kBeepRms) continue;
        if (b.seconds - quietFrom >= kBeepQuietSeconds) {
            onsets.push_back(b.firstLoud >= 0 ? b.firstLoud : b.seconds);
            // Half a sample of rounding is no hole.
            if (leads != nullptr) leads->push_back(missing > 0.5 / kRate ? missing : 0.0);
        }
        quietFrom = previousEnd;
    }
    return onsets;
}

}  // namespace

RecordedOnsets findOnsets(const std::vector<std::string>& files, int timeoutSeconds) {
    gst_init(nullptr, nullptr);
    RecordedOnsets out;
    std::vector<Frame> frames;
    std::vector<Block> blocks;
    double previousEnd = -std::numeric_limits<double>::infinity();
    for (const auto& path : files) {
        auto decoded = std::make_unique<Decoded>();
        if (!decodeFile(path, *decoded, timeoutSeconds)) {
            out.error = path + ": " + decoded->error;
            return out;
        }
        RecordedChunk chunk;
        chunk.path = path;
        chunk.videoFrames = static_cast<int>(decoded->frames.size());
        chunk.audioSamples = decoded->samples;
        chunk.videoHoles = decoded->videoHoles;
        chunk.audioHoles = decoded->audioHoles;
        chunk.longestHoleSeconds = static_cast<double>(decoded->longestHoleNs) / kNs;
        chunk.backwardSteps = decoded->backwardSteps;
        if (decoded->frames.empty() && decoded->blocks.empty()) {
            out.chunks.push_back(chunk);
            continue;
        }
        chunk.firstSeconds = static_cast<double>(decoded->firstNs) / kNs;
        chunk.endSeconds = static_cast<double>(decoded->endNs) / kNs;
        // Timestamps that start over: place the chunk after the previous one. Overlaps of
        // less than half a second are the muxer's own rounding at the cut and are kept.
        if (chunk.firstSeconds < previousEnd - 0.5) {
            chunk.offsetSeconds = previousEnd - chunk.firstSeconds;
        }
        for (auto& f : decoded->frames) f.seconds += chunk.offsetSeconds;
        for (auto& b : decoded->blocks) {
            b.seconds += chunk.offsetSeconds;
            if (b.firstLoud >= 0) b.firstLoud += chunk.offsetSeconds;
        }
        previousEnd = chunk.endSeconds + chunk.offsetSeconds;
        // Decoders hand buffers on in order, but audio and video of the chunk arrive in any
        // interleaving: each list is sorted on its own.
        auto byTime = [](const auto& a, const auto& b) { return a.seconds < b.seconds; };
        std::stable_sort(decoded->frames.begin(), decoded->frames.end(), byTime);
        std::stable_sort(decoded->blocks.begin(), decoded->blocks.end(), byTime);
        chunk.flashes = static_cast<int>(flashOnsets(decoded->frames).size());
        chunk.beeps = static_cast<int>(beepOnsets(decoded->blocks).size());
        frames.insert(frames.end(), decoded->frames.begin(), decoded->frames.end());
        blocks.insert(blocks.end(), decoded->blocks.begin(), decoded->blocks.end());
        out.chunks.push_back(chunk);
    }
    // Across chunk boundaries: a flash or beep cut by a boundary is found once.
    auto byTime = [](const auto& a, const auto& b) { return a.seconds < b.seconds; };
    std::stable_sort(frames.begin(), frames.end(), byTime);
    std::stable_sort(blocks.begin(), blocks.end(), byTime);
    out.flashes = flashOnsets(frames, &out.flashLeads);
    out.beeps = beepOnsets(blocks, &out.beepLeads);
    return out;
}

}  // namespace vigil::testing
