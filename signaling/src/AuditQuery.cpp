#include "vigil/signaling/AuditQuery.hpp"

#include <algorithm>
#include <cstdlib>

#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::Millis;
using common::Task;

namespace {

// A request reads at most this many entries, matching or not, so that a narrow filter over a
// long log answers in bounded time; the caller continues from `next`.
constexpr size_t kScanBudget = 20000;
constexpr size_t kBatch = 500;
// An entry's id is Redis' clock at the append and its `ts` the appending node's: the id range
// scanned for a time filter is widened by this much, and `ts` decides.
constexpr Millis kClockSlackMs = 300000;  // Five minutes.

std::string field(const AuditEntry& e, const std::string& name) {
    for (const auto& [k, v] : e.fields) {
        if (k == name) return v;
    }
    return {};
}

bool digitsOnly(const std::string& s, size_t from, size_t to) {
    if (from >= to || to - from > 20) return false;
    return std::all_of(s.begin() + static_cast<long>(from), s.begin() + static_cast<long>(to),
                       [](char c) { return c >= '0' && c <= '9'; });
}

std::string idAt(Millis ms) {
    return std::to_string(std::max<Millis>(ms, 0));
}

}  // namespace

bool AuditFilter::matches(const AuditEntry& entry) const {
    if (!actor.empty() && field(entry, "actor") != actor) return false;
    if (!target.empty() && field(entry, "target") != target) return false;
    if (!actions.empty() &&
        std::find(actions.begin(), actions.end(), field(entry, "action")) == actions.end()) {
        return false;
    }
    if (from || to) {
        const Millis ts = std::strtoll(field(entry, "ts").c_str(), nullptr, 10);
        if (from && ts < *from) return false;
        if (to && ts >= *to) return false;
    }
    return true;
}

bool AuditQuery::validEntryId(const std::string& id) {
    const size_t dash = id.find('-');
    if (dash == std::string::npos) return digitsOnly(id, 0, id.size());
    return digitsOnly(id, 0, dash) && digitsOnly(id, dash + 1, id.size());
}

Task<AuditPage> AuditQuery::newestFirst(const AuditFilter& filter, std::string before,
                                        size_t limit) {
    std::string upper = "+";
    if (!before.empty()) {
        upper = "(" + before;
    } else if (filter.to) {
        upper = idAt(*filter.to + kClockSlackMs);
    }
    const std::string lower = filter.from ? idAt(*filter.from - kClockSlackMs) : "-";
    co_return co_await scan(filter, true, lower, upper, limit);
}

Task<AuditPage> AuditQuery::oldestFirst(const AuditFilter& filter, std::string after,
                                        size_t limit) {
    std::string lower = "-";
    if (!after.empty()) {
        lower = "(" + after;
    } else if (filter.from) {
        lower = idAt(*filter.from - kClockSlackMs);
    }
    const std::string upper = filter.to ? idAt(*filter.to + kClockSlackMs) : "+";
    co_return co_await scan(filter, false, lower, upper, limit);
}

Task<AuditPage> AuditQuery::scan(const AuditFilter& filter, bool newestFirst, std::string from,
                                 std::string to, size_t limit) {
    AuditPage page;
    size_t scanned = 0;
    std::string last;
    while (scanned < kScanBudget) {
        const std::string count = std::to_string(std::min(kBatch, kScanBudget - scanned));
        // Not `cond ? co_await a : co_await b`: GCC 12 frees the chosen reply too early.
        common::RedisValue reply;
        if (newestFirst) {
            reply = co_await redis_.cmd("XREVRANGE", keys::kAudit, to, from, "COUNT", count);
        } else {
            reply = co_await redis_.cmd("XRANGE", keys::kAudit, from, to, "COUNT", count);
        }
        std::vector<AuditEntry> batch;
        batch.reserve(reply.elements.size());
        for (const auto& raw : reply.elements) batch.push_back(auditEntryFromStream(raw));
        if (scope_ != nullptr) co_await scope_->prepare(batch);
        for (auto& entry : batch) {
            ++scanned;
            if (!entry.id.empty()) last = entry.id;
            if (!filter.matches(entry)) continue;
            if (scope_ != nullptr && !scope_->covers(entry)) continue;
            page.entries.push_back(std::move(entry));
            if (page.entries.size() >= limit) {
                page.next = last;
                co_return page;
            }
        }
        if (reply.elements.size() < std::stoul(count)) co_return page;  // The end of the log.
        (newestFirst ? to : from) = "(" + last;
    }
    page.next = last;  // The budget ran out before the log did.
    co_return page;
}

}  // namespace vigil::signaling
