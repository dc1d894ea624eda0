#pragma once
// Self-service video check-in (视频报到). A subject starts a check-in when one is due (the
// check-in period of the management level, or an officer's order); the server draws a
// random liveness challenge, writes the record (pending), and the subject's page publishes
// its camera into the media room "checkin:<id>". When the camera is ready the presence
// pipeline watches for the challenge; its verdict decides the check-in (verified only when
// the enrolled subject's face did the movement), the frames it rests on are kept sealed, and
// the subject is told. Windows that close without a verified check-in are recorded `missed`
// and raise alerts. Officers order check-ins (随机点验) for a subject, a caseload or a unit.
//
// WebSocket messages (docs/protocol.md): checkin_start, checkin_shown, checkin_cancel;
// pushes checkin_progress, checkin_result, checkin_ordered. REST (docs/api.md):
// CheckinRoutes.hpp. Records: CheckinRecords.

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "vigil/common/Config.hpp"
#include "vigil/common/EventLoop.hpp"
#include "vigil/signaling/AlertBook.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/CheckinRecords.hpp"
#include "vigil/signaling/ClassHub.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/HubExtension.hpp"
#include "vigil/signaling/LevelPolicy.hpp"
#include "vigil/signaling/ReferenceStore.hpp"
#include "vigil/signaling/SupervisionStore.hpp"

namespace vigil::signaling {

// What is due for one subject now (GET /api/checkins/due).
struct DueCheckins {
    std::optional<DuePeriod> window;  // the current period, if due and not verified yet
    int windowAttemptsLeft{0};
    std::vector<std::pair<CheckinOrder, int>> orders;  // open orders and their attempts left
};

class CheckinService final : public CheckinRooms {
public:
    struct Deps {
        common::EventLoop& loop;
        common::RedisClient& redis;
        Directory& directory;
        AuditLog& audit;
        ClassHub& hub;
        SupervisionStore& supervision;
        AlertBook& alerts;
        ReferenceStore& references;
        const common::Config& config;
        media::MediaService* media{nullptr};  // Null: no media role (check-ins unavailable).
        std::string imageKey;                 // Seals the evidence frames; empty: not kept.
    };

    explicit CheckinService(Deps deps);
    ~CheckinService() override;
    CheckinService(const CheckinService&) = delete;
    CheckinService& operator=(const CheckinService&) = delete;

    // Presence verification (null: check-ins are refused with not_available).
    void setPresence(PresenceService* presence) { presence_ = presence; }
    // Called with {event: "checkin_ordered", subject, name, order, deadline} for each order
    // (an agency's SMS gateway through the webhook).
    void setNotifier(std::function<void(nlohmann::json)> notify) { notify_ = std::move(notify); }
    // Registers checkin_start, checkin_shown and checkin_cancel with the hub.
    void registerMessages();

    // Windows that closed and orders whose deadline passed without a verified check-in:
    // `missed` records and missed_checkin alerts, once each. Throttled to once a minute for
    // the periods (orders are checked every call).
    common::Task<void> sweep(common::Millis now);

    // REST (CheckinRoutes): scope checked here, forbidden for what the caller may not see.
    common::Task<DueCheckins> due(const User& subject, common::Millis now);
    common::Task<std::vector<Checkin>> list(const User& viewer, std::string subject,
                                            common::Millis from, common::Millis to, int limit);
    common::Task<Checkin> get(const User& viewer, std::string id);
    common::Task<std::string> frame(const User& viewer, std::string id, int index);
    // `target`: {subjects:[ids]} | {caseload:true} | {unit:id}; minutes: the deadline.
    common::Task<std::vector<CheckinOrder>> order(const User& officer, const nlohmann::json& body);
    common::Task<std::string> nameOf(const std::string& userId);

    // CheckinRooms (the loop thread).
    bool mayPublish(const std::string& userId, const std::string& checkinId) const override;
    media::RoomSpec roomSpec(const std::string& checkinId) const override;
    void cameraReady(const std::string& checkinId) override;
    void cameraLeft(const std::string& checkinId, const std::string& reason) override;
    void connectionClosed(const std::string& checkinId) override;
    void verdict(const LivenessVerdictReport& verdict) override;
    void progress(const LivenessProgressReport& progress) override;

    // How many check-ins run on this node now.
    size_t running() const { return running_.size(); }

private:
    // A check-in between its start and its decision, on the node that started it.
    struct Running {
        Checkin record;
        std::string windowKey;
        int attemptsLeft{0};
        bool cameraStarted{false};
        common::Millis shownAt{-1};
        common::Timer timeout;  // camera never ready, or no verdict
    };

    common::Task<nlohmann::json> onStart(WsCaller caller, const Request& request);
    common::Task<nlohmann::json> onShown(WsCaller caller, const Request& request);
    common::Task<nlohmann::json> onCancel(WsCaller caller, const Request& request);

    // Decides a running check-in once: record, window, subject told, media closed, audit.
    void decide(const std::string& id, const CheckinDecision& decision, std::string message,
                LivenessVerdictReport* verdict);
    common::Task<void> finish(Checkin record, std::string windowKey, int attemptsLeft,
                              std::vector<std::string> evidence);
    common::Task<void> recordMissed(const User& subject, std::string kind, std::string window,
                                    std::string order, std::string message);
    common::Task<void> sweepPeriods(common::Millis now);
    common::Task<std::vector<User>> orderTargets(const User& officer, const nlohmann::json& body);
    common::Task<bool> maySee(const User& viewer, const Checkin& checkin);
    void spawnLogged(common::Task<void> task, const std::string& what);

    Deps deps_;
    LevelPolicy policy_;
    CheckinRecords records_;
    PresenceService* presence_{nullptr};  // Passed by argument (setPresence).
    std::function<void(nlohmann::json)> notify_;
    std::map<std::string, std::unique_ptr<Running>> running_;  // By check-in id.
    common::Millis lastPeriodSweep_{0};
    std::shared_ptr<bool> alive_{std::make_shared<bool>(true)};
};

}  // namespace vigil::signaling
