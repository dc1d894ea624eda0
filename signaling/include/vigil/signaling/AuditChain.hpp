#pragma once
// The audit log's hash chain. Each entry stores the hash of the one before it and a hash over
// that and its own fields, so deleting, editing or reordering entries in Redis shows up when
// the chain is verified.

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vigil::signaling {

using AuditFields = std::vector<std::pair<std::string, std::string>>;

struct AuditEntry {
    std::string id;      // Stream id.
    AuditFields fields;  // ts, actor, action, target, detail, in this order.
    std::string prev;    // Hash of the previous entry; kChainGenesis for the first.
    std::string hash;    // chainHash(prev, fields).
};

// The `prev` of the first entry ever written.
inline constexpr const char* kChainGenesis =
    "0000000000000000000000000000000000000000000000000000000000000000";

// Lower-case hex SHA-256 of prev and the fields, each string written as a netstring
// ("<decimal byte length>:<bytes>,"): prev, then name and value of each field in order. The
// lengths make the encoding unambiguous, so no two different inputs share a preimage; an
// auditor can recompute it with any SHA-256 tool.
std::string chainHash(const std::string& prev, const AuditFields& fields);

struct ChainBreak {
    size_t index;        // Position in the list handed to verifyChain.
    std::string id;      // That entry's stream id.
    std::string reason;  // "prev does not match" | "hash does not match"
};

// The first entry whose prev is not the hash of the entry before it (or, for the first one,
// `expectedFirstPrev`) or whose hash is not chainHash(prev, fields). Nothing when all hold.
std::optional<ChainBreak> verifyChain(const std::vector<AuditEntry>& entries,
                                      const std::string& expectedFirstPrev = kChainGenesis);

}  // namespace vigil::signaling
