// HttpApi's recording endpoints: the list, one recording's metadata with its segments and its
// chunks' digests, and a chunk's bytes with Range support so that a browser's <video> can
// seek. Each class recording names its class session (title, scheduled times). Officers and
// administrators see the recordings of their org unit and below, and those they took part
// in; subjects see none. Every list and detail is audited before it is sent, and every play
// once its bytes went out. Chunk URLs carry a play token scoped to their recording.

#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <map>
#include <optional>

#include "vigil/common/Error.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/signaling/Access.hpp"
#include "vigil/signaling/ByteRange.hpp"
#include "vigil/signaling/HttpApi.hpp"
#include "vigil/signaling/PlayTokens.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Millis;
using common::Task;
using nlohmann::json;

namespace {
VIGIL_LOG_CATEGORY(httpRecordingsLog, "http-recordings")

// A whole number in [lo, hi] from the query, or `fallback` when absent.
long long numberParam(const HttpRequest& request, const char* name, long long fallback,
                      long long lo, long long hi) {
    const std::string text = queryValue(request, name);
    if (text.empty()) return fallback;
    if (text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
        throw ApiError("bad_request", std::string("'") + name + "' must be a whole number");
    }
    return std::clamp(std::stoll(text), lo, hi);
}

// The real path of a chunk's file if it lies inside the recording folder; nullopt otherwise
// (the record names a file elsewhere, or the file or folder is gone).
std::optional<std::string> servablePath(const std::string& path, const std::string& dir) {
    char resolvedDir[PATH_MAX];
    char resolvedFile[PATH_MAX];
    if (realpath(dir.c_str(), resolvedDir) == nullptr) return std::nullopt;
    if (realpath(path.c_str(), resolvedFile) == nullptr) return std::nullopt;
    std::string root(resolvedDir);
    if (root.empty() || root.back() != '/') root += '/';
    std::string file(resolvedFile);
    if (file.rfind(root, 0) != 0) return std::nullopt;
    return file;
}

Task<void> auditPlay(AuditLog& audit, std::string actor, std::string id, std::string detail) {
    co_await audit.append(std::move(actor), "play_recording", std::move(id), std::move(detail));
}

// The session token of an `Authorization: Bearer` header ("" without one).
std::string bearerToken(const HttpRequest& request) {
    const std::string prefix = "Bearer ";
    return request.authorization.rfind(prefix, 0) == 0 ? request.authorization.substr(prefix.size())
                                                       : std::string();
}

// Staff over the recording's unit, or staff who took part in it.
bool mayReview(const User& user, const Recording& r, const UnitTree& tree) {
    const auto& p = r.participants;
    return access::canSeeUnit(user, r.unit, tree) ||
           (access::isStaff(user) && std::find(p.begin(), p.end(), user.id) != p.end());
}

// `position`: the chunk's place in the whole recording, which names it in its URL; the URL
// carries the recording's play token.
json chunkJson(const std::string& recording, const RecordedChunk& c, size_t position, int offset,
               const std::string& playToken) {
    return {{"index", position},
            {"segment", c.segmentNumber},
            {"segment_index", c.index},
            {"sha256", c.sha256},
            {"bytes", c.bytes},
            {"start", common::formatIso8601(c.start, offset)},
            {"end", common::formatIso8601(c.end, offset)},
            {"url", "/api/recordings/" + recording + "/chunks/" + std::to_string(position) +
                        "?play=" + playToken}};
}

// The class session a class recording belongs to; null for a call's, or a class since
// deleted.
json classSessionJson(const std::optional<ClassSession>& cls, int offset) {
    if (!cls) return nullptr;
    return {{"id", cls->id},
            {"title", cls->title},
            {"start", common::formatIso8601(cls->start, offset)},
            {"end", common::formatIso8601(cls->end, offset)},
            {"state", toString(cls->state)}};
}

// Class sessions looked up once per request: a list holds many recordings of few classes.
using ClassCache = std::map<std::string, std::optional<ClassSession>>;

// A recording's JSON with `class_session`.
Task<json> recordingJson(Directory& directory, const Recording& recording, ClassCache& classes,
                         int offset) {
    json j = recording.toJson(offset);
    if (recording.classId.empty()) {
        j["class_session"] = nullptr;
        co_return j;
    }
    auto known = classes.find(recording.classId);
    if (known == classes.end()) {
        auto cls = co_await directory.findClass(recording.classId);
        known = classes.emplace(recording.classId, std::move(cls)).first;
    }
    j["class_session"] = classSessionJson(known->second, offset);
    co_return j;
}
}  // namespace

Task<Recording> HttpApi::visibleRecording(const User& user, const std::string& id) {
    if (!access::isStaff(user)) {
        throw ApiError("forbidden", "recordings are reviewed by officers and administrators");
    }
    auto recording = co_await recordings_.find(id);
    auto tree = co_await deps_.directory.unitTree();
    if (!recording) throw ApiError("not_found", "no recording '" + id + "'");
    // Like every record outside the caller's scope: refused, and the refusal audited.
    if (!mayReview(user, *recording, tree)) access::refuseOutOfScope(user, "recording");
    co_return *recording;
}

Task<HttpResponse> HttpApi::recordingList(const User& user, const HttpRequest& request) {
    if (!access::isStaff(user)) {
        throw ApiError("forbidden", "recordings are reviewed by officers and administrators");
    }
    const int offset = deps_.config.utcOffsetMinutes();
    RecordingQuery query;
    query.classId = queryValue(request, "class");
    query.callId = queryValue(request, "call");
    query.source = queryValue(request, "source");
    if ((!query.classId.empty() && !Directory::validId(query.classId)) ||
        (!query.callId.empty() && !Directory::validId(query.callId)) ||
        (!query.source.empty() && !Directory::validId(query.source))) {
        throw ApiError("bad_request", "'class', 'call' and 'source' must be ids");
    }
    if (!query.classId.empty() && !query.callId.empty())
        throw ApiError("bad_request", "give 'class' or 'call', not both");
    const bool byOwner = !query.classId.empty() || !query.callId.empty();
    // A class's or call's recordings: all of them by default. Otherwise the last 30 days.
    const Millis now = common::nowMillis();
    query.from = timeParam(request, "from", offset, byOwner ? 0 : now - 30 * common::kDayMs);
    query.to = timeParam(request, "to", offset, byOwner ? 0 : now + common::kDayMs);
    if (query.to != 0 && query.to <= query.from)
        throw ApiError("bad_request", "'to' must come after 'from'");
    if (!byOwner && (query.to == 0 || query.to - query.from > 400 * common::kDayMs))
        throw ApiError("bad_request", "a range covers at most 400 days");
    const auto limit = static_cast<size_t>(numberParam(request, "limit", 50, 1, 500));
    const auto skip = static_cast<size_t>(numberParam(request, "offset", 0, 0, 1000000000));

    auto tree = co_await deps_.directory.unitTree();
    json out = json::array();
    size_t total = 0;
    ClassCache classes;
    for (const auto& r : co_await recordings_.list(query)) {
        if (!mayReview(user, r, tree)) continue;
        if (total >= skip && out.size() < limit)
            out.push_back(co_await recordingJson(deps_.directory, r, classes, offset));
        ++total;
    }
    const std::string detail =
        json{{"class", query.classId}, {"call", query.callId}, {"source", query.source},
             {"from", query.from},     {"to", query.to},       {"shown", out.size()}}
            .dump();
    co_await deps_.audit.append(user.id, "list_recordings", "", detail);
    co_return jsonResponse(
        200, json{{"recordings", out}, {"total", total}, {"limit", limit}, {"offset", skip}});
}

Task<HttpResponse> HttpApi::recordingDetail(const User& user, const std::string& id,
                                            const HttpRequest& request) {
    Recording recording = co_await visibleRecording(user, id);
    const int offset = deps_.config.utcOffsetMinutes();
    PlayTokens tokens(deps_.redis, deps_.sessions, deps_.config.recording.playTokenSeconds);
    const std::string playToken = co_await tokens.issue(bearerToken(request), id);
    json chunks = json::array();
    for (const auto& c : co_await recordings_.chunks(id))
        chunks.push_back(chunkJson(id, c, chunks.size(), offset, playToken));
    ClassCache classes;
    json j = co_await recordingJson(deps_.directory, recording, classes, offset);
    j["chunks"] = chunks;
    j["play_token_seconds"] = deps_.config.recording.playTokenSeconds;
    co_await deps_.audit.append(user.id, "view_recording", id, "{}");
    co_return jsonResponse(200, j);
}

Task<HttpResponse> HttpApi::recordingChunk(const std::string& id, const std::string& index,
                                           const HttpRequest& request) {
    // A play token for this recording, or a bearer session token; a session token in the URL
    // is not taken (it would end up in history and logs).
    User user;
    if (auto play = request.query.find("play"); play != request.query.end()) {
        PlayTokens tokens(deps_.redis, deps_.sessions, deps_.config.recording.playTokenSeconds);
        user = co_await tokens.admit(play->second, id);
    } else {
        user = co_await authenticate(request, false);
    }
    if (index.empty() || index.size() > 7 ||
        index.find_first_not_of("0123456789") != std::string::npos) {
        throw ApiError("bad_request", "a chunk is named by its index, a whole number");
    }
    const int n = std::atoi(index.c_str());
    co_await visibleRecording(user, id);
    // Chunks are named by their place in the whole recording, across its segments.
    auto all = co_await recordings_.chunks(id);
    if (n >= static_cast<int>(all.size()))
        throw ApiError("not_found", "recording '" + id + "' has no chunk " + index);
    std::optional<RecordedChunk> chunk = std::move(all[static_cast<size_t>(n)]);
    auto path = servablePath(chunk->path, deps_.config.recording.dir);
    struct stat st {};
    if (!path || ::stat(path->c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        httpRecordingsLog()->error("recording {} chunk {}: file {} is missing or outside {}", id, n,
                                   chunk->path, deps_.config.recording.dir);
        throw ApiError("file_missing", "the file of this chunk is missing; tell an administrator");
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    ByteRange range = ByteRange::parse(request.range, size);
    if (range.kind == ByteRange::Kind::Unsatisfiable) {
        HttpResponse r =
            errorResponse("range_not_satisfiable",
                          "the range lies outside the file of " + std::to_string(size) + " bytes");
        r.headers.emplace_back("content-range", "bytes */" + std::to_string(size));
        r.headers.emplace_back("accept-ranges", "bytes");
        co_return r;
    }
    const bool partial = range.kind == ByteRange::Kind::Partial;
    const std::uint64_t first = partial ? range.first : 0;
    const std::uint64_t length = partial ? range.length() : size;
    json detail{{"chunk", n},
                {"segment", chunk->segmentNumber},
                {"segment_index", chunk->index},
                {"bytes", length}};
    if (partial) {
        detail["range"] = request.range.substr(0, 64);
        detail["first"] = first;
        detail["last"] = first + length - 1;
    }

    HttpResponse r;
    r.status = partial ? 206 : 200;
    r.contentType = "video/webm";
    r.headers.emplace_back("accept-ranges", "bytes");
    if (partial) {
        r.headers.emplace_back("content-range", "bytes " + std::to_string(first) + "-" +
                                                    std::to_string(first + length - 1) + "/" +
                                                    std::to_string(size));
    }
    r.headers.emplace_back("content-disposition",
                           "inline; filename=\"" + id + "-" + index + ".webm\"");
    // The digest recorded when the chunk was closed, of the whole file.
    r.headers.emplace_back("x-chunk-sha256", chunk->sha256);
    r.file = HttpResponse::File{*path, first, length, {}};
    // Audited once the bytes went out (all of them, or as many as a closed connection took),
    // not when they were asked for: the log shows what was actually seen.
    r.file->served = [audit = &deps_.audit, actor = user.id, id, detail = std::move(detail)](
                         std::uint64_t sent, bool complete) mutable {
        detail["sent"] = sent;
        detail["complete"] = complete;
        common::spawn(
            auditPlay(*audit, actor, id, detail.dump()), [id](const std::exception_ptr& e) {
                try {
                    if (e) std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    httpRecordingsLog()->error("recording {}: play not audited: {}", id, ex.what());
                }
            });
    };
    co_return r;
}

}  // namespace vigil::signaling
