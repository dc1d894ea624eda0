#include "vigil/common/ImageHeader.hpp"

#include <cstddef>
#include <cstdint>

namespace vigil::common {

namespace {

std::uint32_t byteAt(std::string_view b, std::size_t i) {
    return static_cast<unsigned char>(b[i]);
}
std::uint32_t be16(std::string_view b, std::size_t i) {
    return (byteAt(b, i) << 8) | byteAt(b, i + 1);
}
std::uint32_t be32(std::string_view b, std::size_t i) {
    return (be16(b, i) << 16) | be16(b, i + 2);
}

std::optional<ImageSize> pngSize(std::string_view b) {
    // Signature (8), IHDR length (4) and type (4), width (4), height (4).
    constexpr std::string_view kSignature("\x89PNG\r\n\x1a\n", 8);
    if (b.size() < 24 || b.substr(0, 8) != kSignature || b.substr(12, 4) != "IHDR")
        return std::nullopt;
    const std::uint32_t w = be32(b, 16), h = be32(b, 20);
    // The PNG specification caps each side at 2^31 - 1.
    if (w == 0 || h == 0 || w > 0x7fffffffU || h > 0x7fffffffU) return std::nullopt;
    return ImageSize{static_cast<int>(w), static_cast<int>(h)};
}

bool isStartOfFrame(std::uint32_t marker) {
    // SOF0..SOF15 but DHT (C4), JPG (C8) and DAC (CC).
    return marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
}

std::optional<ImageSize> jpegSize(std::string_view b) {
    if (b.size() < 4 || byteAt(b, 0) != 0xff || byteAt(b, 1) != 0xd8) return std::nullopt;
    std::size_t i = 2;
    while (i + 4 <= b.size()) {
        if (byteAt(b, i) != 0xff) return std::nullopt;
        const std::uint32_t marker = byteAt(b, i + 1);
        if (marker == 0xff) {  // Fill byte.
            ++i;
            continue;
        }
        // Markers without a length: TEM, RSTn. SOS or EOI before a frame header: malformed.
        if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
            i += 2;
            continue;
        }
        if (marker == 0xd9 || marker == 0xda) return std::nullopt;
        const std::uint32_t length = be16(b, i + 2);
        if (length < 2) return std::nullopt;
        if (isStartOfFrame(marker)) {
            // Length (2), precision (1), height (2), width (2).
            if (i + 9 > b.size() || length < 7) return std::nullopt;
            const std::uint32_t h = be16(b, i + 5), w = be16(b, i + 7);
            // A height of 0 defers to a DNL marker later: no size known up front.
            if (w == 0 || h == 0) return std::nullopt;
            return ImageSize{static_cast<int>(w), static_cast<int>(h)};
        }
        i += 2 + length;
    }
    return std::nullopt;
}

}  // namespace

std::optional<ImageSize> readImageSize(std::string_view bytes) {
    if (auto png = pngSize(bytes)) return png;
    return jpegSize(bytes);
}

}  // namespace vigil::common
