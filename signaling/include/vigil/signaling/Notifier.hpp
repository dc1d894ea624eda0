#pragma once
// The notifier hook: POSTs JSON events (an ordered check-in, ...) to the agency's webhook
// ([notify] webhook_url) so that it can reach subjects by SMS or app push. The HTTP call runs
// on worker threads with a timeout, never on the loop; a failed attempt is retried after a
// backoff that doubles each time, scheduled on the loop's timer. Every attempt, every give-up
// and every event refused because too many are in flight is logged and recorded in the
// capped stream keys::kNotifyLog: an agency must be able to show whether a subject was told.

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

#include "vigil/common/Config.hpp"
#include "vigil/common/EventLoop.hpp"
#include "vigil/common/RedisClient.hpp"
#include "vigil/common/WorkerPool.hpp"

namespace vigil::signaling {

class Notifier {
public:
    struct Options {
        std::string webhookUrl;  // empty: events are not sent anywhere
        int attempts{5};
        std::chrono::milliseconds backoff{2000};  // before the 2nd attempt, doubled after each
        std::chrono::milliseconds timeout{5000};  // one attempt, connection included
        // Events accepted but not yet delivered or given up. Beyond it a new event is refused
        // and recorded as dropped, rather than an older one silently pushed out.
        size_t maxInFlight{1000};
        size_t logMaxLen{10000};  // approximate cap of keys::kNotifyLog
        unsigned threads{2};      // concurrent HTTP calls

        // The [notify] section's settings.
        static Options from(const common::Config::Notify& notify);
    };

    Notifier(common::EventLoop& loop, common::RedisClient& redis, Options options);
    ~Notifier();
    Notifier(const Notifier&) = delete;
    Notifier& operator=(const Notifier&) = delete;

    // Queues `event` (an object with at least "event", the event's name) for delivery. On the
    // loop thread; returns at once.
    void notify(nlohmann::json event);

    size_t inFlight() const { return deliveries_.size(); }

private:
    struct Delivery {
        std::string id;
        std::string name;  // event["event"]
        std::string subject;
        std::string body;
        int attempt{0};
        common::Timer retry;
    };
    // What one HTTP attempt came to, computed on a worker.
    struct AttemptResult {
        long status{0};  // HTTP status, 0 when no response arrived
        std::string error;
    };
    // Shared with the worker jobs, which may outlive a stopping notifier by one attempt.
    struct Shared;

    void startAttempt(Delivery& delivery);
    void onAttemptDone(const std::string& id, AttemptResult result);
    void record(const Delivery& delivery, const std::string& outcome, long status,
                const std::string& error);

    common::EventLoop& loop_;     // Passed by argument.
    common::RedisClient& redis_;  // Passed by argument.
    Options options_;
    std::shared_ptr<Shared> shared_;  // Owned, shared with in-flight jobs.
    std::unordered_map<std::string, std::unique_ptr<Delivery>> deliveries_;  // Owned.
    uint64_t nextId_{0};
    uint64_t dropped_{0};
    common::WorkerPool pool_;  // Owned; last member, so its threads are joined first.
};

}  // namespace vigil::signaling
