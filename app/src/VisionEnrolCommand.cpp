// vigil vision enrol --subject ID IMAGE: enrols a face reference for a subject against the
// configured Redis, through the same quality gate and models as `vigil serve`. Audited with
// the actor "cli".

#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "Commands.hpp"
#include "ReferenceGate.hpp"
#include "VisionConfig.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/ReferenceStore.hpp"
#include "vigil/signaling/SignalingNode.hpp"
#include "vigil/vision/PresenceVerifier.hpp"

namespace vigil::app {

namespace {

// Reads the photo and applies the enrolment gate; exits on a bad file or a refused photo.
signaling::ReferenceCheck gate(const common::Config& config, const std::string& modelsDir,
                               const std::string& path, std::string& bytes) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::cerr << "vigil: cannot read " << path << "\n";
        std::exit(kExitUsage);
    }
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    auto options = visionOptionsFrom(config);
    if (!modelsDir.empty()) options.modelsDir = modelsDir;
    signaling::ReferenceCheck check;
    try {
        vision::PresenceVerifier verifier(options);
        check = gateReference(verifier, bytes, config.vision.recognizer, 0,
                              config.vision.maxPhotoPixels);
    } catch (const vision::VisionError& e) {
        std::cerr << "vigil: " << e.code() << ": " << e.what() << "\n";
        std::exit(kExitUsage);
    }
    if (check.code == "bad_image") {
        std::cerr << "vigil: " << path << " is not a JPEG or PNG photo\n";
        std::exit(kExitUsage);
    }
    if (!check.ok()) {
        std::cout << nlohmann::json{{"image", path},
                                    {"enrolled", false},
                                    {"code", check.code},
                                    {"reason", check.reason}}
                         .dump()
                  << "\n";
        std::exit(kExitRefused);
    }
    return check;
}

}  // namespace

void addVisionEnrolCommand(CLI::App& vision, GlobalOptions& options) {
    static std::string subject, image, modelsDir;
    auto* enrol = vision.add_subcommand(
        "enrol", "enrol a subject's face reference from a photo (JPEG or PNG) into Redis");
    enrol->add_option("--subject", subject, "the subject's user id")->required();
    enrol->add_option("IMAGE", image, "the photo")->required();
    enrol->add_option("--models", modelsDir, "models folder (default: [vision] models_dir)");
    enrol->callback([&options]() {
        auto config = loadConfigOrExit(options);
        std::string bytes;
        auto check = gate(config, modelsDir, image, bytes);
        runWithRedis(options,
                     [&check, &bytes](common::EventLoop&, common::RedisClient& redis,
                                      const common::Config& cfg) -> common::Task<void> {
                         signaling::Directory directory(redis);
                         auto user = co_await directory.findUser(subject);
                         if (!user || user->role != signaling::Role::Subject)
                             throw common::ApiError("not_found", "no subject with id " + subject);
                         signaling::AuditLog audit(redis);
                         signaling::ReferenceStore store(redis, audit,
                                                         signaling::referenceDataKey(cfg),
                                                         cfg.vision.storeReferenceImages);
                         auto reference = co_await store.add(subject, check, bytes, "cli", "cli");
                         std::cout << nlohmann::json{{"image", image},
                                                     {"enrolled", true},
                                                     {"subject", subject},
                                                     {"reference", reference.id},
                                                     {"model", reference.model},
                                                     {"face_px", reference.faceWidth},
                                                     {"image_kept", reference.hasImage}}
                                          .dump()
                                   << "\n";
                     });
    });
}

}  // namespace vigil::app
