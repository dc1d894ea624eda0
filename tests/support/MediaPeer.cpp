#define GST_USE_UNSTABLE_API
#include "MediaPeer.hpp"

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

#include "LoopbackIce.hpp"

namespace vigil::testing {

namespace {

constexpr auto kGstTimeout = std::chrono::seconds(10);
constexpr auto kRequestTimeout = std::chrono::seconds(10);

struct Candidate {
    unsigned mline;
    std::string candidate;
};

}  // namespace

// Shared between the MediaPeer and GStreamer callbacks, which hold it through weak refs so a
// callback that fires during or after teardown finds it gone or `stopped`.
struct MediaPeerState {
    std::mutex mutex;
    std::condition_variable cv;
    bool stopped = false;
    WsClient* ws = nullptr;  // Passed by argument; not used once `stopped`.
    std::string idPrefix;    // Unique per peer: tells its replies apart from everyone else's.
    int nextId = 0;
    std::string pendingRequestId;
    std::string session;
    // Local candidates wait until the server can use them (publisher: offer answered; viewer:
    // answer accepted).
    bool canSendCandidates = false;
    std::vector<Candidate> localQueue;
    // Remote candidates wait until the remote description that they belong to is applied.
    bool remoteReady = false;
    std::vector<Candidate> remoteQueue;
    std::string lastError;
    int framesSent = 0;
    long long bytesSent = 0;
    int keyFramesSent = 0;
    int framesDecoded = 0;
    int framesReceived = 0;
    int audioDecoded = 0;
    // Viewer options; set before the pipeline starts.
    bool decode = true;
    bool readStamps = false;
    std::vector<double> latencyMs;
    int unreadableStamps = 0;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    long long firstFrameMs = -1;

    // Serialises decoder branches added from streaming threads against teardown.
    std::mutex structureMutex;
    bool tornDown = false;

    void recordError(const std::string& error) {
        std::lock_guard lock(mutex);
        if (lastError.empty()) lastError = error;
    }
};

namespace {

using WeakState = std::weak_ptr<MediaPeerState>;

gpointer boxState(const std::shared_ptr<MediaPeerState>& state) {
    return new WeakState(state);
}
void unboxState(gpointer data) {
    delete static_cast<WeakState*>(data);
}
void unboxStateClosure(gpointer data, GClosure* /*closure*/) {
    unboxState(data);
}
std::shared_ptr<MediaPeerState> lockState(gpointer data) {
    return static_cast<WeakState*>(data)->lock();
}

void ensureGstInit() {
    static std::once_flag once;
    std::call_once(once, []() { gst_init(nullptr, nullptr); });
}

bool hasElement(const char* name) {
    GstElementFactory* factory = gst_element_factory_find(name);
    if (factory == nullptr) return false;
    gst_object_unref(factory);
    return true;
}

std::string stringField(const nlohmann::json& m, const char* key) {
    auto it = m.find(key);
    return it != m.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool isIceFor(const nlohmann::json& m, const std::string& session) {
    return !session.empty() && stringField(m, "type") == "ice" &&
           stringField(m, "session") == session;
}

Candidate candidateFrom(const nlohmann::json& m) {
    Candidate c{0, stringField(m, "candidate")};
    auto it = m.find("sdpMLineIndex");
    if (it != m.end() && it->is_number_unsigned()) c.mline = it->get<unsigned>();
    // Browsers and servers differ on the SDP attribute prefix; webrtcbin wants none.
    if (c.candidate.rfind("a=", 0) == 0) c.candidate.erase(0, 2);
    return c;
}

// Called with state.mutex held.
void sendCandidateLocked(MediaPeerState& state, const Candidate& c) {
    nlohmann::json m = {{"type", "ice"},
                        {"id", state.idPrefix + "ice" + std::to_string(++state.nextId)},
                        {"session", state.session},
                        {"candidate", c.candidate},
                        {"sdpMLineIndex", c.mline}};
    state.ws->send(m);
}

// A promise that the test thread can wait for with a timeout (gst_promise_wait has none).
class PromiseWaiter {
public:
    PromiseWaiter()
        : sync_(std::make_shared<Sync>()),
          promise_(gst_promise_new_with_change_func(&PromiseWaiter::onChange,
                                                    new std::shared_ptr<Sync>(sync_),
                                                    &PromiseWaiter::freeSync)) {}
    ~PromiseWaiter() { gst_promise_unref(promise_); }
    PromiseWaiter(const PromiseWaiter&) = delete;
    PromiseWaiter& operator=(const PromiseWaiter&) = delete;

    GstPromise* get() const { return promise_; }

    // False on timeout or interruption; `reply` (owned by the promise, may be null) otherwise.
    bool wait(const GstStructure** reply) {
        std::unique_lock lock(sync_->mutex);
        if (!sync_->cv.wait_for(lock, kGstTimeout, [this]() { return sync_->done; })) {
            lock.unlock();
            gst_promise_interrupt(promise_);
            return false;
        }
        lock.unlock();
        if (gst_promise_wait(promise_) != GST_PROMISE_RESULT_REPLIED) return false;
        *reply = gst_promise_get_reply(promise_);
        return true;
    }

private:
    struct Sync {
        std::mutex mutex;
        std::condition_variable cv;
        bool done = false;
    };
    static void onChange(GstPromise* /*promise*/, gpointer data) {
        auto& sync = *static_cast<std::shared_ptr<Sync>*>(data);
        std::lock_guard lock(sync->mutex);
        sync->done = true;
        sync->cv.notify_all();
    }
    static void freeSync(gpointer data) { delete static_cast<std::shared_ptr<Sync>*>(data); }

    std::shared_ptr<Sync> sync_;
    GstPromise* promise_;  // Owned.
};

// The error a webrtcbin promise replied with, or empty.
std::string promiseError(const GstStructure* reply) {
    if (reply == nullptr || !gst_structure_has_field(reply, "error")) return {};
    GError* error = nullptr;
    gst_structure_get(reply, "error", G_TYPE_ERROR, &error, nullptr);
    std::string text = error != nullptr ? error->message : "unknown error";
    g_clear_error(&error);
    return text;
}

int bufferCount(GstPadProbeInfo* info) {
    if ((GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER_LIST) != 0) {
        return static_cast<int>(gst_buffer_list_length(GST_PAD_PROBE_INFO_BUFFER_LIST(info)));
    }
    return 1;
}

constexpr auto kBufferProbes =
    static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST);

int keyFrameCount(GstPadProbeInfo* info) {
    if ((GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER_LIST) != 0) {
        GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
        int keys = 0;
        for (guint i = 0; i < gst_buffer_list_length(list); ++i) {
            if (!GST_BUFFER_FLAG_IS_SET(gst_buffer_list_get(list, i), GST_BUFFER_FLAG_DELTA_UNIT)) {
                ++keys;
            }
        }
        return keys;
    }
    return GST_BUFFER_FLAG_IS_SET(GST_PAD_PROBE_INFO_BUFFER(info), GST_BUFFER_FLAG_DELTA_UNIT) ? 0
                                                                                               : 1;
}

long long bufferBytes(GstPadProbeInfo* info) {
    if ((GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER_LIST) != 0) {
        return static_cast<long long>(
            gst_buffer_list_calculate_size(GST_PAD_PROBE_INFO_BUFFER_LIST(info)));
    }
    return static_cast<long long>(gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info)));
}

// The RTP header's marker bit (byte 1, high bit) ends a video frame.
bool hasRtpMarker(GstBuffer* buffer) {
    guint8 header[2] = {0, 0};
    return gst_buffer_extract(buffer, 0, header, sizeof header) == sizeof header &&
           (header[1] & 0x80) != 0;
}

int markedPackets(GstPadProbeInfo* info) {
    if ((GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER_LIST) != 0) {
        GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
        int marked = 0;
        for (guint i = 0; i < gst_buffer_list_length(list); ++i) {
            if (hasRtpMarker(gst_buffer_list_get(list, i))) ++marked;
        }
        return marked;
    }
    return hasRtpMarker(GST_PAD_PROBE_INFO_BUFFER(info)) ? 1 : 0;
}

// The time stamp of PeerOptions::stampTime: bit i (most significant first) is the 16x16 luma
// block at x = 16 i, y = 0, black (16) for 0 and white (235) for 1. A viewer reads each
// block's centre 8x8 pixels against the middle grey, which survives lossy coding.
constexpr int kStampBits = 48;
constexpr int kStampBlock = 16;
constexpr long long kMaxLatencyMs = 60000;  // A later "stamp" is a misread.

long long wallClockMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Video info of a pad's current caps if its frames can carry a stamp.
std::optional<GstVideoInfo> stampableInfo(GstPad* pad) {
    GstCaps* caps = gst_pad_get_current_caps(pad);
    if (caps == nullptr) return std::nullopt;
    GstVideoInfo info;
    bool ok = gst_video_info_from_caps(&info, caps) &&
              GST_VIDEO_INFO_FORMAT(&info) == GST_VIDEO_FORMAT_I420 &&
              GST_VIDEO_INFO_WIDTH(&info) >= kStampBits * kStampBlock &&
              GST_VIDEO_INFO_HEIGHT(&info) >= kStampBlock;
    gst_caps_unref(caps);
    return ok ? std::optional<GstVideoInfo>(info) : std::nullopt;
}

void writeStamp(GstVideoFrame& frame, long long ms) {
    auto* luma = static_cast<guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
    const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
    for (int bit = 0; bit < kStampBits; ++bit) {
        const int value = ((ms >> (kStampBits - 1 - bit)) & 1) != 0 ? 235 : 16;
        for (int row = 0; row < kStampBlock; ++row) {
            std::memset(luma + row * stride + bit * kStampBlock, value, kStampBlock);
        }
    }
}

long long readStamp(const GstVideoFrame& frame) {
    const auto* luma = static_cast<const guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
    const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
    constexpr int kFrom = kStampBlock / 4;
    constexpr int kTo = kStampBlock - kStampBlock / 4;
    constexpr int kThreshold = (16 + 235) / 2 * (kTo - kFrom) * (kTo - kFrom);
    long long ms = 0;
    for (int bit = 0; bit < kStampBits; ++bit) {
        int sum = 0;
        for (int row = kFrom; row < kTo; ++row) {
            for (int col = kFrom; col < kTo; ++col)
                sum += luma[row * stride + bit * kStampBlock + col];
        }
        ms = (ms << 1) | (sum > kThreshold ? 1 : 0);
    }
    return ms;
}

GstPadProbeReturn onRawVideo(GstPad* pad, GstPadProbeInfo* info, gpointer /*data*/) {
    auto videoInfo = stampableInfo(pad);
    if (!videoInfo) return GST_PAD_PROBE_OK;
    GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    GstVideoFrame frame;
    if (gst_video_frame_map(&frame, &*videoInfo, buffer, GST_MAP_WRITE)) {
        writeStamp(frame, wallClockMs());
        gst_video_frame_unmap(&frame);
    }
    return GST_PAD_PROBE_OK;
}

GstPadProbeReturn onStampedVideo(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
    const long long now = wallClockMs();
    auto state = lockState(data);
    if (!state) return GST_PAD_PROBE_OK;
    long long latency = -1;
    auto videoInfo = stampableInfo(pad);
    GstVideoFrame frame;
    if (videoInfo &&
        gst_video_frame_map(&frame, &*videoInfo, GST_PAD_PROBE_INFO_BUFFER(info), GST_MAP_READ)) {
        latency = now - readStamp(frame);
        gst_video_frame_unmap(&frame);
    }
    std::lock_guard lock(state->mutex);
    if (latency >= 0 && latency <= kMaxLatencyMs) {
        state->latencyMs.push_back(static_cast<double>(latency));
    } else {
        ++state->unreadableStamps;
    }
    return GST_PAD_PROBE_OK;
}

GstPadProbeReturn onReceivedVideo(GstPad* /*pad*/, GstPadProbeInfo* info, gpointer data) {
    if (auto state = lockState(data)) {
        std::lock_guard lock(state->mutex);
        state->framesReceived += markedPackets(info);
        if (!state->decode) state->cv.notify_all();
    }
    return GST_PAD_PROBE_OK;
}

GstPadProbeReturn onEncodedVideo(GstPad* /*pad*/, GstPadProbeInfo* info, gpointer data) {
    if (auto state = lockState(data)) {
        std::lock_guard lock(state->mutex);
        state->framesSent += bufferCount(info);
        state->bytesSent += bufferBytes(info);
        state->keyFramesSent += keyFrameCount(info);
        state->cv.notify_all();
    }
    return GST_PAD_PROBE_OK;
}

GstPadProbeReturn onDecodedVideo(GstPad* /*pad*/, GstPadProbeInfo* info, gpointer data) {
    if (auto state = lockState(data)) {
        std::lock_guard lock(state->mutex);
        if (state->framesDecoded == 0) {
            state->firstFrameMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - state->start)
                                      .count();
        }
        state->framesDecoded += bufferCount(info);
        state->cv.notify_all();
    }
    return GST_PAD_PROBE_OK;
}

GstPadProbeReturn onDecodedAudio(GstPad* /*pad*/, GstPadProbeInfo* info, gpointer data) {
    if (auto state = lockState(data)) {
        std::lock_guard lock(state->mutex);
        state->audioDecoded += bufferCount(info);
        state->cv.notify_all();
    }
    return GST_PAD_PROBE_OK;
}

// Adds `element` to the bin that holds `sibling`, links `pad` to its sink and starts it.
bool attachSink(GstElement* sibling, GstPad* pad, GstElement* element) {
    GstObject* parent = gst_element_get_parent(sibling);
    if (parent == nullptr) {
        gst_object_unref(gst_object_ref_sink(element));
        return false;
    }
    gst_bin_add(GST_BIN(parent), element);
    gst_object_unref(parent);
    GstPad* sink = gst_element_get_static_pad(element, "sink");
    bool linked = gst_pad_link(pad, sink) == GST_PAD_LINK_OK;
    gst_object_unref(sink);
    gst_element_sync_state_with_parent(element);
    return linked;
}

GstElement* plainSink() {
    GstElement* sink = gst_element_factory_make("fakesink", nullptr);
    g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    return sink;
}

// Decoded video in I420 into a fakesink whose pad reads each frame's stamp.
GstElement* stampReader(const std::shared_ptr<MediaPeerState>& state) {
    GError* error = nullptr;
    GstElement* bin = gst_parse_bin_from_description(
        "videoconvert ! video/x-raw,format=I420 ! fakesink name=stamps sync=false async=false",
        TRUE, &error);
    g_clear_error(&error);
    if (bin == nullptr) return nullptr;
    GstElement* sink = gst_bin_get_by_name(GST_BIN(bin), "stamps");
    GstPad* pad = gst_element_get_static_pad(sink, "sink");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, onStampedVideo, boxState(state), unboxState);
    gst_object_unref(pad);
    gst_object_unref(sink);
    return bin;
}

// "video" or "audio" from a received RTP pad's caps.
std::string rtpMedia(GstPad* pad) {
    GstCaps* caps = gst_pad_get_current_caps(pad);
    if (caps == nullptr) caps = gst_pad_query_caps(pad, nullptr);
    const gchar* media = gst_caps_get_size(caps) > 0
                             ? gst_structure_get_string(gst_caps_get_structure(caps, 0), "media")
                             : nullptr;
    std::string out = media != nullptr ? media : "";
    gst_caps_unref(caps);
    return out;
}

void onDecodedPad(GstElement* decodebin, GstPad* pad, gpointer data) {
    auto state = lockState(data);
    if (!state) return;
    GstCaps* caps = gst_pad_get_current_caps(pad);
    if (caps == nullptr) caps = gst_pad_query_caps(pad, nullptr);
    std::string name = gst_structure_get_name(gst_caps_get_structure(caps, 0));
    gst_caps_unref(caps);
    bool video = name.rfind("video/", 0) == 0;
    bool audio = name.rfind("audio/", 0) == 0;
    if (!video && !audio) return;

    std::lock_guard lock(state->structureMutex);
    if (state->tornDown) return;
    GstElement* sink = video && state->readStamps ? stampReader(state) : plainSink();
    if (sink == nullptr || !attachSink(decodebin, pad, sink)) {
        state->recordError("gst: cannot link decoded " + name);
        return;
    }
    gst_pad_add_probe(pad, kBufferProbes, video ? onDecodedVideo : onDecodedAudio, boxState(state),
                      unboxState);
}

void onWebrtcPad(GstElement* webrtc, GstPad* pad, gpointer data) {
    if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
    auto state = lockState(data);
    if (!state) return;
    std::lock_guard lock(state->structureMutex);
    if (state->tornDown) return;
    if (rtpMedia(pad) == "video") {
        gst_pad_add_probe(pad, kBufferProbes, onReceivedVideo, boxState(state), unboxState);
    }
    GstElement* next = state->decode ? gst_element_factory_make("decodebin", nullptr) : plainSink();
    if (state->decode) {
        g_signal_connect_data(next, "pad-added", G_CALLBACK(onDecodedPad), boxState(state),
                              unboxStateClosure, static_cast<GConnectFlags>(0));
    }
    if (!attachSink(webrtc, pad, next)) state->recordError("gst: cannot link a received pad");
}

void onLocalCandidate(GstElement* /*webrtc*/, guint mline, gchar* candidate, gpointer data) {
    auto state = lockState(data);
    if (!state) return;
    // A GStreamer thread: nothing may be thrown through it.
    try {
        std::lock_guard lock(state->mutex);
        if (state->stopped) return;
        Candidate c{mline, candidate != nullptr ? candidate : ""};
        if (state->canSendCandidates) {
            sendCandidateLocked(*state, c);
        } else {
            state->localQueue.push_back(std::move(c));
        }
    } catch (const std::exception& e) {
        state->recordError(std::string("ice: ") + e.what());
    }
}

GstBusSyncReply onBusMessage(GstBus* /*bus*/, GstMessage* message, gpointer data) {
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
        if (auto state = lockState(data)) {
            GError* error = nullptr;
            gchar* debug = nullptr;
            gst_message_parse_error(message, &error, &debug);
            state->recordError(std::string("gst: ") + GST_OBJECT_NAME(GST_MESSAGE_SRC(message)) +
                               ": " + (error != nullptr ? error->message : "error"));
            g_clear_error(&error);
            g_free(debug);
        }
    }
    // Nobody pops this bus: keeping messages would only grow its queue.
    return GST_BUS_DROP;
}

// Raw video at the peer's size and rate, ending in "! ".
std::string videoSource(const PeerOptions& o) {
    std::ostringstream raw;
    raw << "video/x-raw,width=" << o.width << ",height=" << o.height << ",framerate=" << o.fps
        << "/1";
    // Square pixels: videoscale then letterboxes a picture of another aspect instead of
    // stretching the faces in it.
    const std::string scaled =
        "videoconvert ! videoscale ! videorate ! " + raw.str() + ",pixel-aspect-ratio=1/1 ! ";
    std::ostringstream d;
    if (!o.imageSequence.empty()) {
        // The files carry no time: the caps give them their 10 fps, and clocksync holds each
        // one until its time, as a camera would deliver it, rather than leave the pace to
        // whatever syncs (or not) inside webrtcbin.
        d << "multifilesrc location=\"" << o.imageSequence << "\" loop=true "
          << "caps=\"image/jpeg,framerate=10/1\" ! jpegdec ! " << scaled << "clocksync ! ";
    } else if (!o.stillImage.empty()) {
        d << "filesrc location=\"" << o.stillImage << "\" ! jpegdec ! imagefreeze is-live=true ! "
          << scaled;
    } else {
        d << "videotestsrc is-live=true pattern=" << o.pattern << " ! " << raw.str() << " ! ";
    }
    return d.str();
}

std::string publisherPipeline(const PeerOptions& o) {
    std::ostringstream d;
    d << "webrtcbin name=wb bundle-policy=max-bundle " << videoSource(o);
    if (o.clockOverlay && hasElement("clockoverlay")) {
        d << "clockoverlay time-format=\"%H:%M:%S\" ! ";
    }
    d << "videoconvert ! ";
    if (o.stampTime) d << "video/x-raw,format=I420 ! ";
    d << "queue max-size-buffers=2 leaky=downstream ! ";
    // Key frames only on request (PLI from the server), so tests see the server ask for them.
    if (!o.h264) {
        d << "vp8enc name=venc deadline=1 keyframe-max-dist=3000 target-bitrate="
          << o.videoBitrateKbps * 1000 << " ! rtpvp8pay pt=96 picture-id-mode=15-bit ! "
          << "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96,"
          << "rtcp-fb-nack-pli=true ! wb. ";
    } else {
        if (hasElement("x264enc")) {
            d << "x264enc name=venc tune=zerolatency speed-preset=ultrafast key-int-max=3000 "
              << "bitrate=" << o.videoBitrateKbps << " ! ";
        } else {
            d << "openh264enc name=venc gop-size=3000 bitrate=" << o.videoBitrateKbps * 1000
              << " ! ";
        }
        d << "video/x-h264,profile=constrained-baseline ! h264parse ! "
          << "rtph264pay pt=102 config-interval=-1 aggregate-mode=zero-latency ! "
          << "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload=102,"
          << "packetization-mode=(string)1,"
          << "rtcp-fb-nack-pli=true ! wb. ";
    }
    if (o.audio) {
        d << "audiotestsrc is-live=true wave=sine volume=0.2 ! audioconvert ! audioresample ! "
          << "queue max-size-buffers=4 leaky=downstream ! opusenc ! rtpopuspay pt=111 ! "
          << "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=111 ! "
          << "wb. ";
    }
    return d.str();
}

}  // namespace

MediaPeer::MediaPeer(WsClient& ws, bool publisher)
    : ws_(ws), publisher_(publisher), state_(std::make_shared<MediaPeerState>()) {
    static std::atomic<int> counter{0};
    state_->ws = &ws;
    state_->idPrefix = "peer" + std::to_string(++counter) + ".";
}

MediaPeer::~MediaPeer() {
    stop();
}

std::unique_ptr<MediaPeer> MediaPeer::publish(WsClient& ws, const std::string& stream,
                                              PeerOptions opts, const std::string& call) {
    ensureGstInit();
    std::unique_ptr<MediaPeer> peer(new MediaPeer(ws, true));
    if (!peer->startPublisher(stream, opts, call)) peer->stop(!peer->session_.empty());
    return peer;
}

std::unique_ptr<MediaPeer> MediaPeer::subscribe(WsClient& ws, const std::string& source,
                                                const std::string& stream, const std::string& call,
                                                ViewOptions view) {
    ensureGstInit();
    std::unique_ptr<MediaPeer> peer(new MediaPeer(ws, false));
    if (!peer->startViewer(source, stream, call, view)) peer->stop(!peer->session_.empty());
    return peer;
}

bool MediaPeer::startPublisher(const std::string& stream, const PeerOptions& opts,
                               const std::string& call) {
    GError* error = nullptr;
    pipeline_ = gst_parse_launch(publisherPipeline(opts).c_str(), &error);
    if (error != nullptr) {
        fail(std::string("gst: ") + error->message);
        g_clear_error(&error);
        return false;
    }
    webrtc_ = gst_bin_get_by_name(GST_BIN(pipeline_), "wb");
    GstElement* encoder = gst_bin_get_by_name(GST_BIN(pipeline_), "venc");
    GstPad* encoded = gst_element_get_static_pad(encoder, "src");
    gst_pad_add_probe(encoded, kBufferProbes, onEncodedVideo, boxState(state_), unboxState);
    gst_object_unref(encoded);
    if (opts.stampTime) {
        GstPad* raw = gst_element_get_static_pad(encoder, "sink");
        gst_pad_add_probe(raw, GST_PAD_PROBE_TYPE_BUFFER, onRawVideo, nullptr, nullptr);
        gst_object_unref(raw);
    }
    gst_object_unref(encoder);

    // A browser publishes with send-only transceivers; the server may rely on that.
    GArray* transceivers = nullptr;
    g_signal_emit_by_name(webrtc_, "get-transceivers", &transceivers);
    if (transceivers != nullptr) {
        for (guint i = 0; i < transceivers->len; ++i) {
            g_object_set(g_array_index(transceivers, GstWebRTCRTPTransceiver*, i), "direction",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, nullptr);
        }
        g_array_unref(transceivers);
    }
    connectWebrtcSignals();
    if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        fail("gst: publisher pipeline does not start");
        return false;
    }

    // The offer is made here rather than in on-negotiation-needed: the test thread then knows
    // exactly when negotiation happens.
    PromiseWaiter offerPromise;
    g_signal_emit_by_name(webrtc_, "create-offer", nullptr, offerPromise.get());
    const GstStructure* reply = nullptr;
    if (!offerPromise.wait(&reply) || reply == nullptr) {
        fail("timeout: create-offer");
        return false;
    }
    if (auto e = promiseError(reply); !e.empty()) {
        fail("sdp: create-offer: " + e);
        return false;
    }
    GstWebRTCSessionDescription* offer = nullptr;
    gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
    if (offer == nullptr) {
        fail("sdp: create-offer gave no offer");
        return false;
    }
    PromiseWaiter localPromise;
    g_signal_emit_by_name(webrtc_, "set-local-description", offer, localPromise.get());
    gchar* text = gst_sdp_message_as_text(offer->sdp);
    std::string sdp = text;
    g_free(text);
    gst_webrtc_session_description_free(offer);
    reply = nullptr;
    if (!localPromise.wait(&reply)) {
        fail("timeout: set-local-description");
        return false;
    }
    if (auto e = promiseError(reply); !e.empty()) {
        fail("sdp: set-local-description: " + e);
        return false;
    }

    registerListener();
    nlohmann::json message = {{"type", "offer"}, {"stream", stream}, {"sdp", sdp}};
    if (!call.empty()) message["call"] = call;
    if (!opts.checkin.empty()) message["checkin"] = opts.checkin;
    auto answer = request(std::move(message));
    if (!answer) return false;
    session_ = stringField(*answer, "session");
    if (session_.empty()) {
        fail("sdp: offer reply without session");
        return false;
    }
    if (!applyRemote(stringField(*answer, "sdp"), false)) return false;
    drainQueuedCandidates();
    setReadyToSendCandidates();
    return true;
}

bool MediaPeer::startViewer(const std::string& source, const std::string& stream,
                            const std::string& call, const ViewOptions& view) {
    state_->decode = view.decode;
    state_->readStamps = view.decode && view.readStamps;
    if (!buildViewerPipeline()) return false;

    registerListener();
    nlohmann::json message = {{"type", "subscribe"}, {"stream", stream}};
    if (!source.empty()) message["source"] = source;
    if (!call.empty()) message["call"] = call;
    {
        std::lock_guard lock(state_->mutex);
        state_->start = std::chrono::steady_clock::now();
    }
    auto offer = request(std::move(message));
    if (!offer) return false;
    session_ = stringField(*offer, "session");
    if (session_.empty()) {
        fail("sdp: subscribe reply without session");
        return false;
    }
    return answerOffer(stringField(*offer, "sdp"));
}

bool MediaPeer::buildViewerPipeline() {
    pipeline_ = gst_pipeline_new(nullptr);
    webrtc_ = gst_element_factory_make("webrtcbin", "wb");
    if (webrtc_ == nullptr) {
        fail("gst: no webrtcbin");
        return false;
    }
    gst_object_ref(webrtc_);
    gst_bin_add(GST_BIN(pipeline_), webrtc_);
    gst_util_set_object_arg(G_OBJECT(webrtc_), "bundle-policy", "max-bundle");
    webrtcHandlers_.push_back(g_signal_connect_data(webrtc_, "pad-added", G_CALLBACK(onWebrtcPad),
                                                    boxState(state_), unboxStateClosure,
                                                    static_cast<GConnectFlags>(0)));
    connectWebrtcSignals();
    if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        fail("gst: viewer pipeline does not start");
        return false;
    }
    return true;
}

bool MediaPeer::answerOffer(const std::string& offerSdp) {
    if (!applyRemote(offerSdp, true)) return false;
    drainQueuedCandidates();

    PromiseWaiter answerPromise;
    g_signal_emit_by_name(webrtc_, "create-answer", nullptr, answerPromise.get());
    const GstStructure* reply = nullptr;
    if (!answerPromise.wait(&reply) || reply == nullptr) {
        fail("timeout: create-answer");
        return false;
    }
    if (auto e = promiseError(reply); !e.empty()) {
        fail("sdp: create-answer: " + e);
        return false;
    }
    GstWebRTCSessionDescription* answer = nullptr;
    gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, nullptr);
    if (answer == nullptr) {
        fail("sdp: create-answer gave no answer");
        return false;
    }
    PromiseWaiter localPromise;
    g_signal_emit_by_name(webrtc_, "set-local-description", answer, localPromise.get());
    gchar* text = gst_sdp_message_as_text(answer->sdp);
    std::string sdp = text;
    g_free(text);
    gst_webrtc_session_description_free(answer);
    reply = nullptr;
    if (!localPromise.wait(&reply)) {
        fail("timeout: set-local-description");
        return false;
    }
    if (auto e = promiseError(reply); !e.empty()) {
        fail("sdp: set-local-description: " + e);
        return false;
    }
    if (!request({{"type", "answer"}, {"session", session_}, {"sdp", sdp}})) return false;
    setReadyToSendCandidates();
    return true;
}

bool MediaPeer::applyRemote(const std::string& sdp, bool isOffer) {
    GstSDPMessage* message = nullptr;
    if (gst_sdp_message_new_from_text(sdp.c_str(), &message) != GST_SDP_OK) {
        fail("sdp: remote description does not parse");
        return false;
    }
    GstWebRTCSessionDescription* description = gst_webrtc_session_description_new(
        isOffer ? GST_WEBRTC_SDP_TYPE_OFFER : GST_WEBRTC_SDP_TYPE_ANSWER, message);
    PromiseWaiter promise;
    g_signal_emit_by_name(webrtc_, "set-remote-description", description, promise.get());
    gst_webrtc_session_description_free(description);
    const GstStructure* reply = nullptr;
    if (!promise.wait(&reply)) {
        fail("timeout: set-remote-description");
        return false;
    }
    if (auto e = promiseError(reply); !e.empty()) {
        fail("sdp: set-remote-description: " + e);
        return false;
    }
    setReadyForRemoteCandidates();
    return true;
}

void MediaPeer::connectWebrtcSignals() {
    if (!restrictIceToLoopback(webrtc_)) fail("gst: the ICE agent refused 127.0.0.1");
    webrtcHandlers_.push_back(
        g_signal_connect_data(webrtc_, "on-ice-candidate", G_CALLBACK(onLocalCandidate),
                              boxState(state_), unboxStateClosure, static_cast<GConnectFlags>(0)));
    GstBus* bus = gst_element_get_bus(pipeline_);
    gst_bus_set_sync_handler(bus, onBusMessage, boxState(state_), unboxState);
    gst_object_unref(bus);
}

void MediaPeer::registerListener() {
    // Runs on the WsClient service thread. `this` outlives it: stop() removes it first.
    listenerId_ = ws_.addListener([this](const nlohmann::json& m) {
        MediaPeerState& state = *state_;
        std::string re = stringField(m, "re");
        if (!re.empty()) {
            std::lock_guard lock(state.mutex);
            if (re.rfind(state.idPrefix + "ice", 0) == 0) {
                if (stringField(m, "type") == "error" && state.lastError.empty()) {
                    std::string code = stringField(m, "code");
                    state.lastError = code.empty() ? "error" : code;
                }
                return true;
            }
            // Learnt here, in message order, so that no later `ice` push slips past.
            if (re == state.pendingRequestId && !stringField(m, "session").empty()) {
                state.session = stringField(m, "session");
            }
            return false;
        }
        Candidate c;
        {
            std::lock_guard lock(state.mutex);
            if (!isIceFor(m, state.session)) return false;
            c = candidateFrom(m);
            if (state.stopped || c.candidate.empty()) return true;
            if (!state.remoteReady) {
                state.remoteQueue.push_back(std::move(c));
                return true;
            }
        }
        // Outside the lock: webrtcbin may hold its own lock while it calls onLocalCandidate.
        g_signal_emit_by_name(webrtc_, "add-ice-candidate", c.mline, c.candidate.c_str());
        return true;
    });
}

void MediaPeer::drainQueuedCandidates() {
    // `ice` pushes that came before the reply naming the session went to the inbox.
    const std::string session = session_;
    while (auto m = ws_.waitFor([&](const nlohmann::json& j) { return isIceFor(j, session); },
                                std::chrono::milliseconds(0))) {
        Candidate c = candidateFrom(*m);
        if (c.candidate.empty()) continue;
        std::lock_guard lock(state_->mutex);
        state_->remoteQueue.push_back(std::move(c));
    }
    flushRemoteCandidates();
}

void MediaPeer::setReadyForRemoteCandidates() {
    {
        std::lock_guard lock(state_->mutex);
        state_->remoteReady = true;
    }
    flushRemoteCandidates();
}

void MediaPeer::flushRemoteCandidates() {
    std::vector<Candidate> queued;
    {
        std::lock_guard lock(state_->mutex);
        if (!state_->remoteReady || state_->stopped) return;
        queued.swap(state_->remoteQueue);
    }
    // Outside the lock, as in the listener.
    for (const auto& c : queued) {
        g_signal_emit_by_name(webrtc_, "add-ice-candidate", c.mline, c.candidate.c_str());
    }
}

void MediaPeer::setReadyToSendCandidates() {
    std::lock_guard lock(state_->mutex);
    if (state_->stopped) return;
    state_->session = session_;
    state_->canSendCandidates = true;
    for (const auto& c : state_->localQueue) sendCandidateLocked(*state_, c);
    state_->localQueue.clear();
}

std::optional<nlohmann::json> MediaPeer::request(nlohmann::json message) {
    std::string type = stringField(message, "type");
    {
        std::lock_guard lock(state_->mutex);
        message["id"] = state_->idPrefix + "r" + std::to_string(++state_->nextId);
        state_->pendingRequestId = message["id"].get<std::string>();
    }
    try {
        nlohmann::json reply = ws_.request(std::move(message), kRequestTimeout);
        if (stringField(reply, "type") == "error") {
            std::string code = stringField(reply, "code");
            fail(code.empty() ? "error" : code);
            return std::nullopt;
        }
        return reply;
    } catch (const std::exception&) {
        fail("timeout: no reply to " + type);
        return std::nullopt;
    }
}

void MediaPeer::fail(const std::string& error) {
    state_->recordError(error);
}

void MediaPeer::restartIce() {
    if (publisher_ || stopped_ || session_.empty()) {
        fail("ice_restart: not a running view session");
        return;
    }
    // The server's new offer is for a new transport (new ICE credentials and DTLS), which a
    // browser applies to a new RTCPeerConnection: so does this peer.
    teardown();
    {
        std::lock_guard lock(state_->structureMutex);
        state_->tornDown = false;
    }
    {
        std::lock_guard lock(state_->mutex);
        state_->remoteReady = false;
        state_->canSendCandidates = false;
    }
    if (!buildViewerPipeline()) return;
    auto offer = request({{"type", "ice_restart"}, {"session", session_}});
    if (!offer) return;
    answerOffer(stringField(*offer, "sdp"));
}

void MediaPeer::stop(bool tellServer) {
    if (stopped_) return;
    stopped_ = true;
    if (listenerId_ != 0) ws_.removeListener(listenerId_);
    listenerId_ = 0;
    {
        std::lock_guard lock(state_->mutex);
        state_->stopped = true;
    }
    if (tellServer && !session_.empty() && !ws_.closed()) {
        nlohmann::json message = {{"type", "stop_media"}, {"session", session_}};
        message["id"] = state_->idPrefix + "stop";
        try {
            ws_.request(std::move(message), std::chrono::seconds(5));
        } catch (const std::exception&) {
        }
    }
    teardown();
}

void MediaPeer::teardown() {
    {
        std::lock_guard lock(state_->structureMutex);
        state_->tornDown = true;
    }
    for (unsigned long id : webrtcHandlers_) g_signal_handler_disconnect(webrtc_, id);
    webrtcHandlers_.clear();
    if (pipeline_ != nullptr) {
        gst_element_set_state(pipeline_, GST_STATE_NULL);
        GstBus* bus = gst_element_get_bus(pipeline_);
        gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);
        gst_object_unref(bus);
    }
    if (webrtc_ != nullptr) gst_object_unref(webrtc_);
    webrtc_ = nullptr;
    if (pipeline_ != nullptr) gst_object_unref(pipeline_);
    pipeline_ = nullptr;
    std::lock_guard lock(state_->mutex);
    state_->cv.notify_all();
}

std::string MediaPeer::lastError() const {
    std::lock_guard lock(state_->mutex);
    return state_->lastError;
}

int MediaPeer::videoFramesSent() const {
    std::lock_guard lock(state_->mutex);
    return state_->framesSent;
}

long long MediaPeer::videoBytesSent() const {
    std::lock_guard lock(state_->mutex);
    return state_->bytesSent;
}

int MediaPeer::videoFramesReceived() const {
    std::lock_guard lock(state_->mutex);
    return state_->framesReceived;
}

std::vector<double> MediaPeer::takeLatencySamples() {
    std::lock_guard lock(state_->mutex);
    return std::exchange(state_->latencyMs, {});
}

int MediaPeer::unreadableStamps() const {
    std::lock_guard lock(state_->mutex);
    return state_->unreadableStamps;
}

int MediaPeer::keyFramesSent() const {
    std::lock_guard lock(state_->mutex);
    return state_->keyFramesSent;
}

int MediaPeer::videoFramesDecoded() const {
    std::lock_guard lock(state_->mutex);
    return state_->framesDecoded;
}

int MediaPeer::audioBuffersDecoded() const {
    std::lock_guard lock(state_->mutex);
    return state_->audioDecoded;
}

long long MediaPeer::firstFrameMs() const {
    std::lock_guard lock(state_->mutex);
    return state_->firstFrameMs;
}

bool MediaPeer::waitForFrames(int n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(state_->mutex);
    return state_->cv.wait_for(lock, timeout, [&]() {
        if (publisher_) return state_->framesSent >= n;
        return (state_->decode ? state_->framesDecoded : state_->framesReceived) >= n;
    });
}

bool MediaPeer::waitConnected(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (webrtc_ == nullptr) return false;
        GstWebRTCICEConnectionState ice = GST_WEBRTC_ICE_CONNECTION_STATE_NEW;
        g_object_get(webrtc_, "ice-connection-state", &ice, nullptr);
        if (ice == GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED ||
            ice == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace vigil::testing
