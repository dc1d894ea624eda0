#include "Camera.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace checkin {

namespace {
constexpr double kFps = 10.0;  // the clips' frame rate
}

CameraClip makeCameraClip(const std::string& sourceDir, const std::string& clip, int first,
                          int last, const std::string& challenge, const std::string& dir) {
    CameraClip camera;
    for (int n = first; n <= last; ++n) {
        char from[64];
        char to[32];
        std::snprintf(from, sizeof from, "/var/testdata/video/%s/%05d.jpg", clip.c_str(), n);
        std::snprintf(to, sizeof to, "/%05d.jpg", n - first);
        const std::string source = sourceDir + from;
        if (access(source.c_str(), R_OK) != 0)
            throw std::runtime_error(source + " is missing: run scripts/assets");
        if (symlink(source.c_str(), (dir + to).c_str()) != 0)
            throw std::runtime_error("cannot link " + source + " into " + dir);
    }
    camera.pattern = dir + "/%05d.jpg";
    camera.frames = last - first + 1;

    std::ifstream csv(sourceDir + "/tests/data/face_clip_movements.csv");
    std::string line;
    while (std::getline(csv, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::stringstream fields(line);
        std::string name;
        std::string kind;
        std::string a;
        std::string b;
        if (!std::getline(fields, name, ',') || !std::getline(fields, kind, ',') ||
            !std::getline(fields, a, ',') || !std::getline(fields, b, ',') || name != clip ||
            kind != challenge) {
            continue;
        }
        int from = std::stoi(a);
        int to = std::stoi(b);
        if (from >= first && to <= last) camera.movements.emplace_back(from - first, to - first);
    }
    if (camera.movements.empty()) {
        throw std::runtime_error("frames " + std::to_string(first) + "-" + std::to_string(last) +
                                 " of " + clip + " hold no annotated " + challenge);
    }
    return camera;
}

double secondsToMovementStart(const CameraClip& camera, double secondsIntoLoop) {
    const double loop = camera.frames / kFps;
    const double at = std::fmod(secondsIntoLoop, loop);
    double best = std::numeric_limits<double>::max();
    for (const auto& movement : camera.movements) {
        double start = movement.first / kFps;
        if (start < at) start += loop;  // begun already: the next loop's
        best = std::min(best, start - at);
    }
    return best;
}

}  // namespace checkin
