#pragma once
// Attendance arithmetic: turns a class session's event stream into per-subject intervals and
// minutes, and rolls sessions up into a month against the required hours. Pure functions: the
// store reads the Redis Stream and hands the events here, so the rules can be tested (and
// explained to a court) without a server.

#include <map>
#include <string>
#include <vector>

#include "vigil/common/Clock.hpp"

namespace vigil::signaling {

// One entry of a class session's attendance stream.
struct AttendanceEvent {
    std::string streamId;  // "1732860000000-0"; breaks ties between equal timestamps.
    common::Millis ts{0};  // When it happened, which may be earlier than when it was written.
    std::string kind;      // join | leave | spot_check | spot_check_result; others are ignored.
    std::string subject;   // User id.
    // leave: leave | disconnect | heartbeat_timeout | class_ended | replaced | server_restart.
    // spot_check_result: answered | missed.
    std::string reason;
    std::string conn;  // Connection id of the join this event belongs to.
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
    common::Millis creditedMs{0};     // Connected time clipped to the class window.
    int minutesConnected{0};          // floor(connectedMs / 60000)
    int minutesCredited{0};           // floor(creditedMs / 60000)
    int reconnects{0};                // Joins after the first.
    int spotChecks{0};                // Spot checks sent to the subject.
    int spotChecksMissed{0};          // Results recorded as "missed".
};

// Keyed by subject id. Accepts any values without throwing: real streams arrive out of order,
// with leaves dated before their joins, leaves for connections already replaced, and so on.
std::map<std::string, SubjectSummary> summarize(const std::vector<AttendanceEvent>& events,
                                                const ClassWindow& window, common::Millis now);

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
