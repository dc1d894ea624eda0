#include "vigil/media/GstMediaService.hpp"

#include <algorithm>
#include <mutex>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "Room.hpp"
#include "vigil/common/Crypto.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/common/Log.hpp"

namespace vigil::media {

using common::ApiError;
using common::Task;
using detail::MediaFailure;
using detail::Room;

namespace {
VIGIL_LOG_CATEGORY(gstMediaServiceLog, "media")

constexpr const char* kRequiredElements[] = {
    "webrtcbin",    "nicesrc",      "dtlssrtpenc", "srtpenc",      "rtpvp8depay", "rtpvp8pay",
    "rtph264depay", "h264parse",    "rtph264pay",  "rtpopusdepay", "rtpopuspay",  "tee",
    "queue",        "splitmuxsink", "webmmux",     "matroskamux",  "vp8dec",      "avdec_h264",
    "videoconvert", "appsink",      "fakesink",
};

constexpr int kMaxBurstFps = 30;
constexpr int kMaxBurstMs = 60000;

// The recording of `source`'s main stream in `room`: derived from both, so that it is the
// same recording however often the publisher comes back, in this process or the next (see
// RecordingChunk). Room and user ids hold no newline; 20 hex digits keep the id short for
// folder names and URLs, with no collision between rooms in practice.
std::string recordingIdFor(const std::string& room, const std::string& source) {
    return "r" + common::sha256Hex(room + "\n" + source).substr(0, 20);
}

class GstMediaService final : public MediaService {
public:
    GstMediaService(common::EventLoop& loop, MediaOptions options)
        : ctx_(std::make_unique<detail::Context>(loop, std::move(options))) {}

    ~GstMediaService() override {
        rooms_.clear();
        *ctx_->alive = false;
    }

    void setListener(MediaListener* listener) override { ctx_->listener = listener; }
    void setFrameSink(FrameSink* sink) override {
        std::lock_guard lock(ctx_->sinkMutex);
        ctx_->frameSink = sink;
    }

    Task<void> openRoom(RoomSpec spec) override {
        auto it = rooms_.find(spec.id);
        if (it != rooms_.end()) {
            for (const auto& p : spec.participants) addParticipant(*it->second, p);
            co_return;
        }
        std::string id = spec.id;
        try {
            auto room = std::make_unique<Room>(*ctx_, std::move(spec),
                                               [this, id](GstMessage* m) { onBusMessage(id, m); });
            rooms_.emplace(id, std::move(room));
        } catch (const MediaFailure& e) {
            gstMediaServiceLog()->error("room {}: {}", id, e.what());
            throw ApiError("media_failed", "the media server could not open the room");
        }
    }

    Task<void> closeRoom(std::string roomId) override {
        auto it = rooms_.find(roomId);
        if (it == rooms_.end()) co_return;
        Room& room = *it->second;
        std::vector<std::string> sessions;
        for (const auto& [id, p] : room.publishers) sessions.push_back(id);
        for (const auto& id : sessions) removePublisher(room, id, "room_closed");
        for (auto& [id, viewer] : room.viewers) {
            viewer->dropNow();
            sessions_.erase(id);
        }
        room.viewers.clear();
        // The pipeline lives on until the recorders have closed their last chunks.
        if (room.finishing.empty()) {
            rooms_.erase(it);
        } else {
            closing_.insert(roomId);
        }
        co_return;
    }

    Task<std::string> publish(PublishRequest request) override {
        Room& room = requireRoom(request.room);
        if (auto existing = room.publisherOf(request.source, request.stream)) {
            removePublisher(room, existing->session(), "replaced");
        } else if (request.stream == StreamKind::Main && room.spec.kind == RoomKind::Class) {
            for (const auto& [id, p] : room.publishers) {
                if (p->request().stream == StreamKind::Main)
                    throw ApiError("publisher_exists",
                                   "someone else is already publishing to this class");
            }
        }
        std::string roomId = request.room;
        std::string session = request.session;
        addParticipant(room, request.source);
        auto publisher = std::make_shared<detail::Publisher>(
            *ctx_, room.pipeline, request,
            [this, roomId, session]() { onPublisherReady(roomId, session); },
            [this, roomId, session](const std::string& reason) {
                sessionFailed(roomId, session, reason);
            });
        room.publishers[session] = publisher;
        sessions_[session] = roomId;
        std::string answer;
        try {
            answer = co_await publisher->negotiate(request.offerSdp);
        } catch (const ApiError&) {
            dropSession(roomId, session);
            throw;
        } catch (const std::exception& e) {
            gstMediaServiceLog()->warn("room {} session {}: publish failed: {}", roomId, session,
                                       e.what());
            dropSession(roomId, session);
            throw ApiError("bad_sdp", std::string("the offer was refused: ") + e.what());
        }
        if (sessions_.find(session) == sessions_.end())
            throw ApiError("unknown_session", "the session ended while it was being set up");
        gstMediaServiceLog()->info("room {} session {}: {} publishes {}", roomId, session,
                                   request.source, toString(request.stream));
        co_return answer;
    }

    Task<std::string> view(ViewRequest request) override {
        if (rooms_.find(request.room) == rooms_.end() || closing_.count(request.room) != 0)
            throw ApiError("no_publisher", "nobody publishes in this room now");
        Room& room = requireRoom(request.room);
        auto source = room.publisherOf(request.source, request.stream);
        if (!source || !source->isReady())
            throw ApiError("no_publisher", "nobody publishes that stream now");
        std::string roomId = request.room;
        std::string session = request.session;
        addParticipant(room, request.viewer);
        auto viewer =
            std::make_shared<detail::Viewer>(*ctx_, room.pipeline, request, source,
                                             [this, roomId, session](const std::string& reason) {
                                                 sessionFailed(roomId, session, reason);
                                             });
        room.viewers[session] = viewer;
        sessions_[session] = roomId;
        std::string offer;
        try {
            offer = co_await viewer->start();
        } catch (const std::exception& e) {
            gstMediaServiceLog()->warn("room {} session {}: view failed: {}", roomId, session,
                                       e.what());
            dropSession(roomId, session);
            throw ApiError("media_failed", "the stream could not be set up; try again");
        }
        if (sessions_.find(session) == sessions_.end())
            throw ApiError("no_publisher", "the publisher left while the stream was being set up");
        co_return offer;
    }

    Task<void> answer(std::string session, std::string sdp) override {
        auto viewer = findViewer(session);
        if (!viewer) throw ApiError("unknown_session", "no view session '" + session + "'");
        try {
            co_await viewer->applyAnswer(sdp);
        } catch (const ApiError& e) {
            gstMediaServiceLog()->info("session {}: answer refused ({}): {}", session, e.what(),
                                       sdp);
            throw;
        } catch (const std::exception& e) {
            throw ApiError("bad_sdp", std::string("the answer was refused: ") + e.what());
        }
    }

    Task<void> addIceCandidate(std::string session, int mlineIndex,
                               std::string candidate) override {
        if (auto viewer = findViewer(session)) {
            viewer->addIceCandidate(mlineIndex, candidate);
            co_return;
        }
        if (auto publisher = findPublisher(session)) {
            publisher->addIceCandidate(mlineIndex, candidate);
            co_return;
        }
        throw ApiError("unknown_session", "no media session '" + session + "'");
    }

    Task<std::string> restartIce(std::string session) override {
        auto viewer = findViewer(session);
        if (!viewer) {
            if (findPublisher(session))
                throw ApiError("bad_request", "a publisher restarts by sending a new offer");
            throw ApiError("unknown_session", "no view session '" + session + "'");
        }
        try {
            std::string offer = co_await viewer->restart();
            co_return offer;
        } catch (const std::exception& e) {
            gstMediaServiceLog()->warn("session {}: ICE restart failed: {}", session, e.what());
            throw ApiError("media_failed", "the stream could not be restarted");
        }
    }

    Task<void> closeSession(std::string session) override {
        auto it = sessions_.find(session);
        if (it == sessions_.end()) co_return;
        dropSession(it->second, session);
        co_return;
    }

    std::vector<std::pair<std::string, StreamKind>> publishers(
        const std::string& roomId) const override {
        std::vector<std::pair<std::string, StreamKind>> out;
        auto it = rooms_.find(roomId);
        if (it == rooms_.end()) return out;
        for (const auto& [id, p] : it->second->publishers) {
            if (p->isReady()) out.emplace_back(p->request().source, p->request().stream);
        }
        return out;
    }

    // Non-positive values ask for nothing and return false. The rate and length are capped
    // (kMaxBurstFps, kMaxBurstMs): a burst decodes every frame, and one caller must not be
    // able to keep decoders busy for long.
    bool burstCamera(const std::string& roomId, const std::string& subject, int fps,
                     int durationMs) override {
        if (fps <= 0 || durationMs <= 0 || closing_.count(roomId) != 0) return false;
        Room* room = findRoom(roomId);
        if (room == nullptr) return false;
        auto publisher = room->publisherOf(subject, StreamKind::Camera);
        if (!publisher) return false;
        // The tap exists once the camera is ready; before that there is nothing to decode.
        auto tap = room->taps.find(publisher->session());
        if (tap == room->taps.end()) return false;
        tap->second->burst(std::min(fps, kMaxBurstFps), std::min(durationMs, kMaxBurstMs));
        return true;
    }

private:
    Room& requireRoom(const std::string& id) {
        auto it = rooms_.find(id);
        if (it == rooms_.end() || closing_.count(id) != 0)
            throw ApiError("unknown_room", "the room '" + id + "' is not open on this media node");
        return *it->second;
    }

    Room* findRoom(const std::string& id) {
        auto it = rooms_.find(id);
        return it == rooms_.end() ? nullptr : it->second.get();
    }

    std::shared_ptr<detail::Viewer> findViewer(const std::string& session) {
        auto it = sessions_.find(session);
        if (it == sessions_.end()) return nullptr;
        Room* room = findRoom(it->second);
        if (room == nullptr) return nullptr;
        auto v = room->viewers.find(session);
        return v == room->viewers.end() ? nullptr : v->second;
    }

    std::shared_ptr<detail::Publisher> findPublisher(const std::string& session) {
        auto it = sessions_.find(session);
        if (it == sessions_.end()) return nullptr;
        Room* room = findRoom(it->second);
        if (room == nullptr) return nullptr;
        auto p = room->publishers.find(session);
        return p == room->publishers.end() ? nullptr : p->second;
    }

    static void addParticipant(Room& room, const std::string& user) {
        auto& list = room.spec.participants;
        if (std::find(list.begin(), list.end(), user) == list.end()) list.push_back(user);
        for (auto& [key, recording] : room.recordings) {
            auto& rec = recording->participants;
            if (std::find(rec.begin(), rec.end(), user) == rec.end()) rec.push_back(user);
        }
    }

    // By value: callers pass strings that live in sessions_, which this erases.
    void dropSession(std::string roomId, std::string session) {
        sessions_.erase(session);
        Room* room = findRoom(roomId);
        if (room == nullptr) return;
        if (room->publishers.count(session) != 0) {
            removePublisher(*room, session, "stopped");
            return;
        }
        auto v = room->viewers.find(session);
        if (v != room->viewers.end()) {
            v->second->stop();
            room->viewers.erase(v);
        }
    }

    void removePublisher(Room& room, std::string session, std::string reason) {
        auto it = room.publishers.find(session);
        if (it == room.publishers.end()) return;
        auto publisher = it->second;
        room.publishers.erase(it);
        sessions_.erase(session);
        for (auto v = room.viewers.begin(); v != room.viewers.end();) {
            if (v->second->sourceSession() == session) {
                v->second->dropNow();
                sessions_.erase(v->first);
                v = room.viewers.erase(v);
            } else {
                ++v;
            }
        }
        if (auto tap = room.taps.find(session); tap != room.taps.end()) {
            tap->second->stop();
            room.taps.erase(tap);
        }
        bool wasReady = publisher->isReady();
        publisher->stop();
        if (auto rec = room.recorders.find(session); rec != room.recorders.end()) {
            auto* recorder = rec->second.get();
            room.finishing.push_back(std::move(rec->second));
            room.recorders.erase(rec);
            std::string roomId = room.spec.id;
            // The segment ends whether the publisher left or the room closed; a publisher
            // that comes back starts a new segment of the same recording.
            recorder->finish([this, roomId, recorder]() { recorderDone(roomId, recorder); });
        }
        if (wasReady && ctx_->listener != nullptr) {
            ctx_->listener->onPublisherLeft(room.spec.id, publisher->request().source,
                                            publisher->request().stream, reason);
        }
    }

    void recorderDone(const std::string& roomId, detail::Recorder* recorder) {
        Room* room = findRoom(roomId);
        if (room == nullptr) return;
        auto& list = room->finishing;
        list.erase(std::remove_if(list.begin(), list.end(),
                                  [recorder](const auto& r) { return r.get() == recorder; }),
                   list.end());
        if (list.empty() && closing_.count(roomId) != 0) {
            closing_.erase(roomId);
            rooms_.erase(roomId);
        }
    }

    void onPublisherReady(const std::string& roomId, const std::string& session) {
        Room* room = findRoom(roomId);
        if (room == nullptr) return;
        auto it = room->publishers.find(session);
        if (it == room->publishers.end()) return;
        auto publisher = it->second;
        const auto& req = publisher->request();
        try {
            if (req.stream == StreamKind::Camera) {
                room->taps[session] =
                    std::make_unique<detail::CameraTap>(*ctx_, room->pipeline, roomId, publisher);
            } else if (ctx_->options.record && room->recorders.count(session) == 0) {
                // A class records its teacher; a call records each party, side by side in
                // time, as one recording per party under the same call. Each publisher
                // session is a new segment of that recording.
                auto& recording = room->recordings[req.source];
                if (!recording) {
                    recording = std::make_shared<detail::RecordingInfo>();
                    recording->id = recordingIdFor(roomId, req.source);
                    recording->room = roomId;
                    recording->kind = room->spec.kind;
                    recording->participants = room->spec.participants;
                }
                room->recorders[session] = std::make_unique<detail::Recorder>(
                    *ctx_, room->pipeline, recording, *publisher, nextSegment());
            }
        } catch (const std::exception& e) {
            gstMediaServiceLog()->error("room {} session {}: {}", roomId, session, e.what());
        }
        if (ctx_->listener != nullptr)
            ctx_->listener->onPublisherReady(roomId, req.source, req.stream);
    }

    void sessionFailed(std::string roomId, std::string session, std::string reason) {
        if (sessions_.find(session) == sessions_.end()) return;
        gstMediaServiceLog()->warn("room {} session {}: failed: {}", roomId, session, reason);
        Room* room = findRoom(roomId);
        if (room != nullptr && room->publishers.count(session) != 0) {
            removePublisher(*room, session, reason);
        } else {
            dropSession(roomId, session);
        }
        sessions_.erase(session);
        if (ctx_->listener != nullptr)
            ctx_->listener->onSessionFailed(session, "media_failed", reason);
    }

    void onBusMessage(const std::string& roomId, GstMessage* message) {
        Room* room = findRoom(roomId);
        if (room == nullptr) return;
        switch (GST_MESSAGE_TYPE(message)) {
            case GST_MESSAGE_ERROR: {
                GError* err = nullptr;
                gchar* debug = nullptr;
                gst_message_parse_error(message, &err, &debug);
                std::string text = err != nullptr ? err->message : "unknown error";
                gstMediaServiceLog()->error("room {}: error from {}: {} ({})", roomId,
                                            GST_OBJECT_NAME(GST_MESSAGE_SRC(message)), text,
                                            debug != nullptr ? debug : "");
                if (err != nullptr) g_error_free(err);
                g_free(debug);
                std::string session = room->sessionOf(message);
                GstObject* src = GST_MESSAGE_SRC(message);
                if (session.empty() && src != GST_OBJECT(room->pipeline) &&
                    !gst_object_has_as_ancestor(src, GST_OBJECT(room->pipeline))) {
                    // From an element already removed (a session torn down by an earlier
                    // error): nothing of the room's is affected.
                    break;
                }
                if (!session.empty()) {
                    sessionFailed(roomId, session, text);
                } else {
                    failRoom(roomId, text);
                }
                break;
            }
            case GST_MESSAGE_WARNING: {
                GError* err = nullptr;
                gst_message_parse_warning(message, &err, nullptr);
                gstMediaServiceLog()->warn("room {}: warning from {}: {}", roomId,
                                           GST_OBJECT_NAME(GST_MESSAGE_SRC(message)),
                                           err != nullptr ? err->message : "");
                if (err != nullptr) g_error_free(err);
                break;
            }
            case GST_MESSAGE_EOS:
                gstMediaServiceLog()->debug("room {}: end of stream", roomId);
                break;
            default:
                break;
        }
    }

    void failRoom(const std::string& roomId, const std::string& reason) {
        auto it = rooms_.find(roomId);
        if (it == rooms_.end()) return;
        for (const auto& [id, p] : it->second->publishers) sessions_.erase(id);
        for (const auto& [id, v] : it->second->viewers) sessions_.erase(id);
        // Destroyed later: this runs inside the room's own bus callback.
        auto room = std::shared_ptr<Room>(std::move(it->second));
        rooms_.erase(it);
        closing_.erase(roomId);
        ctx_->loop.defer([room]() mutable { room.reset(); });
        if (ctx_->listener != nullptr) ctx_->listener->onRoomFailed(roomId, reason);
    }

    // A new segment id: the wall clock, but always later than the previous one, so that two
    // segments of one recording never share a folder.
    std::int64_t nextSegment() {
        lastSegment_ = std::max(lastSegment_ + 1, detail::wallMillis());
        return lastSegment_;
    }

    std::unique_ptr<detail::Context> ctx_;
    std::int64_t lastSegment_{0};
    std::unordered_map<std::string, std::unique_ptr<Room>> rooms_;
    std::set<std::string> closing_;
    std::unordered_map<std::string, std::string> sessions_;  // session -> room
};

}  // namespace

MediaOptions mediaOptionsFrom(const common::Config& config) {
    MediaOptions o;
    o.record = config.recording.enabled;
    o.recordDir = config.recording.dir;
    o.chunkSeconds = config.recording.chunkSeconds;
    o.jitterMs = config.media.jitterMs;
    o.keyframeMinIntervalMs = config.media.keyframeMinIntervalMs;
    o.sampleSeconds = config.media.sampleSeconds;
    o.portMin = config.media.portMin;
    o.portMax = config.media.portMax;
    o.iceAddresses = config.media.iceAddresses;
    return o;
}

void initGStreamer() {
    static std::once_flag once;
    std::call_once(once, []() { gst_init(nullptr, nullptr); });
    std::string missing;
    for (const char* name : kRequiredElements) {
        GstElementFactory* factory = gst_element_factory_find(name);
        if (factory == nullptr) {
            missing += missing.empty() ? name : std::string(", ") + name;
        } else {
            gst_object_unref(factory);
        }
    }
    if (!missing.empty())
        throw std::runtime_error("GStreamer elements missing: " + missing +
                                 " (run scripts/setup to install the plugins)");
}

std::unique_ptr<MediaService> makeGstMediaService(common::EventLoop& loop, MediaOptions options) {
    initGStreamer();
    if (options.iceAddresses.empty()) {
        gstMediaServiceLog()->info(
            "ICE gathers on every address of this host (media.ice_addresses empty)");
    } else {
        std::string list;
        for (const auto& a : options.iceAddresses) list += (list.empty() ? "" : ", ") + a;
        gstMediaServiceLog()->info("ICE gathers only on {}", list);
    }
    return std::make_unique<GstMediaService>(loop, std::move(options));
}

}  // namespace vigil::media
