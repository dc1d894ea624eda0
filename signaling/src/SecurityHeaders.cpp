#include "vigil/signaling/SecurityHeaders.hpp"

namespace vigil::signaling {

const char* const kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

std::vector<std::pair<std::string, std::string>> securityHeaders(bool tls) {
    std::vector<std::pair<std::string, std::string>> headers{
        {"content-security-policy:", kContentSecurityPolicy},
        // For browsers that predate frame-ancestors.
        {"x-frame-options:", "DENY"},
        {"x-content-type-options:", "nosniff"},
        {"referrer-policy:", "no-referrer"},
        {"cross-origin-opener-policy:", "same-origin"},
    };
    // Half a year; not includeSubDomains: other services of the agency may share the domain.
    if (tls) headers.emplace_back("strict-transport-security:", "max-age=15552000");
    return headers;
}

}  // namespace vigil::signaling
