#pragma once
// The attendance CSV export, built for Excel and LibreOffice as administrators open it.

#include <string>
#include <vector>

#include "vigil/common/Clock.hpp"

namespace vigil::signaling {

// One subject in one class session.
struct CsvRow {
    std::string unitId;
    std::string unitName;
    std::string classId;
    std::string classTitle;
    common::Millis classStart{0};
    common::Millis classEnd{0};
    bool required{false};
    std::string subjectId;
    std::string username;
    std::string subjectName;
    common::Millis firstJoin{0};  // 0: never joined.
    common::Millis lastLeave{0};  // 0: none (never joined, or still connected).
    int minutesConnected{0};
    int minutesCredited{0};
    int reconnects{0};
};

// UTF-8 with a byte-order mark (without it Excel shows Chinese names as mojibake), CRLF line
// ends, a header row, RFC 4180 quoting, times as ISO 8601 at `utcOffsetMinutes` (empty when
// 0). Text cells that a spreadsheet would run as a formula get a leading apostrophe.
std::string buildAttendanceCsv(const std::vector<CsvRow>& rows, int utcOffsetMinutes);

}  // namespace vigil::signaling
