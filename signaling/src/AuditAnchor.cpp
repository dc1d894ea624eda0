#include "vigil/signaling/AuditAnchor.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "vigil/common/Clock.hpp"
#include "vigil/common/Crypto.hpp"
#include "vigil/common/Log.hpp"

namespace vigil::signaling {

namespace {
VIGIL_LOG_CATEGORY(auditAnchorLog, "audit")

// The signed text names what it is, so a MAC made with the same key for something else
// cannot pass for a checkpoint.
std::string signatureOf(const std::string& key, const std::string& id, const std::string& hash,
                        long long ms) {
    return common::hmacSha256Hex(
        "vigil-audit-checkpoint\n" + id + "\n" + hash + "\n" + std::to_string(ms), key);
}
}  // namespace

AuditAnchor::AuditAnchor(common::EventLoop& loop, std::string path, std::string key,
                         std::chrono::milliseconds interval)
    : loop_(loop), path_(std::move(path)), key_(std::move(key)), interval_(interval) {
    std::error_code ignored;
    auto parent = std::filesystem::path(path_).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ignored);
}

AuditAnchor::~AuditAnchor() {
    flushTimer_.cancel();
    writePending();
}

void AuditAnchor::record(const std::string& id, const std::string& hash) {
    pending_ = Checkpoint{id, hash, common::nowMillis()};
    if (std::chrono::steady_clock::now() - lastWrite_ >= interval_) {
        flushTimer_.cancel();
        writePending();
        return;
    }
    if (!flushTimer_.active()) {
        flushTimer_ = loop_.after(interval_, [this]() { writePending(); });
    }
}

// One write(2) of one short line to a file opened O_APPEND: a line is never interleaved
// with another writer's. No fsync: the loop must not block, and an anchor that lags behind
// Redis after a power cut only protects less, it never accuses a sound log.
void AuditAnchor::writePending() {
    if (!pending_) return;
    const Checkpoint c = *pending_;
    pending_.reset();
    lastWrite_ = std::chrono::steady_clock::now();
    const std::string line = c.id + " " + c.hash + " " + std::to_string(c.ms) + " " +
                             signatureOf(key_, c.id, c.hash, c.ms) + "\n";
    int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    bool written =
        fd >= 0 && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    const int error = errno;
    if (fd >= 0) ::close(fd);
    if (!written) {
        auditAnchorLog()->error("audit anchor {}: checkpoint {} not written: {}", path_, c.id,
                                std::strerror(error));
    }
}

AuditAnchor::Contents AuditAnchor::contents() {
    flushTimer_.cancel();
    writePending();
    return load(path_, key_);
}

AuditAnchor::Contents AuditAnchor::load(const std::string& path, const std::string& key) {
    Contents out;
    std::ifstream in(path);
    std::string line;
    size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.empty()) continue;
        std::istringstream fields(line);
        Checkpoint c;
        std::string signature, rest;
        if (!(fields >> c.id >> c.hash >> c.ms >> signature) || (fields >> rest) ||
            signature != signatureOf(key, c.id, c.hash, c.ms)) {
            out.problem = "line " + std::to_string(number) +
                          " of the anchor is not a checkpoint signed with the anchor key";
            return out;
        }
        out.checkpoints.push_back(std::move(c));
    }
    return out;
}

}  // namespace vigil::signaling
