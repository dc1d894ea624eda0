#pragma once
// Reading the audit log for people: newest first (or oldest first), narrowed to who did
// what to whose record when. Only reads; the chain and its checks stay in AuditLog.

#include <optional>
#include <string>
#include <vector>

#include "vigil/common/Clock.hpp"
#include "vigil/common/RedisClient.hpp"
#include "vigil/common/Task.hpp"
#include "vigil/signaling/AuditChain.hpp"
#include "vigil/signaling/AuditScope.hpp"

namespace vigil::signaling {

// Empty strings match anything. Matching is exact, on the entry's own fields.
struct AuditFilter {
    std::string actor;
    std::vector<std::string> actions;    // Any of them.
    std::string target;                  // Whose record: a user, class, unit or recording id.
    std::optional<common::Millis> from;  // The entry's `ts` at or after this ...
    std::optional<common::Millis> to;    // ... and before this.

    bool matches(const AuditEntry& entry) const;
};

struct AuditPage {
    std::vector<AuditEntry> entries;
    // Where the next page starts (an entry id, exclusive); empty when the log is exhausted.
    // A page may hold fewer than the requested entries and still have a `next`: a request
    // scans a bounded number of entries however few of them match.
    std::string next;
};

class AuditQuery {
public:
    // `scope`: the reader's branch; entries outside it are skipped (and count against the
    // scan budget like any other non-matching entry). Null: every entry.
    explicit AuditQuery(common::RedisClient& redis, AuditScope* scope = nullptr)
        : redis_(redis), scope_(scope) {}

    // Matching entries older than the entry id `before` ("" for the newest), newest first.
    common::Task<AuditPage> newestFirst(const AuditFilter& filter, std::string before,
                                        size_t limit);
    // Matching entries newer than the entry id `after` ("" for the oldest), oldest first.
    common::Task<AuditPage> oldestFirst(const AuditFilter& filter, std::string after, size_t limit);

    // A stream id as Redis writes it: "<ms>" or "<ms>-<seq>", digits only.
    static bool validEntryId(const std::string& id);

private:
    common::Task<AuditPage> scan(const AuditFilter& filter, bool newestFirst, std::string from,
                                 std::string to, size_t limit);

    common::RedisClient& redis_;  // Passed by argument.
    AuditScope* scope_;           // Passed by argument; may be null.
};

}  // namespace vigil::signaling
