#pragma once
// The one door between signaling and media. signaling/ holds a MediaService& and knows
// nothing of GStreamer; `vigil serve` passes the in-process GStreamer implementation, and a
// node running `--roles signaling` alone would pass a Redis request/reply client instead.
//
// Sessions are WebRTC peer connections. A publish session takes the browser's offer (the
// browser sends, the server receives); a view session is offered by the server (the server
// sends one publisher's stream to one viewer). Session ids are chosen by the caller and are
// unique per process. Every method is called on the event-loop thread, and every listener
// callback arrives on it.

#include <cstdint>
#include <string>
#include <vector>

#include "vigil/common/Task.hpp"

namespace vigil::media {

enum class RoomKind { Class, Call };
// main: a teacher's or a call party's camera or screen plus microphone, for viewers.
// camera: a subject's small presence camera in a class, for the officer and the frame tap only.
enum class StreamKind { Main, Camera };

// Inline: the interface library (vigil_media_api) has no sources of its own.
inline const char* toString(StreamKind kind) {
    return kind == StreamKind::Camera ? "camera" : "main";
}
inline const char* toString(RoomKind kind) {
    return kind == RoomKind::Call ? "call" : "class";
}

struct RoomSpec {
    std::string id;  // "class:c3", "call:k7": unique across kinds
    RoomKind kind{RoomKind::Class};
    std::string title;                      // for logs and recording metadata
    std::vector<std::string> participants;  // user ids known when the room opens
};

struct PublishRequest {
    std::string room;
    std::string session;
    std::string source;  // user id of the publisher
    StreamKind stream{StreamKind::Main};
    std::string offerSdp;
};

struct ViewRequest {
    std::string room;
    std::string session;
    std::string viewer;  // user id, for logs
    std::string source;  // the publisher's user id
    StreamKind stream{StreamKind::Main};
};

// One closed chunk of a recording: the file is complete, has its duration and index, and
// its digest was computed from the bytes on disk after the muxer finished with it.
//
// A room has one recording per publisher of a main stream (a class: its teacher; a call: each
// party), whose id is derived from the room and the publisher, so that it is the same
// recording however often the publisher comes back, in this process or the next. Each time
// the publisher (re)starts, the recording gets a new segment: chunks numbered from 0 in their
// own folder. A segment ends when its publisher leaves or the room closes.
struct RecordingChunk {
    std::string recording;  // recording id
    std::string room;
    RoomKind kind{RoomKind::Class};
    std::vector<std::string> participants;
    std::string source;  // user id of the publisher whose main stream this recording holds
    // The segment: wall clock (Unix ms) when its recorder started, unique within the
    // recording, so that segments sort in time. 0 for a recording without segments.
    std::int64_t segment{0};
    int index{0};      // within the segment, from 0
    std::string path;  // absolute
    std::string sha256;
    std::uint64_t bytes{0};
    std::int64_t startMs{0};  // wall clock (Unix ms) of the chunk's first and last media
    std::int64_t endMs{0};
    bool last{false};  // the segment ended with this chunk
    // The segment ended early with this chunk: the recording failed (implies last).
    bool interrupted{false};
};

// A decoded picture from a subject's camera, sampled at the configured interval. 8-bit BGR,
// tightly packed (stride = width * 3).
struct Frame {
    std::string room;
    std::string subject;
    int width{0};
    int height{0};
    std::int64_t capturedMs{0};  // wall clock when the server received it
    std::vector<std::uint8_t> bgr;
    bool burst{false};  // from a burstCamera() challenge, not a regular sample
};

// Receives sampled frames on a media streaming thread: it must only queue them.
class FrameSink {
public:
    virtual ~FrameSink() = default;
    virtual void onFrame(Frame frame) = 0;
};

// Events from media, on the event-loop thread.
class MediaListener {
public:
    virtual ~MediaListener() = default;
    // A local ICE candidate for the session's browser; empty candidate = end of candidates.
    virtual void onIceCandidate(const std::string& session, int mlineIndex,
                                const std::string& candidate) = 0;
    // A publisher's first media arrived: viewers may subscribe now.
    virtual void onPublisherReady(const std::string& room, const std::string& source,
                                  StreamKind stream) = 0;
    // A publisher's session ended or failed; its view sessions are closed already.
    virtual void onPublisherLeft(const std::string& room, const std::string& source,
                                 StreamKind stream, const std::string& reason) = 0;
    // A session ended without being asked to (ICE failed, the room failed).
    virtual void onSessionFailed(const std::string& session, const std::string& code,
                                 const std::string& reason) = 0;
    // The room's pipeline failed and was torn down; all its sessions are gone.
    virtual void onRoomFailed(const std::string& room, const std::string& reason) = 0;
    // A recording chunk was closed and hashed. Store it before anything else relies on it.
    virtual void onRecordingChunk(const RecordingChunk& chunk) = 0;
};

// Errors are thrown as common::ApiError with these stable codes:
//   bad_sdp            the SDP does not parse
//   no_media           the offer has no audio or video the server accepts
//   unknown_session    no such session (answer, ice or ice_restart for nothing)
//   publisher_exists   the room already has this publisher stream from someone else
//   no_publisher       subscribe to a stream nobody publishes now
//   unknown_room       no such room open
//   media_failed       the pipeline refused (logged with the room id)
class MediaService {
public:
    virtual ~MediaService() = default;

    virtual void setListener(MediaListener* listener) = 0;
    virtual void setFrameSink(FrameSink* sink) = 0;

    // Opens the room if it is not open yet (idempotent); when recording is on, each publisher
    // of a main stream is recorded from when its media arrives (a new segment each time).
    virtual common::Task<void> openRoom(RoomSpec spec) = 0;
    // Closes every session, ends the recordings' segments (their last chunks are reported
    // with `last`), frees the pipeline.
    virtual common::Task<void> closeRoom(std::string room) = 0;

    // Returns the answer SDP. Candidates follow through the listener.
    virtual common::Task<std::string> publish(PublishRequest request) = 0;
    // Returns the server's offer SDP; the browser answers with answer().
    virtual common::Task<std::string> view(ViewRequest request) = 0;
    virtual common::Task<void> answer(std::string session, std::string sdp) = 0;
    virtual common::Task<void> addIceCandidate(std::string session, int mlineIndex,
                                               std::string candidate) = 0;
    // View sessions: a fresh offer with new ICE credentials; the browser answers it.
    virtual common::Task<std::string> restartIce(std::string session) = 0;
    // Ends a session (publisher or viewer). Unknown ids are ignored.
    virtual common::Task<void> closeSession(std::string session) = 0;

    // Currently published streams of a room: (source, stream).
    virtual std::vector<std::pair<std::string, StreamKind>> publishers(
        const std::string& room) const = 0;

    // Delivers up to `fps` frames per second of the subject's camera for `durationMs` (a liveness
    // challenge), on top of the regular samples. Frames of a burst carry `burst = true`. Returns
    // false when the subject publishes no camera in that room. Runs on the loop.
    virtual bool burstCamera(const std::string& room, const std::string& subject, int fps,
                             int durationMs) = 0;
};

}  // namespace vigil::media
