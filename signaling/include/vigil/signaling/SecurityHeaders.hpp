#pragma once
// The headers every HTTP response carries (files, the REST API, errors): what the browser may
// load and run on Vigil's pages, that no other site may frame them, that URLs (which may name
// a subject or a recording) are not sent on as a Referer, and, under TLS, that the browser
// keeps to HTTPS for this host.

#include <string>
#include <utility>
#include <vector>

namespace vigil::signaling {

// The Content-Security-Policy of the web app: its own scripts, styles, images and WebSocket
// only; no inline script, eval, plugins or framing. Object URLs (blob:) for photos, check-in
// frames and downloads the app fetched itself with its token; data: for the blank favicon.
extern const char* const kContentSecurityPolicy;

// Name (lower case, with its colon, as lws wants it) and value of each header; with `tls`,
// Strict-Transport-Security too.
std::vector<std::pair<std::string, std::string>> securityHeaders(bool tls);

}  // namespace vigil::signaling
