#pragma once
// The HTTP Range header of a GET for one file (RFC 9110, section 14): which bytes to send.
// Pure; tested on its own.

#include <cstdint>
#include <string_view>

namespace vigil::signaling {

struct ByteRange {
    enum class Kind {
        Whole,          // no usable Range header: send everything with 200
        Partial,        // send [first, last] with 206 and Content-Range
        Unsatisfiable,  // 416 with "Content-Range: bytes */size"
    };
    Kind kind{Kind::Whole};
    std::uint64_t first{0};
    std::uint64_t last{0};  // inclusive

    std::uint64_t length() const { return last - first + 1; }

    // `header` is the Range value ("bytes=100-199", "bytes=100-", "bytes=-50") for a file of
    // `size` bytes. A header that is not one well-formed bytes range (several ranges, another
    // unit, garbage) is ignored, as the RFC allows: the whole file is sent. An end past the
    // file is cut to its last byte; a start past it, an empty suffix or an empty file make the
    // range unsatisfiable.
    static ByteRange parse(std::string_view header, std::uint64_t size);
};

}  // namespace vigil::signaling
