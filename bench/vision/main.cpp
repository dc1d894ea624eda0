// vision_bench: how many presence checks one core does per second at 320x240 and 640x480 on
// real photos, the latency of each stage, and the accuracy of detection and verification over
// the labelled set (var/testdata). With --liveness-live: how often a live person following a
// liveness challenge fails it, and how often spoofs pass. See bench/README.md.
//
// Exit status: 0 when the run happened (whatever the figures), 1 when it could not (a model or
// the test data missing), 2 for a bad command line.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <opencv2/core.hpp>

#include "Accuracy.hpp"
#include "Dataset.hpp"
#include "LivenessLive.hpp"
#include "Throughput.hpp"
#include "vigil/vision/PresenceVerifier.hpp"

namespace visionbench {

namespace {

using vigil::vision::Embedding;
using vigil::vision::PresenceVerifier;
using vigil::vision::VisionOptions;

struct Options {
    std::string modelsDir{VISION_BENCH_SOURCE_DIR "/var/models"};
    std::string testdataDir{VISION_BENCH_SOURCE_DIR "/var/testdata"};
    std::string detector{"ultraface"};
    std::string recognizer{"arcface"};
    float threshold{VisionOptions{}.matchThreshold};
    double seconds{5};
    int frameStep{5};
    bool livenessLive{false};
    std::string movementsFile{VISION_BENCH_SOURCE_DIR "/tests/data/face_clip_movements.csv"};
    vigil::vision::clips::BurstShape burst;
};

void printStage(const char* name, const Percentiles& p) {
    std::printf("  %-10s p50 %7.3f ms   p99 %7.3f ms\n", name, p.p50, p.p99);
}

int run(const Options& o) {
    // One thread: the figure is per core, and the server runs one verifier per worker thread.
    cv::setNumThreads(1);
    VisionOptions options;
    options.modelsDir = o.modelsDir;
    options.detector = o.detector;
    options.recognizer = o.recognizer;
    options.matchThreshold = o.threshold;
    options.haarFallback = false;
    PresenceVerifier verifier(options);
    if (o.livenessLive) {
        runLivenessLive(verifier, {o.testdataDir, o.movementsFile, o.burst});
        return 0;
    }
    const Dataset data = loadDataset(o.testdataDir, o.frameStep);
    std::printf("vision_bench: detector %s, recogniser %s, match threshold %.2f, 1 thread\n",
                std::string(verifier.detectorName()).c_str(), o.recognizer.c_str(), o.threshold);
    std::printf(
        "labelled set: %zu photos, %zu webcam frames (every %d-th), %zu synthetic frames\n\n",
        data.photos.size(), data.webcam.size(), o.frameStep, data.synthetic.size());

    // The subject is Franck: his first photo is the reference, the other ten and the webcam
    // subject's frames are the pictures checked (mostly verified, the webcam frames not).
    std::vector<Embedding> references;
    std::vector<cv::Mat> pictures;
    for (const auto& p : data.photos) {
        if (p.identity != "franck" || p.name.rfind("franck_", 0) != 0) continue;
        if (references.empty()) {
            const auto enrolled = verifier.enrol(p.image);
            if (enrolled.ok()) references.push_back(enrolled.embedding);
            continue;
        }
        pictures.push_back(p.image);
    }
    for (size_t i = 0; i < data.webcam.size(); i += 8) pictures.push_back(data.webcam[i].image);
    if (references.empty() || pictures.empty()) {
        std::cerr << "vision_bench: the labelled photos of Franck are missing\n";
        return 1;
    }

    std::printf("Throughput (full check: detect, landmarks, align, embed, compare)\n");
    for (const cv::Size size : {cv::Size(320, 240), cv::Size(640, 480)}) {
        if (verifier.canVerifyIdentity()) {
            const auto r = measureThroughput(verifier, pictures, size, references, o.seconds);
            std::printf(
                "%dx%d: %.1f checks/s per core (%d checks in %.1f s wall, %.1f s CPU; "
                "%d verified)\n",
                size.width, size.height, r.checks / r.cpuSeconds, r.checks, r.wallSeconds,
                r.cpuSeconds, r.verified);
            printStage("detect", r.detect);
            printStage("landmarks", r.landmarks);
            printStage("align", r.align);
            printStage("embed", r.embed);
            printStage("compare", r.compare);
            printStage("total", r.total);
        }
    }

    const auto d = measureDetection(verifier, data);
    std::printf("\nDetection\n");
    std::printf("  recall %d/%d faces (%.1f%%)\n", d.foundFaces, d.expectedFaces,
                100.0 * d.foundFaces / std::max(1, d.expectedFaces));
    std::printf("  false detections: %d on %d faceless frames, %d extra on labelled pictures\n",
                d.falseOnFaceless, d.facelessFrames, d.extraOnLabelled);
    for (const auto& miss : d.misses) std::printf("  miscount: %s\n", miss.c_str());

    if (!verifier.canVerifyIdentity()) return 0;
    const auto v = measureVerification(verifier, data);
    std::printf("\nVerification at threshold %.2f (%d pictures embedded, %d not)\n", v.threshold,
                v.embedded, v.notEmbedded);
    std::printf("  false rejects %d/%d genuine pairs (%.2f%%)\n", v.falseRejects, v.genuinePairs,
                100.0 * v.falseRejects / std::max(1, v.genuinePairs));
    std::printf("  false accepts %d/%d impostor pairs (%.3f%%)\n", v.falseAccepts, v.impostorPairs,
                100.0 * v.falseAccepts / std::max(1, v.impostorPairs));
    std::printf("  lowest genuine %.3f (%s)\n", v.lowestGenuine, v.lowestGenuinePair.c_str());
    std::printf("  highest impostor %.3f (%s)\n", v.highestImpostor, v.highestImpostorPair.c_str());
    std::printf("  threshold  false rejects  false accepts\n");
    for (const auto& p : v.sweep) {
        std::printf("  %9.2f  %13d  %13d\n", p.threshold, p.falseRejects, p.falseAccepts);
    }
    return 0;
}

}  // namespace

}  // namespace visionbench

int main(int argc, char** argv) {
    visionbench::Options o;
    CLI::App app{"vision_bench: presence checks per second per core, stage latency, accuracy"};
    app.add_option("--models", o.modelsDir, "models folder")->capture_default_str();
    app.add_option("--testdata", o.testdataDir, "labelled pictures")->capture_default_str();
    app.add_option("--detector", o.detector, "ultraface, blazeface, yunet or haar")
        ->capture_default_str();
    app.add_option("--recognizer", o.recognizer, "arcface or sface")->capture_default_str();
    app.add_option("--threshold", o.threshold, "match threshold")->capture_default_str();
    app.add_option("--seconds", o.seconds, "seconds of checks per frame size")
        ->capture_default_str();
    app.add_option("--frame-step", o.frameStep, "use every n-th webcam frame")
        ->capture_default_str();
    app.add_flag("--liveness-live", o.livenessLive,
                 "liveness false rejects on the face clips' annotated movements, and false "
                 "accepts on spoofs, instead of the figures above");
    app.add_option("--movements", o.movementsFile, "the clips' annotated movements")
        ->capture_default_str();
    app.add_option("--burst-seconds", o.burst.seconds, "liveness burst length")
        ->capture_default_str();
    app.add_option("--burst-fps", o.burst.fps,
                   "liveness burst rate ([presence] burst_fps); must divide 10")
        ->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    try {
        return visionbench::run(o);
    } catch (const std::exception& e) {
        std::cerr << "vision_bench: " << e.what() << "\n";
        return 1;
    }
}
