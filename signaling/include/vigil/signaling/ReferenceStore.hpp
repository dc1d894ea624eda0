#pragma once
// Subjects' enrolled face references in Redis: the embedding each presence check compares
// with, who enrolled it from what, and its quality. The embedding (biometric data) and the
// photo are kept only sealed with the reference key (libsodium secretbox); the photo not at
// all when photos are not kept. A reference written before embeddings were sealed is still
// read, and sealed in place when it is. Every change is audited.

#include <optional>
#include <string>
#include <vector>

#include "vigil/common/Clock.hpp"
#include "vigil/common/RedisClient.hpp"
#include "vigil/common/Task.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/PresenceService.hpp"

namespace vigil::signaling {

struct FaceReference {
    std::string id;
    std::string subject;
    std::string model;   // The recognizer that made the embedding; others cannot compare it.
    std::string source;  // upload | call | cli
    std::string by;      // The user (or "cli") who enrolled it.
    common::Millis created{0};
    std::vector<float> embedding;
    int faceWidth{0};
    double sharpness{0};
    double brightness{0};
    bool hasImage{false};
};

class ReferenceStore {
public:
    // `dataKey`: the 32-byte reference key that seals embeddings and photos
    // (referenceDataKey); `keepImages`: whether photos are kept at all.
    ReferenceStore(common::RedisClient& redis, AuditLog& audit, std::string dataKey,
                   bool keepImages)
        : redis_(redis), audit_(audit), dataKey_(std::move(dataKey)), keepImages_(keepImages) {}

    // Stores a reference that passed the quality gate (the caller checked `check.ok()`).
    common::Task<FaceReference> add(std::string subject, ReferenceCheck check,
                                    std::string imageBytes, std::string source, std::string actor);
    common::Task<std::vector<FaceReference>> list(std::string subject);
    // False when there was no such reference.
    common::Task<bool> remove(std::string subject, std::string ref, std::string actor);
    // The decrypted photo; nullopt when none is kept (or it no longer opens with the key).
    common::Task<std::optional<std::string>> image(std::string subject, std::string ref);

private:
    common::RedisClient& redis_;  // Passed by argument.
    AuditLog& audit_;             // Passed by argument.
    // The stored record; nullopt when it does not open with the key (logged).
    std::optional<FaceReference> decode(const std::string& subject, const std::string& text);
    std::string encode(const FaceReference& r) const;

    std::string dataKey_;
    bool keepImages_;
};

}  // namespace vigil::signaling
