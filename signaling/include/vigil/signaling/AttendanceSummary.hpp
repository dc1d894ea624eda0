#pragma once
// Attendance arithmetic: turns a class session's event stream into per-subject intervals and
// minutes, and rolls sessions up into a month against the required hours. Pure functions: the
// store reads the Redis Stream and hands the events here, so the rules can be tested (and
// explained to a court) without a server.

#include <map>
#include <string>
#include <vector>

#include "vigil/common/Clock.hpp"
#include "vigil/common/Config.hpp"

namespace vigil::signaling {

// One entry of a class session's attendance stream.
struct AttendanceEvent {
    std::string streamId;  // "1732860000000-0"; breaks ties between equal timestamps.
    common::Millis ts{0};  // When it happened, which may be earlier than when it was written.
    // join | leave | spot_check | spot_check_result | presence; others are ignored.
    std::string kind;
    std::string subject;  // User id.
    // leave: leave | disconnect | heartbeat_timeout | class_ended | replaced | server_restart.
    // spot_check_result: answered | missed (a plain check), passed | failed (a liveness
    // challenge decided from the camera).
    std::string reason;
    std::string conn;  // Connection id of the join this event belongs to.
    // presence: verified | not_matched | unenrolled | no_face | several_faces | camera_off |
    // poor_image. `unenrolled`: one good face, but the subject has no enrolled reference, so
    // identity could not be checked (never a mismatch). Any other value is not verified.
    std::string outcome;
};

struct Interval {
    common::Millis join{0};
    common::Millis leave{0};  // For an open interval: `now` (never before `join`).
    bool open{false};         // No leave yet: the subject is still connected.
    std::string reason;       // The leave's reason; "replaced" when a newer join closed it.
};

// Scheduled start and end; the caller extends `end` when the class ran over.
struct ClassWindow {
    common::Millis start{0};
    common::Millis end{0};
};

struct SubjectSummary {
    std::string subject;
    std::vector<Interval> intervals;  // In time order.
    common::Millis connectedMs{0};    // Union of the intervals; an open one counts until `now`.
    common::Millis creditedMs{0};     // Per the CreditPolicy; see summarize().
    // What the Verified rule credits whatever the policy's mode, split by why a minute
    // qualified; see summarize(). In Verified mode creditedMs is verifiedMs, plus
    // unenrolledMs when the policy credits unenrolled samples.
    common::Millis verifiedMs{0};    // Minutes that qualify on `verified` samples alone.
    common::Millis unenrolledMs{0};  // Minutes that qualify only with `unenrolled` ones.
    int minutesConnected{0};         // floor(connectedMs / 60000)
    int minutesCredited{0};          // floor(creditedMs / 60000)
    int minutesVerified{0};          // floor(verifiedMs / 60000)
    int minutesUnenrolled{0};        // floor(unenrolledMs / 60000)
    int reconnects{0};               // Joins after the first.
    int spotChecks{0};               // Spot checks sent to the subject.
    int spotChecksMissed{0};         // Results recorded as "missed".
    int spotChecksAnswered{0};       // "answered": a plain check confirmed in time.
    int spotChecksPassed{0};         // "passed": a liveness challenge followed.
    int spotChecksFailed{0};         // "failed": a liveness challenge not followed.
    int samples{0};                  // Presence samples recorded, wherever they fall.
    int samplesVerified{0};          // Those whose outcome is "verified".
    int samplesNotMatched{0};        // "not_matched": the only outcome that is a mismatch.
    int samplesUnenrolled{0};        // "unenrolled": a face, identity not checkable.
    std::string lastOutcome;         // Of the latest presence sample; empty if none.
};

// Which connected time is credited.
struct CreditPolicy {
    enum Mode {
        // Connected time inside the class window, whether or not anyone was seen.
        Connected,
        // Only the minutes in which the subject's camera showed the subject; see summarize().
        Verified,
    };
    Mode mode = Verified;
    // Share of a minute's presence samples that must be verified for the minute to count.
    double minVerifiedShare = 0.5;
    // Whether an `unenrolled` sample counts as verified for that share. The missing reference
    // is the agency's gap, not the subject's, so by default it does; when it does not, the
    // sample counts as not verified (still never as a mismatch).
    bool creditUnenrolled = true;
};

// [presence] credit_policy, credit_min_verified_share and credit_unenrolled; the
// "connected" rule when presence verification is off ([vision] enabled = false), as then no
// sample is ever taken.
CreditPolicy creditPolicyFrom(const common::Config& config);

// Keyed by subject id. Accepts any values without throwing: real streams arrive out of order,
// with leaves dated before their joins, leaves for connections already replaced, and so on.
//
// Credited time, the figure that attendance is judged on:
// - Connected mode: the subject's connected time (the union of the intervals, an open one
//   until `now`) that falls inside the class window [start, end).
// - Verified mode: time is cut into clock minutes, each starting at a whole multiple of
//   60000 ms since 1970-01-01T00:00:00Z (so 19:04:00.000 up to but not including
//   19:05:00.000). The connected time inside the class window that falls in a minute is
//   credited only when
//     1. at least one presence sample of the subject was taken in that minute while the
//        subject was connected (at or after a join, before its leave), and
//     2. of those samples, the verified ones make up at least `minVerifiedShare` (with the
//        default 0.5: one verified sample of two is enough, one of three is not); with
//        `creditUnenrolled`, `unenrolled` samples count as verified ones.
//   A minute without such a sample is not credited, however long the subject was connected
//   in it. Samples taken while the subject was not connected count for nothing.
// Whatever the mode, verifiedMs is what rule 2 credits counting `verified` samples only, and
// unenrolledMs what it credits in addition when `unenrolled` ones count too (the minutes
// that credit_unenrolled decides), both at `minVerifiedShare`.
// In both modes minutesCredited = floor(creditedMs / 60000): a part minute never rounds up.
// The default keeps the Connected rule for callers that do not choose.
std::map<std::string, SubjectSummary> summarize(const std::vector<AttendanceEvent>& events,
                                                const ClassWindow& window, common::Millis now,
                                                const CreditPolicy& policy = CreditPolicy{
                                                    CreditPolicy::Connected, 0.5});

// One subject's result for one class session, as the monthly roll-up needs it.
struct SessionCredit {
    std::string classId;
    bool required{false};
    common::Millis start{0};  // Scheduled start: decides which month the session belongs to.
    common::Millis creditedMs{0};
    common::Millis connectedMs{0};
    bool finished{true};  // Over: only then can a session with no attendance be missed.
};

struct MonthlyHours {
    std::string month;  // "YYYY-MM"
    double creditedHours{0};
    double requiredCreditedHours{0};  // Credited hours from required sessions only.
    double requiredHours{0};
    int sessions{0};
    int requiredSessions{0};
    int missedRequiredSessions{0};  // Finished required sessions with no connected time at all.
    bool met{false};                // requiredCreditedHours >= requiredHours
};

// Sessions whose start falls in `month` at `utcOffsetMinutes` count. Hours are rounded down to
// 0.01 so that a report never credits time that was not attended (7 h 59 min 50 s shows as
// 7.99, not 8.00, and does not meet 8 required hours). An invalid month counts nothing.
MonthlyHours rollUpMonth(const std::string& month, const std::vector<SessionCredit>& sessions,
                         double requiredHours, int utcOffsetMinutes);

}  // namespace vigil::signaling
