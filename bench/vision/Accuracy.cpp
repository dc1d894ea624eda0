#include "Accuracy.hpp"

#include <algorithm>

namespace visionbench {

namespace {

using vigil::vision::Embedding;
using vigil::vision::Face;
using vigil::vision::PresenceVerifier;

struct Embedded {
    const Picture* picture;
    Embedding embedding;
};

}  // namespace

DetectionAccuracy measureDetection(PresenceVerifier& verifier, const Dataset& data) {
    DetectionAccuracy a;
    const auto score = [&](const Picture& p) {
        const int found = static_cast<int>(verifier.detect(p.image).size());
        if (p.faces == 0) {
            ++a.facelessFrames;
            a.falseOnFaceless += found;
        } else {
            a.expectedFaces += p.faces;
            a.foundFaces += std::min(found, p.faces);
            a.extraOnLabelled += std::max(0, found - p.faces);
        }
        if (found != p.faces) {
            a.misses.push_back(p.name + " (" + std::to_string(found) + " of " +
                               std::to_string(p.faces) + ")");
        }
    };
    for (const auto& p : data.photos) score(p);
    for (const auto& p : data.webcam) score(p);
    for (const auto& frame : data.synthetic) {
        ++a.facelessFrames;
        a.falseOnFaceless += static_cast<int>(verifier.detect(frame).size());
    }
    return a;
}

VerificationAccuracy measureVerification(PresenceVerifier& verifier, const Dataset& data) {
    VerificationAccuracy a;
    a.threshold = verifier.options().matchThreshold;
    std::vector<Embedded> all;
    const auto embed = [&](const Picture& p) {
        if (p.faces != 1) return;
        const auto faces = verifier.detect(p.image);
        if (faces.empty()) {
            if (!p.identity.empty()) ++a.notEmbedded;
            return;
        }
        const Face& largest = *std::max_element(faces.begin(), faces.end(), [](auto& x, auto& y) {
            return x.box.area() < y.box.area();
        });
        auto e = verifier.embed(p.image, largest);
        if (!e) {
            if (!p.identity.empty()) ++a.notEmbedded;
            return;
        }
        ++a.embedded;
        all.push_back({&p, std::move(*e)});
    };
    for (const auto& p : data.photos) embed(p);
    for (const auto& p : data.webcam) embed(p);

    struct Pair {
        float similarity;
        bool genuine;
    };
    std::vector<Pair> pairs;
    for (size_t i = 0; i < all.size(); ++i) {
        for (size_t j = i + 1; j < all.size(); ++j) {
            const Picture& x = *all[i].picture;
            const Picture& y = *all[j].picture;
            if (x.identity.empty() && y.identity.empty()) continue;  // Nobody to impersonate.
            const bool genuine = !x.identity.empty() && x.identity == y.identity;
            // Frames of one capture are near copies of each other: only cross-capture pairs.
            if (genuine && x.identity == "webcam" && x.name.substr(0, 5) == y.name.substr(0, 5)) {
                continue;
            }
            const float s = vigil::vision::similarity(all[i].embedding, all[j].embedding);
            pairs.push_back({s, genuine});
            const std::string names = x.name + " / " + y.name;
            if (genuine) {
                ++a.genuinePairs;
                if (s < a.threshold) ++a.falseRejects;
                if (s < a.lowestGenuine) {
                    a.lowestGenuine = s;
                    a.lowestGenuinePair = names;
                }
            } else {
                ++a.impostorPairs;
                if (s >= a.threshold) ++a.falseAccepts;
                if (s > a.highestImpostor) {
                    a.highestImpostor = s;
                    a.highestImpostorPair = names;
                }
            }
        }
    }
    for (float t = 0.20f; t < 0.651f; t += 0.05f) {
        VerificationAccuracy::Point point{t, 0, 0};
        for (const auto& p : pairs) {
            if (p.genuine && p.similarity < t) ++point.falseRejects;
            if (!p.genuine && p.similarity >= t) ++point.falseAccepts;
        }
        a.sweep.push_back(point);
    }
    return a;
}

}  // namespace visionbench
