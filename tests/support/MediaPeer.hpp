#pragma once
// A real WebRTC peer (GStreamer webrtcbin) that negotiates with Vigil's media role over the
// WebSocket protocol (offer/subscribe/answer/ice/ice_restart/stop_media), so integration
// tests can publish test patterns and count what a viewer decodes.
//
// Everything is driven from the test thread; every wait has a timeout. ICE candidates from
// the server are routed by a WsClient listener (`ice` pushes whose `session` is this peer's)
// and applied as they arrive; replies to the peer's own `ice` messages are consumed too (an
// error among them becomes lastError()). All other messages stay in the WsClient inbox.
// A MediaPeer must be destroyed before the WsClient it was given.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "WsClient.hpp"

typedef struct _GstElement GstElement;

namespace vigil::testing {

// The video is a videotestsrc pattern unless imageSequence or stillImage names JPEG files;
// whatever the source, it is scaled (keeping its aspect, with borders) and its frame rate
// converted to width x height at fps before the overlay, the stamp and the encoder.
struct PeerOptions {
    int width = 320;
    int height = 240;
    int fps = 15;
    int videoBitrateKbps = 300;
    bool audio = true;
    bool h264 = false;              // x264enc if installed, otherwise openh264enc.
    std::string pattern = "smpte";  // videotestsrc pattern nick; unused with an image source.
    // A multifilesrc location pattern of JPEG frames recorded at 10 fps, played in a loop in
    // real time, e.g. testdataPath("video/cap12/%05d.jpg"). Takes precedence over stillImage.
    std::string imageSequence;
    // One JPEG file shown as a live video of a still picture.
    std::string stillImage;
    bool clockOverlay = false;  // Ignored when no overlay element is installed.
    // Writes the wall-clock time (CLOCK_REALTIME, ms) into every raw frame before the encoder
    // as 48 black or white 16x16 blocks across the top rows, for a viewer with
    // ViewOptions::readStamps to measure glass-to-glass latency. Needs width >= 768. Works
    // with an image source too: the blocks cover the top rows of the picture.
    bool stampTime = false;
    // Publishes the camera of this self-service check-in (the offer's "checkin") when set.
    std::string checkin;
};

struct ViewOptions {
    // false: received video frames are only counted (the RTP marker bit ends each frame) and
    // nothing is decoded, so that one process can hold many viewers.
    bool decode = true;
    // Reads the publisher's stamp (PeerOptions::stampTime) from each decoded frame; only
    // with decode.
    bool readStamps = false;
};

struct MediaPeerState;

class MediaPeer {
public:
    // Publishes a live test pattern (and a sine tone) as `stream`, in `call` if not empty.
    // Never throws: on failure the returned peer has lastError() set and no session.
    static std::unique_ptr<MediaPeer> publish(WsClient& ws, const std::string& stream,
                                              PeerOptions opts = {}, const std::string& call = "");
    // Views `source`'s `stream` (an empty `source` leaves it out: the room's default
    // publisher). Never throws: on failure lastError() is set.
    static std::unique_ptr<MediaPeer> subscribe(WsClient& ws, const std::string& source,
                                                const std::string& stream = "main",
                                                const std::string& call = "",
                                                ViewOptions view = {});

    ~MediaPeer();
    MediaPeer(const MediaPeer&) = delete;
    MediaPeer& operator=(const MediaPeer&) = delete;

    const std::string& session() const { return session_; }
    bool isPublisher() const { return publisher_; }
    // The first failure: a server error reply's `code` (e.g. "publisher_exists"), or
    // "gst: ...", "timeout: ..." or "sdp: ..." for local failures. Empty if none.
    std::string lastError() const;

    int videoFramesSent() const;       // Buffers leaving the video encoder (publisher).
    long long videoBytesSent() const;  // Their bytes.
    // Key frames among them: the first one, then only those the server asked for (PLI).
    int keyFramesSent() const;
    int videoFramesDecoded() const;  // Decoded video frames (viewer).
    int audioBuffersDecoded() const;
    // Video frames whose last RTP packet arrived (viewer), decoded or not.
    int videoFramesReceived() const;
    // Viewer with readStamps: milliseconds from each stamp to its frame leaving the decoder,
    // since the previous call; and the decoded frames whose stamp could not be read.
    std::vector<double> takeLatencySamples();
    int unreadableStamps() const;
    // Milliseconds from the start of subscribe() (the request being sent) to the first decoded
    // video frame, or -1 if none yet.
    long long firstFrameMs() const;

    // Viewer: decoded (without decode: received) video frames >= n; publisher: encoded frames
    // sent >= n.
    bool waitForFrames(int n, std::chrono::milliseconds timeout);
    // ICE connection state is connected or completed.
    bool waitConnected(std::chrono::milliseconds timeout);

    // Viewer only: sends ice_restart and answers the new offer from a new webrtcbin, as a
    // browser does with a new RTCPeerConnection. Failures go to lastError().
    void restartIce();
    // Sends stop_media (if tellServer and there is a session; its reply is not checked) and
    // takes the pipeline down to NULL. Idempotent; the destructor calls stop().
    void stop(bool tellServer = true);

private:
    MediaPeer(WsClient& ws, bool publisher);

    bool startPublisher(const std::string& stream, const PeerOptions& opts,
                        const std::string& call);
    bool startViewer(const std::string& source, const std::string& stream, const std::string& call,
                     const ViewOptions& view);
    bool buildViewerPipeline();
    bool answerOffer(const std::string& offerSdp);
    bool applyRemote(const std::string& sdp, bool isOffer);
    void connectWebrtcSignals();
    void registerListener();
    void drainQueuedCandidates();
    void setReadyForRemoteCandidates();
    void flushRemoteCandidates();
    void setReadyToSendCandidates();
    // Sends a request with this peer's id; returns the reply or nothing (lastError set).
    std::optional<nlohmann::json> request(nlohmann::json message);
    void fail(const std::string& error);
    void teardown();

    WsClient& ws_;  // Passed by argument.
    const bool publisher_;
    std::string session_;
    std::shared_ptr<MediaPeerState> state_;  // Owned; GStreamer callbacks hold weak refs.
    GstElement* pipeline_{nullptr};          // Owned.
    GstElement* webrtc_{nullptr};            // Owned ref (the pipeline owns the element).
    std::vector<unsigned long> webrtcHandlers_;
    int listenerId_{0};
    bool stopped_{false};
};

}  // namespace vigil::testing
