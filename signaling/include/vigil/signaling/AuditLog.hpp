#pragma once
// The append-only audit log: a Redis Stream whose entries each carry the SHA-256 of the
// previous one. Appends from every node go through a compare-and-set script on the chain
// head, so the chain stays linear across processes.

#include <optional>
#include <string>
#include <vector>

#include "vigil/common/AsyncMutex.hpp"
#include "vigil/common/RedisClient.hpp"
#include "vigil/common/Task.hpp"
#include "vigil/signaling/AuditAnchor.hpp"
#include "vigil/signaling/AuditChain.hpp"

namespace vigil::signaling {

class AuditLog {
public:
    // `anchor`: where each new head is checkpointed outside Redis (none: not anchored, as
    // for the command-line tools; the server's next append anchors their entries too).
    explicit AuditLog(common::RedisClient& redis, AuditAnchor* anchor = nullptr)
        : redis_(redis), anchor_(anchor) {}

    // Appends and returns the entry's stream id. `detail` is free text (JSON by convention).
    common::Task<std::string> append(std::string actor, std::string action, std::string target,
                                     std::string detail);
    // Up to `count` entries after stream id `after` ("-" for the start), oldest first.
    common::Task<std::vector<AuditEntry>> read(std::string after, size_t count);
    // Walks the whole chain; the first broken entry, if any. Each of `checkpoints` (from an
    // AuditAnchor) must name an entry of the chain with its hash: a log deleted, cut short
    // or rebuilt since is broken. With none given, this log's own anchor's, if it has one.
    common::Task<std::optional<ChainBreak>> verify(
        std::vector<AuditAnchor::Checkpoint> checkpoints = {});

private:
    common::RedisClient& redis_;  // Passed by argument.
    AuditAnchor* anchor_;         // Passed by argument; may be null.
    common::AsyncMutex appendMutex_;
    std::string head_;  // Last known chain head; refreshed when the script rejects it.
};

AuditEntry auditEntryFromStream(const common::RedisValue& entry);

}  // namespace vigil::signaling
