#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "DayText.hpp"
#include "vigil/signaling/LevelPolicy.hpp"

namespace vigil::signaling {
namespace {

using test::dayFromText;

using Span = std::pair<std::string, std::string>;

Span span(const DuePeriod& p) {
    return {formatDay(p.first), formatDay(p.last)};
}

std::vector<Span> spans(const std::vector<DuePeriod>& periods) {
    std::vector<Span> out;
    for (const auto& p : periods) out.push_back(span(p));
    return out;
}

// The defaults of config/vigil.toml.
LevelPolicy defaults() {
    return LevelPolicy(common::Config{});
}

Supervision term(const std::string& start, const std::string& end) {
    Supervision s;
    s.subject = "u1";
    s.termStart = dayFromText(start);
    if (!end.empty()) s.termEnd = dayFromText(end);
    return s;
}

Supervision at(Level level, const std::string& start, const std::string& end = "") {
    Supervision s = term(start, end);
    s.levels = {{dayFromText(start), level, "initial", "o1", 1}};
    return s;
}

TEST(LevelPolicyTest, RulesComeFromTheConfiguration) {
    common::Config config;
    config.levels.lenient.checkin = "biweekly";
    config.levels.strict.hoursPerMonth = 16;
    config.levels.defaultLevel = "lenient";
    LevelPolicy policy(config);
    EXPECT_EQ(policy.rule(Level::Lenient).checkin, Frequency::Biweekly);
    EXPECT_EQ(policy.rule(Level::Strict).hoursPerMonth, 16);
    EXPECT_EQ(policy.rule(Level::Strict).call, Frequency::Weekly);
    EXPECT_EQ(policy.rule(Level::Ordinary).maxGapDays, 10);
    EXPECT_EQ(policy.defaultLevel(), Level::Lenient);
    // A subject without a level history is at the default level.
    Supervision s = term("2026-01-01", "");
    EXPECT_EQ(policy.maxGapDays(s, dayFromText("2026-02-01")), 35);
    EXPECT_EQ(policy.checkinPeriod(s, dayFromText("2026-02-01"))->level, Level::Lenient);
    for (auto f : {Frequency::Daily, Frequency::Weekly, Frequency::Biweekly, Frequency::Monthly}) {
        EXPECT_EQ(parseFrequency(toString(f)), f);
    }
    EXPECT_FALSE(parseFrequency("fortnightly"));
}

TEST(LevelPolicyTest, DailyPeriodIsTheDay) {
    auto p = defaults().checkinPeriod(at(Level::Strict, "2026-01-01"), dayFromText("2026-02-28"));
    ASSERT_TRUE(p);
    EXPECT_EQ(span(*p), Span("2026-02-28", "2026-02-28"));
    EXPECT_EQ(p->level, Level::Strict);
}

TEST(LevelPolicyTest, WeeksAreIsoWeeksAcrossYearEnds) {
    auto policy = defaults();
    auto s = at(Level::Ordinary, "2020-01-01");
    // 2020-12-31 (Thursday) is in ISO week 53 of 2020: Monday 12-28 to Sunday 2021-01-03.
    EXPECT_EQ(span(*policy.checkinPeriod(s, dayFromText("2020-12-31"))),
              Span("2020-12-28", "2021-01-03"));
    EXPECT_EQ(span(*policy.checkinPeriod(s, dayFromText("2021-01-03"))),
              Span("2020-12-28", "2021-01-03"));
    EXPECT_EQ(span(*policy.checkinPeriod(s, dayFromText("2021-01-04"))),
              Span("2021-01-04", "2021-01-10"));
    EXPECT_EQ(span(*policy.checkinPeriod(s, dayFromText("2026-12-31"))),
              Span("2026-12-28", "2027-01-03"));
    // A week never spans a month end differently from the calendar: 2026-03-01 is a Sunday.
    EXPECT_EQ(span(*policy.checkinPeriod(s, dayFromText("2026-03-01"))),
              Span("2026-02-23", "2026-03-01"));
}

TEST(LevelPolicyTest, BiweeklyPairsCountFromMondayTheFifthOfJanuary1970) {
    auto policy = defaults();
    auto s = at(Level::Ordinary, "1970-01-01");  // ordinary: a call every two weeks
    EXPECT_EQ(span(*policy.callPeriod(s, dayFromText("1970-01-05"))),
              Span("1970-01-05", "1970-01-18"));
    EXPECT_EQ(span(*policy.callPeriod(s, dayFromText("1970-01-19"))),
              Span("1970-01-19", "1970-02-01"));
    // Before the first Monday: the days of the term that precede it.
    EXPECT_EQ(span(*policy.callPeriod(s, dayFromText("1970-01-02"))),
              Span("1970-01-01", "1970-01-04"));
    EXPECT_EQ(span(*policy.callPeriod(s, dayFromText("2026-12-05"))),
              Span("2026-11-23", "2026-12-06"));
    EXPECT_EQ(span(*policy.callPeriod(s, dayFromText("2021-01-01"))),
              Span("2020-12-28", "2021-01-10"));
    // Pairs do not restart with the term: a term starting mid-pair gets the pair's rest.
    auto late = at(Level::Ordinary, "2026-12-01");
    EXPECT_EQ(span(*policy.callPeriod(late, dayFromText("2026-12-02"))),
              Span("2026-12-01", "2026-12-06"));
    EXPECT_EQ(span(*policy.callPeriod(late, dayFromText("2026-12-07"))),
              Span("2026-12-07", "2026-12-20"));
}

TEST(LevelPolicyTest, MonthsAcrossMonthEnds) {
    auto policy = defaults();
    auto s = at(Level::Lenient, "2026-01-15");
    EXPECT_EQ(spans(policy.checkinPeriods(s, dayFromText("2026-01-01"), dayFromText("2026-04-30"))),
              (std::vector<Span>{{"2026-01-15", "2026-01-31"},
                                 {"2026-02-01", "2026-02-28"},
                                 {"2026-03-01", "2026-03-31"},
                                 {"2026-04-01", "2026-04-30"}}));
    auto leap = at(Level::Lenient, "2024-01-01");
    EXPECT_EQ(span(*policy.callPeriod(leap, dayFromText("2024-02-10"))),
              Span("2024-02-01", "2024-02-29"));
    EXPECT_EQ(span(*policy.callPeriod(leap, dayFromText("2024-12-31"))),
              Span("2024-12-01", "2024-12-31"));
}

TEST(LevelPolicyTest, PeriodsAreCutToTheTerm) {
    auto policy = defaults();
    // Wednesday 2026-03-18 to Tuesday 2026-04-07, weekly check-ins.
    auto s = at(Level::Ordinary, "2026-03-18", "2026-04-07");
    EXPECT_EQ(spans(policy.checkinPeriods(s, dayFromText("2026-03-01"), dayFromText("2026-04-30"))),
              (std::vector<Span>{{"2026-03-18", "2026-03-22"},
                                 {"2026-03-23", "2026-03-29"},
                                 {"2026-03-30", "2026-04-05"},
                                 {"2026-04-06", "2026-04-07"}}));
    // Only periods that end inside [from, to]: the one running past `to` is not yet listed.
    EXPECT_EQ(spans(policy.checkinPeriods(s, dayFromText("2026-03-20"), dayFromText("2026-03-31"))),
              (std::vector<Span>{{"2026-03-18", "2026-03-22"}, {"2026-03-23", "2026-03-29"}}));
    auto monthly = at(Level::Lenient, "2026-03-18", "2026-04-07");
    EXPECT_EQ(
        spans(policy.callPeriods(monthly, dayFromText("2026-01-01"), dayFromText("2026-12-31"))),
        (std::vector<Span>{{"2026-03-18", "2026-03-31"}, {"2026-04-01", "2026-04-07"}}));
}

TEST(LevelPolicyTest, ReleasedAndNotYetStartedSubjectsOweNothing) {
    auto policy = defaults();
    auto s = at(Level::Strict, "2026-03-18", "2026-04-07");
    EXPECT_FALSE(policy.checkinPeriod(s, dayFromText("2026-03-17")));
    EXPECT_FALSE(policy.callPeriod(s, dayFromText("2026-03-17")));
    EXPECT_TRUE(policy.checkinPeriod(s, dayFromText("2026-04-07")));
    EXPECT_FALSE(policy.checkinPeriod(s, dayFromText("2026-04-08")));
    EXPECT_FALSE(policy.callPeriod(s, dayFromText("2026-04-08")));
    EXPECT_TRUE(
        policy.checkinPeriods(s, dayFromText("2026-04-08"), dayFromText("2026-12-31")).empty());
    EXPECT_TRUE(
        policy.checkinPeriods(s, dayFromText("2026-01-01"), dayFromText("2026-03-17")).empty());
    EXPECT_EQ(policy.requiredHours(s, dayFromText("2026-05-10")), 0);
    EXPECT_EQ(policy.requiredHours(s, dayFromText("2026-02-10")), 0);
    // The months of the start and of the release: only the days inside the term count.
    EXPECT_NEAR(policy.requiredHours(s, dayFromText("2026-03-01")), 12.0 * 14 / 31, 1e-9);
    EXPECT_NEAR(policy.requiredHours(s, dayFromText("2026-04-30")), 12.0 * 7 / 30, 1e-9);
}

TEST(LevelPolicyTest, NoTermNoObligations) {
    auto policy = defaults();
    Supervision s;
    s.subject = "u1";
    s.levels = {{dayFromText("2026-01-01"), Level::Strict, "r", "o", 1}};
    EXPECT_FALSE(policy.checkinPeriod(s, dayFromText("2026-03-01")));
    EXPECT_FALSE(policy.callPeriod(s, dayFromText("2026-03-01")));
    EXPECT_TRUE(
        policy.checkinPeriods(s, dayFromText("2026-01-01"), dayFromText("2026-12-31")).empty());
    EXPECT_EQ(policy.requiredHours(s, dayFromText("2026-03-01")), 0);
}

TEST(LevelPolicyTest, LevelChangeInTheMiddleOfAMonth) {
    auto policy = defaults();
    auto s = at(Level::Ordinary, "2026-01-01");
    // Strict from Wednesday 2026-03-18: the week in progress stays one weekly period, then a
    // check-in every day.
    s.levels.push_back({dayFromText("2026-03-18"), Level::Strict, "missed calls", "o1", 2});
    auto list = policy.checkinPeriods(s, dayFromText("2026-03-09"), dayFromText("2026-03-25"));
    EXPECT_EQ(spans(list), (std::vector<Span>{{"2026-03-09", "2026-03-15"},
                                              {"2026-03-16", "2026-03-22"},
                                              {"2026-03-23", "2026-03-23"},
                                              {"2026-03-24", "2026-03-24"},
                                              {"2026-03-25", "2026-03-25"}}));
    EXPECT_EQ(list[1].level, Level::Ordinary);
    EXPECT_EQ(list[2].level, Level::Strict);
    EXPECT_EQ(span(*policy.checkinPeriod(s, dayFromText("2026-03-20"))),
              Span("2026-03-16", "2026-03-22"));
    // Hours: 17 ordinary days (8 h a month) and 14 strict days (12 h a month) of 31.
    EXPECT_NEAR(policy.requiredHours(s, dayFromText("2026-03-31")), 8.0 * 17 / 31 + 12.0 * 14 / 31,
                1e-9);
    EXPECT_NEAR(policy.requiredHours(s, dayFromText("2026-02-01")), 8.0, 1e-9);
    EXPECT_NEAR(policy.requiredHours(s, dayFromText("2026-04-01")), 12.0, 1e-9);
    EXPECT_EQ(policy.maxGapDays(s, dayFromText("2026-03-17")), 10);
    EXPECT_EQ(policy.maxGapDays(s, dayFromText("2026-03-18")), 3);

    // Back to lenient (monthly) on Sunday 2026-05-10: daily periods end every day, so the
    // monthly one starts on the day of the change.
    s.levels.push_back({dayFromText("2026-05-10"), Level::Lenient, "good conduct", "o1", 3});
    EXPECT_EQ(spans(policy.checkinPeriods(s, dayFromText("2026-05-09"), dayFromText("2026-06-30"))),
              (std::vector<Span>{{"2026-05-09", "2026-05-09"},
                                 {"2026-05-10", "2026-05-31"},
                                 {"2026-06-01", "2026-06-30"}}));
}

TEST(LevelPolicyTest, ChangeDuringAMonthlyPeriodAppliesFromTheNextOne) {
    auto policy = defaults();
    auto s = at(Level::Lenient, "2026-01-01");
    s.levels.push_back({dayFromText("2026-02-10"), Level::Strict, "alert", "o1", 2});
    auto p = policy.checkinPeriod(s, dayFromText("2026-02-20"));
    EXPECT_EQ(span(*p), Span("2026-02-01", "2026-02-28"));
    EXPECT_EQ(p->level, Level::Lenient);
    EXPECT_EQ(span(*policy.checkinPeriod(s, dayFromText("2026-03-02"))),
              Span("2026-03-02", "2026-03-02"));
}

TEST(LevelPolicyTest, LongTermsAnswerQuickly) {
    // Ten years of daily check-ins with two changes: the walk is per change, not per day.
    auto policy = defaults();
    auto s = at(Level::Strict, "2020-01-01", "2029-12-31");
    s.levels.push_back({dayFromText("2024-06-01"), Level::Ordinary, "r", "o1", 2});
    s.levels.push_back({dayFromText("2024-07-01"), Level::Strict, "r", "o1", 3});
    for (int i = 0; i < 10000; ++i) {
        ASSERT_TRUE(policy.checkinPeriod(s, dayFromText("2029-12-31") - i % 30));
    }
    EXPECT_EQ(span(*policy.checkinPeriod(s, dayFromText("2024-06-05"))),
              Span("2024-06-03", "2024-06-09"));
}

}  // namespace
}  // namespace vigil::signaling
