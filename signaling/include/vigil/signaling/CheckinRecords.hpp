#pragma once
// The durable records of self-service check-ins in Redis: one hash per check-in (written as
// pending before the subject is answered, then decided), the sealed evidence frames, the
// attempts and state of each window (a due period or an ordered check-in), and officers'
// orders. Knows nothing of media or WebSockets (CheckinService drives it).
//
// Keys: Keys.hpp's checkin, checkinsOf, kCheckins, checkinFrame, and these of its own:
//   vigil:checkinwin:<subject>:<window>  hash: attempts, verified (check-in id), missed,
//                                        failed_alerted
//   vigil:checkinorder:<id>              hash: the order (subject, unit, deadline, state...)
//   vigil:checkinorders:<subject>        zset: the subject's orders by deadline ms
//   vigil:checkinorders:open             zset: open orders by deadline ms (for the sweep)
//   vigil:checkinrun:<subject>           the running check-in's id, expiring (one at a time)

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "vigil/common/Clock.hpp"
#include "vigil/common/RedisClient.hpp"
#include "vigil/common/Task.hpp"
#include "vigil/signaling/CheckinRules.hpp"

namespace vigil::signaling {

struct Checkin {
    std::string id;
    std::string subject;
    std::string unit;
    std::string kind;    // scheduled | ordered
    std::string window;  // scheduled: "YYYY-MM-DD/YYYY-MM-DD" (first/last day of the period)
    std::string order;   // ordered: the order's id
    std::string outcome{"pending"};  // pending | verified | failed | missed
    std::string reason;
    std::string message;
    std::string challenge;
    double score{-1};
    common::Millis startedAt{0};
    common::Millis decidedAt{0};
    int attempt{0};
    std::optional<CheckinLocation> location;
    bool locationRefused{false};
    bool outOfArea{false};
    std::string report;
    std::vector<std::string> frames;  // SHA-256 of each evidence frame, by index

    // The window's key among the subject's windows: "w:<window>" or "o:<order>".
    std::string windowKey() const { return kind == "ordered" ? "o:" + order : "w:" + window; }
    nlohmann::json toJson(int utcOffsetMinutes, const std::string& subjectName) const;
};

struct CheckinOrder {
    std::string id;
    std::string subject;
    std::string unit;
    common::Millis deadline{0};
    std::string orderedBy;
    common::Millis orderedAt{0};
    std::string state{"open"};  // open | verified | missed
};

struct WindowState {
    int attempts{0};
    std::string verified;  // the verified check-in, if any
};

class CheckinRecords {
public:
    explicit CheckinRecords(common::RedisClient& redis, std::string imageKey)
        : redis_(redis), imageKey_(std::move(imageKey)) {}

    common::Task<void> write(const Checkin& checkin);
    common::Task<std::optional<Checkin>> find(std::string id);
    // Newest first, started in [from, to]; `subject` empty: everyone's.
    common::Task<std::vector<Checkin>> list(std::string subject, common::Millis from,
                                            common::Millis to, int limit);

    // Seals and stores the evidence frames; returns their SHA-256 (of the JPEG bytes). Nothing
    // is kept (only the digests) when no key is configured.
    common::Task<std::vector<std::string>> storeFrames(std::string id,
                                                       std::vector<std::string> jpegs);
    // The frame's JPEG; nullopt when missing or altered.
    common::Task<std::optional<std::string>> frame(std::string id, int index);

    common::Task<WindowState> window(std::string subject, std::string windowKey);
    // Counts an attempt; returns the attempts made, this one included.
    common::Task<int> countAttempt(std::string subject, std::string windowKey);
    common::Task<void> markVerified(std::string subject, std::string windowKey, std::string id);
    // Sets a once-only flag of the window (missed, failed_alerted); true the first time.
    common::Task<bool> flagOnce(std::string subject, std::string windowKey, std::string flag);

    // One running check-in per subject across nodes: true when `id` took the slot.
    common::Task<bool> claimRun(std::string subject, std::string id, common::Millis ttlMs);
    common::Task<void> releaseRun(std::string subject, std::string id);

    common::Task<void> writeOrder(const CheckinOrder& order);
    common::Task<std::optional<CheckinOrder>> findOrder(std::string id);
    // The subject's orders still open with a deadline after `now`, earliest first.
    common::Task<std::vector<CheckinOrder>> openOrders(std::string subject, common::Millis now);
    // Open orders whose deadline passed by `now` (all subjects).
    common::Task<std::vector<CheckinOrder>> expiredOrders(common::Millis now);
    // Closes an order (verified | missed): it leaves the open set.
    common::Task<void> closeOrder(const CheckinOrder& order, std::string state);

private:
    common::RedisClient& redis_;  // Passed by argument.
    std::string imageKey_;        // Empty: frames are not kept.
};

}  // namespace vigil::signaling
