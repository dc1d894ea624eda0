#include "vigil/signaling/ByteRange.hpp"

#include <optional>

namespace vigil::signaling {

namespace {
std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Decimal digits only, at most 18 of them (no overflow).
std::optional<std::uint64_t> number(std::string_view s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
}
}  // namespace

ByteRange ByteRange::parse(std::string_view header, std::uint64_t size) {
    ByteRange whole;
    std::string_view h = trim(header);
    constexpr std::string_view kUnit = "bytes=";
    if (h.size() <= kUnit.size()) return whole;
    for (size_t i = 0; i < kUnit.size(); ++i) {
        char c = h[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != kUnit[i]) return whole;
    }
    std::string_view spec = trim(h.substr(kUnit.size()));
    if (spec.find(',') != std::string_view::npos) return whole;
    size_t dash = spec.find('-');
    if (dash == std::string_view::npos) return whole;
    std::string_view a = trim(spec.substr(0, dash));
    std::string_view b = trim(spec.substr(dash + 1));

    ByteRange unsatisfiable;
    unsatisfiable.kind = Kind::Unsatisfiable;
    ByteRange r;
    r.kind = Kind::Partial;
    if (a.empty()) {
        // Suffix: the last n bytes.
        auto n = number(b);
        if (!n) return whole;
        if (*n == 0 || size == 0) return unsatisfiable;
        r.first = *n >= size ? 0 : size - *n;
        r.last = size - 1;
        return r;
    }
    auto first = number(a);
    if (!first) return whole;
    std::optional<std::uint64_t> last;
    if (!b.empty()) {
        last = number(b);
        if (!last || *last < *first) return whole;
    }
    if (*first >= size) return unsatisfiable;
    r.first = *first;
    r.last = last && *last < size ? *last : size - 1;
    return r;
}

}  // namespace vigil::signaling
