#include "vigil/common/Clock.hpp"

#include <chrono>
#include <cstdio>

namespace vigil::common {

namespace {
// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
    std::int64_t y;
    unsigned m, d;
};

Civil civilFromDays(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {y + (m <= 2), m, d};
}

bool digits(const std::string& s, size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

}  // namespace

Millis nowMillis() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string formatIso8601(Millis t, int offsetMinutes) {
    Millis local = t + static_cast<Millis>(offsetMinutes) * 60000;
    std::int64_t days = local >= 0 ? local / kDayMs : (local - kDayMs + 1) / kDayMs;
    std::int64_t msOfDay = local - days * kDayMs;
    Civil c = civilFromDays(days);
    int secs = static_cast<int>(msOfDay / 1000);
    char buf[64];
    int off = offsetMinutes < 0 ? -offsetMinutes : offsetMinutes;
    if (offsetMinutes == 0) {
        std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ",
                      static_cast<long long>(c.y), c.m, c.d, secs / 3600, (secs / 60) % 60,
                      secs % 60);
    } else {
        std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d%c%02d:%02d",
                      static_cast<long long>(c.y), c.m, c.d, secs / 3600, (secs / 60) % 60,
                      secs % 60, offsetMinutes < 0 ? '-' : '+', off / 60, off % 60);
    }
    return buf;
}

std::optional<Millis> parseIso8601(const std::string& s, int defaultOffsetMinutes) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0, ms = 0;
    if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) ||
        s[7] != '-' || !digits(s, 8, 2, d)) {
        return std::nullopt;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
    int offset = defaultOffsetMinutes;
    size_t pos = 10;
    if (s.size() > 10) {
        if (s[10] != 'T' && s[10] != ' ') return std::nullopt;
        if (!digits(s, 11, 2, h) || s.size() < 16 || s[13] != ':' || !digits(s, 14, 2, mi))
            return std::nullopt;
        pos = 16;
        if (pos < s.size() && s[pos] == ':') {
            if (!digits(s, pos + 1, 2, se)) return std::nullopt;
            pos += 3;
            if (pos < s.size() && s[pos] == '.') {
                size_t start = ++pos;
                while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
                if (pos == start) return std::nullopt;
                std::string frac = s.substr(start, std::min<size_t>(3, pos - start));
                while (frac.size() < 3) frac += '0';
                ms = std::stoi(frac);
            }
        }
        if (pos == s.size()) {
            // No zone given: the configured local offset.
        } else if (s[pos] == 'Z' && pos + 1 == s.size()) {
            offset = 0;
        } else if ((s[pos] == '+' || s[pos] == '-') && pos + 6 == s.size()) {
            int oh = 0, om = 0;
            if (!digits(s, pos + 1, 2, oh) || s[pos + 3] != ':' || !digits(s, pos + 4, 2, om))
                return std::nullopt;
            if (oh > 14 || om > 59) return std::nullopt;
            offset = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
        } else {
            return std::nullopt;
        }
        if (h > 23 || mi > 59 || se > 60) return std::nullopt;
    }
    std::int64_t days = daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    if (civilFromDays(days).d != static_cast<unsigned>(d)) return std::nullopt;  // 31 Feb
    Millis local = days * kDayMs + ((h * 60 + mi) * 60 + se) * 1000LL + ms;
    return local - static_cast<Millis>(offset) * 60000;
}

std::optional<std::pair<Millis, Millis>> monthRange(const std::string& s, int offsetMinutes) {
    int y = 0, m = 0;
    if (s.size() != 7 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, m) || m < 1 ||
        m > 12) {
        return std::nullopt;
    }
    Millis off = static_cast<Millis>(offsetMinutes) * 60000;
    Millis start = daysFromCivil(y, static_cast<unsigned>(m), 1) * kDayMs - off;
    int ny = m == 12 ? y + 1 : y;
    int nm = m == 12 ? 1 : m + 1;
    Millis end = daysFromCivil(ny, static_cast<unsigned>(nm), 1) * kDayMs - off;
    return std::make_pair(start, end);
}

std::string monthOf(Millis t, int offsetMinutes) {
    Millis local = t + static_cast<Millis>(offsetMinutes) * 60000;
    std::int64_t days = local >= 0 ? local / kDayMs : (local - kDayMs + 1) / kDayMs;
    Civil c = civilFromDays(days);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04lld-%02u", static_cast<long long>(c.y), c.m);
    return buf;
}

}  // namespace vigil::common
