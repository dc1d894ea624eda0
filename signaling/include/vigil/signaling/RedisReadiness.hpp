#pragma once
// Whether this node can serve: Redis answers. A PING goes out every `interval` on the loop;
// the node is ready while connected and the last PING was answered within `staleAfter`.
// /readyz reads the result and never waits on Redis itself, so a stalled Redis makes the
// probe fail at once instead of hanging past the prober's timeout. (Liveness, /healthz,
// does not look at Redis at all: a Redis hiccup must not get every pod restarted.)

#include <chrono>
#include <memory>

#include "vigil/common/EventLoop.hpp"
#include "vigil/common/Metrics.hpp"
#include "vigil/common/RedisClient.hpp"

namespace vigil::signaling {

class RedisReadiness {
public:
    struct Options {
        std::chrono::milliseconds interval{1000};
        std::chrono::milliseconds staleAfter{3000};
    };

    RedisReadiness(common::EventLoop& loop, common::RedisClient& redis, Options options);
    ~RedisReadiness();
    RedisReadiness(const RedisReadiness&) = delete;
    RedisReadiness& operator=(const RedisReadiness&) = delete;

    // Starts probing (the first PING at once).
    void start();
    bool ready() const;
    // Milliseconds since Redis last answered a PING; -1 before the first answer.
    long long lastAnswerAgeMs() const;

private:
    void probe();

    common::EventLoop& loop_;     // Passed by argument.
    common::RedisClient& redis_;  // Passed by argument.
    Options options_;
    bool inFlight_{false};
    std::chrono::steady_clock::time_point lastAnswer_{};
    common::Timer timer_;
    common::Metrics::Registration upGauge_;
    // Cleared on destruction: a PING still in flight then resumes without touching `this`.
    std::shared_ptr<bool> alive_{std::make_shared<bool>(true)};
};

}  // namespace vigil::signaling
