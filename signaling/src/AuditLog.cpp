#include "vigil/signaling/AuditLog.hpp"

#include "vigil/common/Clock.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::Task;

namespace {
// KEYS: head, stream. ARGV: expected prev, new hash, then field/value pairs.
// Appends only if the head is still `expected prev`; otherwise returns the actual head.
const char* kAppendScript = R"lua(
local head = redis.call('GET', KEYS[1])
if not head then head = ARGV[3] end
if head ~= ARGV[1] then return {0, head} end
local args = {}
for i = 4, #ARGV do args[#args + 1] = ARGV[i] end
args[#args + 1] = 'prev'
args[#args + 1] = ARGV[1]
args[#args + 1] = 'hash'
args[#args + 1] = ARGV[2]
local id = redis.call('XADD', KEYS[2], '*', unpack(args))
redis.call('SET', KEYS[1], ARGV[2])
return {1, id}
)lua";

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
    std::vector<std::pair<std::string, std::string>> fields{{"ts", std::to_string(common::nowMillis())},
                                                            {"actor", actor},
                                                            {"action", action},
                                                            {"target", target},
                                                            {"detail", detail}};
    for (int attempt = 0; attempt < 16; ++attempt) {
        std::string prev = head_.empty() ? std::string(kChainGenesis) : head_;
        std::string hash = chainHash(prev, fields);
        std::vector<std::string> args{"EVAL", kAppendScript, "2", keys::kAuditHead, keys::kAudit,
                                      prev,   hash,          kChainGenesis};
        for (const auto& [k, v] : fields) {
            args.push_back(k);
            args.push_back(v);
        }
        auto reply = co_await redis_.command(std::move(args));
        if (reply.elements.size() == 2 && reply.elements[0].integer == 1) {
            head_ = hash;
            co_return reply.elements[1].str;
        }
        head_ = reply.elements.size() == 2 ? reply.elements[1].str : std::string();
    }
    throw common::RedisError("audit chain head kept moving; entry not written");
}

Task<std::vector<AuditEntry>> AuditLog::read(std::string after, size_t count) {
    std::string start = after == "-" || after.empty() ? "-" : "(" + after;
    auto reply = co_await redis_.cmd("XRANGE", keys::kAudit, start, "+", "COUNT", std::to_string(count));
    std::vector<AuditEntry> out;
    for (const auto& entry : reply.elements) out.push_back(auditEntryFromStream(entry));
    co_return out;
}

Task<std::optional<ChainBreak>> AuditLog::verify() {
    // Page through the stream, verifying each page against the last hash of the one before.
    std::string after = "-";
    std::string prev = kChainGenesis;
    size_t offset = 0;
    std::string lastId;
    for (;;) {
        auto page = co_await read(after, 1000);
        if (page.empty()) {
            // The head key names the last hash ever appended: a shorter chain lost its tail.
            auto head = co_await redis_.cmd("GET", keys::kAuditHead);
            if (!head.isNil() && head.asString() != prev) {
                co_return ChainBreak{offset, lastId,
                                     "the chain ends before its recorded head: entries were removed from the end"};
            }
            co_return std::nullopt;
        }
        if (auto broken = verifyChain(page, prev)) {
            broken->index += offset;
            co_return broken;
        }
        prev = page.back().hash;
        after = page.back().id;
        lastId = after;
        offset += page.size();
    }
}

}  // namespace vigil::signaling
