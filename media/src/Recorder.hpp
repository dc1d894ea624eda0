#pragma once
// Records one segment of a publisher's encoded audio and video, without re-encoding, into
// WebM (VP8) or Matroska (H.264) chunks through splitmuxsink: one Recorder per publisher
// session, each in its own folder <dir>/<recording>/<segment>/ with chunks numbered from 0.
// Each chunk is a complete file: the muxer finishes it (duration, cues) before the next one
// starts, so a crash loses at most the chunk being written. Closed chunks are hashed off the
// loop thread and reported through the listener with their wall-clock span; the segment's
// final chunk carries `last` (and `interrupted` when the recording failed).
//
// The muxer runs in a pipeline of its own, fed through appsink/appsrc on the room's clock
// (timestamps unchanged, so audio and video stay in sync): whatever goes wrong in the
// recording stops the recording, never the class it records.

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "Publisher.hpp"

namespace vigil::media::detail {

// One recording: the successive segments of one publisher in a room.
struct RecordingInfo {
    std::string id;
    std::string room;
    RoomKind kind{RoomKind::Class};
    std::vector<std::string> participants;
};

class Recorder {
public:
    // `segment`: unique within the recording (see RecordingChunk::segment).
    Recorder(Context& ctx, GstElement* pipeline, std::shared_ptr<RecordingInfo> info,
             Publisher& publisher, std::int64_t segment);
    ~Recorder();
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    // A message from the recorder's own pipeline.
    void handleMessage(GstMessage* message);
    // The publisher has left: end the segment. Waits for its last chunk to close (or gives
    // up after a while), reports it with `last`, then frees the elements and calls
    // `finished` on the loop.
    void finish(std::function<void()> finished);
    bool finishing() const { return finishing_; }

private:
    void reportChunk(const std::string& path, std::int64_t startMs, std::int64_t endMs, bool last,
                     bool interrupted = false);
    void release();

    Context& ctx_;
    GstElement* pipeline_;  // Not owned.
    std::shared_ptr<RecordingInfo> info_;
    std::string source_;  // the publisher's user id
    std::int64_t segment_;
    int nextIndex_{0};
    GstElement* recordPipeline_{nullptr};  // Owned.
    GSource* busWatch_{nullptr};           // Owned.
    GstElement* mux_{nullptr};
    std::vector<GstElement*> sources_;  // appsrc per track, in recordPipeline_
    std::vector<GstElement*> queues_;   // queue + appsink per track, in the room's pipeline
    std::vector<TeeLink> links_;
    std::map<std::string, std::int64_t> openedAt_;  // location -> wall ms
    std::map<std::string, int> indexOf_;
    // Chunks closed while finishing, reported at end of stream so that the final one is
    // marked last: (location, start, end).
    std::vector<std::tuple<std::string, std::int64_t, std::int64_t>> held_;
    // Reports the held chunks; the final one ends the segment when `ending`.
    void reportHeld(bool ending, bool interrupted);
    bool finishing_{false};
    bool ended_{false};  // a chunk with `last` was reported
    bool released_{false};
    std::function<void()> finished_;
    common::Timer giveUp_;
    common::Timer keyFrames_;
};

}  // namespace vigil::media::detail
