#pragma once
// Strings a client chose (a username at login, an unknown message type) written into a log
// line. Without escaping, a newline or terminal escape in such a string could forge log
// lines or rewrite a terminal; a megabyte of it would drown the log.

#include <cstddef>
#include <string>
#include <string_view>

namespace vigil::common {

// `text` quoted and escaped for one log line: printable ASCII as is, `"` and `\` and
// control bytes and anything outside ASCII as \xHH (so the line stays one line and plain
// ASCII, and the original bytes can be read back). Longer than `maxBytes`: cut, with "..."
// after the closing quote.
std::string logText(std::string_view text, std::size_t maxBytes = 64);

}  // namespace vigil::common
