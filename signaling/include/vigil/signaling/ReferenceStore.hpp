#pragma once
// Subjects' enrolled face references in Redis: the embedding each presence check compares
// with, who enrolled it from what, and its quality. The photo itself is kept only sealed
// with the reference key (libsodium secretbox), or not at all when no key is given. Every
// change is audited.

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
    // `imageKey`: 32 bytes to seal photos with; empty: photos are not kept.
    ReferenceStore(common::RedisClient& redis, AuditLog& audit, std::string imageKey)
        : redis_(redis), audit_(audit), imageKey_(std::move(imageKey)) {}

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
    std::string imageKey_;
};

}  // namespace vigil::signaling
