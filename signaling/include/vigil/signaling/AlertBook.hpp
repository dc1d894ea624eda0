#pragma once
// Alerts as records with a life cycle: open -> acknowledged -> resolved (with the officer's
// note, 处理记录). An alert left open longer than [alerts] escalate_after_minutes is escalated
// to the next unit up the tree (township -> county ...), once per sweep and level. Every
// state change is audited. Who may see or handle an alert: staff whose scope holds the
// alert's unit (or, once escalated, the unit it was escalated to).
//
// Keys (Keys.hpp): vigil:alert:<id> hash; vigil:alerts:open zset of the alerts not yet
// resolved (id by raised ms); vigil:alerts:unit:<unit> zset (id by raised ms) per unit the
// alert was raised or escalated at; vigil:alert_key:<dedupe key> -> id while unresolved.
// The vigil:alerts stream keeps the raw history as before: one entry per raise, duplicates
// included (field `alert` names the record), so readers of the stream see every occurrence.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "vigil/common/Clock.hpp"
#include "vigil/common/Config.hpp"
#include "vigil/common/RedisClient.hpp"
#include "vigil/common/Task.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Directory.hpp"

namespace vigil::signaling {

enum class AlertState { Open, Acknowledged, Resolved };
std::string toString(AlertState state);
std::optional<AlertState> parseAlertState(const std::string& text);

struct Alert {
    std::string id;
    // absent | not_matched | several_faces | camera_off | left_early | missed_class |
    // missed_call | missed_checkin | checkin_failed | out_of_area | overdue
    std::string kind;
    std::string subject;
    std::string unit;         // the subject's unit when raised
    std::string escalatedTo;  // the unit it was escalated to, empty when not escalated
    std::string classId;      // when raised in a class
    std::string call;         // when raised by a supervision call
    std::string checkin;      // when raised by a check-in
    std::string message;
    AlertState state{AlertState::Open};
    common::Millis raisedAt{0};
    common::Millis acknowledgedAt{0};
    std::string acknowledgedBy;
    common::Millis resolvedAt{0};
    std::string resolvedBy;
    std::string note;
    common::Millis escalatedAt{0};
    std::string dedupeKey;  // see AlertBook::raise; not shown

    nlohmann::json toJson(int utcOffsetMinutes) const;
};

// Told of every new or escalated alert (to push it live to the officers in scope).
class AlertListener {
public:
    virtual ~AlertListener() = default;
    virtual void onAlert(const Alert& alert, bool escalated) = 0;
};

class AlertBook {
public:
    AlertBook(common::RedisClient& redis, Directory& directory, AuditLog& audit,
              const common::Config& config)
        : redis_(redis), directory_(directory), audit_(audit), config_(config) {}
    void setListener(AlertListener* listener) { listener_ = listener; }

    // Records a new open alert (written before anyone is told) and returns it. `dedupeKey`
    // non-empty: while an alert raised with the same key is open or acknowledged, no second
    // one is raised (returns nullopt; the occurrence still goes into the stream). The unit
    // defaults to the subject's, the time to now.
    common::Task<std::optional<Alert>> raise(Alert alert, std::string dedupeKey = "");
    common::Task<std::optional<Alert>> find(std::string id);
    // state: "", open, acknowledged, resolved; escalatedOnly: only escalated ones. Newest
    // first, at most `limit`, only those `viewer` may see.
    common::Task<std::vector<Alert>> list(const User& viewer, std::string state, bool escalatedOnly,
                                          std::string subject, int limit);
    // not_found when it does not exist, forbidden unless `viewer` may see it; conflict when the
    // state does not allow it.
    common::Task<Alert> acknowledge(const User& viewer, std::string id);
    // From open or acknowledged. `note` is required (1..2000 characters, not blank):
    // bad_request otherwise.
    common::Task<Alert> resolve(const User& viewer, std::string id, std::string note);
    // Escalates every alert still open (not acknowledged) longer than the configured time
    // since it was raised or last escalated, one unit up; audited. Returns how many.
    common::Task<int> escalateOverdue(common::Millis now);

private:
    common::Task<Alert> requireVisible(const User& viewer, const std::string& id);
    // Ids of the alerts `viewer` may list, newest first (before any other filter).
    common::Task<std::vector<std::string>> candidateIds(const User& viewer, bool unresolvedOnly);
    void tell(const Alert& alert, bool escalated);

    common::RedisClient& redis_;  // Passed by argument.
    Directory& directory_;        // Passed by argument.
    AuditLog& audit_;             // Passed by argument.
    const common::Config& config_;
    AlertListener* listener_{nullptr};  // Passed by argument (setListener); may be null.
};

// Staff whose scope holds the alert's unit, or the unit it was escalated to.
bool canSeeAlert(const User& viewer, const Alert& alert, const UnitTree& tree);

}  // namespace vigil::signaling
