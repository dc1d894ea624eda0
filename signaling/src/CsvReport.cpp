#include "vigil/signaling/CsvReport.hpp"

#include <array>
#include <cstdio>
#include <string_view>

namespace vigil::signaling {

namespace {

constexpr const char* kBom = "\xEF\xBB\xBF";
constexpr const char* kEol = "\r\n";

struct Column {
    const char* machine;
    const char* zhCN;
    const char* en;
};

// In the order of the cells in buildAttendanceCsv. New columns go at the end so that scripts
// reading columns by position keep working.
constexpr auto kColumns = std::to_array<Column>({
    {"unit_id", "机构编号", "Unit ID"},
    {"unit", "机构", "Unit"},
    {"class_id", "课程编号", "Class ID"},
    {"class", "课程", "Class"},
    {"class_start", "课程开始", "Class start"},
    {"class_end", "课程结束", "Class end"},
    {"required", "必修", "Required"},
    {"subject_id", "矫正对象编号", "Subject ID"},
    {"username", "用户名", "Username"},
    {"subject", "矫正对象", "Subject"},
    {"first_join", "首次进入", "First join"},
    {"last_leave", "最后离开", "Last leave"},
    {"minutes_connected", "在线（分钟）", "Minutes connected"},
    {"minutes_credited", "计入学时（分钟）", "Minutes credited"},
    {"reconnects", "重连次数", "Reconnects"},
    {"minutes_verified", "核验通过（分钟）", "Minutes verified"},
    {"minutes_unenrolled", "未录底片在场（分钟）", "Minutes unenrolled"},
    {"samples", "在场采样次数", "Presence samples"},
    {"samples_not_matched", "人脸不符次数", "Mismatches"},
    {"samples_unenrolled", "未录底片采样次数", "Unenrolled samples"},
    {"spot_checks", "抽查次数", "Spot checks"},
    {"spot_checks_passed", "抽查通过", "Spot checks passed"},
    {"spot_checks_failed", "抽查未通过", "Spot checks failed"},
    {"spot_checks_missed", "抽查未回应", "Spot checks missed"},
});
using Record = std::array<std::string, kColumns.size()>;

// In the order of the cells in buildProgrammeCsv; new columns at the end.
constexpr auto kProgrammeColumns = std::to_array<Column>({
    {"unit_id", "机构编号", "Unit ID"},
    {"unit", "机构", "Unit"},
    {"subject_id", "矫正对象编号", "Subject ID"},
    {"username", "用户名", "Username"},
    {"subject", "矫正对象", "Subject"},
    {"month", "月份", "Month"},
    {"status", "矫正状态", "Status"},
    {"levels", "管理等级", "Levels"},
    {"required_hours", "应修学时", "Required hours"},
    {"credited_hours", "计入学时", "Credited hours"},
    {"checkins_due", "应报到次数", "Check-ins due"},
    {"checkins_verified", "报到核验通过", "Check-ins verified"},
    {"checkins_missed", "未报到次数", "Check-ins missed"},
    {"calls_due", "应谈话次数", "Calls due"},
    {"calls_made", "已谈话次数", "Calls made"},
    {"compliant", "本月合规", "Compliant"},
});
using ProgrammeRecord = std::array<std::string, kProgrammeColumns.size()>;

const char* wordOf(const Column& c, CsvHeaders headers) {
    switch (headers) {
        case CsvHeaders::ZhCN:
            return c.zhCN;
        case CsvHeaders::En:
            return c.en;
        case CsvHeaders::Machine:
            break;
    }
    return c.machine;
}

// RFC 4180: quote a field holding a separator, a quote or a line break; double the quotes.
std::string csvQuoted(const std::string& field) {
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
        return csvQuoted("'" + field);
    }
    return csvQuoted(field);
}

std::string timeCell(common::Millis t, int utcOffsetMinutes) {
    return t == 0 ? std::string() : common::formatIso8601(t, utcOffsetMinutes);
}

std::string yesNo(bool value, CsvHeaders headers) {
    if (headers == CsvHeaders::ZhCN) return value ? "是" : "否";
    return value ? "yes" : "no";
}

template <size_t N>
void appendRecord(std::string& out, const std::array<std::string, N>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
        if (i > 0) out += ',';
        out += cells[i];
    }
    out += kEol;
}

// The byte-order mark and the header row.
template <size_t N>
std::string headerRow(const std::array<Column, N>& columns, CsvHeaders headers) {
    std::string out = kBom;
    std::array<std::string, N> names;
    for (size_t i = 0; i < N; ++i) names[i] = wordOf(columns[i], headers);
    appendRecord(out, names);
    return out;
}

std::string levelWord(const std::string& level, CsvHeaders headers) {
    if (headers != CsvHeaders::ZhCN) return level;
    if (level == "strict") return "严管";
    if (level == "lenient") return "宽管";
    if (level == "ordinary") return "普管";
    return level;
}

std::string statusWord(const std::string& status, CsvHeaders headers) {
    if (headers != CsvHeaders::ZhCN) return status;
    if (status == "active") return "在矫";
    if (status == "released") return "解除矫正";
    if (status == "pending") return "未开始";
    if (status == "no_term") return "未登记矫正期";
    return status;
}

std::string hoursCell(double hours) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", hours);
    return buf;
}

}  // namespace

std::optional<CsvHeaders> csvHeadersFor(const std::string& lang, const std::string& headers) {
    if (headers == "machine") return CsvHeaders::Machine;
    if (!headers.empty() && headers != "labels") return std::nullopt;
    if (lang.empty() || lang == "zh-CN") return CsvHeaders::ZhCN;
    if (lang == "en") return CsvHeaders::En;
    return std::nullopt;
}

std::string buildAttendanceCsv(const std::vector<CsvRow>& rows, int utcOffsetMinutes,
                               CsvHeaders headers) {
    std::string out = headerRow(kColumns, headers);
    for (const auto& r : rows) {
        const Record cells = {
            textCell(r.unitId),
            textCell(r.unitName),
            textCell(r.classId),
            textCell(r.classTitle),
            timeCell(r.classStart, utcOffsetMinutes),
            timeCell(r.classEnd, utcOffsetMinutes),
            yesNo(r.required, headers),
            textCell(r.subjectId),
            textCell(r.username),
            textCell(r.subjectName),
            timeCell(r.firstJoin, utcOffsetMinutes),
            timeCell(r.lastLeave, utcOffsetMinutes),
            std::to_string(r.minutesConnected),
            std::to_string(r.minutesCredited),
            std::to_string(r.reconnects),
            std::to_string(r.minutesVerified),
            std::to_string(r.minutesUnenrolled),
            std::to_string(r.samples),
            std::to_string(r.samplesNotMatched),
            std::to_string(r.samplesUnenrolled),
            std::to_string(r.spotChecks),
            std::to_string(r.spotChecksPassed),
            std::to_string(r.spotChecksFailed),
            std::to_string(r.spotChecksMissed),
        };
        appendRecord(out, cells);
    }
    return out;
}

std::string buildProgrammeCsv(const std::vector<ProgrammeCsvRow>& rows, CsvHeaders headers) {
    std::string out = headerRow(kProgrammeColumns, headers);
    for (const auto& r : rows) {
        std::string levels;
        for (const auto& level : r.levels) {
            if (!levels.empty()) levels += ';';
            levels += levelWord(level, headers);
        }
        const ProgrammeRecord cells = {
            textCell(r.unitId),
            textCell(r.unitName),
            textCell(r.subjectId),
            textCell(r.username),
            textCell(r.subjectName),
            r.month,
            statusWord(r.status, headers),
            csvQuoted(levels),
            hoursCell(r.requiredHours),
            hoursCell(r.creditedHours),
            std::to_string(r.checkinsDue),
            std::to_string(r.checkinsVerified),
            std::to_string(r.checkinsMissed),
            std::to_string(r.callsDue),
            std::to_string(r.callsMade),
            r.compliant ? yesNo(*r.compliant, headers) : std::string(),
        };
        appendRecord(out, cells);
    }
    return out;
}

}  // namespace vigil::signaling
