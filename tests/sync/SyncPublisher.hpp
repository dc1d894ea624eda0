#pragma once
// A WebRTC publisher (GStreamer webrtcbin, VP8 + Opus) whose picture is black except for a
// white flash and whose sound is silent except for a 1 kHz beep, both at the instants of one
// SyncSchedule. The flash and the beep are written into the raw frames and samples by pad
// probes from each buffer's running time, so they share the pipeline clock exactly as the
// timestamps that go onto the wire do.
//
// It negotiates with Vigil's media role over the WebSocket protocol (`offer`, trickled
// `ice`, `stop_media`) like MediaPeer's publisher. Driven from the test thread; every wait
// has a timeout. Must be destroyed before the WsClient it was given.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "SyncSchedule.hpp"
#include "WsClient.hpp"

typedef struct _GstElement GstElement;

namespace vigil::testing {

struct SyncPublisherState;

struct LocalRecording {
    SyncSchedule schedule;
    int flashes{0};     // Events whose flash was written.
    std::string error;  // Empty on success.
};

class SyncPublisher {
public:
    static constexpr int kWidth = 320;
    static constexpr int kHeight = 240;
    static constexpr int kFps = 30;
    static constexpr int kSampleRate = 48000;

    // Publishes `main` in the connection's class. Never throws: on failure lastError() is set.
    static std::unique_ptr<SyncPublisher> publish(WsClient& ws);

    // The same picture and sound encoded the same way, written straight into one WebM file
    // with no network and no server in between: the reference a recording is judged against.
    static LocalRecording recordLocally(const std::string& path, std::chrono::milliseconds lead,
                                        std::chrono::milliseconds duration);

    ~SyncPublisher();
    SyncPublisher(const SyncPublisher&) = delete;
    SyncPublisher& operator=(const SyncPublisher&) = delete;

    // The first failure ("gst: ...", "sdp: ...", "timeout: ...", or a server error code).
    std::string lastError() const;
    bool waitConnected(std::chrono::milliseconds timeout);
    // Encoded video frames sent >= n.
    bool waitForFrames(int n, std::chrono::milliseconds timeout);

    // Starts flashing and beeping `lead` from now, for `duration`: events on the video frame
    // grid, so that each flash starts exactly at its event. Returns the schedule, or nothing
    // if no video frame has been produced yet.
    std::optional<SyncSchedule> arm(std::chrono::milliseconds lead,
                                    std::chrono::milliseconds duration);
    // The pipeline's running time now, in nanoseconds (-1 when not playing).
    std::int64_t runningTimeNs() const;
    // Events whose flash (beep) was written into at least one frame (sample).
    int flashesWritten() const;
    int beepsWritten() const;

    // Sends stop_media (reply not checked) and stops the pipeline. Idempotent.
    void stop();

private:
    explicit SyncPublisher(WsClient& ws);
    bool start();
    std::optional<nlohmann::json> request(nlohmann::json message);
    void registerListener();
    void addRemoteCandidates();

    WsClient& ws_;                               // Passed by argument.
    std::shared_ptr<SyncPublisherState> state_;  // Owned; callbacks hold weak refs.
    GstElement* pipeline_{nullptr};              // Owned.
    GstElement* webrtc_{nullptr};                // Owned ref (the pipeline owns the element).
    unsigned long candidateHandler_{0};
    int listenerId_{0};
    std::string session_;
    bool stopped_{false};
};

}  // namespace vigil::testing
