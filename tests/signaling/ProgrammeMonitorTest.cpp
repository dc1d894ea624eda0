// The pure parts of 脱管 prevention and the programme report: when the next verified contact
// is due and how late a subject is, the order of the overdue list, call periods left without
// an accepted call, and the level spans of a month.

#include <gtest/gtest.h>

#include "DayText.hpp"
#include "vigil/signaling/CsvReport.hpp"
#include "vigil/signaling/ProgrammeMonitor.hpp"
#include "vigil/signaling/ProgrammeReport.hpp"

namespace vigil::signaling {
namespace {

constexpr int kTz = 480;  // +08:00

using test::dayFromText;

// Noon of a day at +08:00.
common::Millis noon(const char* text) {
    return startOfDay(dayFromText(text), kTz) + 12 * 3600 * 1000;
}

LevelPolicy policy() {
    return LevelPolicy(LevelRule{12, Frequency::Daily, Frequency::Weekly, 3},
                       LevelRule{8, Frequency::Weekly, Frequency::Biweekly, 10},
                       LevelRule{4, Frequency::Monthly, Frequency::Monthly, 35}, Level::Ordinary);
}

Supervision term(const char* start, const char* end) {
    Supervision s;
    s.subject = "u4";
    s.termStart = dayFromText(start);
    s.termEnd = dayFromText(end);
    return s;
}

TEST(ProgrammeMonitorTest, WithoutContactTheGapRunsFromTheTermStart) {
    const Supervision s = term("2026-11-01", "2027-10-31");
    auto st = contactStatus(s, std::nullopt, policy(), dayFromText("2026-11-15"), kTz);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->level, Level::Ordinary) << "the default level without a level change";
    EXPECT_EQ(formatDay(st->dueBy), "2026-11-11");
    EXPECT_EQ(st->daysLate, 4);
    EXPECT_TRUE(st->overdue);
}

TEST(ProgrammeMonitorTest, TheGapRunsFromTheLastContactDayInTheAgencyZone) {
    const Supervision s = term("2026-11-01", "2027-10-31");
    // 2026-11-09T23:30+08:00 is still 2026-11-09 there (15:30 UTC).
    const Contact late{startOfDay(dayFromText("2026-11-09"), kTz) + (23 * 60 + 30) * 60000, "class",
                       "c1"};
    auto st = contactStatus(s, late, policy(), dayFromText("2026-11-19"), kTz);
    ASSERT_TRUE(st);
    EXPECT_EQ(formatDay(st->dueBy), "2026-11-19");
    EXPECT_EQ(st->daysLate, 0);
    EXPECT_FALSE(st->overdue) << "due today is not late yet";
    st = contactStatus(s, late, policy(), dayFromText("2026-11-20"), kTz);
    EXPECT_TRUE(st->overdue);
    EXPECT_EQ(st->daysLate, 1);
}

TEST(ProgrammeMonitorTest, AContactBeforeTheTermCountsFromTheTermStart) {
    const Supervision s = term("2026-11-01", "2027-10-31");
    const Contact before{noon("2026-10-20"), "call", "k1"};
    auto st = contactStatus(s, before, policy(), dayFromText("2026-11-05"), kTz);
    ASSERT_TRUE(st);
    EXPECT_EQ(formatDay(st->dueBy), "2026-11-11");
    EXPECT_EQ(st->lastContact->ref, "k1");
}

TEST(ProgrammeMonitorTest, TheGapIsTheLevelInForceToday) {
    Supervision s = term("2026-11-01", "2027-10-31");
    s.levels.push_back({dayFromText("2026-11-10"), Level::Strict, "absconded once", "u3", 0});
    const Contact c{noon("2026-11-08"), "checkin", "q1"};
    auto before = contactStatus(s, c, policy(), dayFromText("2026-11-09"), kTz);
    EXPECT_EQ(formatDay(before->dueBy), "2026-11-18") << "ordinary: 10 days";
    EXPECT_FALSE(before->overdue);
    auto after = contactStatus(s, c, policy(), dayFromText("2026-11-12"), kTz);
    EXPECT_EQ(after->level, Level::Strict);
    EXPECT_EQ(formatDay(after->dueBy), "2026-11-11") << "strict: 3 days";
    EXPECT_TRUE(after->overdue);
}

TEST(ProgrammeMonitorTest, OutsideTheTermNothingIsDue) {
    const Supervision s = term("2026-11-01", "2026-11-30");
    EXPECT_FALSE(contactStatus(s, std::nullopt, policy(), dayFromText("2026-10-31"), kTz))
        << "the term has not started";
    EXPECT_FALSE(contactStatus(s, std::nullopt, policy(), dayFromText("2026-12-01"), kTz))
        << "released";
    EXPECT_TRUE(contactStatus(s, std::nullopt, policy(), dayFromText("2026-11-30"), kTz))
        << "the last day of the term is inside it";
    Supervision none;
    none.subject = "u5";
    EXPECT_FALSE(contactStatus(none, std::nullopt, policy(), dayFromText("2026-11-15"), kTz));
}

TEST(ProgrammeMonitorTest, TheListStartsWithTheLatest) {
    auto row = [](const char* id, const char* name, int late) {
        OverdueRow r;
        r.subject.id = id;
        r.subject.name = name;
        r.status.daysLate = late;
        r.status.overdue = late > 0;
        return r;
    };
    std::vector<OverdueRow> rows{row("u4", "a", -3), row("u5", "b", 12), row("u6", "c", 2),
                                 row("u7", "a", 12), row("u8", "d", 0)};
    sortByLateness(rows);
    std::vector<std::string> order;
    for (const auto& r : rows) order.push_back(r.subject.id);
    EXPECT_EQ(order, (std::vector<std::string>{"u7", "u5", "u6", "u8", "u4"}));
}

TEST(ProgrammeMonitorTest, CallPeriodsWithoutAnAcceptedCallAreMissed) {
    // Ordinary: a call every two ISO weeks. 2026-11-09 and 2026-11-23 are Mondays that start a
    // pair of weeks counted from Monday 1970-01-05.
    const Supervision s = term("2026-11-01", "2027-10-31");
    const auto periods =
        policy().callPeriods(s, dayFromText("2026-11-01"), dayFromText("2026-12-06"));
    ASSERT_GE(periods.size(), 2U);
    std::vector<Day> calls{dayFromText("2026-11-25")};
    const auto missed = periodsWithout(periods, calls);
    ASSERT_EQ(missed.size(), periods.size() - 1);
    for (const auto& p : missed) {
        EXPECT_FALSE(p.first <= dayFromText("2026-11-25") && dayFromText("2026-11-25") <= p.last);
    }
    EXPECT_EQ(periodsWithout(periods, {}).size(), periods.size());
    EXPECT_EQ(missed.front().first, s.termStart) << "the first period is cut to the term";
}

TEST(ProgrammeMonitorTest, LevelSpansOfAMonthFollowTheChangesAndTheTerm) {
    Supervision s = term("2026-11-05", "2027-10-31");
    s.levels.push_back({dayFromText("2026-11-05"), Level::Strict, "start", "u3", 0});
    s.levels.push_back({dayFromText("2026-11-16"), Level::Lenient, "good conduct", "u3", 0});
    const auto spans =
        levelSpans(s, dayFromText("2026-11-01"), dayFromText("2026-11-30"), Level::Ordinary);
    ASSERT_EQ(spans.size(), 2U);
    EXPECT_EQ(formatDay(spans[0].from), "2026-11-05");
    EXPECT_EQ(formatDay(spans[0].to), "2026-11-15");
    EXPECT_EQ(spans[0].level, Level::Strict);
    EXPECT_EQ(formatDay(spans[1].from), "2026-11-16");
    EXPECT_EQ(formatDay(spans[1].to), "2026-11-30");
    EXPECT_EQ(spans[1].level, Level::Lenient);
    EXPECT_TRUE(levelSpans(s, dayFromText("2026-10-01"), dayFromText("2026-10-31"), Level::Ordinary)
                    .empty());
}

TEST(ProgrammeMonitorTest, ProgrammeCsvHasItsHeaderAndLevelsInTheReadersLanguage) {
    ProgrammeCsvRow r;
    r.unitId = "zj-hz-xh-zt";
    r.unitName = "=zt";
    r.subjectId = "u4";
    r.username = "subject01";
    r.subjectName = "张伟";
    r.month = "2026-11";
    r.status = "active";
    r.levels = {"strict", "lenient"};
    r.requiredHours = 7.87;
    r.creditedHours = 8;
    r.checkinsDue = 20;
    r.checkinsVerified = 19;
    r.checkinsMissed = 1;
    r.callsDue = 3;
    r.callsMade = 2;
    r.compliant = false;
    const std::string machine = buildProgrammeCsv({r}, CsvHeaders::Machine);
    EXPECT_EQ(machine,
              "\xEF\xBB\xBF"
              "unit_id,unit,subject_id,username,subject,month,status,levels,required_hours,"
              "credited_hours,checkins_due,checkins_verified,checkins_missed,calls_due,calls_made,"
              "compliant\r\n"
              "zj-hz-xh-zt,'=zt,u4,subject01,张伟,2026-11,active,strict;lenient,7.87,8.00,20,19,1,"
              "3,2,no\r\n");
    const std::string zh = buildProgrammeCsv({r}, CsvHeaders::ZhCN);
    EXPECT_NE(zh.find("管理等级"), std::string::npos);
    EXPECT_NE(zh.find(",在矫,严管;宽管,"), std::string::npos);
    r.compliant.reset();
    const std::string unjudged = buildProgrammeCsv({r}, CsvHeaders::En);
    EXPECT_EQ(unjudged.substr(unjudged.size() - 3), ",\r\n") << "not judged: an empty cell";
}

}  // namespace
}  // namespace vigil::signaling
