#include "vigil/signaling/CsvReport.hpp"

#include <string_view>

namespace vigil::signaling {

namespace {

constexpr const char* kBom = "\xEF\xBB\xBF";
constexpr const char* kEol = "\r\n";
constexpr const char* kHeader =
    "unit_id,unit,class_id,class,class_start,class_end,required,subject_id,username,subject,"
    "first_join,last_leave,minutes_connected,minutes_credited,reconnects";

// RFC 4180: quote a field holding a separator, a quote or a line break; double the quotes.
std::string quoted(const std::string& field) {
    if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
    std::string out = "\"";
    for (char ch : field) {
        if (ch == '"') out += '"';
        out += ch;
    }
    out += '"';
    return out;
}

// Names and titles are typed by users. A cell starting with one of these is run as a formula
// by spreadsheets (CSV injection, e.g. "=HYPERLINK(...)"); the apostrophe makes it text.
std::string textCell(const std::string& field) {
    if (!field.empty() && std::string_view("=+-@\t\r").find(field.front()) != std::string::npos) {
        return quoted("'" + field);
    }
    return quoted(field);
}

std::string timeCell(common::Millis t, int utcOffsetMinutes) {
    return t == 0 ? std::string() : common::formatIso8601(t, utcOffsetMinutes);
}

}  // namespace

std::string buildAttendanceCsv(const std::vector<CsvRow>& rows, int utcOffsetMinutes) {
    std::string out = kBom;
    out += kHeader;
    out += kEol;
    for (const auto& r : rows) {
        const std::string cells[] = {
            textCell(r.unitId),
            textCell(r.unitName),
            textCell(r.classId),
            textCell(r.classTitle),
            timeCell(r.classStart, utcOffsetMinutes),
            timeCell(r.classEnd, utcOffsetMinutes),
            r.required ? "yes" : "no",
            textCell(r.subjectId),
            textCell(r.username),
            textCell(r.subjectName),
            timeCell(r.firstJoin, utcOffsetMinutes),
            timeCell(r.lastLeave, utcOffsetMinutes),
            std::to_string(r.minutesConnected),
            std::to_string(r.minutesCredited),
            std::to_string(r.reconnects),
        };
        bool first = true;
        for (const auto& cell : cells) {
            if (!first) out += ',';
            out += cell;
            first = false;
        }
        out += kEol;
    }
    return out;
}

}  // namespace vigil::signaling
