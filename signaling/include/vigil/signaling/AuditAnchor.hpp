#pragma once
// Checkpoints of the audit chain kept outside Redis: an append-only file, one line per
// checkpoint ("<stream id> <hash> <unix ms> <HMAC-SHA-256>"), signed with a key that Redis
// never holds. Whoever can write to Redis can delete the stream, cut its tail or rebuild a
// chain whose hashes agree with each other; none of that agrees with checkpoints already in
// this file, and new ones cannot be forged without the key. Each node keeps its own file
// (nodes share nothing but Redis); `vigil audit verify --anchor FILE` checks any of them.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "vigil/common/EventLoop.hpp"

namespace vigil::signaling {

class AuditAnchor {
public:
    struct Checkpoint {
        std::string id;    // Stream id of the entry that was the head.
        std::string hash;  // Its chain hash.
        long long ms{0};   // When the checkpoint was written.
    };
    struct Contents {
        std::vector<Checkpoint> checkpoints;
        // The first line that is not a correctly signed checkpoint (an edited or forged one),
        // with its line number counted from 1.
        std::optional<std::string> problem;
    };

    // `interval`: at most one checkpoint per interval; the head of a burst of appends is
    // written when the interval ends (0: every append).
    AuditAnchor(common::EventLoop& loop, std::string path, std::string key,
                std::chrono::milliseconds interval);
    ~AuditAnchor();  // Writes a checkpoint still waiting for its interval.
    AuditAnchor(const AuditAnchor&) = delete;
    AuditAnchor& operator=(const AuditAnchor&) = delete;

    // The chain's head is now `hash` at entry `id`. A write that fails is logged; the next
    // checkpoint tries again.
    void record(const std::string& id, const std::string& hash);

    // Reads and checks the file at `path` with `key`. A missing file has no checkpoints.
    // Blocking file I/O, as the chain walk it serves.
    static Contents load(const std::string& path, const std::string& key);
    // This anchor's own file, with what is still waiting for its interval written first.
    Contents contents();

private:
    void writePending();

    common::EventLoop& loop_;  // Passed by argument.
    std::string path_;
    std::string key_;
    std::chrono::milliseconds interval_;
    std::optional<Checkpoint> pending_;
    std::chrono::steady_clock::time_point lastWrite_{};
    common::Timer flushTimer_;
};

}  // namespace vigil::signaling
