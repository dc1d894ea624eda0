#include "vigil/signaling/CheckinRules.hpp"

#include <cmath>

namespace vigil::signaling {

namespace {

// A number in [lo, hi]; nullopt otherwise (NaN and infinities cannot come from JSON).
std::optional<double> numberIn(const nlohmann::json& j, const char* name, double lo, double hi) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_number()) return std::nullopt;
    double v = it->get<double>();
    if (!std::isfinite(v) || v < lo || v > hi) return std::nullopt;
    return v;
}

// An accuracy radius beyond this (1000 km) is no position at all.
constexpr double kMaxAccuracyM = 1e6;

}  // namespace

std::optional<CheckinLocation> parseCheckinLocation(const nlohmann::json& j) {
    if (!j.is_object()) return std::nullopt;
    auto lat = numberIn(j, "lat", -90, 90);
    auto lon = numberIn(j, "lon", -180, 180);
    if (!lat || !lon) return std::nullopt;
    CheckinLocation location{*lat, *lon, 0};
    if (j.contains("accuracy")) {
        auto accuracy = numberIn(j, "accuracy", 0, kMaxAccuracyM);
        if (!accuracy) return std::nullopt;
        location.accuracy = *accuracy;
    }
    return location;
}

nlohmann::json toJson(const CheckinLocation& location) {
    return {{"lat", location.lat}, {"lon", location.lon}, {"accuracy", location.accuracy}};
}

CheckinDecision decideCheckin(const LivenessVerdictReport& verdict, bool framesJudged) {
    if (verdict.passed)
        return verdict.identityChecked ? CheckinDecision{"verified", ""}
                                       : CheckinDecision{"failed", "no_reference"};
    const std::string& code = verdict.code;
    if (!framesJudged && code != "not_shown") return {"failed", "camera_off"};
    if (code == "not_matched" || code == "several_faces" || code == "no_face" ||
        code == "poor_image")
        return {"failed", code};
    // did_not_follow, too_few_frames, not_shown and anything a newer tracker may add.
    return {"failed", "liveness_failed"};
}

size_t codePoints(std::string_view text) {
    size_t n = 0;
    for (unsigned char c : text) {
        if ((c & 0xC0) != 0x80) ++n;  // Every byte but a continuation byte starts one.
    }
    return n;
}

}  // namespace vigil::signaling
