#include "LivenessLive.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include "HeldPhoto.hpp"
#include "vigil/vision/Liveness.hpp"

namespace visionbench {

namespace {

namespace fs = std::filesystem;
namespace clips = vigil::vision::clips;
using vigil::vision::Challenge;
using vigil::vision::Embedding;
using vigil::vision::FaceAnalysis;
using vigil::vision::LivenessOptions;
using vigil::vision::LivenessTracker;
using vigil::vision::LivenessVerdict;
using vigil::vision::PresenceVerifier;

const std::vector<Challenge> kChallenges{Challenge::TurnLeft, Challenge::TurnRight,
                                         Challenge::LookUp, Challenge::Blink};
const std::vector<std::string> kClips{"cap12", "cap13"};

// The man is enrolled from a frame of the other clip, as in LivenessVideoTest.
const std::map<std::string, std::pair<std::string, int>> kReferenceFrame{{"cap12", {"cap13", 0}},
                                                                         {"cap13", {"cap12", 100}}};

// Every picture a burst uses, analysed once against the clip's references.
class ClipAnalyses {
public:
    ClipAnalyses(PresenceVerifier& verifier, std::string testdataDir)
        : verifier_(verifier), dir_(std::move(testdataDir)) {
        for (const std::string& clip : kClips) {
            int n = 0;
            while (fs::exists(path(clip, n))) ++n;
            if (n == 0) throw std::runtime_error("no frames in " + dir_ + "/video/" + clip);
            frames_[clip] = n;
        }
    }

    const std::map<std::string, int>& frameCounts() const { return frames_; }

    const FaceAnalysis& frame(const std::string& clip, int index) {
        return analysis({clip, index, 0, 0}, [&] { return picture(clip, index); });
    }

    // Frame `index` of `clip` as a photo held turned by `turn` and tilted by `tilt` degrees.
    const FaceAnalysis& heldPhoto(const std::string& clip, int index, int turn, int tilt) {
        return analysis({clip, index, turn, tilt}, [&] {
            return vigil::vision::spoof::heldPhoto(picture(clip, index), turn, tilt);
        });
    }

private:
    using Key = std::tuple<std::string, int, int, int>;

    template <typename MakePicture>
    const FaceAnalysis& analysis(const Key& key, MakePicture make) {
        auto it = cache_.find(key);
        if (it == cache_.end()) {
            it = cache_.emplace(key, verifier_.analyze(make(), references(std::get<0>(key)))).first;
        }
        return it->second;
    }

    std::string path(const std::string& clip, int index) const {
        char name[16];
        std::snprintf(name, sizeof name, "%05d.jpg", index);
        return dir_ + "/video/" + clip + "/" + name;
    }

    cv::Mat picture(const std::string& clip, int index) const {
        cv::Mat image = cv::imread(path(clip, index), cv::IMREAD_COLOR);
        if (image.empty()) throw std::runtime_error("cannot read " + path(clip, index));
        return image;
    }

    // The clips are too soft for the enrolment gate's sharpness limit, so the reference
    // frame's face is embedded directly.
    const std::vector<Embedding>& references(const std::string& clip) {
        auto it = references_.find(clip);
        if (it != references_.end()) return it->second;
        const auto& [other, index] = kReferenceFrame.at(clip);
        const cv::Mat image = picture(other, index);
        const auto faces = verifier_.detect(image);
        std::optional<Embedding> embedding;
        if (faces.size() == 1) embedding = verifier_.embed(image, faces[0]);
        if (!embedding) throw std::runtime_error("no reference face in " + path(other, index));
        return references_[clip] = {*embedding};
    }

    PresenceVerifier& verifier_;
    std::string dir_;
    std::map<std::string, int> frames_;
    std::map<std::string, std::vector<Embedding>> references_;
    std::map<Key, FaceAnalysis> cache_;
};

// A burst judged as the server judges a subject with references.
LivenessVerdict judge(Challenge challenge, const std::vector<const FaceAnalysis*>& frames,
                      float matchThreshold) {
    LivenessOptions options;
    options.requireMatch = true;
    options.matchThreshold = matchThreshold;
    LivenessTracker tracker(challenge, options);
    for (const FaceAnalysis* f : frames) {
        LivenessVerdict v = tracker.add(*f);
        if (v.decided) return v;
    }
    return tracker.finish();
}

struct SpoofBurst {
    std::string name;
    std::vector<const FaceAnalysis*> frames;
};

// A photo moved in the hand: each {turn, tilt} in `pattern` in turn, over and over.
SpoofBurst moved(ClipAnalyses& a, const std::string& clip, int index, const std::string& how,
                 const std::vector<std::pair<int, int>>& pattern, int length) {
    SpoofBurst b{clip + "/" + std::to_string(index) + " " + how, {}};
    for (int k = 0; k < length; ++k) {
        const auto& [turn, tilt] = pattern[static_cast<size_t>(k) % pattern.size()];
        b.frames.push_back(&a.heldPhoto(clip, index, turn, tilt));
    }
    return b;
}

// Stills (every 25th frame repeated), photos of every 50th frame moved in the hand three ways
// (turned then tilted 10 degrees a frame up to 40 each way; flipped between 40 degrees of
// tilt one way and the other every frame; the same with turning), and the man sitting still
// at the start of cap12 (0-2.9 s, each phase of the burst rate).
std::vector<SpoofBurst> spoofBursts(ClipAnalyses& a, const clips::BurstShape& shape) {
    const int length = static_cast<int>(std::lround(shape.seconds * shape.fps));
    const int step = clips::kClipFps / shape.fps;
    std::vector<std::pair<int, int>> sweep{{0, 0}, {0, 0}};
    for (const bool tilt : {false, true}) {
        for (int deg : {10, 20, 30, 40, 30, 20, 10, 0, -10, -20, -30, -40, -30, -20, -10, 0}) {
            sweep.emplace_back(tilt ? 0 : deg, tilt ? deg : 0);
        }
    }
    const std::vector<std::pair<int, int>> tiltFlip{{0, 0}, {0, 0}, {0, 40}, {0, -40}};
    const std::vector<std::pair<int, int>> turnFlip{{0, 0}, {0, 0}, {40, 0}, {-40, 0}};
    std::vector<SpoofBurst> out;
    for (const std::string& clip : kClips) {
        for (int i = 0; i < a.frameCounts().at(clip); i += 25) {
            out.push_back(
                {clip + "/" + std::to_string(i) + " still",
                 std::vector<const FaceAnalysis*>(static_cast<size_t>(length), &a.frame(clip, i))});
        }
        for (int i = 0; i < a.frameCounts().at(clip); i += 50) {
            out.push_back(moved(a, clip, i, "photo swept", sweep, length));
            out.push_back(moved(a, clip, i, "photo flipped (tilt)", tiltFlip, length));
            out.push_back(moved(a, clip, i, "photo flipped (turn)", turnFlip, length));
        }
    }
    for (int phase = 0; phase < step; ++phase) {
        SpoofBurst b{"cap12 sitting still from frame " + std::to_string(phase), {}};
        for (int f = phase; f < 30 && static_cast<int>(b.frames.size()) < length; f += step) {
            b.frames.push_back(&a.frame("cap12", f));
        }
        out.push_back(std::move(b));
    }
    return out;
}

double percent(int n, int of) {
    return of > 0 ? 100.0 * n / of : 0.0;
}

}  // namespace

void runLivenessLive(PresenceVerifier& verifier, const LivenessLiveOptions& o) {
    if (o.shape.fps <= 0 || clips::kClipFps % o.shape.fps != 0) {
        throw std::runtime_error("the burst rate must divide the clips' 10 fps");
    }
    const auto movements = clips::readMovements(o.movementsFile);
    ClipAnalyses analyses(verifier, o.testdataDir);
    const float threshold = verifier.options().matchThreshold;
    std::printf(
        "Liveness on a live person: the man in the face clips following each challenge\n"
        "bursts of %.1f s at %d fps, the instruction %.1f-%.1f s before an annotated movement\n"
        "(%s); identity required (match threshold %.2f)\n\n",
        o.shape.seconds, o.shape.fps, o.shape.minLead, o.shape.maxLead, o.movementsFile.c_str(),
        threshold);

    const std::vector<SpoofBurst> spoofs = spoofBursts(analyses, o.shape);
    std::vector<std::string> notes;
    std::printf(
        "challenge   moves  live bursts  passed  false rejects  at rest*          "
        "spoof bursts  passed  false accepts\n");
    for (Challenge c : kChallenges) {
        int moves = 0;
        for (const auto& m : movements) moves += m.challenge == c ? 1 : 0;
        const auto bursts = clips::liveBursts(movements, c, analyses.frameCounts(), o.shape);
        int passed = 0;
        int restBursts = 0;
        int restRejects = 0;
        for (const auto& b : bursts) {
            std::vector<const FaceAnalysis*> frames;
            for (int f : b.frames) frames.push_back(&analyses.frame(b.clip, f));
            const LivenessVerdict v = judge(c, frames, threshold);
            const bool atRest = !b.midMovement && b.showsMovement;
            passed += v.passed ? 1 : 0;
            restBursts += atRest ? 1 : 0;
            restRejects += atRest && !v.passed ? 1 : 0;
            if (!v.passed) {
                char line[512];
                std::snprintf(line, sizeof line,
                              "  %s rejected: %s from frame %d (lead %.1f s)%s%s: %s: %s",
                              std::string(toString(c)).c_str(), b.clip.c_str(), b.frames.front(),
                              b.lead, b.midMovement ? ", instruction mid-movement" : "",
                              b.showsMovement ? "" : ", no sampled frame with the eyes closed",
                              v.code.c_str(), v.reason.c_str());
                notes.emplace_back(line);
            }
        }
        int accepted = 0;
        for (const auto& s : spoofs) {
            const LivenessVerdict v = judge(c, s.frames, threshold);
            if (!v.passed) continue;
            ++accepted;
            notes.push_back("  " + std::string(toString(c)) + " accepted a spoof: " + s.name);
        }
        const int rejects = static_cast<int>(bursts.size()) - passed;
        std::printf(
            "%-10s  %5d  %11zu  %6d  %4d (%5.1f%%)  %3d/%-3d (%5.1f%%)  %12zu  %6d  %4d "
            "(%5.1f%%)\n",
            std::string(toString(c)).c_str(), moves, bursts.size(), passed, rejects,
            percent(rejects, static_cast<int>(bursts.size())), restRejects, restBursts,
            percent(restRejects, restBursts), spoofs.size(), accepted, accepted,
            percent(accepted, static_cast<int>(spoofs.size())));
    }
    std::printf(
        "\n* false rejects among the bursts whose instruction came while no other annotated\n"
        "  movement was under way and, for blink, that sample each blink with the eyes closed.\n");
    if (!notes.empty()) std::printf("\n");
    for (const auto& n : notes) std::printf("%s\n", n.c_str());
}

}  // namespace visionbench
