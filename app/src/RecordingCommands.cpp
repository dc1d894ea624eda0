// vigil recording list | verify: recordings' metadata and a re-hash of their chunk files
// against the digests recorded when each chunk was closed. Every verify is audited with the
// actor "cli".

#include <iostream>

#include "Commands.hpp"
#include "vigil/common/Clock.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/RecordingStore.hpp"

namespace vigil::app {

using common::ApiError;
using common::Task;
using signaling::AuditLog;
using signaling::ChunkCheck;
using signaling::Directory;
using signaling::RecordingStore;

namespace {

// Exit statuses of `vigil recording verify` besides 0 (every chunk matches).
constexpr int kSomeFail = 1;

const char* verdict(ChunkCheck::Status status) {
    switch (status) {
        case ChunkCheck::Status::Ok:
            return "ok";
        case ChunkCheck::Status::Mismatch:
            return "MISMATCH";
        case ChunkCheck::Status::Missing:
            return "MISSING";
    }
    return "MISSING";
}

void addList(CLI::App& parent, GlobalOptions& options) {
    static std::string classId, callId;
    auto* list = parent.add_subcommand(
        "list",
        "list recordings, newest first: id, start, end, state (recording, complete or "
        "interrupted), chunks, bytes, unit, room, segments");
    list->add_option("--class", classId, "only the recordings of this class");
    list->add_option("--call", callId, "only the recordings of this supervision call");
    list->callback([&options]() {
        runWithRedis(options,
                     [](common::EventLoop&, common::RedisClient& redis,
                        const common::Config& config) -> Task<void> {
                         if (!classId.empty() && !callId.empty()) {
                             throw ApiError("bad_request", "give --class or --call, not both");
                         }
                         Directory dir(redis);
                         AuditLog audit(redis);
                         RecordingStore store(redis, dir, audit);
                         signaling::RecordingQuery query;
                         query.classId = classId;
                         query.callId = callId;
                         const int offset = config.utcOffsetMinutes();
                         for (const auto& r : co_await store.list(query)) {
                             std::cout << r.id << "\t" << common::formatIso8601(r.start, offset)
                                       << "\t" << common::formatIso8601(r.end, offset) << "\t"
                                       << signaling::toString(r.state) << "\t" << r.chunkCount
                                       << "\t" << r.bytes << "\t" << (r.unit.empty() ? "-" : r.unit)
                                       << "\t" << r.room << "\t" << r.segments.size() << "\n";
                         }
                     });
    });
}

void addVerify(CLI::App& parent, GlobalOptions& options) {
    static std::string id;
    auto* verify = parent.add_subcommand(
        "verify",
        "re-hash every chunk of a recording; prints segment, chunk index within it, ok, MISMATCH "
        "or MISSING, and the file per chunk, and exits 0 only if every chunk matches its "
        "recorded SHA-256 (1 otherwise, 2 for an unknown id)");
    verify->add_option("ID", id, "recording id")->required();
    verify->callback([&options]() {
        runWithRedis(options,
                     [](common::EventLoop&, common::RedisClient& redis,
                        const common::Config&) -> Task<void> {
                         Directory dir(redis);
                         AuditLog audit(redis);
                         RecordingStore store(redis, dir, audit);
                         auto recording = co_await store.find(id);
                         if (!recording) {
                             std::cerr << "vigil: not_found: no recording '" << id << "'\n";
                             std::exit(kExitUsage);
                         }
                         auto checks = co_await store.verify(id);
                         size_t failed = 0;
                         for (const auto& c : checks) {
                             if (c.status != ChunkCheck::Status::Ok) ++failed;
                             std::cout << c.segment << "\t" << c.index << "\t" << verdict(c.status)
                                       << "\t" << (c.path.empty() ? "(no chunk recorded)" : c.path);
                             if (c.status == ChunkCheck::Status::Mismatch) {
                                 std::cout << "\trecorded " << c.expected << " now " << c.actual;
                             }
                             std::cout << "\n";
                         }
                         const nlohmann::json detail{{"chunks", checks.size()},
                                                     {"failed", failed},
                                                     {"result", failed == 0 ? "ok" : "failed"}};
                         const std::string detailText = detail.dump();
                         co_await audit.append(kCliActor, "verify_recording", id, detailText);
                         if (failed == 0) {
                             std::cout << "ok: " << checks.size()
                                       << " chunk(s) match their digests\n";
                             co_return;
                         }
                         std::cout << "FAILED: " << failed << " of " << checks.size()
                                   << " chunk(s) do not match\n";
                         std::cout.flush();
                         std::exit(kSomeFail);
                     });
    });
}
}  // namespace

void addRecordingCommands(CLI::App& app, GlobalOptions& options) {
    auto* recording = app.add_subcommand("recording", "recordings of classes and calls");
    recording->require_subcommand(1);
    addList(*recording, options);
    addVerify(*recording, options);
}

}  // namespace vigil::app
