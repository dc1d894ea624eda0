// libFuzzer target for the WebSocket message parser: bytes straight from a browser frame.
// A crash, a sanitizer report, an escaping exception (std::terminate) or a broken invariant
// (abort below) are all findings.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <variant>

#include "vigil/signaling/Protocol.hpp"

namespace {

using vigil::signaling::errorReply;
using vigil::signaling::okReply;
using vigil::signaling::ParseError;
using vigil::signaling::parseRequest;
using vigil::signaling::Request;

// The server's per-message limit (docs/protocol.md).
constexpr std::size_t kMaxBytes = 65536;

void check(bool condition) {
    if (!condition) std::abort();
}

void exerciseRequest(const Request& request) {
    // The reply side, as the dispatcher would: an ok carrying the body back and an error.
    const std::string ok = okReply(request.id, request.body).dump();
    const std::string error =
        errorReply(request.id, "not_available", vigil::signaling::toString(request.type)).dump();
    check(!ok.empty() && !error.empty());

    // What we accepted, serialised again, must be accepted again as the same request; a
    // difference would mean validation depends on spelling rather than on content.
    const std::string again = request.body.dump();
    auto second = parseRequest(again, std::numeric_limits<std::size_t>::max());
    const auto* reparsed = std::get_if<Request>(&second);
    check(reparsed != nullptr);
    check(reparsed->type == request.type && reparsed->id == request.id);
}

void exerciseError(const ParseError& error) {
    // Only these codes can come from the parser; "internal" means something threw inside.
    check(error.code == "too_large" || error.code == "bad_json" || error.code == "bad_request");
    check(error.id.is_null() || error.id.is_string() || error.id.is_number_integer());
    check(!errorReply(error.id, error.code, error.message).dump().empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    auto result = parseRequest(text, kMaxBytes);
    if (const auto* request = std::get_if<Request>(&result)) {
        exerciseRequest(*request);
    } else {
        exerciseError(std::get<ParseError>(result));
    }

    // Raw, possibly invalid UTF-8 placed in an error message must still serialise.
    check(!errorReply(nullptr, "bad_json", text.substr(0, 256)).dump().empty());
    return 0;
}
