#pragma once
// Wall-clock time as milliseconds since the Unix epoch, and ISO 8601 text with a zone.

#include <cstdint>
#include <optional>
#include <string>

namespace vigil::common {

using Millis = std::int64_t;
inline constexpr Millis kDayMs = 86'400'000;

Millis nowMillis();

// "2026-11-29T15:04:05+08:00" for `offsetMinutes` east of UTC.
std::string formatIso8601(Millis t, int offsetMinutes);

// Accepts "YYYY-MM-DDTHH:MM[:SS][.fff](Z|+HH:MM)" and "YYYY-MM-DD" (midnight at
// `defaultOffsetMinutes`). Returns nothing for anything else.
std::optional<Millis> parseIso8601(const std::string& text, int defaultOffsetMinutes);

// Month boundaries [start, end) of the calendar month "YYYY-MM" at the given offset.
std::optional<std::pair<Millis, Millis>> monthRange(const std::string& yyyymm, int offsetMinutes);
// "YYYY-MM" of instant `t` at the given offset.
std::string monthOf(Millis t, int offsetMinutes);

}  // namespace vigil::common
