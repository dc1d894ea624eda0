#include "vigil/signaling/AuditLog.hpp"

#include <unordered_map>

#include "vigil/common/Clock.hpp"
#include "vigil/common/Crypto.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::Task;

namespace {
// Appends take turns through a queue so that a busy node cannot starve another one: a
// writer enqueues a token, and the script appends only for the writer at the front, and
// only if its `prev` is still the chain head. A writer that vanished without its turn is
// dropped from the front once its deadline has passed.
//
// KEYS: head, stream, queue. ARGV: token, expected prev, new hash, genesis, field/value pairs.
// Returns {1, id} or {0, head, 'wait' | 'stale' | 'missing'}.
const char* kAppendScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function owner(entry)
  local sep = string.find(entry, '|', 1, true)
  if not sep then return entry, 0 end
  return string.sub(entry, 1, sep - 1), tonumber(string.sub(entry, sep + 1)) or 0
end
while true do
  local first = redis.call('LINDEX', KEYS[3], 0)
  if not first then break end
  local who, deadline = owner(first)
  if who ~= ARGV[1] and deadline < now then redis.call('LPOP', KEYS[3]) else break end
end
local head = redis.call('GET', KEYS[1])
if not head then head = ARGV[4] end
local first = redis.call('LINDEX', KEYS[3], 0)
if not first then return {0, head, 'missing'} end
local who = owner(first)
if who ~= ARGV[1] then
  local mine = false
  for _, entry in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do
    if owner(entry) == ARGV[1] then mine = true end
  end
  if mine then return {0, head, 'wait'} end
  return {0, head, 'missing'}
end
if head ~= ARGV[2] then return {0, head, 'stale'} end
local args = {}
for i = 5, #ARGV do args[#args + 1] = ARGV[i] end
args[#args + 1] = 'prev'
args[#args + 1] = ARGV[2]
args[#args + 1] = 'hash'
args[#args + 1] = ARGV[3]
local id = redis.call('XADD', KEYS[2], '*', unpack(args))
redis.call('SET', KEYS[1], ARGV[3])
redis.call('LPOP', KEYS[3])
return {1, id}
)lua";

constexpr common::Millis kTurnBudgetMs = 10000;

const std::vector<std::string> kFieldOrder{"ts", "actor", "action", "target", "detail"};
}  // namespace

AuditEntry auditEntryFromStream(const common::RedisValue& entry) {
    AuditEntry e;
    if (!entry.isArray() || entry.elements.size() != 2) return e;
    e.id = entry.elements[0].str;
    const auto& kv = entry.elements[1].elements;
    for (size_t i = 0; i + 1 < kv.size(); i += 2) {
        const std::string& k = kv[i].str;
        const std::string& v = kv[i + 1].str;
        if (k == "prev") {
            e.prev = v;
        } else if (k == "hash") {
            e.hash = v;
        } else {
            e.fields.emplace_back(k, v);
        }
    }
    return e;
}

Task<std::string> AuditLog::append(std::string actor, std::string action, std::string target,
                                   std::string detail) {
    auto guard = co_await appendMutex_.lock();
    std::vector<std::pair<std::string, std::string>> fields{
        {"ts", std::to_string(common::nowMillis())},
        {"actor", actor},
        {"action", action},
        {"target", target},
        {"detail", detail}};
    const std::string token = common::randomHex(8);
    const common::Millis giveUpAt = common::nowMillis() + kTurnBudgetMs;
    const std::string ticket = token + "|" + std::to_string(giveUpAt);
    co_await redis_.cmd("RPUSH", keys::kAuditQueue, ticket);
    std::string prev = head_.empty() ? std::string(kChainGenesis) : head_;
    while (common::nowMillis() < giveUpAt) {
        std::string hash = chainHash(prev, fields);
        std::vector<std::string> args{"EVAL",       kAppendScript,     "3",   keys::kAuditHead,
                                      keys::kAudit, keys::kAuditQueue, token, prev,
                                      hash,         kChainGenesis};
        for (const auto& [k, v] : fields) {
            args.push_back(k);
            args.push_back(v);
        }
        auto reply = co_await redis_.command(std::move(args));
        if (reply.elements.size() == 2 && reply.elements[0].integer == 1) {
            head_ = hash;
            if (anchor_ != nullptr) anchor_->record(reply.elements[1].str, hash);
            co_return reply.elements[1].str;
        }
        if (reply.elements.size() != 3) break;
        prev = reply.elements[1].str;
        const std::string& why = reply.elements[2].str;
        if (why == "missing") {
            co_await redis_.cmd("RPUSH", keys::kAuditQueue, ticket);
        } else if (why == "wait") {
            co_await redis_.loop().sleep(std::chrono::milliseconds(2));
        }
        // "stale": the head moved since we read it; retry at once with the new one.
    }
    co_await redis_.cmd("LREM", keys::kAuditQueue, "0", ticket);
    throw common::RedisError("audit log busy: entry not written");
}

Task<std::vector<AuditEntry>> AuditLog::read(std::string after, size_t count) {
    std::string start = after == "-" || after.empty() ? "-" : "(" + after;
    auto reply =
        co_await redis_.cmd("XRANGE", keys::kAudit, start, "+", "COUNT", std::to_string(count));
    std::vector<AuditEntry> out;
    for (const auto& entry : reply.elements) out.push_back(auditEntryFromStream(entry));
    co_return out;
}

Task<std::optional<ChainBreak>> AuditLog::verify(std::vector<AuditAnchor::Checkpoint> checkpoints) {
    if (checkpoints.empty() && anchor_ != nullptr) {
        auto contents = anchor_->contents();
        if (contents.problem) co_return ChainBreak{0, "", *contents.problem};
        checkpoints = std::move(contents.checkpoints);
    }
    std::unordered_map<std::string, const AuditAnchor::Checkpoint*> anchored;
    for (const auto& c : checkpoints) anchored[c.id] = &c;
    // Page through the stream, verifying each page against the last hash of the one before.
    std::string after = "-";
    std::string prev = kChainGenesis;
    size_t offset = 0;
    std::string lastId;
    for (;;) {
        auto page = co_await read(after, 1000);
        if (page.empty()) break;
        if (auto broken = verifyChain(page, prev)) {
            broken->index += offset;
            co_return broken;
        }
        for (size_t i = 0; i < page.size(); ++i) {
            auto it = anchored.find(page[i].id);
            if (it == anchored.end()) continue;
            if (it->second->hash != page[i].hash) {
                co_return ChainBreak{offset + i, page[i].id,
                                     "differs from its checkpoint in the anchor: the log was "
                                     "rewritten"};
            }
            anchored.erase(it);
        }
        prev = page.back().hash;
        after = page.back().id;
        lastId = after;
        offset += page.size();
    }
    // The head key names the last hash ever appended: a shorter chain lost its tail.
    auto head = co_await redis_.cmd("GET", keys::kAuditHead);
    if (!head.isNil() && head.asString() != prev) {
        co_return ChainBreak{
            offset, lastId,
            "the chain ends before its recorded head: entries were removed from the end"};
    }
    if (!anchored.empty()) {
        // The earliest checkpoint the log no longer has.
        const AuditAnchor::Checkpoint* first = anchored.begin()->second;
        for (const auto& [id, c] : anchored) {
            if (c->ms < first->ms) first = c;
        }
        if (offset == 0) {
            co_return ChainBreak{0, first->id,
                                 "the audit log is missing: the anchor holds " +
                                     std::to_string(checkpoints.size()) + " checkpoint(s)"};
        }
        co_return ChainBreak{offset, first->id,
                             "an anchored entry is not in the log: entries were removed"};
    }
    co_return std::nullopt;
}

}  // namespace vigil::signaling
