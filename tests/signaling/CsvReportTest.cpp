#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "vigil/signaling/CsvReport.hpp"

namespace vigil::signaling {
namespace {

using common::Millis;

constexpr const char* kBom = "\xEF\xBB\xBF";
constexpr const char* kHeader =
    "unit_id,unit,class_id,class,class_start,class_end,required,subject_id,username,subject,"
    "first_join,last_leave,minutes_connected,minutes_credited,reconnects,minutes_verified,"
    "minutes_unenrolled,samples,samples_not_matched,samples_unenrolled,spot_checks,"
    "spot_checks_passed,spot_checks_failed,spot_checks_missed";
// The presence columns of plainRow(), after `reconnects`.
constexpr const char* kPresenceCells = ",50,3,120,2,10,3,1,1,1";
// 2026-11-29T11:00:00Z (calendar.timegm((2026, 11, 29, 11, 0, 0))): 19:00 at +08:00.
constexpr Millis kT0 = 1795950000000;
constexpr Millis kMin = 60000;
// "张三" in UTF-8: U+5F20 U+4E09.
const std::string kZhangSan = "\xE5\xBC\xA0\xE4\xB8\x89";

CsvRow plainRow() {
    CsvRow r;
    r.unitId = "u1";
    r.unitName = "North";
    r.classId = "k1";
    r.classTitle = "Anger management";
    r.classStart = kT0;
    r.classEnd = kT0 + 60 * kMin;
    r.required = true;
    r.subjectId = "s1";
    r.username = "zhangsan";
    r.subjectName = kZhangSan;
    r.firstJoin = kT0 + 2 * kMin + 5000;
    r.lastLeave = kT0 + 58 * kMin;
    r.minutesConnected = 55;
    r.minutesCredited = 54;
    r.reconnects = 1;
    r.minutesVerified = 50;
    r.minutesUnenrolled = 3;
    r.samples = 120;
    r.samplesNotMatched = 2;
    r.samplesUnenrolled = 10;
    r.spotChecks = 3;
    r.spotChecksPassed = 1;
    r.spotChecksFailed = 1;
    r.spotChecksMissed = 1;
    return r;
}

// The records after the BOM, split at CRLF; fails the test when the last one has no CRLF.
std::vector<std::string> lines(const std::string& csv) {
    std::vector<std::string> out;
    EXPECT_EQ(csv.rfind(kBom, 0), 0u) << "no BOM";
    std::string body = csv.substr(3);
    size_t pos = 0;
    while (pos < body.size()) {
        size_t eol = body.find("\r\n", pos);
        EXPECT_NE(eol, std::string::npos) << "last line has no CRLF";
        if (eol == std::string::npos) break;
        out.push_back(body.substr(pos, eol - pos));
        pos = eol + 2;
    }
    return out;
}

std::string csv(const std::vector<CsvRow>& rows, int offset) {
    return buildAttendanceCsv(rows, offset, CsvHeaders::Machine);
}

TEST(CsvReportTest, EmptyReportIsBomAndHeader) {
    EXPECT_EQ(csv({}, 480), std::string(kBom) + kHeader + "\r\n");
}

TEST(CsvReportTest, ChineseHeadersNameEveryColumn) {
    auto ls = lines(buildAttendanceCsv({plainRow()}, 480, CsvHeaders::ZhCN));
    ASSERT_EQ(ls.size(), 2u);
    EXPECT_EQ(ls[0],
              "机构编号,机构,课程编号,课程,课程开始,课程结束,必修,矫正对象编号,用户名,矫正对象,"
              "首次进入,最后离开,在线（分钟）,计入学时（分钟）,重连次数,核验通过（分钟）,"
              "未录底片在场（分钟）,在场采样次数,人脸不符次数,未录底片采样次数,抽查次数,抽查通过,"
              "抽查未通过,抽查未回应");
    // Values are the machine export's, except yes/no.
    auto machine = lines(csv({plainRow()}, 480));
    std::string expected = machine[1];
    expected.replace(expected.find(",yes,"), 5, ",是,");
    EXPECT_EQ(ls[1], expected);
    CsvRow optional = plainRow();
    optional.required = false;
    EXPECT_NE(buildAttendanceCsv({optional}, 480, CsvHeaders::ZhCN).find(",否,"),
              std::string::npos);
}

TEST(CsvReportTest, EnglishHeadersAreWordsNotMachineNames) {
    auto ls = lines(buildAttendanceCsv({plainRow()}, 480, CsvHeaders::En));
    ASSERT_EQ(ls.size(), 2u);
    EXPECT_EQ(ls[0].rfind("Unit ID,Unit,Class ID,Class,Class start,", 0), 0u) << ls[0];
    EXPECT_NE(ls[0].find(",Minutes verified,Minutes unenrolled,Presence samples,Mismatches,"),
              std::string::npos)
        << ls[0];
    EXPECT_NE(ls[1].find(",yes,"), std::string::npos);
    EXPECT_EQ(lines(buildAttendanceCsv({}, 480, CsvHeaders::En))[0], ls[0]);
}

TEST(CsvReportTest, HeaderChoiceFromTheQuery) {
    EXPECT_EQ(csvHeadersFor("", ""), CsvHeaders::ZhCN);
    EXPECT_EQ(csvHeadersFor("zh-CN", ""), CsvHeaders::ZhCN);
    EXPECT_EQ(csvHeadersFor("en", ""), CsvHeaders::En);
    EXPECT_EQ(csvHeadersFor("en", "labels"), CsvHeaders::En);
    EXPECT_EQ(csvHeadersFor("", "machine"), CsvHeaders::Machine);
    EXPECT_EQ(csvHeadersFor("en", "machine"), CsvHeaders::Machine);
    EXPECT_EQ(csvHeadersFor("fr", ""), std::nullopt);
    EXPECT_EQ(csvHeadersFor("zh-CN", "Machine"), std::nullopt);
    EXPECT_EQ(csvHeadersFor("", "names"), std::nullopt);
}

TEST(CsvReportTest, StartsWithTheUtf8ByteOrderMark) {
    for (CsvHeaders headers : {CsvHeaders::ZhCN, CsvHeaders::En, CsvHeaders::Machine}) {
        std::string text = buildAttendanceCsv({plainRow()}, 480, headers);
        ASSERT_GE(text.size(), 3u);
        EXPECT_EQ(static_cast<unsigned char>(text[0]), 0xEF);
        EXPECT_EQ(static_cast<unsigned char>(text[1]), 0xBB);
        EXPECT_EQ(static_cast<unsigned char>(text[2]), 0xBF);
    }
}

TEST(CsvReportTest, RowHasEveryColumnWithIsoTimesAtPlus8) {
    auto ls = lines(csv({plainRow()}, 480));
    ASSERT_EQ(ls.size(), 2u);
    EXPECT_EQ(ls[0], kHeader);
    for (const auto& l : ls) EXPECT_EQ(l.find_first_of("\r\n"), std::string::npos) << l;
    EXPECT_EQ(ls[1],
              "u1,North,k1,Anger management,2026-11-29T19:00:00+08:00,"
              "2026-11-29T20:00:00+08:00,yes,s1,zhangsan," +
                  kZhangSan + ",2026-11-29T19:02:05+08:00,2026-11-29T19:58:00+08:00,55,54,1" +
                  kPresenceCells);
}

TEST(CsvReportTest, TimesFollowTheGivenOffset) {
    auto ls = lines(csv({plainRow()}, -300));
    ASSERT_EQ(ls.size(), 2u);
    EXPECT_NE(ls[1].find(",2026-11-29T06:00:00-05:00,2026-11-29T07:00:00-05:00,"),
              std::string::npos)
        << ls[1];
    ls = lines(csv({plainRow()}, 0));
    EXPECT_NE(ls[1].find(",2026-11-29T11:00:00Z,"), std::string::npos) << ls[1];
}

TEST(CsvReportTest, MissingTimesAreEmptyAndOptionalIsNo) {
    CsvRow r = plainRow();
    r.required = false;
    r.firstJoin = 0;
    r.lastLeave = 0;
    r.minutesConnected = 0;
    r.minutesCredited = 0;
    r.reconnects = 0;
    auto ls = lines(csv({r}, 480));
    ASSERT_EQ(ls.size(), 2u);
    EXPECT_NE(ls[1].find(",no,s1,zhangsan," + kZhangSan + ",,,0,0,0"), std::string::npos) << ls[1];
}

TEST(CsvReportTest, ChineseTextIsKeptByteForByte) {
    CsvRow r = plainRow();
    r.unitName = "\xE5\x8C\x97\xE5\x8C\xBA";                // "北区"
    r.classTitle = "\xE6\xB3\x95\xE5\xBE\x8B\xE8\xAF\xBE";  // "法律课"
    std::string text = csv({r}, 480);
    EXPECT_NE(text.find("," + r.unitName + ","), std::string::npos);
    EXPECT_NE(text.find("," + r.classTitle + ","), std::string::npos);
    EXPECT_NE(text.find("," + kZhangSan + ","), std::string::npos);
}

TEST(CsvReportTest, QuotesFieldsWithSeparatorsQuotesAndLineBreaks) {
    CsvRow r = plainRow();
    r.unitName = "North, East";
    r.classTitle = "The \"basics\"";
    r.subjectName = "Line one\nline two";
    r.username = "cr\rhere";
    std::string text = csv({r}, 480);
    EXPECT_NE(text.find(",\"North, East\","), std::string::npos) << text;
    EXPECT_NE(text.find(",\"The \"\"basics\"\"\","), std::string::npos) << text;
    EXPECT_NE(text.find(",\"Line one\nline two\","), std::string::npos) << text;
    EXPECT_NE(text.find(",\"cr\rhere\","), std::string::npos) << text;
}

TEST(CsvReportTest, FormulaLikeTextGetsALeadingApostrophe) {
    CsvRow r = plainRow();
    r.unitId = "=1+2";
    r.unitName = "+86 North";
    r.classId = "-k1";
    r.classTitle = "@SUM(A1)";
    r.subjectId = "\tcmd";
    r.username = "\rname";
    r.subjectName = "=HYPERLINK(\"http://x\",\"y\")";
    auto ls = lines(csv({r}, 480));
    ASSERT_EQ(ls.size(), 2u);
    // The CR-led cell is quoted (it holds a CR) and so is the one with quotes and commas.
    EXPECT_EQ(ls[1].rfind("'=1+2,'+86 North,'-k1,'@SUM(A1),", 0), 0u) << ls[1];
    EXPECT_NE(ls[1].find(",yes,'\tcmd,\"'\rname\",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\","),
              std::string::npos)
        << ls[1];
}

TEST(CsvReportTest, FormulaCharactersInsideTextAreLeftAlone) {
    CsvRow r = plainRow();
    r.classTitle = "Steps 1-2 = done";
    r.username = "a@b";
    auto ls = lines(csv({r}, 480));
    ASSERT_EQ(ls.size(), 2u);
    EXPECT_NE(ls[1].find(",Steps 1-2 = done,"), std::string::npos) << ls[1];
    EXPECT_NE(ls[1].find(",a@b,"), std::string::npos) << ls[1];
}

TEST(CsvReportTest, OneRecordPerRowInOrder) {
    CsvRow a = plainRow();
    CsvRow b = plainRow();
    b.subjectId = "s2";
    b.username = "lisi";
    b.subjectName = "\xE6\x9D\x8E\xE5\x9B\x9B";  // "李四"
    auto ls = lines(csv({a, b}, 480));
    ASSERT_EQ(ls.size(), 3u);
    EXPECT_NE(ls[1].find(",s1,zhangsan,"), std::string::npos);
    EXPECT_NE(ls[2].find(",s2,lisi," + b.subjectName + ","), std::string::npos);
}

}  // namespace
}  // namespace vigil::signaling
