#pragma once
// The pixel size of a JPEG or PNG read from its header alone, so that a photo can be refused
// for its size before a decoder allocates memory for it (a few kilobytes of a crafted file
// can claim 65535 x 65535 pixels, gigabytes once decoded).

#include <optional>
#include <string_view>

namespace vigil::common {

struct ImageSize {
    int width{0};
    int height{0};
    long long pixels() const { return static_cast<long long>(width) * height; }
};

// Width and height from a PNG's IHDR or a JPEG's first start-of-frame marker; nothing when
// the bytes are neither, or the header is cut short or malformed.
std::optional<ImageSize> readImageSize(std::string_view bytes);

}  // namespace vigil::common
