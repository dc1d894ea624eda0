#include "vigil/signaling/AuditChain.hpp"

#include "vigil/common/Crypto.hpp"

namespace vigil::signaling {

namespace {

void appendNetstring(std::string& out, const std::string& s) {
    out += std::to_string(s.size());
    out += ':';
    out += s;
    out += ',';
}

}  // namespace

std::string chainHash(const std::string& prev, const AuditFields& fields) {
    common::initCrypto();  // Idempotent; callers of a pure function should not need to know.
    std::string encoded;
    appendNetstring(encoded, prev);
    for (const auto& [name, value] : fields) {
        appendNetstring(encoded, name);
        appendNetstring(encoded, value);
    }
    return common::sha256Hex(encoded);
}

std::optional<ChainBreak> verifyChain(const std::vector<AuditEntry>& entries,
                                      const std::string& expectedFirstPrev) {
    for (size_t i = 0; i < entries.size(); ++i) {
        const AuditEntry& e = entries[i];
        const std::string& expectedPrev = i == 0 ? expectedFirstPrev : entries[i - 1].hash;
        // Checked first: a missing or moved entry shows as a broken link at the entry after
        // the gap, which is where an auditor should look.
        if (e.prev != expectedPrev) return ChainBreak{i, e.id, "prev does not match"};
        if (e.hash != chainHash(e.prev, e.fields))
            return ChainBreak{i, e.id, "hash does not match"};
    }
    return std::nullopt;
}

}  // namespace vigil::signaling
