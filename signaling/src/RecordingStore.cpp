#include "vigil/signaling/RecordingStore.hpp"

#include <algorithm>

#include "vigil/common/Crypto.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Millis;
using common::Task;
using nlohmann::json;

namespace {
VIGIL_LOG_CATEGORY("recordings")

// Stores one chunk and updates its recording, atomically. A chunk index already stored with
// the same JSON is a retry (0); with other JSON, a conflict (-1) that changes nothing.
//
// KEYS: recording, chunks, participants, all recordings, recordings of the class or call.
// ARGV: id, index, chunk JSON, room, kind, class, call, unit, start, end, bytes,
//       last ("1" | "0"), now, source, participant ids...
// The recording's source is the first one a chunk names; a record stored without one has
// no `source` field.
const char* kAddChunkScript = R"lua(
local existing = redis.call('HGET', KEYS[2], ARGV[2])
if existing then
  if existing == ARGV[3] then return 0 end
  return -1
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
local start = ARGV[9]
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'id', ARGV[1], 'room', ARGV[4], 'kind', ARGV[5], 'class', ARGV[6],
             'call', ARGV[7], 'unit', ARGV[8], 'start', ARGV[9], 'end', ARGV[10],
             'state', 'recording', 'chunks', '0', 'bytes', '0', 'created_at', ARGV[13])
else
  local s = redis.call('HGET', KEYS[1], 'start')
  if not s or tonumber(ARGV[9]) < tonumber(s) then
    redis.call('HSET', KEYS[1], 'start', ARGV[9])
  else
    start = s
  end
  local e = redis.call('HGET', KEYS[1], 'end')
  if not e or tonumber(ARGV[10]) > tonumber(e) then redis.call('HSET', KEYS[1], 'end', ARGV[10]) end
end
if ARGV[14] ~= '' and (redis.call('HGET', KEYS[1], 'source') or '') == '' then
  redis.call('HSET', KEYS[1], 'source', ARGV[14])
end
redis.call('HINCRBY', KEYS[1], 'chunks', 1)
redis.call('HINCRBY', KEYS[1], 'bytes', ARGV[11])
if ARGV[12] == '1' then
  redis.call('HSET', KEYS[1], 'state', 'finished', 'last_index', ARGV[2])
end
for i = 15, #ARGV do redis.call('SADD', KEYS[3], ARGV[i]) end
redis.call('ZADD', KEYS[4], start, ARGV[1])
redis.call('ZADD', KEYS[5], start, ARGV[1])
return 1
)lua";

constexpr int kMaxChunkIndex = 1000000;

const char* kindName(media::RoomKind kind) {
    return kind == media::RoomKind::Call ? "call" : "class";
}

std::string field(const std::map<std::string, std::string>& h, const char* name) {
    auto it = h.find(name);
    return it == h.end() ? std::string() : it->second;
}

long long integerField(const std::map<std::string, std::string>& h, const char* name,
                       long long fallback) {
    try {
        return std::stoll(field(h, name));
    } catch (const std::exception&) {
        return fallback;
    }
}

bool isLowerHex(const std::string& s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

void validate(const media::RecordingChunk& c) {
    if (!RecordingStore::validId(c.recording)) {
        throw ApiError("bad_request", "recording id must be 1 to 64 letters, digits, '-' or '_'");
    }
    if (c.room.empty() || c.room.size() > 128) throw ApiError("bad_request", "chunk has no room");
    if (!c.source.empty() && !Directory::validId(c.source))
        throw ApiError("bad_request", "chunk source must be a user id");
    if (c.index < 0 || c.index > kMaxChunkIndex)
        throw ApiError("bad_request", "chunk index out of range");
    if (c.path.empty() || c.path.front() != '/')
        throw ApiError("bad_request", "chunk path must be absolute");
    if (c.sha256.size() != 64 || !isLowerHex(c.sha256)) {
        throw ApiError("bad_request", "chunk digest must be 64 lower-case hex digits");
    }
    if (c.startMs <= 0 || c.endMs < c.startMs)
        throw ApiError("bad_request", "chunk must end after it starts");
}

Recording recordingFromHash(const std::map<std::string, std::string>& h) {
    Recording r;
    r.id = field(h, "id");
    r.room = field(h, "room");
    r.kind = field(h, "kind") == "call" ? media::RoomKind::Call : media::RoomKind::Class;
    r.classId = field(h, "class");
    r.callId = field(h, "call");
    r.unit = field(h, "unit");
    r.source = field(h, "source");
    r.start = integerField(h, "start", 0);
    r.end = integerField(h, "end", 0);
    r.state =
        field(h, "state") == "finished" ? RecordingState::Finished : RecordingState::Recording;
    r.chunkCount = static_cast<int>(integerField(h, "chunks", 0));
    r.lastIndex = static_cast<int>(integerField(h, "last_index", -1));
    r.bytes = static_cast<std::uint64_t>(std::max(0LL, integerField(h, "bytes", 0)));
    return r;
}
}  // namespace

std::string toString(RecordingState state) {
    return state == RecordingState::Finished ? "finished" : "recording";
}

const char* toString(ChunkCheck::Status status) {
    switch (status) {
        case ChunkCheck::Status::Ok:
            return "ok";
        case ChunkCheck::Status::Mismatch:
            return "mismatch";
        case ChunkCheck::Status::Missing:
            return "missing";
    }
    return "missing";
}

std::string roomOwnerId(const std::string& room) {
    for (const char* prefix : {"class:", "call:"}) {
        const std::string p(prefix);
        if (room.rfind(p, 0) == 0) return room.substr(p.size());
    }
    return room;
}

json RecordedChunk::toJson() const {
    return {{"index", index}, {"path", path},   {"sha256", sha256},
            {"bytes", bytes}, {"start", start}, {"end", end}};
}

std::optional<RecordedChunk> RecordedChunk::fromJson(const std::string& text) {
    auto j = json::parse(text, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    try {
        RecordedChunk c;
        c.index = j.at("index").get<int>();
        c.path = j.at("path").get<std::string>();
        c.sha256 = j.at("sha256").get<std::string>();
        c.bytes = j.at("bytes").get<std::uint64_t>();
        c.start = j.at("start").get<Millis>();
        c.end = j.at("end").get<Millis>();
        return c;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

json Recording::toJson(int utcOffsetMinutes) const {
    json j{{"id", id},
           {"room", room},
           {"kind", kindName(kind)},
           {"class", classId.empty() ? json(nullptr) : json(classId)},
           {"call", callId.empty() ? json(nullptr) : json(callId)},
           {"unit", unit},
           {"participants", participants},
           {"source", source},
           {"start", common::formatIso8601(start, utcOffsetMinutes)},
           {"end", common::formatIso8601(end, utcOffsetMinutes)},
           {"duration_seconds", (end - start) / 1000},
           {"state", toString(state)},
           {"chunk_count", chunkCount},
           {"bytes", bytes},
           {"complete", complete()}};
    return j;
}

bool RecordingStore::validId(const std::string& id) {
    return Directory::validId(id);
}

Task<std::string> RecordingStore::unitOf(const media::RecordingChunk& chunk,
                                         const std::string& ownerId) {
    if (chunk.kind == media::RoomKind::Class) {
        auto cls = co_await directory_.findClass(ownerId);
        if (cls) co_return cls->unit;
        co_return std::string();
    }
    // A call: the unit of its subject; failing that, of any participant.
    std::string fallback;
    for (const auto& id : chunk.participants) {
        auto user = co_await directory_.findUser(id);
        if (!user) continue;
        if (user->role == Role::Subject) co_return user->unit;
        if (fallback.empty()) fallback = user->unit;
    }
    co_return fallback;
}

Task<void> RecordingStore::addChunk(media::RecordingChunk chunk, std::string unit) {
    validate(chunk);
    const std::string ownerId = roomOwnerId(chunk.room);
    const bool isCall = chunk.kind == media::RoomKind::Call;
    if (unit.empty()) unit = co_await unitOf(chunk, ownerId);
    if (unit.empty()) {
        logger()->error("recording {}: no org unit found for room {}; stored without one",
                        chunk.recording, chunk.room);
    }
    RecordedChunk stored{chunk.index, chunk.path,    chunk.sha256,
                         chunk.bytes, chunk.startMs, chunk.endMs};
    const std::string chunkJson = stored.toJson().dump();
    const std::string index = std::to_string(chunk.index);
    std::vector<std::string> args{"EVAL",
                                  kAddChunkScript,
                                  "5",
                                  keys::recording(chunk.recording),
                                  keys::recordingChunks(chunk.recording),
                                  keys::recordingParticipants(chunk.recording),
                                  keys::kRecordings,
                                  keys::recordingsOf(kindName(chunk.kind), ownerId),
                                  chunk.recording,
                                  index,
                                  chunkJson,
                                  chunk.room,
                                  kindName(chunk.kind),
                                  isCall ? std::string() : ownerId,
                                  isCall ? ownerId : std::string(),
                                  unit,
                                  std::to_string(chunk.startMs),
                                  std::to_string(chunk.endMs),
                                  std::to_string(chunk.bytes),
                                  chunk.last ? "1" : "0",
                                  std::to_string(common::nowMillis()),
                                  chunk.source};
    for (const auto& p : chunk.participants) {
        if (!p.empty() && p.size() <= 64) args.push_back(p);
    }
    auto reply = co_await redis_.command(std::move(args));
    const long long result = reply.asInteger();
    if (result < 0) {
        auto previous = co_await redis_.cmd("HGET", keys::recordingChunks(chunk.recording), index);
        auto before = previous.isNil() ? std::optional<RecordedChunk>()
                                       : RecordedChunk::fromJson(previous.asString());
        const std::string detail = json{{"index", chunk.index},
                                        {"sha256", chunk.sha256},
                                        {"bytes", chunk.bytes},
                                        {"path", chunk.path},
                                        {"stored_sha256", before ? before->sha256 : std::string()}}
                                       .dump();
        co_await audit_.append("media", "recording_chunk_conflict", chunk.recording, detail);
        logger()->error(
            "recording {}: chunk {} reported again with other content ({}); kept the "
            "first",
            chunk.recording, chunk.index, chunk.sha256);
        throw ApiError("conflict", "recording " + chunk.recording + " already has a chunk " +
                                       index + " with other content");
    }
    if (result == 0) {
        // A retry. Its audit entry may be what failed the first time.
        auto audited =
            co_await redis_.cmd("SISMEMBER", keys::recordingAudited(chunk.recording), index);
        if (audited.asInteger() == 1) co_return;
    }
    const std::string detail =
        json{{"index", chunk.index}, {"sha256", chunk.sha256}, {"bytes", chunk.bytes},
             {"path", chunk.path},   {"room", chunk.room},     {"start", chunk.startMs},
             {"end", chunk.endMs},   {"last", chunk.last}}
            .dump();
    co_await audit_.append("media", "recording_chunk", chunk.recording, detail);
    co_await redis_.cmd("SADD", keys::recordingAudited(chunk.recording), index);
    logger()->info("recording {}: chunk {} stored ({} bytes, sha256 {}){}", chunk.recording,
                   chunk.index, chunk.bytes, chunk.sha256, chunk.last ? "; finished" : "");
}

Task<std::optional<Recording>> RecordingStore::find(std::string id) {
    if (!validId(id)) co_return std::nullopt;
    auto h = (co_await redis_.cmd("HGETALL", keys::recording(id))).asMap();
    if (h.empty()) co_return std::nullopt;
    Recording r = recordingFromHash(h);
    auto participants =
        (co_await redis_.cmd("SMEMBERS", keys::recordingParticipants(id))).asStrings();
    std::sort(participants.begin(), participants.end());
    r.participants = std::move(participants);
    co_return r;
}

Task<std::vector<RecordedChunk>> RecordingStore::chunks(std::string id) {
    std::vector<RecordedChunk> out;
    if (!validId(id)) co_return out;
    auto h = (co_await redis_.cmd("HGETALL", keys::recordingChunks(id))).asMap();
    for (const auto& [index, text] : h) {
        auto c = RecordedChunk::fromJson(text);
        if (!c) {
            logger()->error("recording {}: chunk {} record does not parse", id, index);
            continue;
        }
        out.push_back(std::move(*c));
    }
    std::sort(out.begin(), out.end(),
              [](const RecordedChunk& a, const RecordedChunk& b) { return a.index < b.index; });
    co_return out;
}

Task<std::vector<Recording>> RecordingStore::list(RecordingQuery query) {
    std::string key = keys::kRecordings;
    if (!query.classId.empty()) {
        key = keys::recordingsOf("class", query.classId);
    } else if (!query.callId.empty()) {
        key = keys::recordingsOf("call", query.callId);
    }
    const std::string max = query.to > 0 ? "(" + std::to_string(query.to) : "+inf";
    const std::string min = std::to_string(query.from);
    auto ids = (co_await redis_.cmd("ZREVRANGEBYSCORE", key, max, min)).asStrings();
    std::vector<Recording> out;
    for (const auto& id : ids) {
        auto r = co_await find(id);
        if (r && (query.source.empty() || r->source == query.source)) out.push_back(std::move(*r));
    }
    co_return out;
}

Task<std::vector<ChunkCheck>> RecordingStore::verify(std::string id, common::WorkerPool* pool) {
    auto recording = co_await find(id);
    if (!recording) throw ApiError("not_found", "no recording '" + id + "'");
    auto stored = co_await chunks(id);
    std::vector<ChunkCheck> out;
    int next = 0;
    for (const auto& c : stored) {
        for (; next < c.index; ++next) {
            ChunkCheck gap;
            gap.index = next;
            gap.status = ChunkCheck::Status::Missing;
            out.push_back(gap);
        }
        next = c.index + 1;
        ChunkCheck check;
        check.index = c.index;
        check.path = c.path;
        check.expected = c.sha256;
        std::optional<std::string> digest;
        if (pool != nullptr) {
            const std::string path = c.path;
            auto job = [path]() { return common::sha256File(path); };
            auto hashing = pool->run(redis_.loop(), job);
            digest = co_await hashing;
        } else {
            digest = common::sha256File(c.path);
        }
        if (!digest) {
            check.status = ChunkCheck::Status::Missing;
        } else {
            check.actual = *digest;
            check.status =
                *digest == c.sha256 ? ChunkCheck::Status::Ok : ChunkCheck::Status::Mismatch;
        }
        out.push_back(std::move(check));
    }
    for (; next <= recording->lastIndex; ++next) {
        ChunkCheck gap;
        gap.index = next;
        gap.status = ChunkCheck::Status::Missing;
        out.push_back(gap);
    }
    co_return out;
}

}  // namespace vigil::signaling
