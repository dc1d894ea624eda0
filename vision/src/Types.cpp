#include "vigil/vision/Types.hpp"

#include <array>
#include <utility>

namespace vigil::vision {

namespace {
constexpr std::array<std::pair<Outcome, std::string_view>, 7> kNames{{
    {Outcome::Verified, "verified"},
    {Outcome::NotMatched, "not_matched"},
    {Outcome::Unenrolled, "unenrolled"},
    {Outcome::NoFace, "no_face"},
    {Outcome::SeveralFaces, "several_faces"},
    {Outcome::CameraOff, "camera_off"},
    {Outcome::PoorImage, "poor_image"},
}};
}  // namespace

std::string_view toString(Outcome outcome) {
    for (const auto& [value, name] : kNames) {
        if (value == outcome) return name;
    }
    return "no_face";
}

std::optional<Outcome> outcomeFromString(std::string_view text) {
    for (const auto& [value, name] : kNames) {
        if (name == text) return value;
    }
    return std::nullopt;
}

}  // namespace vigil::vision
