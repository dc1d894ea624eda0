#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>

#include "vigil/signaling/AttendanceSummary.hpp"

namespace vigil::signaling {
namespace {

using common::Millis;

constexpr Millis kSec = 1000;
constexpr Millis kMin = 60 * kSec;
// 2026-11-29T11:00:00Z, i.e. 19:00 at +08:00 (calendar.timegm((2026, 11, 29, 11, 0, 0))).
constexpr Millis kT0 = 1795950000000;
// A one-hour class from kT0.
const ClassWindow kWindow{kT0, kT0 + 60 * kMin};

// An event dated `ts` and written to the stream at `writtenAt` (its stream id), which is later
// than `ts` for leaves the server dates back (heartbeat timeouts, restart recovery).
AttendanceEvent ev(std::string kind, std::string subject, Millis ts, std::string conn = "",
                   std::string reason = "", Millis writtenAt = -1) {
    AttendanceEvent e;
    e.streamId = std::to_string(writtenAt < 0 ? ts : writtenAt) + "-0";
    e.ts = ts;
    e.kind = std::move(kind);
    e.subject = std::move(subject);
    e.reason = std::move(reason);
    e.conn = std::move(conn);
    return e;
}

Millis m(Millis minutes) {
    return kT0 + minutes * kMin;
}

TEST(AttendanceSummaryTest, EmptyStreamHasNoSubjects) {
    EXPECT_TRUE(summarize({}, kWindow, m(90)).empty());
}

TEST(AttendanceSummaryTest, JoinAndLeaveMakeOneClosedInterval) {
    auto out = summarize({ev("join", "s1", m(0), "c1"), ev("leave", "s1", m(45), "c1", "leave")},
                         kWindow, m(90));
    ASSERT_EQ(out.size(), 1u);
    const SubjectSummary& s = out.at("s1");
    EXPECT_EQ(s.subject, "s1");
    ASSERT_EQ(s.intervals.size(), 1u);
    EXPECT_EQ(s.intervals[0].join, m(0));
    EXPECT_EQ(s.intervals[0].leave, m(45));
    EXPECT_FALSE(s.intervals[0].open);
    EXPECT_EQ(s.intervals[0].reason, "leave");
    EXPECT_EQ(s.connectedMs, 45 * kMin);
    EXPECT_EQ(s.creditedMs, 45 * kMin);
    EXPECT_EQ(s.minutesConnected, 45);
    EXPECT_EQ(s.minutesCredited, 45);
    EXPECT_EQ(s.reconnects, 0);
}

TEST(AttendanceSummaryTest, MinutesAreWholeMinutesRoundedDown) {
    // 44 min 59.999 s connected is 44 minutes, not 45.
    auto out =
        summarize({ev("join", "s1", m(0), "c1"), ev("leave", "s1", m(45) - 1, "c1", "leave")},
                  kWindow, m(90));
    EXPECT_EQ(out.at("s1").connectedMs, 45 * kMin - 1);
    EXPECT_EQ(out.at("s1").minutesConnected, 44);
}

TEST(AttendanceSummaryTest, OpenIntervalCountsUntilNow) {
    auto out = summarize({ev("join", "s1", m(10), "c1")}, kWindow, m(30) + 30 * kSec);
    const SubjectSummary& s = out.at("s1");
    ASSERT_EQ(s.intervals.size(), 1u);
    EXPECT_TRUE(s.intervals[0].open);
    EXPECT_EQ(s.intervals[0].leave, m(30) + 30 * kSec);
    EXPECT_EQ(s.connectedMs, 20 * kMin + 30 * kSec);
    EXPECT_EQ(s.minutesConnected, 20);
}

TEST(AttendanceSummaryTest, NowBeforeTheJoinCountsNothing) {
    // A clock step back on the server, or a join dated by a fast client clock.
    auto out = summarize({ev("join", "s1", m(10), "c1")}, kWindow, m(5));
    const SubjectSummary& s = out.at("s1");
    ASSERT_EQ(s.intervals.size(), 1u);
    EXPECT_TRUE(s.intervals[0].open);
    EXPECT_EQ(s.intervals[0].leave, s.intervals[0].join);
    EXPECT_EQ(s.connectedMs, 0);
    EXPECT_EQ(s.creditedMs, 0);
}

TEST(AttendanceSummaryTest, HeartbeatTimeoutLeaveDatedAtTheLastHeartbeat) {
    // The last heartbeat arrives at 15:00; the server notices the silence 30 s later, writes
    // the leave then but dates it at the last heartbeat. A spot check written in between
    // must not disturb it. The subject comes back at 16:00 and leaves at 40:00.
    std::vector<AttendanceEvent> events{
        ev("join", "s1", m(0), "c1"),
        ev("spot_check", "s1", m(15) + 10 * kSec),
        ev("leave", "s1", m(15), "c1", "heartbeat_timeout", m(15) + 30 * kSec),
        ev("join", "s1", m(16), "c2"),
        ev("leave", "s1", m(40), "c2", "leave"),
    };
    auto s = summarize(events, kWindow, m(90)).at("s1");
    ASSERT_EQ(s.intervals.size(), 2u);
    EXPECT_EQ(s.intervals[0].leave, m(15));
    EXPECT_EQ(s.intervals[0].reason, "heartbeat_timeout");
    EXPECT_EQ(s.intervals[1].join, m(16));
    EXPECT_EQ(s.connectedMs, (15 + 24) * kMin);
    EXPECT_EQ(s.reconnects, 1);
    EXPECT_EQ(s.spotChecks, 1);
}

TEST(AttendanceSummaryTest, RestartRecoveryClosesTheIntervalLeftOpen) {
    // The server dies at 12:00 with c1 open. After restart, recovery writes a leave dated at
    // the last known heartbeat; the subject reconnects at 21:00 and is still in class.
    std::vector<AttendanceEvent> events{
        ev("join", "s1", m(0), "c1"),
        ev("leave", "s1", m(12), "c1", "server_restart", m(20)),
        ev("join", "s1", m(21), "c2"),
    };
    auto s = summarize(events, kWindow, m(30)).at("s1");
    ASSERT_EQ(s.intervals.size(), 2u);
    EXPECT_FALSE(s.intervals[0].open);
    EXPECT_EQ(s.intervals[0].reason, "server_restart");
    EXPECT_EQ(s.intervals[0].leave, m(12));
    EXPECT_TRUE(s.intervals[1].open);
    EXPECT_EQ(s.connectedMs, (12 + 9) * kMin);
}

TEST(AttendanceSummaryTest, SecondJoinReplacesTheOpenInterval) {
    // A phone takes over from the PC at 10:00. The PC's own leave, written at 12:00 for c1,
    // must not end the phone's interval.
    std::vector<AttendanceEvent> events{
        ev("join", "s1", m(0), "pc"),
        ev("join", "s1", m(10), "phone"),
        ev("leave", "s1", m(12), "pc", "replaced"),
        ev("leave", "s1", m(30), "phone", "leave"),
    };
    auto s = summarize(events, kWindow, m(90)).at("s1");
    ASSERT_EQ(s.intervals.size(), 2u);
    EXPECT_EQ(s.intervals[0].join, m(0));
    EXPECT_EQ(s.intervals[0].leave, m(10));
    EXPECT_EQ(s.intervals[0].reason, "replaced");
    EXPECT_EQ(s.intervals[1].join, m(10));
    EXPECT_EQ(s.intervals[1].leave, m(30));
    EXPECT_EQ(s.intervals[1].reason, "leave");
    // 0-10 on the PC and 10-30 on the phone: 30 minutes, not 32 or 40.
    EXPECT_EQ(s.connectedMs, 30 * kMin);
    EXPECT_EQ(s.reconnects, 1);
}

TEST(AttendanceSummaryTest, OverlappingConnectionsNeverCountTwice) {
    // Two connections overlap for 15 minutes (5-20); the union is 0-20, then nothing.
    std::vector<AttendanceEvent> events{
        ev("join", "s1", m(0), "a"),
        ev("join", "s1", m(5), "b"),
        ev("leave", "s1", m(20), "b", "leave"),
        ev("leave", "s1", m(30), "a", "disconnect"),
    };
    auto s = summarize(events, kWindow, m(90)).at("s1");
    EXPECT_EQ(s.connectedMs, 20 * kMin);
    Millis sum = 0;
    for (const auto& i : s.intervals) sum += i.leave - i.join;
    EXPECT_EQ(sum, s.connectedMs);
    for (size_t i = 1; i < s.intervals.size(); ++i) {
        EXPECT_LE(s.intervals[i - 1].leave, s.intervals[i].join);
    }
}

TEST(AttendanceSummaryTest, DuplicateJoinIsNotAReconnect) {
    // The same join written twice (a retried write) with the same connection id.
    std::vector<AttendanceEvent> events{
        ev("join", "s1", m(0), "c1"),
        ev("join", "s1", m(0), "c1", "", m(0) + 1),
        ev("leave", "s1", m(30), "c1", "leave"),
    };
    auto s = summarize(events, kWindow, m(90)).at("s1");
    ASSERT_EQ(s.intervals.size(), 1u);
    EXPECT_EQ(s.connectedMs, 30 * kMin);
    EXPECT_EQ(s.reconnects, 0);
}

TEST(AttendanceSummaryTest, EventOrderInTheListDoesNotMatter) {
    std::vector<AttendanceEvent> events{
        ev("join", "s1", m(0), "pc"),
        ev("join", "s1", m(10), "phone"),
        ev("leave", "s1", m(12), "pc", "replaced"),
        ev("leave", "s1", m(30), "phone", "leave"),
        ev("join", "s1", m(35), "pc2"),
        ev("leave", "s1", m(50), "pc2", "heartbeat_timeout", m(51)),
        ev("spot_check", "s1", m(40)),
        ev("spot_check_result", "s1", m(41), "", "missed"),
        ev("join", "s2", m(3), "x"),
    };
    auto expected = summarize(events, kWindow, m(90));
    ASSERT_EQ(expected.at("s1").connectedMs, (30 + 15) * kMin);
    std::mt19937 rng(42);
    for (int round = 0; round < 20; ++round) {
        std::shuffle(events.begin(), events.end(), rng);
        auto got = summarize(events, kWindow, m(90));
        ASSERT_EQ(got.size(), expected.size());
        for (const auto& [subject, want] : expected) {
            const SubjectSummary& s = got.at(subject);
            EXPECT_EQ(s.connectedMs, want.connectedMs) << subject;
            EXPECT_EQ(s.creditedMs, want.creditedMs) << subject;
            EXPECT_EQ(s.reconnects, want.reconnects) << subject;
            EXPECT_EQ(s.spotChecksMissed, want.spotChecksMissed) << subject;
            ASSERT_EQ(s.intervals.size(), want.intervals.size()) << subject;
            for (size_t i = 0; i < s.intervals.size(); ++i) {
                EXPECT_EQ(s.intervals[i].join, want.intervals[i].join);
                EXPECT_EQ(s.intervals[i].leave, want.intervals[i].leave);
                EXPECT_EQ(s.intervals[i].reason, want.intervals[i].reason);
            }
        }
    }
}

TEST(AttendanceSummaryTest, EqualTimestampsAreOrderedByNumericStreamId) {
    // At the same millisecond the phone's join (seq 9) was written before the PC's leave
    // (seq 10). As text "…-10" sorts before "…-9", which would record the PC as leaving
    // normally; in stream order the phone's join replaced it first.
    std::vector<AttendanceEvent> events{
        ev("join", "s1", m(0), "pc"),
        ev("leave", "s1", m(10), "pc", "leave"),
        ev("join", "s1", m(10), "phone"),
    };
    events[1].streamId = std::to_string(m(10)) + "-10";
    events[2].streamId = std::to_string(m(10)) + "-9";
    auto s = summarize(events, kWindow, m(20)).at("s1");
    ASSERT_EQ(s.intervals.size(), 2u);
    EXPECT_EQ(s.intervals[0].reason, "replaced");
    EXPECT_TRUE(s.intervals[1].open);
    EXPECT_EQ(s.connectedMs, 20 * kMin);
}

TEST(AttendanceSummaryTest, LeaveDatedBeforeItsJoinIsAZeroLengthInterval) {
    // The client's clock dated the leave 5 minutes before its join: the connection still
    // ended, so it must not stay open until now.
    std::vector<AttendanceEvent> events{
        ev("join", "s1", m(10), "c1"),
        ev("leave", "s1", m(5), "c1", "disconnect", m(11)),
    };
    auto s = summarize(events, kWindow, m(90)).at("s1");
    ASSERT_EQ(s.intervals.size(), 1u);
    EXPECT_FALSE(s.intervals[0].open);
    EXPECT_EQ(s.intervals[0].join, m(10));
    EXPECT_EQ(s.intervals[0].leave, m(10));
    EXPECT_EQ(s.intervals[0].reason, "disconnect");
    EXPECT_EQ(s.connectedMs, 0);
}

TEST(AttendanceSummaryTest, LeaveWithoutAJoinIsIgnored) {
    std::vector<AttendanceEvent> events{
        ev("leave", "ghost", m(5), "g1", "leave"),     // Never joined: no summary at all.
        ev("leave", "s1", m(1), "old", "disconnect"),  // Before any join of s1.
        ev("join", "s1", m(2), "c1"),
        ev("leave", "s1", m(3), "unknown", "leave"),  // Not c1's leave.
    };
    auto out = summarize(events, kWindow, m(12));
    EXPECT_EQ(out.count("ghost"), 0u);
    const SubjectSummary& s = out.at("s1");
    ASSERT_EQ(s.intervals.size(), 1u);
    EXPECT_TRUE(s.intervals[0].open);
    EXPECT_EQ(s.connectedMs, 10 * kMin);
}

TEST(AttendanceSummaryTest, CreditIsClippedToTheClassWindow) {
    // Joined 10 minutes early, stayed 10 minutes late, plus a stray visit after the class.
    std::vector<AttendanceEvent> events{
        ev("join", "s1", m(-10), "c1"),
        ev("leave", "s1", m(70), "c1", "leave"),
        ev("join", "s1", m(80), "c2"),
        ev("leave", "s1", m(85), "c2", "leave"),
    };
    auto s = summarize(events, kWindow, m(90)).at("s1");
    EXPECT_EQ(s.connectedMs, (80 + 5) * kMin);
    EXPECT_EQ(s.creditedMs, 60 * kMin);
    EXPECT_EQ(s.minutesConnected, 85);
    EXPECT_EQ(s.minutesCredited, 60);
}

TEST(AttendanceSummaryTest, ExtendedWindowCreditsTheOverrun) {
    ClassWindow ranOver{kT0, m(75)};
    auto s =
        summarize({ev("join", "s1", m(0), "c1"), ev("leave", "s1", m(80), "c1", "class_ended")},
                  ranOver, m(90))
            .at("s1");
    EXPECT_EQ(s.creditedMs, 75 * kMin);
}

TEST(AttendanceSummaryTest, ReconnectsCountJoinsAfterTheFirst) {
    std::vector<AttendanceEvent> events;
    for (Millis i = 0; i < 4; ++i) {
        events.push_back(ev("join", "s1", m(i * 10), "c" + std::to_string(i)));
        events.push_back(ev("leave", "s1", m(i * 10 + 5), "c" + std::to_string(i), "disconnect"));
    }
    events.push_back(ev("join", "s2", m(0), "only"));
    auto out = summarize(events, kWindow, m(90));
    EXPECT_EQ(out.at("s1").reconnects, 3);
    EXPECT_EQ(out.at("s1").intervals.size(), 4u);
    EXPECT_EQ(out.at("s1").connectedMs, kMin * 5 * 4);
    EXPECT_EQ(out.at("s2").reconnects, 0);
}

TEST(AttendanceSummaryTest, SpotChecksAndMissesAreCountedPerSubject) {
    std::vector<AttendanceEvent> events{
        ev("join", "s1", m(0), "c1"),
        ev("join", "s2", m(0), "c2"),
        ev("spot_check", "s1", m(10)),
        ev("spot_check_result", "s1", m(11), "", "answered"),
        ev("spot_check", "s1", m(20)),
        ev("spot_check_result", "s1", m(21), "", "missed"),
        ev("spot_check", "s1", m(30)),
        ev("spot_check_result", "s1", m(31), "", "missed"),
        ev("spot_check", "s2", m(30)),
        ev("spot_check_result", "s2", m(31), "", "answered"),
        ev("presence", "s1", m(32), "", "face"),  // A sample, not a spot check.
    };
    auto out = summarize(events, kWindow, m(60));
    EXPECT_EQ(out.at("s1").samples, 1);
    EXPECT_EQ(out.at("s1").spotChecks, 3);
    EXPECT_EQ(out.at("s1").spotChecksMissed, 2);
    EXPECT_EQ(out.at("s2").spotChecks, 1);
    EXPECT_EQ(out.at("s2").spotChecksMissed, 0);
    EXPECT_EQ(out.at("s1").connectedMs, 60 * kMin);
}

TEST(AttendanceSummaryTest, ExtremeValuesDoNotThrowOrGoNegative) {
    constexpr Millis lo = std::numeric_limits<Millis>::min();
    constexpr Millis hi = std::numeric_limits<Millis>::max();
    std::vector<AttendanceEvent> events{
        ev("join", "s1", lo, "c1"),
        ev("leave", "s1", hi, "c1", "leave"),
        ev("join", "s2", hi, "c2"),
        ev("leave", "", 0, "", ""),
        ev("", "s3", 0),
    };
    events[0].streamId = "not-an-id";
    events[1].streamId = "99999999999999999999999-1";
    for (Millis now : {lo, Millis{0}, hi}) {
        for (ClassWindow w : {ClassWindow{lo, hi}, ClassWindow{hi, lo}, ClassWindow{}}) {
            std::map<std::string, SubjectSummary> out;
            ASSERT_NO_THROW(out = summarize(events, w, now));
            for (const auto& [subject, s] : out) {
                EXPECT_GE(s.connectedMs, 0) << subject;
                EXPECT_GE(s.creditedMs, 0) << subject;
                EXPECT_LE(s.creditedMs, s.connectedMs) << subject;
                EXPECT_GE(s.minutesConnected, 0) << subject;
            }
        }
    }
}

// Monthly roll-up. Instants are written at +08:00 where the month boundary matters.
Millis iso(const char* text) {
    return common::parseIso8601(text, 480).value();
}

SessionCredit session(const char* start, bool required, Millis creditedMs, Millis connectedMs) {
    return SessionCredit{"c", required, iso(start), creditedMs, connectedMs};
}

TEST(AttendanceSummaryTest, MonthRollUpUsesTheLocalMonthAtPlus8) {
    std::vector<SessionCredit> sessions{
        // 1 Nov 07:00 at +08:00 is still 31 Oct in UTC: November here.
        session("2026-11-01T07:00:00+08:00", true, 60 * kMin, 60 * kMin),
        // 30 Nov 23:30 at +08:00: November.
        session("2026-11-30T23:30:00+08:00", true, 30 * kMin, 30 * kMin),
        // 1 Dec 00:30 at +08:00 is 30 Nov 16:30 UTC, but December here.
        session("2026-12-01T00:30:00+08:00", true, 120 * kMin, 120 * kMin),
        // 31 Oct 23:59 at +08:00: October.
        session("2026-10-31T23:59:00+08:00", true, 120 * kMin, 120 * kMin),
    };
    MonthlyHours nov = rollUpMonth("2026-11", sessions, 8.0, 480);
    EXPECT_EQ(nov.month, "2026-11");
    EXPECT_EQ(nov.sessions, 2);
    EXPECT_DOUBLE_EQ(nov.creditedHours, 1.5);
    EXPECT_DOUBLE_EQ(nov.requiredCreditedHours, 1.5);
    EXPECT_DOUBLE_EQ(nov.requiredHours, 8.0);
    EXPECT_FALSE(nov.met);

    MonthlyHours dec = rollUpMonth("2026-12", sessions, 2.0, 480);
    EXPECT_EQ(dec.sessions, 1);
    EXPECT_DOUBLE_EQ(dec.requiredCreditedHours, 2.0);
    EXPECT_TRUE(dec.met);

    // The same sessions counted in UTC put the 1 Dec 00:30 one into November and the
    // 1 Nov 07:00 one into October.
    MonthlyHours novUtc = rollUpMonth("2026-11", sessions, 8.0, 0);
    EXPECT_EQ(novUtc.sessions, 2);
    EXPECT_DOUBLE_EQ(novUtc.creditedHours, 2.5);
}

TEST(AttendanceSummaryTest, MonthRollUpSeparatesRequiredSessions) {
    std::vector<SessionCredit> sessions{
        session("2026-11-03T19:00:00+08:00", true, 90 * kMin, 95 * kMin),
        session("2026-11-10T19:00:00+08:00", false, 60 * kMin, 60 * kMin),
        session("2026-11-17T19:00:00+08:00", true, 0, 0),         // Never came: missed.
        session("2026-11-24T19:00:00+08:00", true, 0, 5 * kMin),  // Came after the end.
        session("2026-11-25T19:00:00+08:00", false, 0, 0),        // Optional: not missed.
    };
    MonthlyHours h = rollUpMonth("2026-11", sessions, 2.0, 480);
    EXPECT_EQ(h.sessions, 5);
    EXPECT_EQ(h.requiredSessions, 3);
    EXPECT_EQ(h.missedRequiredSessions, 1);
    EXPECT_DOUBLE_EQ(h.creditedHours, 2.5);
    EXPECT_DOUBLE_EQ(h.requiredCreditedHours, 1.5);
    EXPECT_FALSE(h.met);  // Optional hours do not make up for required ones.
}

TEST(AttendanceSummaryTest, AFutureRequiredSessionIsNotMissedYet) {
    std::vector<SessionCredit> sessions{
        session("2026-11-03T19:00:00+08:00", true, 0, 0),  // Over, nobody came: missed.
        session("2026-11-27T19:00:00+08:00", true, 0, 0),  // Later this month.
    };
    sessions[1].finished = false;
    MonthlyHours h = rollUpMonth("2026-11", sessions, 8.0, 480);
    EXPECT_EQ(h.requiredSessions, 2);
    EXPECT_EQ(h.missedRequiredSessions, 1);
}

TEST(AttendanceSummaryTest, MonthHoursAreRoundedDownToHundredths) {
    // 40 minutes is 0.6666... h: shown as 0.66 so that no report overstates attendance.
    MonthlyHours h = rollUpMonth(
        "2026-11", {session("2026-11-03T19:00:00+08:00", true, 40 * kMin, 40 * kMin)}, 0.5, 480);
    EXPECT_DOUBLE_EQ(h.creditedHours, 0.66);
    EXPECT_TRUE(h.met);
}

TEST(AttendanceSummaryTest, MonthIsMetOnlyWithTheFullRequiredHours) {
    const Millis eightHours = kMin * 60 * 8;
    MonthlyHours exact = rollUpMonth(
        "2026-11", {session("2026-11-03T19:00:00+08:00", true, eightHours, eightHours)}, 8.0, 480);
    EXPECT_DOUBLE_EQ(exact.requiredCreditedHours, 8.0);
    EXPECT_TRUE(exact.met);

    MonthlyHours short1s = rollUpMonth(
        "2026-11", {session("2026-11-03T19:00:00+08:00", true, eightHours - kSec, eightHours)}, 8.0,
        480);
    EXPECT_DOUBLE_EQ(short1s.requiredCreditedHours, 7.99);
    EXPECT_FALSE(short1s.met);

    // A fractional requirement is compared exactly too: 7 h 18 min is 7.30 h.
    MonthlyHours frac = rollUpMonth(
        "2026-11", {session("2026-11-03T19:00:00+08:00", true, (7 * 60 + 18) * kMin, kMin)}, 7.3,
        480);
    EXPECT_TRUE(frac.met);
}

TEST(AttendanceSummaryTest, MonthWithNoSessionsOrAnInvalidMonth) {
    MonthlyHours empty = rollUpMonth("2026-11", {}, 8.0, 480);
    EXPECT_EQ(empty.sessions, 0);
    EXPECT_DOUBLE_EQ(empty.creditedHours, 0.0);
    EXPECT_FALSE(empty.met);
    EXPECT_TRUE(rollUpMonth("2026-11", {}, 0.0, 480).met);  // Nothing required.

    MonthlyHours bad =
        rollUpMonth("2026-13", {session("2026-11-03T19:00:00+08:00", true, kMin, kMin)}, 8.0, 480);
    EXPECT_EQ(bad.sessions, 0);
}

// Verified presence. Samples are dated relative to kT0, which is a whole minute.
static_assert(kT0 % kMin == 0);

AttendanceEvent sample(std::string subject, Millis ts, std::string outcome) {
    AttendanceEvent e = ev("presence", std::move(subject), ts);
    e.outcome = std::move(outcome);
    return e;
}

const CreditPolicy kVerified{CreditPolicy::Verified, 0.5};
const CreditPolicy kConnected{CreditPolicy::Connected, 0.5};

TEST(AttendanceSummaryTest, PolicyDefaultsAreVerifiedAtHalf) {
    CreditPolicy policy;
    EXPECT_EQ(policy.mode, CreditPolicy::Verified);
    EXPECT_DOUBLE_EQ(policy.minVerifiedShare, 0.5);
}

TEST(AttendanceSummaryTest, VerifiedMinutesAreCredited) {
    // Connected for ten minutes with a verified sample every 20 s.
    std::vector<AttendanceEvent> events{ev("join", "s1", m(0), "c1"),
                                        ev("leave", "s1", m(10), "c1", "leave")};
    for (Millis t = m(0) + 5 * kSec; t < m(10); t += 20 * kSec) {
        events.push_back(sample("s1", t, "verified"));
    }
    auto s = summarize(events, kWindow, m(90), kVerified).at("s1");
    EXPECT_EQ(s.connectedMs, 10 * kMin);
    EXPECT_EQ(s.creditedMs, 10 * kMin);
    EXPECT_EQ(s.minutesCredited, 10);
    EXPECT_EQ(s.minutesConnected, 10);
    EXPECT_EQ(s.samples, 30);
    EXPECT_EQ(s.samplesVerified, 30);
    EXPECT_EQ(s.lastOutcome, "verified");
}

TEST(AttendanceSummaryTest, AMinuteWithoutSamplesIsNotCredited) {
    // Connected 0-5 min; samples in minutes 0, 1 and 3 only (the camera sent nothing in 2
    // and 4).
    std::vector<AttendanceEvent> events{
        ev("join", "s1", m(0), "c1"),
        ev("leave", "s1", m(5), "c1", "leave"),
        sample("s1", m(0) + 30 * kSec, "verified"),
        sample("s1", m(1) + 59 * kSec, "verified"),
        sample("s1", m(3), "verified"),  // The first instant of minute 3.
    };
    auto s = summarize(events, kWindow, m(90), kVerified).at("s1");
    EXPECT_EQ(s.connectedMs, 5 * kMin);
    EXPECT_EQ(s.creditedMs, 3 * kMin);
    EXPECT_EQ(s.minutesCredited, 3);
    // The same stream in Connected mode credits all five.
    EXPECT_EQ(summarize(events, kWindow, m(90), kConnected).at("s1").creditedMs, 5 * kMin);
}

TEST(AttendanceSummaryTest, NoSamplesAtAllCreditsNothingInVerifiedMode) {
    std::vector<AttendanceEvent> events{ev("join", "s1", m(0), "c1"),
                                        ev("leave", "s1", m(45), "c1", "leave")};
    auto s = summarize(events, kWindow, m(90), kVerified).at("s1");
    EXPECT_EQ(s.connectedMs, 45 * kMin);
    EXPECT_EQ(s.creditedMs, 0);
    EXPECT_EQ(s.minutesCredited, 0);
    EXPECT_EQ(s.samples, 0);
    EXPECT_EQ(s.lastOutcome, "");
}

TEST(AttendanceSummaryTest, VerifiedShareAtTheThreshold) {
    std::vector<AttendanceEvent> events{ev("join", "s1", m(0), "c1"),
                                        ev("leave", "s1", m(4), "c1", "leave")};
    auto add = [&](Millis minute, std::vector<const char*> outcomes) {
        Millis t = m(minute) + kSec;
        for (const char* o : outcomes) {
            events.push_back(sample("s1", t, o));
            t += 10 * kSec;
        }
    };
    add(0, {"verified", "no_face"});                  // 1/2 = 0.5: credited.
    add(1, {"verified", "not_matched", "no_face"});   // 1/3: not.
    add(2, {"verified", "verified", "poor_image"});   // 2/3: credited.
    add(3, {"camera_off", "several_faces", "face"});  // 0/3, an unknown outcome too: not.
    auto s = summarize(events, kWindow, m(90), kVerified).at("s1");
    EXPECT_EQ(s.creditedMs, 2 * kMin);
    EXPECT_EQ(s.samples, 11);
    EXPECT_EQ(s.samplesVerified, 4);
    EXPECT_EQ(s.lastOutcome, "face");

    // A stricter share drops the minute at one half; a share of zero needs only a sample.
    EXPECT_EQ(summarize(events, kWindow, m(90), {CreditPolicy::Verified, 0.6}).at("s1").creditedMs,
              1 * kMin);
    EXPECT_EQ(summarize(events, kWindow, m(90), {CreditPolicy::Verified, 0.0}).at("s1").creditedMs,
              4 * kMin);
    EXPECT_EQ(summarize(events, kWindow, m(90), {CreditPolicy::Verified, 1.0}).at("s1").creditedMs,
              0);
}

TEST(AttendanceSummaryTest, OnlyTheConnectedPartOfAMinuteIsCredited) {
    // Joined at 2:30 and left at 4:20; one verified sample in each minute.
    std::vector<AttendanceEvent> events{
        ev("join", "s1", m(2) + 30 * kSec, "c1"),
        ev("leave", "s1", m(4) + 20 * kSec, "c1", "leave"),
        sample("s1", m(2) + 40 * kSec, "verified"),
        sample("s1", m(3) + 40 * kSec, "verified"),
        sample("s1", m(4) + 10 * kSec, "verified"),
    };
    auto s = summarize(events, kWindow, m(90), kVerified).at("s1");
    EXPECT_EQ(s.creditedMs, 30 * kSec + kMin + 20 * kSec);
    EXPECT_EQ(s.minutesCredited, 1);  // 1 min 50 s: one whole minute.
}

TEST(AttendanceSummaryTest, SamplesOutsideTheIntervalsDoNotCredit) {
    // Connected 0-2 and 5-7. Samples while disconnected (3, 4), in the gap's minute after the
    // leave, and before the join in the same minute must not credit anything.
    std::vector<AttendanceEvent> events{
        ev("join", "s1", m(0), "c1"),
        ev("leave", "s1", m(2) + 30 * kSec, "c1", "disconnect"),
        ev("join", "s1", m(5) + 30 * kSec, "c2"),
        ev("leave", "s1", m(7), "c2", "leave"),
        sample("s1", m(0) + 10 * kSec, "verified"),   // Minute 0: credited.
        sample("s1", m(2) + 45 * kSec, "verified"),   // After the leave at 2:30.
        sample("s1", m(3) + 10 * kSec, "verified"),   // Disconnected.
        sample("s1", m(4) + 10 * kSec, "verified"),   // Disconnected.
        sample("s1", m(5) + 10 * kSec, "verified"),   // Before the join at 5:30.
        sample("s1", m(6) + 10 * kSec, "no_face"),    // Minute 6: 0 of 1.
        sample("s1", m(-1) + 10 * kSec, "verified"),  // Before the class.
    };
    auto s = summarize(events, kWindow, m(90), kVerified).at("s1");
    EXPECT_EQ(s.connectedMs, 2 * kMin + 30 * kSec + kMin + 30 * kSec);
    EXPECT_EQ(s.creditedMs, kMin);
    EXPECT_EQ(s.samples, 7);  // All are counted as samples.
    EXPECT_EQ(s.samplesVerified, 6);
    EXPECT_EQ(s.lastOutcome, "no_face");

    // Samples dated in a minute where the subject was connected only before the samples:
    // the leave at 2:30 and the sample at 2:45 do not credit 2:00-2:30.
    std::vector<AttendanceEvent> late{
        ev("join", "s2", m(2), "x"),
        ev("leave", "s2", m(2) + 30 * kSec, "x", "leave"),
        sample("s2", m(2) + 45 * kSec, "verified"),
    };
    EXPECT_EQ(summarize(late, kWindow, m(90), kVerified).at("s2").creditedMs, 0);
}

TEST(AttendanceSummaryTest, VerifiedCreditIsClippedToTheClassWindow) {
    // Connected from 10 minutes early to 5 minutes late, verified throughout.
    std::vector<AttendanceEvent> events{ev("join", "s1", m(-10), "c1"),
                                        ev("leave", "s1", m(65), "c1", "leave")};
    for (Millis minute = -10; minute < 65; ++minute) {
        events.push_back(sample("s1", m(minute) + 30 * kSec, "verified"));
    }
    // A window that starts and ends mid-minute.
    const ClassWindow window{m(0) + 15 * kSec, m(60) + 15 * kSec};
    auto s = summarize(events, window, m(90), kVerified).at("s1");
    EXPECT_EQ(s.creditedMs, 60 * kMin);
    EXPECT_EQ(s.creditedMs, summarize(events, window, m(90), kConnected).at("s1").creditedMs);
}

TEST(AttendanceSummaryTest, AnOpenIntervalIsCreditedUntilNow) {
    std::vector<AttendanceEvent> events{
        ev("join", "s1", m(0), "c1"), sample("s1", m(0) + 5 * kSec, "verified"),
        sample("s1", m(1) + 5 * kSec, "verified"),
        sample("s1", m(2) + 5 * kSec, "verified"),  // After `now`: not yet connected then.
    };
    auto s = summarize(events, kWindow, m(1) + 30 * kSec, kVerified).at("s1");
    EXPECT_EQ(s.creditedMs, kMin + 30 * kSec);
}

TEST(AttendanceSummaryTest, SamplesOfOneSubjectDoNotCreditAnother) {
    std::vector<AttendanceEvent> events{
        ev("join", "s1", m(0), "a"),       ev("join", "s2", m(0), "b"),
        sample("s1", m(0), "verified"),    sample("s2", m(0), "no_face"),
        sample("s2", m(1), "verified"),    sample("", m(1), "verified"),
        sample("ghost", m(1), "verified"),
    };
    auto out = summarize(events, kWindow, m(2), kVerified);
    EXPECT_EQ(out.at("s1").creditedMs, kMin);
    EXPECT_EQ(out.at("s2").creditedMs, kMin);  // Minute 1 only.
    EXPECT_EQ(out.at("ghost").samples, 1);     // Never connected: a sample, no credit.
    EXPECT_EQ(out.at("ghost").creditedMs, 0);
    EXPECT_EQ(out.count(""), 0u);
}

TEST(AttendanceSummaryTest, LastOutcomeIsTheLatestSampleWhateverTheListOrder) {
    std::vector<AttendanceEvent> events{
        ev("join", "s1", m(0), "c1"),
        sample("s1", m(3), "no_face"),
        sample("s1", m(1), "verified"),
        sample("s1", m(2), "several_faces"),
    };
    EXPECT_EQ(summarize(events, kWindow, m(5), kVerified).at("s1").lastOutcome, "no_face");
    std::reverse(events.begin(), events.end());
    EXPECT_EQ(summarize(events, kWindow, m(5), kVerified).at("s1").lastOutcome, "no_face");
}

TEST(AttendanceSummaryTest, ConnectedModeIgnoresSamples) {
    // The existing rule, unchanged by samples of any outcome, and the default of summarize.
    std::vector<AttendanceEvent> events{
        ev("join", "s1", m(-10), "c1"),
        ev("leave", "s1", m(70), "c1", "leave"),
        sample("s1", m(5), "no_face"),
        sample("s1", m(6), "camera_off"),
    };
    auto connected = summarize(events, kWindow, m(90), kConnected).at("s1");
    EXPECT_EQ(connected.creditedMs, 60 * kMin);
    EXPECT_EQ(connected.minutesCredited, 60);
    EXPECT_EQ(connected.samples, 2);
    EXPECT_EQ(connected.samplesVerified, 0);
    EXPECT_EQ(summarize(events, kWindow, m(90)).at("s1").creditedMs, 60 * kMin);
    EXPECT_EQ(summarize(events, kWindow, m(90), kVerified).at("s1").creditedMs, 0);
}

TEST(AttendanceSummaryTest, MinutesBeforeTheEpochAndAtTheExtremesDoNotOverflow) {
    constexpr Millis lo = std::numeric_limits<Millis>::min();
    constexpr Millis hi = std::numeric_limits<Millis>::max();
    // Minutes before 1970 still start at whole minutes: -90 s is in [-120 s, -60 s).
    std::vector<AttendanceEvent> before{
        ev("join", "s1", -100 * kSec, "c1"),
        ev("leave", "s1", -30 * kSec, "c1", "leave"),
        sample("s1", -90 * kSec, "verified"),
    };
    EXPECT_EQ(summarize(before, ClassWindow{lo, hi}, 0, kVerified).at("s1").creditedMs, 40 * kSec);

    std::vector<AttendanceEvent> extreme{
        ev("join", "s1", lo, "c1"),   ev("leave", "s1", hi, "c1", "leave"),
        sample("s1", lo, "verified"), sample("s1", hi - 1, "verified"),
        sample("s1", hi, "verified"), sample("s1", 0, "verified"),
    };
    for (ClassWindow w : {ClassWindow{lo, hi}, ClassWindow{hi, lo}, ClassWindow{}}) {
        for (double share : {0.0, 0.5, 1.0, -1.0, 2.0, std::numeric_limits<double>::quiet_NaN()}) {
            std::map<std::string, SubjectSummary> out;
            ASSERT_NO_THROW(out = summarize(extreme, w, hi, {CreditPolicy::Verified, share}));
            const SubjectSummary& s = out.at("s1");
            EXPECT_GE(s.creditedMs, 0);
            EXPECT_LE(s.creditedMs, s.connectedMs);
            EXPECT_LE(s.creditedMs, 3 * kMin);
        }
    }
}

TEST(AttendanceSummaryTest, VerifiedCreditIsIndependentOfEventOrder) {
    std::vector<AttendanceEvent> events{
        ev("join", "s1", m(0), "pc"),
        ev("join", "s1", m(10), "phone"),
        ev("leave", "s1", m(12), "pc", "replaced"),
        ev("leave", "s1", m(30), "phone", "leave"),
    };
    for (Millis minute = 0; minute < 30; minute += 2) {
        events.push_back(sample("s1", m(minute) + 7 * kSec, minute % 6 ? "verified" : "no_face"));
    }
    const Millis expected = summarize(events, kWindow, m(90), kVerified).at("s1").creditedMs;
    EXPECT_EQ(expected, 10 * kMin);  // 15 sampled minutes, 5 of them no_face.
    std::mt19937 rng(7);
    for (int round = 0; round < 20; ++round) {
        std::shuffle(events.begin(), events.end(), rng);
        EXPECT_EQ(summarize(events, kWindow, m(90), kVerified).at("s1").creditedMs, expected);
    }
}

TEST(AttendanceSummaryTest, MonthRollUpCountsVerifiedCredit) {
    // Two sessions of one hour on 3 and 10 November; in the first only 30 minutes were
    // verified. The month is judged on credited, not connected, time.
    auto sessionEvents = [](Millis start, int verifiedMinutes) {
        std::vector<AttendanceEvent> events{ev("join", "s1", start, "c"),
                                            ev("leave", "s1", start + 60 * kMin, "c", "leave")};
        for (int i = 0; i < 60; ++i) {
            events.push_back(sample("s1", start + i * kMin + 20 * kSec,
                                    i < verifiedMinutes ? "verified" : "no_face"));
        }
        return events;
    };
    std::vector<SessionCredit> credits;
    for (auto [start, verified] : {std::pair<const char*, int>{"2026-11-03T19:00:00+08:00", 30},
                                   {"2026-11-10T19:00:00+08:00", 60}}) {
        const Millis t = iso(start);
        auto s = summarize(sessionEvents(t, verified), ClassWindow{t, t + 60 * kMin}, t + 90 * kMin,
                           kVerified)
                     .at("s1");
        EXPECT_EQ(s.connectedMs, 60 * kMin);
        credits.push_back({"c", true, t, s.creditedMs, s.connectedMs});
    }
    MonthlyHours h = rollUpMonth("2026-11", credits, 2.0, 480);
    EXPECT_DOUBLE_EQ(h.creditedHours, 1.5);
    EXPECT_DOUBLE_EQ(h.requiredCreditedHours, 1.5);
    EXPECT_FALSE(h.met);  // Two hours connected, one and a half verified.
    EXPECT_EQ(h.missedRequiredSessions, 0);
}

// Unenrolled presence: a face was seen, but the subject has no reference to check it against.
// Ten connected minutes 0..9 with two samples each:
//   0-3 verified + verified, 4-5 unenrolled + unenrolled, 6 verified + unenrolled,
//   7 unenrolled + no_face, 8 not_matched + unenrolled, 9 no_face + no_face.
std::vector<AttendanceEvent> unenrolledStream() {
    std::vector<AttendanceEvent> events{ev("join", "s1", m(0), "c1"),
                                        ev("leave", "s1", m(10), "c1", "leave")};
    const std::vector<std::pair<const char*, const char*>> minutes{
        {"verified", "verified"},   {"verified", "verified"},     {"verified", "verified"},
        {"verified", "verified"},   {"unenrolled", "unenrolled"}, {"unenrolled", "unenrolled"},
        {"verified", "unenrolled"}, {"unenrolled", "no_face"},    {"not_matched", "unenrolled"},
        {"no_face", "no_face"}};
    for (size_t i = 0; i < minutes.size(); ++i) {
        const Millis start = m(static_cast<Millis>(i));
        events.push_back(sample("s1", start + 10 * kSec, minutes[i].first));
        events.push_back(sample("s1", start + 40 * kSec, minutes[i].second));
    }
    return events;
}

TEST(AttendanceSummaryTest, UnenrolledSamplesAreCreditedByDefault) {
    CreditPolicy policy;
    EXPECT_TRUE(policy.creditUnenrolled);
    auto s = summarize(unenrolledStream(), kWindow, m(90), kVerified).at("s1");
    // Verified on their own: minutes 0-3 and 6 (one of two is the default share).
    EXPECT_EQ(s.verifiedMs, 5 * kMin);
    EXPECT_EQ(s.minutesVerified, 5);
    // Unenrolled samples make up the share in minutes 4, 5, 7 and 8.
    EXPECT_EQ(s.unenrolledMs, 4 * kMin);
    EXPECT_EQ(s.minutesUnenrolled, 4);
    EXPECT_EQ(s.creditedMs, 9 * kMin);
    EXPECT_EQ(s.minutesCredited, 9);
}

TEST(AttendanceSummaryTest, UnenrolledSamplesAreNotCreditedWhenTheConfigSaysSo) {
    CreditPolicy strict{CreditPolicy::Verified, 0.5};
    strict.creditUnenrolled = false;
    auto s = summarize(unenrolledStream(), kWindow, m(90), strict).at("s1");
    EXPECT_EQ(s.creditedMs, 5 * kMin);
    EXPECT_EQ(s.minutesCredited, 5);
    // The split is reported the same way whichever way the policy goes.
    EXPECT_EQ(s.minutesVerified, 5);
    EXPECT_EQ(s.minutesUnenrolled, 4);
    // At a share of one, a minute needs every sample to count.
    strict.minVerifiedShare = 1.0;
    EXPECT_EQ(summarize(unenrolledStream(), kWindow, m(90), strict).at("s1").minutesCredited, 4);
    CreditPolicy lenient = strict;
    lenient.creditUnenrolled = true;
    auto all = summarize(unenrolledStream(), kWindow, m(90), lenient).at("s1");
    EXPECT_EQ(all.minutesVerified, 4);    // 0-3
    EXPECT_EQ(all.minutesUnenrolled, 3);  // 4, 5 and 6
    EXPECT_EQ(all.minutesCredited, 7);
}

TEST(AttendanceSummaryTest, UnenrolledIsNeverAMismatch) {
    auto s = summarize(unenrolledStream(), kWindow, m(90), kVerified).at("s1");
    EXPECT_EQ(s.samples, 20);
    EXPECT_EQ(s.samplesVerified, 9);
    EXPECT_EQ(s.samplesUnenrolled, 7);
    EXPECT_EQ(s.samplesNotMatched, 1);
    EXPECT_EQ(s.lastOutcome, "no_face");
}

TEST(AttendanceSummaryTest, VerifiedMinutesAreReportedInConnectedModeToo) {
    auto s = summarize(unenrolledStream(), kWindow, m(90), kConnected).at("s1");
    EXPECT_EQ(s.minutesCredited, 10);  // Every connected minute.
    EXPECT_EQ(s.minutesVerified, 5);
    EXPECT_EQ(s.minutesUnenrolled, 4);
    // Samples while not connected, or outside the class window, verify nothing.
    auto late = summarize({ev("join", "s1", m(58), "c1"), ev("leave", "s1", m(62), "c1", "leave"),
                           sample("s1", m(59), "verified"), sample("s1", m(61), "verified"),
                           sample("s1", m(63), "verified")},
                          kWindow, m(90), kConnected)
                    .at("s1");
    EXPECT_EQ(late.minutesVerified, 1);
}

TEST(AttendanceSummaryTest, SpotCheckResultsAreCountedByOutcome) {
    std::vector<AttendanceEvent> events{
        ev("join", "s1", m(0), "c1"),
        ev("spot_check", "s1", m(10)),
        ev("spot_check_result", "s1", m(10) + 20 * kSec, "", "passed"),
        ev("spot_check", "s1", m(20)),
        ev("spot_check_result", "s1", m(20) + 20 * kSec, "", "failed"),
        ev("spot_check", "s1", m(30)),
        ev("spot_check_result", "s1", m(30) + 20 * kSec, "", "failed"),
        ev("spot_check", "s1", m(40)),
        ev("spot_check_result", "s1", m(40) + 5 * kSec, "", "answered"),
        ev("spot_check", "s1", m(50)),
        ev("spot_check_result", "s1", m(51), "", "missed"),
        ev("spot_check", "s1", m(55)),  // Still open.
    };
    auto s = summarize(events, kWindow, m(56)).at("s1");
    EXPECT_EQ(s.spotChecks, 6);
    EXPECT_EQ(s.spotChecksPassed, 1);
    EXPECT_EQ(s.spotChecksFailed, 2);
    EXPECT_EQ(s.spotChecksAnswered, 1);
    EXPECT_EQ(s.spotChecksMissed, 1);
}

TEST(AttendanceSummaryTest, PolicyFromTheConfig) {
    common::Config config;
    EXPECT_TRUE(config.presence.creditUnenrolled);
    EXPECT_TRUE(creditPolicyFrom(config).creditUnenrolled);
    config.presence.creditUnenrolled = false;
    const CreditPolicy policy = creditPolicyFrom(config);
    EXPECT_FALSE(policy.creditUnenrolled);
    EXPECT_EQ(policy.mode,
              config.vision.enabled ? CreditPolicy::Verified : CreditPolicy::Connected);
}

}  // namespace
}  // namespace vigil::signaling
