#pragma once
// The movements the man in the face clips really makes (tests/data/face_clip_movements.csv,
// frames of var/testdata/video/cap12 and cap13) and the challenge bursts a live person
// following an instruction would send from them. Shared by the liveness tests on live people
// and by `vision_bench --liveness-live`; no test framework here.

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "vigil/vision/Liveness.hpp"

namespace vigil::vision::clips {

constexpr int kClipFps = 10;  // scripts/assets writes the clips' frames at 10 fps.

struct Movement {
    std::string clip;
    Challenge challenge{Challenge::TurnLeft};
    // Turns and looks: the first frame that moves and the frame the head is back. Blinks: the
    // frames with the eyes closed.
    int first{0};
    int last{0};
};

// Throws std::runtime_error naming the line that cannot be read.
inline std::vector<Movement> readMovements(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::vector<Movement> out;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (line.empty() || line[0] == '#' || line.rfind("clip,", 0) == 0) continue;
        std::stringstream fields(line);
        std::string clip;
        std::string challenge;
        std::string first;
        std::string last;
        std::getline(fields, clip, ',');
        std::getline(fields, challenge, ',');
        std::getline(fields, first, ',');
        std::getline(fields, last, ',');
        const auto parsed = challengeFromString(challenge);
        Movement m;
        try {
            m = Movement{clip, parsed.value_or(Challenge::TurnLeft), std::stoi(first),
                         std::stoi(last)};
        } catch (const std::exception&) {
            throw std::runtime_error(path + ":" + std::to_string(number) + ": bad frame number");
        }
        if (clip.empty() || !parsed || m.last < m.first) {
            throw std::runtime_error(path + ":" + std::to_string(number) + ": bad movement");
        }
        out.push_back(m);
    }
    return out;
}

struct Burst {
    std::string clip;
    std::vector<int> frames;  // Frame numbers, sampled at the burst's rate.
    double lead{0};           // Seconds from the instruction to the movement's first frame.
    // The instruction came while another annotated movement was under way (the subject was
    // still busy with something else when asked).
    bool midMovement{false};
    // Every blink asked for has a sampled frame with the eyes closed (always true for turns
    // and looks): a burst without one cannot show the blink, however it is judged.
    bool showsMovement{true};
};

struct BurstShape {
    double seconds{8};    // Burst length.
    int fps{5};           // Frames per second sampled; must divide kClipFps.
    double minLead{0.4};  // Instruction to movement, in the clips' 0.1 s steps.
    double maxLead{2.0};
};

// The bursts of `challenge` a live person following the instruction sends: for each of its
// movements (for blink, each blink with the next one in the same clip, since two are asked
// for) and each lead, the burst starting `lead` before the movement. A burst must start in
// the clip and last until 0.3 s after the movement ends.
inline std::vector<Burst> liveBursts(const std::vector<Movement>& all, Challenge challenge,
                                     const std::map<std::string, int>& clipFrames,
                                     const BurstShape& shape) {
    const int step = kClipFps / std::max(1, shape.fps);
    const int length = static_cast<int>(std::lround(shape.seconds * shape.fps));
    const int minLead = static_cast<int>(std::lround(shape.minLead * kClipFps));
    const int maxLead = static_cast<int>(std::lround(shape.maxLead * kClipFps));
    std::vector<Burst> out;
    for (size_t i = 0; i < all.size(); ++i) {
        const Movement& m = all[i];
        if (m.challenge != challenge) continue;
        std::vector<Movement> asked{m};
        if (challenge == Challenge::Blink) {
            auto next = std::find_if(
                all.begin() + static_cast<long>(i) + 1, all.end(),
                [&](const Movement& n) { return n.clip == m.clip && n.challenge == challenge; });
            if (next == all.end()) continue;
            asked.push_back(*next);
        }
        const auto frames = clipFrames.find(m.clip);
        if (frames == clipFrames.end()) continue;
        for (int lead = minLead; lead <= maxLead; ++lead) {
            Burst b{m.clip, {}, static_cast<double>(lead) / kClipFps};
            const int start = m.first - lead;
            for (int k = 0; k < length && start + k * step < frames->second; ++k) {
                b.frames.push_back(start + k * step);
            }
            if (start < 0 || b.frames.empty() || b.frames.back() < asked.back().last + 3) continue;
            for (const Movement& other : all) {
                if (other.clip == m.clip && other.first <= start && start <= other.last) {
                    b.midMovement = true;
                }
            }
            for (const Movement& a : asked) {
                b.showsMovement = b.showsMovement &&
                                  std::any_of(b.frames.begin(), b.frames.end(),
                                              [&](int f) { return a.first <= f && f <= a.last; });
            }
            out.push_back(std::move(b));
        }
    }
    return out;
}

}  // namespace vigil::vision::clips
