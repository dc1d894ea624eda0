#pragma once
// Recordings' metadata in Redis: one record per recording (room, class or call, org unit,
// participants, the publisher it holds, time span, state), its segments (one per time the
// publisher started: span, chunks, state, the node that wrote it), one entry per closed chunk
// with its file's SHA-256, and indexes by time and by class or call. Media reports chunks;
// this store keeps them, audits each one, closes segments nobody will end as interrupted and
// re-hashes the files on demand. See Keys.hpp for the layout.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "vigil/common/Clock.hpp"
#include "vigil/common/RedisClient.hpp"
#include "vigil/common/Task.hpp"
#include "vigil/common/WorkerPool.hpp"
#include "vigil/media/MediaService.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Directory.hpp"

namespace vigil::signaling {

// recording: a segment is open (its publisher is live). complete: every segment ended
// normally (publisher left, class or call ended). interrupted: some segment was cut short (a
// crash, a restart, a failed recorder) and closed at its last stored chunk.
enum class RecordingState { Recording, Complete, Interrupted };

std::string toString(RecordingState state);

struct RecordedChunk {
    common::Millis segment{0};  // the segment's id (media::RecordingChunk::segment)
    int index{0};               // within the segment
    std::string path;
    std::string sha256;
    std::uint64_t bytes{0};
    common::Millis start{0};
    common::Millis end{0};
    int segmentNumber{0};  // 1-based position of the segment in the recording (chunks())

    // as stored: {segment, index, path, sha256, bytes, start, end}
    nlohmann::json toJson() const;
    // `segment` absent (chunks stored before segments): 0.
    static std::optional<RecordedChunk> fromJson(const std::string& text);
};

// One stretch of a recording: from a publisher (re)start to its leaving.
struct RecordingSegment {
    common::Millis id{0};
    int number{0};  // 1-based, in time order
    common::Millis start{0};
    common::Millis end{0};
    int chunkCount{0};
    int lastIndex{-1};  // index of its final chunk once ended
    RecordingState state{RecordingState::Recording};
    std::string node;  // the node that stored its chunks ("" when not known)

    // Ended, and every chunk up to the final one is stored.
    bool whole() const { return state != RecordingState::Recording && chunkCount == lastIndex + 1; }
};

struct Recording {
    std::string id;
    std::string room;  // "class:c3", "call:k7"
    media::RoomKind kind{media::RoomKind::Class};
    std::string classId;  // for a class recording
    std::string callId;   // for a call recording
    std::string unit;     // org unit of the class, or of the subject of the call
    std::vector<std::string> participants;
    // User id of the publisher whose audio and video this recording holds: a class's teacher,
    // or one party of a call (a call has one recording per party). Empty for a recording
    // stored without one.
    std::string source;
    common::Millis start{0};  // first chunk's start, last chunk's end
    common::Millis end{0};
    RecordingState state{RecordingState::Recording};
    int chunkCount{0};
    std::uint64_t bytes{0};
    std::vector<RecordingSegment> segments;  // in time order

    // State complete, and every segment's chunks are all stored.
    bool complete() const;
    // With `segments` as [{number, start, end, chunk_count, state}].
    nlohmann::json toJson(int utcOffsetMinutes) const;
};

struct ChunkCheck {
    enum class Status { Ok, Mismatch, Missing };
    int segment{1};        // the segment's number (1-based)
    int index{0};          // within the segment
    std::string path;      // empty when the chunk itself was never recorded
    std::string expected;  // recorded digest
    std::string actual;    // digest of the file now; empty when it cannot be read
    Status status{Status::Ok};
};

const char* toString(ChunkCheck::Status status);

struct RecordingQuery {
    std::string classId;  // non-empty: only this class's recordings
    std::string callId;   // non-empty: only this call's recordings
    std::string source;   // non-empty: only recordings of this publisher
    common::Millis from{0};
    common::Millis to{0};  // exclusive; 0: no upper bound
};

class RecordingStore {
public:
    RecordingStore(common::RedisClient& redis, Directory& directory, AuditLog& audit)
        : redis_(redis), directory_(directory), audit_(audit) {}

    // Stores one closed chunk and appends a `recording_chunk` audit entry with its digest.
    // The first chunk creates the recording, the first of a segment the segment; a chunk
    // with `last` ends its segment (interrupted with `interrupted`), and the recording is
    // complete once no segment is open. Idempotent per (recording, segment, index): a retry
    // stores nothing twice and audits once. The same chunk with different content is
    // refused (ApiError "conflict", audited). `unit` empty: the class's unit, or for a call
    // the unit of its subject (looked up through the directory). `node`: the node storing it,
    // whose end the recovery watches ("" for none). Throws ApiError bad_request for a chunk
    // that is not well formed.
    common::Task<void> addChunk(media::RecordingChunk chunk, std::string unit,
                                std::string node = "");

    common::Task<std::optional<Recording>> find(std::string id);
    // Chunks in playing order: by segment, then index.
    common::Task<std::vector<RecordedChunk>> chunks(std::string id);
    // Recordings with an open segment.
    common::Task<std::vector<Recording>> open();
    // Ends an open segment as interrupted at its last stored chunk and audits it
    // (`recording_interrupted`, actor "system", with `reason`). False when it was not open.
    common::Task<bool> interruptSegment(std::string id, common::Millis segment, std::string reason);
    // Recordings that started in [from, to), newest first.
    common::Task<std::vector<Recording>> list(RecordingQuery query);
    // Re-hashes every chunk's file; one check per chunk index of each segment up to its
    // last one known, a gap in the indexes reported as Missing. Hashing runs on `pool` when given
    // (files are large: keep it off the event loop in a server), else on the calling thread. Throws
    // ApiError not_found for an unknown recording.
    common::Task<std::vector<ChunkCheck>> verify(std::string id,
                                                 common::WorkerPool* pool = nullptr);

    // Letters, digits, '-' and '_', 1 to 64 characters.
    static bool validId(const std::string& id);

private:
    common::Task<std::string> unitOf(const media::RecordingChunk& chunk,
                                     const std::string& ownerId);

    common::RedisClient& redis_;  // Passed by argument.
    Directory& directory_;        // Passed by argument.
    AuditLog& audit_;             // Passed by argument.
};

// "class:c3" -> "c3": the class or call id a room id names (the room id itself when it has
// no known prefix).
std::string roomOwnerId(const std::string& room);

}  // namespace vigil::signaling
