// ClassHub's periodic duties: this node's heartbeat key, and closing attendance intervals
// that nobody will close otherwise (stopped heartbeats, a crashed node, a class past its
// end), each dated when the subject was last known present.

#include "vigil/common/Log.hpp"
#include "vigil/signaling/ClassHub.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::Task;
using nlohmann::json;

namespace {
VIGIL_LOG_CATEGORY(attendanceSweeperLog, "sweeper")
constexpr int kNodeTtlSeconds = 15;
}  // namespace

const char* const kResolveSpotCheckScript = R"lua(
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'missing'} end
if state ~= 'pending' then return {'done'} end
local subject = redis.call('HGET', KEYS[1], 'subject')
if ARGV[3] ~= '' and subject ~= ARGV[3] then return {'forbidden'} end
local deadline = tonumber(redis.call('HGET', KEYS[1], 'deadline'))
if ARGV[2] == 'answered' and tonumber(ARGV[4]) > deadline then return {'late'} end
local class = redis.call('HGET', KEYS[1], 'class')
redis.call('HSET', KEYS[1], 'state', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'detail', ARGV[5] or '', 'identity', ARGV[6] or '')
redis.call('XADD', 'vigil:att:' .. class, '*', 'kind', 'spot_check_result', 'subject', subject,
           'ts', ARGV[4], 'reason', ARGV[2], 'check', ARGV[1], 'detail', ARGV[5] or '',
           'identity', ARGV[6] or '')
return {'ok', class, subject}
)lua";

Task<int> ClassHub::recoverOnStartup() {
    int closed = co_await closeStale(true);
    if (closed > 0)
        attendanceSweeperLog()->warn("closed {} interval(s) left open by a previous process",
                                     closed);
    co_return closed;
}

Task<int> ClassHub::sweep() {
    co_await deps_.redis.cmd("SET", keys::node(deps_.nodeId), std::to_string(common::nowMillis()),
                             "EX", std::to_string(kNodeTtlSeconds));
    int closed = co_await closeStale(false);
    auto overdue = (co_await deps_.redis.cmd("ZRANGEBYSCORE", keys::kSpotPending, "0",
                                             std::to_string(common::nowMillis())))
                       .asStrings();
    for (const auto& check : overdue) co_await resolveSpotCheck(check, "missed");
    co_return closed;
}

Task<int> ClassHub::closeStale(bool startup) {
    common::Millis now = common::nowMillis();
    common::Millis timeout =
        static_cast<common::Millis>(deps_.config.attendance.heartbeatTimeoutSeconds) * 1000;
    std::map<std::string, bool> nodeAlive;
    int closed = 0;
    for (const auto& classId : co_await deps_.attendance.classesWithOpenIntervals()) {
        auto cls = co_await deps_.directory.findClass(classId);
        bool changed = false;
        for (const auto& [subject, interval] : co_await deps_.attendance.openIntervals(classId)) {
            if (!nodeAlive.count(interval.node)) {
                bool self = interval.node == deps_.nodeId;
                nodeAlive[interval.node] =
                    self ? !startup
                         : (co_await deps_.redis.cmd("EXISTS", keys::node(interval.node)))
                                   .asInteger() == 1;
            }
            std::string reason;
            common::Millis at = 0;  // 0: the last heartbeat
            if (!nodeAlive[interval.node]) {
                reason = "server_restart";
            } else if (now - interval.lastHeartbeat > timeout) {
                reason = "heartbeat_timeout";
            } else if (!cls || cls->state == ClassState::Ended ||
                       (cls->state != ClassState::Live && now >= cls->end)) {
                reason = "class_ended";
                at = cls ? std::min(now, cls->state == ClassState::Ended && cls->endedAt > 0
                                             ? cls->endedAt
                                             : cls->end)
                         : now;
            } else {
                continue;
            }
            // Named first: GCC 12 mis-compiles a co_await inside an if condition.
            bool wasOpen =
                co_await deps_.attendance.leave(classId, subject, interval.conn, at, reason);
            if (wasOpen) {
                ++closed;
                changed = true;
                attendanceSweeperLog()->info("class {}: closed {}'s interval ({})", classId,
                                             subject, reason);
                if (reason != "server_restart") {
                    json kick{{"event", "kick"},
                              {"class", classId},
                              {"conn", interval.conn},
                              {"reason", reason}};
                    co_await publish(std::move(kick));
                }
            }
        }
        if (changed) {
            json roster{{"event", "roster"}, {"class", classId}};
            co_await publish(std::move(roster));
        }
    }
    co_return closed;
}

}  // namespace vigil::signaling
