#pragma once
// The attendance record of each class session: an append-only Redis Stream of events (join,
// leave with its reason, spot checks; later presence samples) plus the set of intervals
// still open. Each state change is one Lua script, so an event and the open-interval state
// it implies are written together, and two nodes racing to close the same interval write
// one leave event, not two. Callers acknowledge a client only after these return.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vigil/common/Clock.hpp"
#include "vigil/common/RedisClient.hpp"
#include "vigil/common/Task.hpp"
#include "vigil/signaling/AttendanceSummary.hpp"

namespace vigil::signaling {

struct OpenInterval {
    std::string subject;
    std::string conn;
    std::string node;
    common::Millis since{0};
    common::Millis lastHeartbeat{0};
};

struct JoinOutcome {
    std::string eventId;
    bool alreadyJoined{false};             // The same connection joined before.
    std::optional<OpenInterval> replaced;  // Another connection's interval, now closed.
};

class AttendanceStore {
public:
    explicit AttendanceStore(common::RedisClient& redis) : redis_(redis) {}

    common::Task<JoinOutcome> join(std::string classId, std::string subject, std::string conn,
                                   std::string node, common::Millis ts);
    // Closes the subject's open interval if it belongs to `conn` (any connection when empty),
    // dated `ts` (its last heartbeat when `ts` is 0). True if an interval was closed.
    common::Task<bool> leave(std::string classId, std::string subject, std::string conn,
                             common::Millis ts, std::string reason);
    // False if `conn` holds no open interval for the subject in that class.
    common::Task<bool> heartbeat(std::string classId, std::string subject, std::string conn,
                                 common::Millis ts);
    common::Task<std::string> appendEvent(std::string classId,
                                          std::vector<std::pair<std::string, std::string>> fields);

    common::Task<std::map<std::string, OpenInterval>> openIntervals(std::string classId);
    common::Task<std::vector<std::string>> classesWithOpenIntervals();
    common::Task<std::vector<AttendanceEvent>> events(std::string classId);

private:
    common::RedisClient& redis_;  // Passed by argument.
};

}  // namespace vigil::signaling
