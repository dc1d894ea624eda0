#include "vigil/signaling/AuditScope.hpp"

#include "vigil/signaling/Directory.hpp"

namespace vigil::signaling {

using common::Task;

namespace {

// ARGV: ids. Returns, per id, the `unit` field of the first record hash of that id, or ''.
// The keys are built here rather than passed as KEYS: which of them exists is the question.
// pcall: an id that happens to name a key of another type (a set, a stream) is not an error.
const char* const kUnitsScript = R"lua(
local prefixes = {'vigil:user:', 'vigil:class:', 'vigil:rec:', 'vigil:call:', 'vigil:alert:',
                  'vigil:checkin:', 'vigil:checkinorder:'}
local out = {}
for i, id in ipairs(ARGV) do
  local unit = ''
  for _, prefix in ipairs(prefixes) do
    local v = redis.pcall('HGET', prefix .. id, 'unit')
    if type(v) == 'string' and v ~= '' then
      unit = v
      break
    end
  end
  out[i] = unit
end
return out
)lua";

std::string fieldOf(const AuditEntry& e, const std::string& name) {
    for (const auto& [k, v] : e.fields) {
        if (k == name) return v;
    }
    return {};
}

}  // namespace

AuditScope::AuditScope(common::RedisClient& redis, UnitTree tree, std::string branch)
    : redis_(redis), tree_(std::move(tree)), branch_(std::move(branch)) {
    everything_ = tree_.contains(branch_) && tree_.parentOf(branch_).empty();
}

Task<void> AuditScope::prepare(const std::vector<AuditEntry>& entries) {
    if (everything_) co_return;
    std::vector<std::string> args{"EVAL", kUnitsScript, "0"};
    const size_t fixed = args.size();
    for (const auto& entry : entries) {
        for (const char* name : {"actor", "target"}) {
            std::string id = fieldOf(entry, name);
            if (id.empty() || units_.count(id) != 0) continue;
            if (tree_.contains(id)) {
                units_[id] = id;
            } else if (!Directory::validId(id)) {
                units_[id] = "";
            } else {
                units_[id] = "";  // Claimed now so that a repeated id is asked once.
                args.push_back(std::move(id));
            }
        }
    }
    if (args.size() == fixed) co_return;
    auto reply = co_await redis_.command(args);
    for (size_t i = 0; i < reply.elements.size() && fixed + i < args.size(); ++i)
        units_[args[fixed + i]] = reply.elements[i].str;
}

Task<std::string> AuditScope::unitOf(const std::string& id) {
    std::vector<AuditEntry> probe(1);
    probe[0].fields.emplace_back("target", id);
    co_await prepare(probe);
    auto it = units_.find(id);
    co_return it == units_.end() ? std::string() : it->second;
}

bool AuditScope::inBranch(const std::string& id) const {
    auto it = units_.find(id);
    return it != units_.end() && !it->second.empty() && tree_.isWithin(it->second, branch_);
}

bool AuditScope::covers(const AuditEntry& entry) const {
    if (everything_) return true;
    return inBranch(fieldOf(entry, "actor")) || inBranch(fieldOf(entry, "target"));
}

}  // namespace vigil::signaling
