#define GST_USE_UNSTABLE_API
#include "SyncPublisher.hpp"

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <numbers>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "LoopbackIce.hpp"

namespace vigil::testing {

namespace {

constexpr auto kGstTimeout = std::chrono::seconds(10);
constexpr auto kRequestTimeout = std::chrono::seconds(10);
// Frame times are whole nanoseconds on a 1/30 s grid: allow for their rounding.
constexpr std::int64_t kFrameSlackNs = SyncSchedule::kMillisecond;
constexpr std::int64_t kSecondNs = 1000 * SyncSchedule::kMillisecond;
constexpr std::int64_t kGridNs = 100 * SyncSchedule::kMillisecond;  // Three frames.
constexpr guint8 kBlack = 16;
constexpr guint8 kWhite = 235;
constexpr double kBeepAmplitude = 0.5;

struct Candidate {
    unsigned mline{0};
    std::string candidate;
};

}  // namespace

// Shared between the SyncPublisher and GStreamer callbacks, which hold it through weak refs.
struct SyncPublisherState {
    std::mutex mutex;
    std::condition_variable cv;
    WsClient* ws{nullptr};  // Passed by argument; not used once `stopped`.
    std::string idPrefix;
    int nextId{0};
    std::string pendingRequestId;
    std::string session;
    bool stopped{false};
    bool canSendCandidates{false};
    std::vector<Candidate> localQueue;
    bool remoteReady{false};
    std::vector<Candidate> remoteQueue;
    std::string lastError;
    int framesSent{0};
    std::int64_t lastVideoRunningTime{-1};
    std::shared_ptr<const SyncSchedule> schedule;
    std::vector<bool> flashed;
    std::vector<bool> beeped;

    void recordError(const std::string& error) {
        std::lock_guard lock(mutex);
        if (lastError.empty()) lastError = error;
        cv.notify_all();
    }
};

namespace {

using WeakState = std::weak_ptr<SyncPublisherState>;

gpointer boxState(const std::shared_ptr<SyncPublisherState>& state) {
    return new WeakState(state);
}
void unboxState(gpointer data) {
    delete static_cast<WeakState*>(data);
}
void unboxStateClosure(gpointer data, GClosure* /*closure*/) {
    unboxState(data);
}
std::shared_ptr<SyncPublisherState> lockState(gpointer data) {
    return static_cast<WeakState*>(data)->lock();
}

std::string stringField(const nlohmann::json& m, const char* key) {
    auto it = m.find(key);
    return it != m.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Candidate candidateFrom(const nlohmann::json& m) {
    Candidate c{0, stringField(m, "candidate")};
    auto it = m.find("sdpMLineIndex");
    if (it != m.end() && it->is_number_unsigned()) c.mline = it->get<unsigned>();
    if (c.candidate.rfind("a=", 0) == 0) c.candidate.erase(0, 2);
    return c;
}

// Called with state.mutex held.
void sendCandidateLocked(SyncPublisherState& state, const Candidate& c) {
    state.ws->send({{"type", "ice"},
                    {"id", state.idPrefix + "ice" + std::to_string(++state.nextId)},
                    {"session", state.session},
                    {"candidate", c.candidate},
                    {"sdpMLineIndex", c.mline}});
}

// A webrtcbin promise the test thread waits for with a timeout.
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

    // The reply (owned by the promise, may be null), or an error text.
    bool wait(const GstStructure** reply, std::string* error) {
        std::unique_lock lock(sync_->mutex);
        if (!sync_->cv.wait_for(lock, kGstTimeout, [this]() { return sync_->done; })) {
            lock.unlock();
            gst_promise_interrupt(promise_);
            *error = "timeout";
            return false;
        }
        lock.unlock();
        if (gst_promise_wait(promise_) != GST_PROMISE_RESULT_REPLIED) {
            *error = "no reply";
            return false;
        }
        *reply = gst_promise_get_reply(promise_);
        if (*reply != nullptr && gst_structure_has_field(*reply, "error")) {
            GError* e = nullptr;
            gst_structure_get(*reply, "error", G_TYPE_ERROR, &e, nullptr);
            *error = e != nullptr ? e->message : "error";
            g_clear_error(&e);
            return false;
        }
        return true;
    }

private:
    struct Sync {
        std::mutex mutex;
        std::condition_variable cv;
        bool done{false};
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

// A buffer's running time on `pad`, or -1.
std::int64_t runningTime(GstPad* pad, GstBuffer* buffer) {
    if (!GST_BUFFER_PTS_IS_VALID(buffer)) return -1;
    GstEvent* event = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0);
    if (event == nullptr) return -1;
    const GstSegment* segment = nullptr;
    gst_event_parse_segment(event, &segment);
    guint64 rt = gst_segment_to_running_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
    gst_event_unref(event);
    return rt == GST_CLOCK_TIME_NONE ? -1 : static_cast<std::int64_t>(rt);
}

GstPadProbeReturn onRawVideo(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
    auto state = lockState(data);
    if (!state) return GST_PAD_PROBE_OK;
    const std::int64_t rt = runningTime(pad, GST_PAD_PROBE_INFO_BUFFER(info));
    if (rt < 0) return GST_PAD_PROBE_OK;
    std::shared_ptr<const SyncSchedule> schedule;
    {
        std::lock_guard lock(state->mutex);
        state->lastVideoRunningTime = rt;
        schedule = state->schedule;
    }
    const int event = schedule ? schedule->eventAt(rt + kFrameSlackNs, SyncSchedule::kFlashNs) : -1;
    GstCaps* caps = gst_pad_get_current_caps(pad);
    GstVideoInfo videoInfo;
    const bool known = caps != nullptr && gst_video_info_from_caps(&videoInfo, caps);
    if (caps != nullptr) gst_caps_unref(caps);
    if (!known) return GST_PAD_PROBE_OK;
    GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    GstVideoFrame frame;
    if (!gst_video_frame_map(&frame, &videoInfo, buffer, GST_MAP_WRITE)) return GST_PAD_PROBE_OK;
    auto* luma = static_cast<guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
    const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
    const int width = GST_VIDEO_FRAME_COMP_WIDTH(&frame, 0);
    const int height = GST_VIDEO_FRAME_COMP_HEIGHT(&frame, 0);
    for (int row = 0; row < height; ++row) {
        std::memset(luma + row * stride, event >= 0 ? kWhite : kBlack, width);
    }
    gst_video_frame_unmap(&frame);
    if (event >= 0) {
        std::lock_guard lock(state->mutex);
        if (static_cast<size_t>(event) < state->flashed.size()) state->flashed[event] = true;
    }
    return GST_PAD_PROBE_OK;
}

GstPadProbeReturn onRawAudio(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
    auto state = lockState(data);
    if (!state) return GST_PAD_PROBE_OK;
    const std::int64_t rt = runningTime(pad, GST_PAD_PROBE_INFO_BUFFER(info));
    if (rt < 0) return GST_PAD_PROBE_OK;
    std::shared_ptr<const SyncSchedule> schedule;
    {
        std::lock_guard lock(state->mutex);
        schedule = state->schedule;
    }
    if (!schedule) return GST_PAD_PROBE_OK;
    GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    GstMapInfo map;
    if (!gst_buffer_map(buffer, &map, GST_MAP_WRITE)) return GST_PAD_PROBE_OK;
    auto* samples = reinterpret_cast<gint16*>(map.data);
    const std::int64_t count = static_cast<std::int64_t>(map.size / sizeof(gint16));
    int lastEvent = -1;
    for (std::int64_t i = 0; i < count; ++i) {
        const std::int64_t t = rt + i * kSecondNs / SyncPublisher::kSampleRate;
        const int event = schedule->eventAt(t, SyncSchedule::kBeepNs);
        if (event < 0) {
            samples[i] = 0;
            continue;
        }
        const double since = static_cast<double>(t - schedule->events[event]) / kSecondNs;
        samples[i] = static_cast<gint16>(
            std::lround(kBeepAmplitude * 32767.0 *
                        std::sin(2.0 * std::numbers::pi * SyncSchedule::kBeepHz * since)));
        lastEvent = event;
    }
    gst_buffer_unmap(buffer, &map);
    if (lastEvent >= 0) {
        std::lock_guard lock(state->mutex);
        if (static_cast<size_t>(lastEvent) < state->beeped.size()) state->beeped[lastEvent] = true;
    }
    return GST_PAD_PROBE_OK;
}

GstPadProbeReturn onEncodedVideo(GstPad* /*pad*/, GstPadProbeInfo* /*info*/, gpointer data) {
    if (auto state = lockState(data)) {
        std::lock_guard lock(state->mutex);
        ++state->framesSent;
        state->cv.notify_all();
    }
    return GST_PAD_PROBE_OK;
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
    // Nobody pops this bus.
    return GST_BUS_DROP;
}

// The flashing picture up to `videoTail` (its encoder is named venc) and the beeping sound up
// to `audioTail`; the raw frames and samples pass capsfilters named vraw and araw. The queues
// before the encoders never block the live sources: they drop what is more than a second old.
std::string sourceDescription(const std::string& videoTail, const std::string& audioTail) {
    std::ostringstream d;
    d << "videotestsrc is-live=true pattern=black ! capsfilter name=vraw caps=video/x-raw,"
      << "format=I420,width=" << SyncPublisher::kWidth << ",height=" << SyncPublisher::kHeight
      << ",framerate=" << SyncPublisher::kFps << "/1 ! queue leaky=downstream ! "
      << "vp8enc name=venc deadline=1 keyframe-max-dist=3000 target-bitrate=400000 ! " << videoTail
      << " "
      << "audiotestsrc is-live=true wave=silence samplesperbuffer=480 ! capsfilter name=araw "
      << "caps=audio/x-raw,format=S16LE,layout=interleaved,channels=1,rate="
      << SyncPublisher::kSampleRate << " ! queue leaky=downstream ! "
      << "opusenc ! " << audioTail;
    return d.str();
}

std::string publisherDescription() {
    return "webrtcbin name=wb bundle-policy=max-bundle " +
           sourceDescription(
               "rtpvp8pay pt=96 picture-id-mode=15-bit ! application/x-rtp,media=video,"
               "encoding-name=VP8,clock-rate=90000,payload=96,rtcp-fb-nack-pli=true ! wb.",
               "rtpopuspay pt=111 ! application/x-rtp,media=audio,encoding-name=OPUS,"
               "clock-rate=48000,payload=111 ! wb.");
}

std::string fileDescription() {
    return "webmmux name=mux ! filesink name=file " + sourceDescription("mux.", "mux.");
}

void addProbe(GstElement* pipeline, const char* element, const char* padName,
              GstPadProbeCallback callback, const std::shared_ptr<SyncPublisherState>& state) {
    GstElement* e = gst_bin_get_by_name(GST_BIN(pipeline), element);
    GstPad* pad = gst_element_get_static_pad(e, padName);
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, callback, boxState(state), unboxState);
    gst_object_unref(pad);
    gst_object_unref(e);
}

void addProbes(GstElement* pipeline, const std::shared_ptr<SyncPublisherState>& state) {
    addProbe(pipeline, "vraw", "src", onRawVideo, state);
    addProbe(pipeline, "araw", "src", onRawAudio, state);
    addProbe(pipeline, "venc", "src", onEncodedVideo, state);
}

std::int64_t pipelineRunningTime(GstElement* pipeline) {
    if (pipeline == nullptr) return -1;
    GstClock* clock = gst_element_get_clock(pipeline);
    if (clock == nullptr) return -1;
    const GstClockTime now = gst_clock_get_time(clock);
    gst_object_unref(clock);
    return static_cast<std::int64_t>(now - gst_element_get_base_time(pipeline));
}

std::optional<SyncSchedule> armSchedule(SyncPublisherState& state, std::int64_t now,
                                        std::chrono::milliseconds lead,
                                        std::chrono::milliseconds duration) {
    std::lock_guard lock(state.mutex);
    const std::int64_t frame = state.lastVideoRunningTime;
    if (frame < 0 || now < 0) return std::nullopt;
    // The first whole number of 100 ms steps after the lead: still on the frame grid.
    const std::int64_t wanted = now + std::chrono::nanoseconds(lead).count() - frame;
    const std::int64_t start = frame + (wanted / kGridNs + 1) * kGridNs;
    auto schedule = std::make_shared<SyncSchedule>(
        SyncSchedule::make(start, std::chrono::nanoseconds(duration).count()));
    state.flashed.assign(schedule->events.size(), false);
    state.beeped.assign(schedule->events.size(), false);
    state.schedule = schedule;
    return *schedule;
}

}  // namespace

SyncPublisher::SyncPublisher(WsClient& ws)
    : ws_(ws), state_(std::make_shared<SyncPublisherState>()) {
    static std::atomic<int> counter{0};
    state_->ws = &ws;
    state_->idPrefix = "sync" + std::to_string(++counter) + ".";
}

SyncPublisher::~SyncPublisher() {
    stop();
}

std::unique_ptr<SyncPublisher> SyncPublisher::publish(WsClient& ws) {
    gst_init(nullptr, nullptr);
    std::unique_ptr<SyncPublisher> publisher(new SyncPublisher(ws));
    if (!publisher->start()) publisher->stop();
    return publisher;
}

bool SyncPublisher::start() {
    GError* error = nullptr;
    pipeline_ = gst_parse_launch(publisherDescription().c_str(), &error);
    if (error != nullptr) {
        state_->recordError(std::string("gst: ") + error->message);
        g_clear_error(&error);
        return false;
    }
    webrtc_ = gst_bin_get_by_name(GST_BIN(pipeline_), "wb");
    // RTCP sender reports tie RTP time to the instant of capture, as a browser's do (RFC 3550
    // 6.4.1). GStreamer's default ties it to the instant of sending, encoder delay and any
    // start-up backlog included, and a receiver that lip-syncs on the reports (as Vigil's
    // does) then records the sound that much late.
    GstElement* rtpbin = gst_bin_get_by_name(GST_BIN(webrtc_), "rtpbin");
    if (rtpbin == nullptr) {
        state_->recordError("gst: webrtcbin has no rtpbin");
        return false;
    }
    g_object_set(rtpbin, "rtcp-sync-send-time", FALSE, nullptr);
    gst_object_unref(rtpbin);
    addProbes(pipeline_, state_);
    if (!restrictIceToLoopback(webrtc_)) {
        state_->recordError("gst: the ICE agent refused 127.0.0.1");
        return false;
    }

    // Send-only transceivers, as a browser publishes.
    GArray* transceivers = nullptr;
    g_signal_emit_by_name(webrtc_, "get-transceivers", &transceivers);
    if (transceivers != nullptr) {
        for (guint i = 0; i < transceivers->len; ++i) {
            g_object_set(g_array_index(transceivers, GstWebRTCRTPTransceiver*, i), "direction",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, nullptr);
        }
        g_array_unref(transceivers);
    }
    candidateHandler_ =
        g_signal_connect_data(webrtc_, "on-ice-candidate", G_CALLBACK(onLocalCandidate),
                              boxState(state_), unboxStateClosure, static_cast<GConnectFlags>(0));
    GstBus* bus = gst_element_get_bus(pipeline_);
    gst_bus_set_sync_handler(bus, onBusMessage, boxState(state_), unboxState);
    gst_object_unref(bus);
    if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        state_->recordError("gst: the publisher pipeline does not start");
        return false;
    }

    std::string failure;
    PromiseWaiter offerPromise;
    g_signal_emit_by_name(webrtc_, "create-offer", nullptr, offerPromise.get());
    const GstStructure* reply = nullptr;
    if (!offerPromise.wait(&reply, &failure) || reply == nullptr) {
        state_->recordError("sdp: create-offer: " + failure);
        return false;
    }
    GstWebRTCSessionDescription* offer = nullptr;
    gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
    if (offer == nullptr) {
        state_->recordError("sdp: create-offer gave no offer");
        return false;
    }
    PromiseWaiter localPromise;
    g_signal_emit_by_name(webrtc_, "set-local-description", offer, localPromise.get());
    gchar* text = gst_sdp_message_as_text(offer->sdp);
    std::string sdp = text;
    g_free(text);
    gst_webrtc_session_description_free(offer);
    if (!localPromise.wait(&reply, &failure)) {
        state_->recordError("sdp: set-local-description: " + failure);
        return false;
    }

    registerListener();
    auto answer = request({{"type", "offer"}, {"stream", "main"}, {"sdp", sdp}});
    if (!answer) return false;
    session_ = stringField(*answer, "session");
    if (session_.empty()) {
        state_->recordError("sdp: offer reply without session");
        return false;
    }
    GstSDPMessage* message = nullptr;
    if (gst_sdp_message_new_from_text(stringField(*answer, "sdp").c_str(), &message) !=
        GST_SDP_OK) {
        state_->recordError("sdp: the answer does not parse");
        return false;
    }
    GstWebRTCSessionDescription* description =
        gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, message);
    PromiseWaiter remotePromise;
    g_signal_emit_by_name(webrtc_, "set-remote-description", description, remotePromise.get());
    gst_webrtc_session_description_free(description);
    if (!remotePromise.wait(&reply, &failure)) {
        state_->recordError("sdp: set-remote-description: " + failure);
        return false;
    }
    addRemoteCandidates();

    std::lock_guard lock(state_->mutex);
    state_->session = session_;
    state_->canSendCandidates = true;
    for (const auto& c : state_->localQueue) sendCandidateLocked(*state_, c);
    state_->localQueue.clear();
    return true;
}

void SyncPublisher::registerListener() {
    // Runs on the WsClient service thread; stop() removes it before the pipeline goes.
    listenerId_ = ws_.addListener([this](const nlohmann::json& m) {
        SyncPublisherState& state = *state_;
        std::string re = stringField(m, "re");
        if (!re.empty()) {
            std::lock_guard lock(state.mutex);
            if (re.rfind(state.idPrefix + "ice", 0) == 0) {
                if (stringField(m, "type") == "error" && state.lastError.empty()) {
                    state.lastError = "ice: " + stringField(m, "code");
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
            if (state.session.empty() || stringField(m, "type") != "ice" ||
                stringField(m, "session") != state.session) {
                return false;
            }
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

void SyncPublisher::addRemoteCandidates() {
    // `ice` pushes that came before the reply naming the session went to the inbox.
    const std::string session = session_;
    std::vector<Candidate> queued;
    while (auto m = ws_.waitFor(
               [&](const nlohmann::json& j) {
                   return stringField(j, "type") == "ice" && stringField(j, "session") == session;
               },
               std::chrono::milliseconds(0))) {
        Candidate c = candidateFrom(*m);
        if (!c.candidate.empty()) queued.push_back(std::move(c));
    }
    {
        std::lock_guard lock(state_->mutex);
        state_->remoteReady = true;
        for (auto& c : state_->remoteQueue) queued.push_back(std::move(c));
        state_->remoteQueue.clear();
    }
    for (const auto& c : queued) {
        g_signal_emit_by_name(webrtc_, "add-ice-candidate", c.mline, c.candidate.c_str());
    }
}

std::optional<nlohmann::json> SyncPublisher::request(nlohmann::json message) {
    const std::string type = stringField(message, "type");
    {
        std::lock_guard lock(state_->mutex);
        message["id"] = state_->idPrefix + "r" + std::to_string(++state_->nextId);
        state_->pendingRequestId = message["id"].get<std::string>();
    }
    try {
        nlohmann::json reply = ws_.request(std::move(message), kRequestTimeout);
        if (stringField(reply, "type") == "error") {
            state_->recordError(type + ": " + stringField(reply, "code"));
            return std::nullopt;
        }
        return reply;
    } catch (const std::exception&) {
        state_->recordError("timeout: no reply to " + type);
        return std::nullopt;
    }
}

std::optional<SyncSchedule> SyncPublisher::arm(std::chrono::milliseconds lead,
                                               std::chrono::milliseconds duration) {
    return armSchedule(*state_, pipelineRunningTime(pipeline_), lead, duration);
}

std::int64_t SyncPublisher::runningTimeNs() const {
    return pipelineRunningTime(pipeline_);
}

int SyncPublisher::flashesWritten() const {
    std::lock_guard lock(state_->mutex);
    return static_cast<int>(std::count(state_->flashed.begin(), state_->flashed.end(), true));
}

int SyncPublisher::beepsWritten() const {
    std::lock_guard lock(state_->mutex);
    return static_cast<int>(std::count(state_->beeped.begin(), state_->beeped.end(), true));
}

std::string SyncPublisher::lastError() const {
    std::lock_guard lock(state_->mutex);
    return state_->lastError;
}

bool SyncPublisher::waitConnected(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
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

bool SyncPublisher::waitForFrames(int n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(state_->mutex);
    return state_->cv.wait_for(lock, timeout, [&]() { return state_->framesSent >= n; });
}

void SyncPublisher::stop() {
    if (stopped_) return;
    stopped_ = true;
    if (listenerId_ != 0) ws_.removeListener(listenerId_);
    listenerId_ = 0;
    {
        std::lock_guard lock(state_->mutex);
        state_->stopped = true;
    }
    if (!session_.empty() && !ws_.closed()) {
        try {
            ws_.request(
                {{"type", "stop_media"}, {"id", state_->idPrefix + "stop"}, {"session", session_}},
                std::chrono::seconds(5));
        } catch (const std::exception&) {
        }
    }
    if (candidateHandler_ != 0) g_signal_handler_disconnect(webrtc_, candidateHandler_);
    candidateHandler_ = 0;
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
}

}  // namespace vigil::testing

namespace vigil::testing {

LocalRecording SyncPublisher::recordLocally(const std::string& path, std::chrono::milliseconds lead,
                                            std::chrono::milliseconds duration) {
    gst_init(nullptr, nullptr);
    LocalRecording out;
    auto state = std::make_shared<SyncPublisherState>();
    GError* error = nullptr;
    GstElement* pipeline = gst_parse_launch(fileDescription().c_str(), &error);
    if (error != nullptr) {
        out.error = std::string("gst: ") + error->message;
        g_clear_error(&error);
        if (pipeline != nullptr) gst_object_unref(pipeline);
        return out;
    }
    GstElement* file = gst_bin_get_by_name(GST_BIN(pipeline), "file");
    g_object_set(file, "location", path.c_str(), nullptr);
    gst_object_unref(file);
    addProbes(pipeline, state);
    GstBus* bus = gst_element_get_bus(pipeline);
    auto fail = [&](const std::string& text) {
        out.error = text;
        gst_element_set_state(pipeline, GST_STATE_NULL);
        gst_object_unref(bus);
        gst_object_unref(pipeline);
        return out;
    };
    if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        return fail("gst: the local pipeline does not start");
    }
    {
        std::unique_lock lock(state->mutex);
        if (!state->cv.wait_for(lock, kGstTimeout, [&]() { return state->framesSent > 0; })) {
            lock.unlock();
            return fail("timeout: no video frame encoded");
        }
    }
    auto schedule = armSchedule(*state, pipelineRunningTime(pipeline), lead, duration);
    if (!schedule) return fail("no raw video frame was seen");
    out.schedule = *schedule;
    const std::int64_t until = schedule->endNs() + kSecondNs;
    const auto deadline = std::chrono::steady_clock::now() + duration + lead + kGstTimeout;
    while (pipelineRunningTime(pipeline) < until) {
        if (std::chrono::steady_clock::now() > deadline) return fail("timeout: clock stalled");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    gst_element_send_event(pipeline, gst_event_new_eos());
    GstMessage* message = gst_bus_timed_pop_filtered(
        bus, GST_SECOND * 10, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    const bool eos = message != nullptr && GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS;
    if (message != nullptr) gst_message_unref(message);
    if (!eos) return fail("gst: the local recording did not finish");
    {
        std::lock_guard lock(state->mutex);
        out.flashes =
            static_cast<int>(std::count(state->flashed.begin(), state->flashed.end(), true));
    }
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(pipeline);
    return out;
}

}  // namespace vigil::testing
