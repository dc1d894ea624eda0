#pragma once
// The attendance CSV export, built for Excel and LibreOffice as administrators open it.

#include <optional>
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
    // Presence, as in SubjectSummary.
    int minutesVerified{0};
    int minutesUnenrolled{0};
    int samples{0};
    int samplesNotMatched{0};  // The mismatches: `unenrolled` samples are never among them.
    int samplesUnenrolled{0};
    int spotChecks{0};
    int spotChecksPassed{0};  // Challenges passed and plain checks answered in time.
    int spotChecksFailed{0};
    int spotChecksMissed{0};
};

// The header row's words: labels in the reader's language, or stable machine names for
// scripts. Cell values other than yes/no are the same in all three.
enum class CsvHeaders { ZhCN, En, Machine };

// From the export's query parameters: `headers` "machine" wins, otherwise `lang` ("zh-CN",
// the default when empty, or "en"); nullopt for any other value.
std::optional<CsvHeaders> csvHeadersFor(const std::string& lang, const std::string& headers);

// UTF-8 with a byte-order mark (without it Excel shows Chinese names as mojibake), CRLF line
// ends, a header row, RFC 4180 quoting, times as ISO 8601 at `utcOffsetMinutes` (empty when
// 0). Text cells that a spreadsheet would run as a formula get a leading apostrophe.
std::string buildAttendanceCsv(const std::vector<CsvRow>& rows, int utcOffsetMinutes,
                               CsvHeaders headers);

// One subject's month in the programme report (ProgrammeReport).
struct ProgrammeCsvRow {
    std::string unitId;
    std::string unitName;
    std::string subjectId;
    std::string username;
    std::string subjectName;
    std::string month;                // "YYYY-MM"
    std::string status;               // active | released | pending | no_term
    std::vector<std::string> levels;  // strict | ordinary | lenient, in the month's order
    double requiredHours{0};
    double creditedHours{0};
    int checkinsDue{0};
    int checkinsVerified{0};
    int checkinsMissed{0};
    int callsDue{0};
    int callsMade{0};
    std::optional<bool> compliant;  // empty cell when not judged (no term that month)
};

// The programme report in the same form as the attendance export. Levels and yes/no are in
// the reader's language with labelled headers; machine names otherwise.
std::string buildProgrammeCsv(const std::vector<ProgrammeCsvRow>& rows, CsvHeaders headers);

}  // namespace vigil::signaling
