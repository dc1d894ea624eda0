#include "vigil/signaling/RecordingStore.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "vigil/common/Crypto.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/common/RedisValue.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Millis;
using common::Task;
using nlohmann::json;

namespace {
VIGIL_LOG_CATEGORY(recordingStoreLog, "recordings")

// After a segment changed: the recording's state follows its segments (recording while one
// is open; otherwise interrupted if one was cut short, else complete), and the set of open
// recordings with it. KEYS[1] is the recording, ARGV[1] its id.
std::string recordingStateLua(int segmentsKey, int openKey) {
    const std::string segments = "KEYS[" + std::to_string(segmentsKey) + "]";
    const std::string open = "KEYS[" + std::to_string(openKey) + "]";
    return "local open, cut = false, false\n"
           "local fields = redis.call('HGETALL', " +
           segments +
           ")\n"
           "for i = 1, #fields, 2 do\n"
           "  if string.sub(fields[i], -6) == ':state' then\n"
           "    if fields[i + 1] == 'recording' then open = true end\n"
           "    if fields[i + 1] == 'interrupted' then cut = true end\n"
           "  end\n"
           "end\n"
           "local state = open and 'recording' or (cut and 'interrupted' or 'complete')\n"
           "redis.call('HSET', KEYS[1], 'state', state)\n"
           "if open then redis.call('SADD', " +
           open +
           ", ARGV[1])\n"
           "else redis.call('SREM', " +
           open + ", ARGV[1]) end\n";
}

// Stores one chunk and updates its segment and recording, atomically. A chunk already stored
// with the same JSON is a retry (0); with other JSON, a conflict (-1) that changes nothing.
//
// KEYS: recording, chunks, participants, all recordings, recordings of the class or call,
//       segments, open recordings.
// ARGV: id, chunk field ("<segment>:<index>"), chunk JSON, room, kind, class, call, unit,
//       start, end, bytes, last ("1" | "0"), now, source, segment, index,
//       interrupted ("1" | "0"), node, participant ids...
// The recording's source is the first one a chunk names; a record stored without one has
// no `source` field. A segment already ended (by its last chunk, or interrupted by the
// recovery) stays as it is when a late chunk of it arrives.
const std::string kAddChunkScript = R"lua(
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
local seg = ARGV[15]
local segState = redis.call('HGET', KEYS[6], seg .. ':state')
if not segState then
  segState = 'recording'
  redis.call('HSET', KEYS[6], seg .. ':state', segState, seg .. ':start', ARGV[9],
             seg .. ':end', ARGV[10], seg .. ':chunks', '0')
else
  if tonumber(ARGV[9]) < tonumber(redis.call('HGET', KEYS[6], seg .. ':start')) then
    redis.call('HSET', KEYS[6], seg .. ':start', ARGV[9])
  end
  if tonumber(ARGV[10]) > tonumber(redis.call('HGET', KEYS[6], seg .. ':end')) then
    redis.call('HSET', KEYS[6], seg .. ':end', ARGV[10])
  end
end
redis.call('HINCRBY', KEYS[6], seg .. ':chunks', 1)
if ARGV[18] ~= '' then redis.call('HSET', KEYS[6], seg .. ':node', ARGV[18]) end
if segState == 'recording' and ARGV[12] == '1' then
  local ended = 'complete'
  if ARGV[17] == '1' then ended = 'interrupted' end
  redis.call('HSET', KEYS[6], seg .. ':state', ended, seg .. ':last', ARGV[16])
end
for i = 19, #ARGV do redis.call('SADD', KEYS[3], ARGV[i]) end
redis.call('ZADD', KEYS[4], start, ARGV[1])
redis.call('ZADD', KEYS[5], start, ARGV[1])
)lua";

// Ends an open segment as interrupted at its last stored chunk: 1, or 0 if it was not open.
// KEYS: recording, chunks, segments, open recordings. ARGV: id, segment, reason, now.
const std::string kInterruptSegmentScript = R"lua(
local seg = ARGV[2]
if redis.call('HGET', KEYS[3], seg .. ':state') ~= 'recording' then return 0 end
local last = -1
local prefix = seg .. ':'
for _, field in ipairs(redis.call('HKEYS', KEYS[2])) do
  if string.sub(field, 1, #prefix) == prefix then
    local index = tonumber(string.sub(field, #prefix + 1))
    if index and index > last then last = index end
  end
end
redis.call('HSET', KEYS[3], seg .. ':state', 'interrupted', seg .. ':last', tostring(last),
           seg .. ':closed_by', ARGV[3], seg .. ':closed_at', ARGV[4])
)lua";

const std::string& addChunkScript() {
    static const std::string script = kAddChunkScript + recordingStateLua(6, 7) + "return 1\n";
    return script;
}

const std::string& interruptSegmentScript() {
    static const std::string script =
        kInterruptSegmentScript + recordingStateLua(3, 4) + "return 1\n";
    return script;
}

constexpr int kMaxChunkIndex = 1000000;

const char* kindName(media::RoomKind kind) {
    return kind == media::RoomKind::Call ? "call" : "class";
}

long long integerField(const std::map<std::string, std::string>& h, const char* name,
                       long long fallback) {
    try {
        return std::stoll(common::fieldOf(h, name));
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
    if (c.segment < 0) throw ApiError("bad_request", "chunk segment out of range");
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

RecordingState parseState(const std::string& text) {
    // "finished": a recording stored before segments, whose last chunk came.
    if (text == "complete" || text == "finished") return RecordingState::Complete;
    if (text == "interrupted") return RecordingState::Interrupted;
    return RecordingState::Recording;
}

std::string chunkField(Millis segment, int index) {
    return std::to_string(segment) + ":" + std::to_string(index);
}

Recording recordingFromHash(const std::map<std::string, std::string>& h) {
    Recording r;
    r.id = common::fieldOf(h, "id");
    r.room = common::fieldOf(h, "room");
    r.kind = common::fieldOf(h, "kind") == "call" ? media::RoomKind::Call : media::RoomKind::Class;
    r.classId = common::fieldOf(h, "class");
    r.callId = common::fieldOf(h, "call");
    r.unit = common::fieldOf(h, "unit");
    r.source = common::fieldOf(h, "source");
    r.start = integerField(h, "start", 0);
    r.end = integerField(h, "end", 0);
    r.state = parseState(common::fieldOf(h, "state"));
    r.chunkCount = static_cast<int>(integerField(h, "chunks", 0));
    r.bytes = static_cast<std::uint64_t>(std::max(0LL, integerField(h, "bytes", 0)));
    return r;
}

// The segments hash ("<segment>:<field>") as segments in time order. A recording stored
// before segments has none: it reads as one segment 0 made of the recording's own fields.
std::vector<RecordingSegment> segmentsFromHash(const std::map<std::string, std::string>& h,
                                               const std::map<std::string, std::string>& rec) {
    std::map<Millis, std::map<std::string, std::string>> bySegment;
    for (const auto& [name, value] : h) {
        const auto colon = name.find(':');
        if (colon == std::string::npos) continue;
        try {
            bySegment[std::stoll(name.substr(0, colon))][name.substr(colon + 1)] = value;
        } catch (const std::exception&) {
            recordingStoreLog()->error("recording {}: segment field '{}' does not parse",
                                       common::fieldOf(rec, "id"), name);
        }
    }
    std::vector<RecordingSegment> out;
    if (bySegment.empty() && integerField(rec, "chunks", 0) > 0) {
        RecordingSegment legacy;
        legacy.start = integerField(rec, "start", 0);
        legacy.end = integerField(rec, "end", 0);
        legacy.chunkCount = static_cast<int>(integerField(rec, "chunks", 0));
        legacy.lastIndex = static_cast<int>(integerField(rec, "last_index", -1));
        legacy.state = parseState(common::fieldOf(rec, "state"));
        legacy.number = 1;
        out.push_back(legacy);
        return out;
    }
    for (const auto& [id, fields] : bySegment) {
        RecordingSegment seg;
        seg.id = id;
        seg.number = static_cast<int>(out.size()) + 1;
        seg.start = integerField(fields, "start", 0);
        seg.end = integerField(fields, "end", 0);
        seg.chunkCount = static_cast<int>(integerField(fields, "chunks", 0));
        seg.lastIndex = static_cast<int>(integerField(fields, "last", -1));
        seg.state = parseState(common::fieldOf(fields, "state"));
        seg.node = common::fieldOf(fields, "node");
        out.push_back(std::move(seg));
    }
    return out;
}
}  // namespace

std::string toString(RecordingState state) {
    switch (state) {
        case RecordingState::Recording:
            return "recording";
        case RecordingState::Complete:
            return "complete";
        case RecordingState::Interrupted:
            return "interrupted";
    }
    return "recording";
}

bool Recording::complete() const {
    return state == RecordingState::Complete &&
           std::all_of(segments.begin(), segments.end(),
                       [](const RecordingSegment& s) { return s.whole(); });
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
    return {{"segment", segment}, {"index", index}, {"path", path}, {"sha256", sha256},
            {"bytes", bytes},     {"start", start}, {"end", end}};
}

std::optional<RecordedChunk> RecordedChunk::fromJson(const std::string& text) {
    auto j = json::parse(text, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    try {
        RecordedChunk c;
        c.segment = j.value("segment", Millis{0});
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
    json segs = json::array();
    for (const auto& s : segments) {
        segs.push_back({{"number", s.number},
                        {"start", common::formatIso8601(s.start, utcOffsetMinutes)},
                        {"end", common::formatIso8601(s.end, utcOffsetMinutes)},
                        {"chunk_count", s.chunkCount},
                        {"state", toString(s.state)}});
    }
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
           {"segments", segs},
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

Task<void> RecordingStore::addChunk(media::RecordingChunk chunk, std::string unit,
                                    std::string node) {
    validate(chunk);
    const std::string ownerId = roomOwnerId(chunk.room);
    const bool isCall = chunk.kind == media::RoomKind::Call;
    if (unit.empty()) unit = co_await unitOf(chunk, ownerId);
    if (unit.empty()) {
        recordingStoreLog()->error(
            "recording {}: no org unit found for room {}; stored without one", chunk.recording,
            chunk.room);
    }
    RecordedChunk stored{chunk.segment, chunk.index,   chunk.path, chunk.sha256,
                         chunk.bytes,   chunk.startMs, chunk.endMs};
    const std::string chunkJson = stored.toJson().dump();
    const std::string name = chunkField(chunk.segment, chunk.index);
    std::vector<std::string> args{"EVAL",
                                  addChunkScript(),
                                  "7",
                                  keys::recording(chunk.recording),
                                  keys::recordingChunks(chunk.recording),
                                  keys::recordingParticipants(chunk.recording),
                                  keys::kRecordings,
                                  keys::recordingsOf(kindName(chunk.kind), ownerId),
                                  keys::recordingSegments(chunk.recording),
                                  keys::kOpenRecordings,
                                  chunk.recording,
                                  name,
                                  chunkJson,
                                  chunk.room,
                                  kindName(chunk.kind),
                                  isCall ? std::string() : ownerId,
                                  isCall ? ownerId : std::string(),
                                  unit,
                                  std::to_string(chunk.startMs),
                                  std::to_string(chunk.endMs),
                                  std::to_string(chunk.bytes),
                                  chunk.last || chunk.interrupted ? "1" : "0",
                                  std::to_string(common::nowMillis()),
                                  chunk.source,
                                  std::to_string(chunk.segment),
                                  std::to_string(chunk.index),
                                  chunk.interrupted ? "1" : "0",
                                  node};
    for (const auto& p : chunk.participants) {
        if (!p.empty() && p.size() <= 64) args.push_back(p);
    }
    auto reply = co_await redis_.command(std::move(args));
    const long long result = reply.asInteger();
    if (result < 0) {
        auto previous = co_await redis_.cmd("HGET", keys::recordingChunks(chunk.recording), name);
        auto before = previous.isNil() ? std::optional<RecordedChunk>()
                                       : RecordedChunk::fromJson(previous.asString());
        const std::string detail = json{{"segment", chunk.segment},
                                        {"index", chunk.index},
                                        {"sha256", chunk.sha256},
                                        {"bytes", chunk.bytes},
                                        {"path", chunk.path},
                                        {"stored_sha256", before ? before->sha256 : std::string()}}
                                       .dump();
        co_await audit_.append("media", "recording_chunk_conflict", chunk.recording, detail);
        recordingStoreLog()->error(
            "recording {}: chunk {} of segment {} reported again with other content ({}); kept "
            "the first",
            chunk.recording, chunk.index, chunk.segment, chunk.sha256);
        throw ApiError("conflict", "recording " + chunk.recording + " already has a chunk " + name +
                                       " with other content");
    }
    if (result == 0) {
        // A retry. Its audit entry may be what failed the first time.
        auto audited =
            co_await redis_.cmd("SISMEMBER", keys::recordingAudited(chunk.recording), name);
        if (audited.asInteger() == 1) co_return;
    }
    const std::string detail = json{
        {"segment", chunk.segment},
        {"index", chunk.index},
        {"sha256", chunk.sha256},
        {"bytes", chunk.bytes},
        {"path", chunk.path},
        {"room", chunk.room},
        {"start", chunk.startMs},
        {"end", chunk.endMs},
        {"last", chunk.last || chunk.interrupted},
        {"interrupted",
         chunk.interrupted}}.dump();
    co_await audit_.append("media", "recording_chunk", chunk.recording, detail);
    co_await redis_.cmd("SADD", keys::recordingAudited(chunk.recording), name);
    recordingStoreLog()->info(
        "recording {}: chunk {} of segment {} stored ({} bytes, sha256 {}){}", chunk.recording,
        chunk.index, chunk.segment, chunk.bytes, chunk.sha256,
        chunk.interrupted ? "; segment interrupted" : (chunk.last ? "; segment ended" : ""));
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
    auto segments = (co_await redis_.cmd("HGETALL", keys::recordingSegments(id))).asMap();
    r.segments = segmentsFromHash(segments, h);
    co_return r;
}

Task<std::vector<RecordedChunk>> RecordingStore::chunks(std::string id) {
    std::vector<RecordedChunk> out;
    if (!validId(id)) co_return out;
    auto h = (co_await redis_.cmd("HGETALL", keys::recordingChunks(id))).asMap();
    for (const auto& [name, text] : h) {
        auto c = RecordedChunk::fromJson(text);
        if (!c) {
            recordingStoreLog()->error("recording {}: chunk {} record does not parse", id, name);
            continue;
        }
        out.push_back(std::move(*c));
    }
    std::sort(out.begin(), out.end(), [](const RecordedChunk& a, const RecordedChunk& b) {
        return std::tie(a.segment, a.index) < std::tie(b.segment, b.index);
    });
    int number = 0;
    for (size_t i = 0; i < out.size(); ++i) {
        if (i == 0 || out[i].segment != out[i - 1].segment) ++number;
        out[i].segmentNumber = number;
    }
    co_return out;
}

Task<std::vector<Recording>> RecordingStore::open() {
    std::vector<Recording> out;
    for (const auto& id : (co_await redis_.cmd("SMEMBERS", keys::kOpenRecordings)).asStrings()) {
        auto r = co_await find(id);
        if (r) out.push_back(std::move(*r));
    }
    co_return out;
}

Task<bool> RecordingStore::interruptSegment(std::string id, Millis segment, std::string reason) {
    if (!validId(id)) co_return false;
    const std::string now = std::to_string(common::nowMillis());
    std::vector<std::string> args{"EVAL",
                                  interruptSegmentScript(),
                                  "4",
                                  keys::recording(id),
                                  keys::recordingChunks(id),
                                  keys::recordingSegments(id),
                                  keys::kOpenRecordings,
                                  id,
                                  std::to_string(segment),
                                  reason,
                                  now};
    auto reply = co_await redis_.command(std::move(args));
    if (reply.asInteger() != 1) co_return false;
    const std::string detail = json{{"segment", segment}, {"reason", reason}}.dump();
    co_await audit_.append("system", "recording_interrupted", id, detail);
    recordingStoreLog()->warn(
        "recording {}: segment {} closed as interrupted at its last chunk ({})", id, segment,
        reason);
    co_return true;
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
    std::map<Millis, int> lastOf;  // segment id -> index of its final chunk, once known
    for (const auto& s : recording->segments) lastOf[s.id] = s.lastIndex;
    std::vector<ChunkCheck> out;
    auto missing = [&out](int segment, int index) {
        ChunkCheck gap;
        gap.segment = segment;
        gap.index = index;
        gap.status = ChunkCheck::Status::Missing;
        out.push_back(gap);
    };
    // Gaps after the last stored chunk of each segment, up to its final one.
    auto tail = [&](Millis segment, int number, int next) {
        auto last = lastOf.find(segment);
        for (int i = next; last != lastOf.end() && i <= last->second; ++i) missing(number, i);
    };
    int next = 0;
    for (size_t k = 0; k < stored.size(); ++k) {
        const auto& c = stored[k];
        if (k > 0 && c.segment != stored[k - 1].segment) {
            tail(stored[k - 1].segment, stored[k - 1].segmentNumber, next);
            next = 0;
        }
        for (; next < c.index; ++next) missing(c.segmentNumber, next);
        next = c.index + 1;
        ChunkCheck check;
        check.segment = c.segmentNumber;
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
    if (!stored.empty()) tail(stored.back().segment, stored.back().segmentNumber, next);
    co_return out;
}

}  // namespace vigil::signaling
