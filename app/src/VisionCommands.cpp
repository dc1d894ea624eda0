// vigil vision detect IMAGE... | verify REFERENCE PROBE... | liveness --challenge C VIDEO
//
// Exit statuses: 0 done (verify: whatever the decisions; liveness: passed), 1 a refusal
// (verify: the reference has no usable face; liveness: failed), 2 a usage error, an unreadable
// file or a missing model.

#include "VisionCommands.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <optional>
#include <string>
#include <vector>

#include "vigil/vision/Liveness.hpp"
#include "vigil/vision/PresenceVerifier.hpp"

namespace vigil::app {

namespace {

using nlohmann::json;
using vision::PresenceVerifier;
using vision::VisionError;
using vision::VisionOptions;

// Liveness bursts are analysed at about this rate, the rate the tracker's limits were set at.
constexpr double kLivenessFps = 10.0;

struct CommonFlags {
    std::string modelsDir{"var/models"};
    std::string detector;
    std::optional<float> threshold;
};

void addCommonFlags(CLI::App& command, CommonFlags& flags) {
    command.add_option("--models", flags.modelsDir, "models folder")->capture_default_str();
    command.add_option("--detector", flags.detector, "ultraface, blazeface, yunet or haar");
}

// Builds the verifier or exits 2 naming the model or option at fault.
std::unique_ptr<PresenceVerifier> makeVerifier(const VisionOptions& options) {
    try {
        return std::make_unique<PresenceVerifier>(options);
    } catch (const VisionError& e) {
        std::cerr << "vigil: " << e.code() << ": " << e.what() << "\n";
        std::exit(kExitUsage);
    }
}

VisionOptions optionsFrom(const CommonFlags& flags) {
    VisionOptions options;
    options.modelsDir = flags.modelsDir;
    if (!flags.detector.empty()) options.detector = flags.detector;
    return options;
}

std::optional<cv::Mat> readImage(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        std::cerr << "vigil: " << path << ": no such file\n";
        return std::nullopt;
    }
    cv::Mat image;
    try {
        image = cv::imread(path, cv::IMREAD_COLOR);
    } catch (const cv::Exception&) {
        image.release();
    }
    if (image.empty()) {
        std::cerr << "vigil: cannot read " << path << " as a picture\n";
        return std::nullopt;
    }
    return image;
}

double rounded(double value, int decimals) {
    const double f = std::pow(10.0, decimals);
    return std::round(value * f) / f;
}

json facesJson(const std::vector<vision::Face>& faces) {
    json list = json::array();
    for (const auto& face : faces) {
        list.push_back({{"box",
                         {std::lround(face.box.x), std::lround(face.box.y),
                          std::lround(face.box.width), std::lround(face.box.height)}},
                        {"score", rounded(face.score, 3)}});
    }
    return list;
}

void addDetect(CLI::App& vision) {
    auto flags = std::make_shared<CommonFlags>();
    auto images = std::make_shared<std::vector<std::string>>();
    auto* detect = vision.add_subcommand(
        "detect", "find the faces in pictures and give the outcome a presence check would have");
    detect->add_option("IMAGE", *images, "pictures (JPEG, PNG, ...)")->required();
    addCommonFlags(*detect, *flags);
    detect->add_option("--threshold", flags->threshold, "detector confidence (0-1)");
    detect->callback([flags, images]() {
        auto options = optionsFrom(*flags);
        if (flags->threshold) options.detectThreshold = *flags->threshold;
        auto verifier = makeVerifier(options);
        bool unreadable = false;
        for (const auto& path : *images) {
            const auto image = readImage(path);
            if (!image) {
                unreadable = true;
                continue;
            }
            // With no reference, a good single face comes out as not_matched "no reference
            // enrolled": the best a check can say about a picture alone.
            const auto result = verifier->check(*image, {});
            std::cout << json{{"image", path},
                              {"detector", std::string(verifier->detectorName())},
                              {"faces", facesJson(verifier->detect(*image))},
                              {"outcome", std::string(vision::toString(result.outcome))},
                              {"reason", result.reason}}
                             .dump()
                      << std::endl;
        }
        if (unreadable) std::exit(kExitUsage);
    });
}

void addVerify(CLI::App& vision) {
    auto flags = std::make_shared<CommonFlags>();
    auto reference = std::make_shared<std::string>();
    auto probes = std::make_shared<std::vector<std::string>>();
    auto* verify = vision.add_subcommand(
        "verify", "compare the face in each probe picture with the face of a reference photo");
    verify->add_option("REFERENCE", *reference, "reference photo of one person")->required();
    verify->add_option("PROBE", *probes, "pictures to compare with it")->required();
    addCommonFlags(*verify, *flags);
    verify->add_option("--threshold", flags->threshold, "cosine similarity that matches (0-1)");
    verify->callback([flags, reference, probes]() {
        auto options = optionsFrom(*flags);
        if (flags->threshold) options.matchThreshold = *flags->threshold;
        const auto referenceImage = readImage(*reference);
        if (!referenceImage) std::exit(kExitUsage);
        auto verifier = makeVerifier(options);
        const auto enrolled = verifier->enrol(*referenceImage);
        if (!enrolled.ok()) {
            std::cerr << "vigil: " << *reference << " has no usable face: " << enrolled.code << ": "
                      << enrolled.reason << "\n";
            std::exit(kExitRefused);
        }
        bool unreadable = false;
        for (const auto& path : *probes) {
            const auto image = readImage(path);
            if (!image) {
                unreadable = true;
                continue;
            }
            const auto result = verifier->check(*image, {enrolled.embedding});
            const bool match = result.outcome == vision::Outcome::Verified;
            std::cout << json{{"image", path},
                              {"similarity", rounded(result.similarity, 3)},
                              {"decision", match ? "match" : "no_match"},
                              {"threshold", rounded(options.matchThreshold, 3)},
                              {"outcome", std::string(vision::toString(result.outcome))},
                              {"reason", result.reason}}
                             .dump()
                      << std::endl;
        }
        if (unreadable) std::exit(kExitUsage);
    });
}

// Calls `frame` with each picture of a video file or of a folder of JPEG frames (in name
// order), at about kLivenessFps; stops early when it returns true. False if nothing can be read.
template <typename OnFrame>
bool eachFrame(const std::string& source, OnFrame frame) {
    std::error_code ec;
    if (std::filesystem::is_directory(source, ec)) {
        std::vector<std::string> files;
        for (const auto& entry : std::filesystem::directory_iterator(source, ec)) {
            auto ext = entry.path().extension().string();
            std::transform(ext.begin(), ext.end(), ext.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            if (ext == ".jpg" || ext == ".jpeg") files.push_back(entry.path().string());
        }
        std::sort(files.begin(), files.end());
        if (files.empty()) return false;
        // Folders of frames are taken to be at 10 fps already (scripts/assets writes them so).
        for (const auto& file : files) {
            const cv::Mat image = cv::imread(file, cv::IMREAD_COLOR);
            if (image.empty()) continue;
            if (frame(image)) break;
        }
        return true;
    }
    if (!std::filesystem::is_regular_file(source, ec)) return false;
    cv::VideoCapture capture;
    try {
        if (!capture.open(source)) return false;
    } catch (const cv::Exception&) {
        return false;
    }
    const double fps = capture.get(cv::CAP_PROP_FPS);
    const int step = fps > kLivenessFps ? static_cast<int>(std::lround(fps / kLivenessFps)) : 1;
    cv::Mat image;
    bool any = false;
    for (long index = 0; capture.read(image); ++index) {
        any = true;
        if (index % step != 0) continue;
        if (frame(image)) break;
    }
    return any;
}

void addLiveness(CLI::App& vision) {
    auto flags = std::make_shared<CommonFlags>();
    auto challengeName = std::make_shared<std::string>();
    auto source = std::make_shared<std::string>();
    auto reference = std::make_shared<std::string>();
    auto* liveness = vision.add_subcommand(
        "liveness",
        "judge a liveness challenge on a recorded burst: a video file or a folder of .jpg frames");
    liveness->add_option("--challenge", *challengeName, "turn_left, turn_right, look_up or blink")
        ->required();
    liveness->add_option("VIDEO", *source, "video file, or folder of .jpg frames at 10 fps")
        ->required();
    liveness->add_option("--reference", *reference,
                         "photo of the person who must be the one in the video");
    addCommonFlags(*liveness, *flags);
    liveness->callback([flags, challengeName, source, reference]() {
        const auto challenge = vision::challengeFromString(*challengeName);
        if (!challenge) {
            std::cerr << "vigil: unknown challenge '" << *challengeName
                      << "' (turn_left, turn_right, look_up or blink)\n";
            std::exit(kExitUsage);
        }
        auto verifier = makeVerifier(optionsFrom(*flags));
        std::vector<vision::Embedding> references;
        vision::LivenessOptions livenessOptions;
        if (!reference->empty()) {
            const auto image = readImage(*reference);
            if (!image) std::exit(kExitUsage);
            const auto enrolled = verifier->enrol(*image);
            if (!enrolled.ok()) {
                std::cerr << "vigil: " << *reference << " has no usable face: " << enrolled.code
                          << ": " << enrolled.reason << "\n";
                std::exit(kExitRefused);
            }
            references.push_back(enrolled.embedding);
            livenessOptions.requireMatch = true;
            livenessOptions.matchThreshold = verifier->options().matchThreshold;
        }
        vision::LivenessTracker tracker(*challenge, livenessOptions);
        std::optional<vision::LivenessVerdict> verdict;
        const bool read = eachFrame(*source, [&](const cv::Mat& frame) {
            auto v = tracker.add(verifier->analyze(frame, references));
            if (v.decided) verdict = std::move(v);
            return verdict.has_value();
        });
        if (!read) {
            std::cerr << "vigil: cannot read " << *source
                      << " as a video or a folder of .jpg frames\n";
            std::exit(kExitUsage);
        }
        if (!verdict) verdict = tracker.finish();
        std::cout << json{{"challenge", *challengeName},
                          {"passed", verdict->passed},
                          {"code", verdict->code},
                          {"reason", verdict->reason}}
                         .dump()
                  << std::endl;
        if (!verdict->passed) std::exit(kExitRefused);
    });
}

}  // namespace

CLI::App& addVisionCommands(CLI::App& app, GlobalOptions&) {
    auto* vision = app.add_subcommand("vision", "presence verification on pictures and videos");
    vision->require_subcommand(1);
    addDetect(*vision);
    addVerify(*vision);
    addLiveness(*vision);
    return *vision;
}

}  // namespace vigil::app
