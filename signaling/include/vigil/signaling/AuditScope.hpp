#pragma once
// Which audit entries an administrator may read: those of his branch, as with every other
// record. An entry belongs to the units of what it names: its actor (an account) and its
// target (an account, an org unit, or a record that carries a unit: a class, recording,
// call, alert, check-in or check-in order). The administrator sees it when either lies in
// his unit or below. Entries that name nothing in the tree (a failed login under an unknown
// name, a system entry without a target) are read only by administrators of a root unit.
//
// Units are looked up in Redis a batch of entries at a time (one script call per batch) and
// remembered for the rest of the request.

#include <string>
#include <unordered_map>
#include <vector>

#include "vigil/common/RedisClient.hpp"
#include "vigil/common/Task.hpp"
#include "vigil/signaling/AuditChain.hpp"
#include "vigil/signaling/UnitTree.hpp"

namespace vigil::signaling {

class AuditScope {
public:
    AuditScope(common::RedisClient& redis, UnitTree tree, std::string branch);

    // An administrator of a root unit: every entry, nothing looked up.
    bool everything() const { return everything_; }
    // Looks up the units of the ids `entries` name that are not known yet.
    common::Task<void> prepare(const std::vector<AuditEntry>& entries);
    // Whether the entry belongs to the branch; its ids must have been prepared.
    bool covers(const AuditEntry& entry) const;
    // The unit of one id (an account, unit or record); "" when it names nothing known.
    common::Task<std::string> unitOf(const std::string& id);

private:
    bool inBranch(const std::string& id) const;

    common::RedisClient& redis_;  // Passed by argument.
    UnitTree tree_;
    std::string branch_;
    bool everything_{false};
    std::unordered_map<std::string, std::string> units_;  // id -> unit ("" = none)
};

}  // namespace vigil::signaling
