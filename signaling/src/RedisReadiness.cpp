#include "vigil/signaling/RedisReadiness.hpp"

#include "vigil/common/Log.hpp"

namespace vigil::signaling {

namespace {
VIGIL_LOG_CATEGORY(redisReadinessLog, "readiness")
using Clock = std::chrono::steady_clock;
}  // namespace

RedisReadiness::RedisReadiness(common::EventLoop& loop, common::RedisClient& redis, Options options)
    : loop_(loop), redis_(redis), options_(options) {
    upGauge_ = common::Metrics::global().gaugeCallback(
        "vigil_redis_up", "1 while Redis answers this node's PINGs in time (readiness), else 0.",
        [this] { return ready() ? 1.0 : 0.0; });
}

RedisReadiness::~RedisReadiness() {
    *alive_ = false;
    timer_.cancel();
}

void RedisReadiness::start() {
    probe();
    timer_ = loop_.every(options_.interval, [this] {
        probe();
        return true;
    });
}

bool RedisReadiness::ready() const {
    if (!redis_.connected() || lastAnswer_ == Clock::time_point{}) return false;
    return Clock::now() - lastAnswer_ <= options_.staleAfter;
}

long long RedisReadiness::lastAnswerAgeMs() const {
    if (lastAnswer_ == Clock::time_point{}) return -1;
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - lastAnswer_)
        .count();
}

void RedisReadiness::probe() {
    // One PING at a time: while Redis stalls, the one in flight says enough.
    if (inFlight_ || !redis_.connected()) return;
    inFlight_ = true;
    auto task = [](RedisReadiness* self, std::shared_ptr<bool> alive) -> common::Task<void> {
        bool answered = false;
        try {
            auto pong = co_await self->redis_.cmd("PING");
            answered = pong.kind == common::RedisValue::Kind::Status;
        } catch (const std::exception& e) {
            if (*alive) redisReadinessLog()->debug("PING failed: {}", e.what());
        }
        if (!*alive) co_return;
        self->inFlight_ = false;
        if (answered) self->lastAnswer_ = Clock::now();
    };
    common::spawn(task(this, alive_), [](const std::exception_ptr&) {});
}

}  // namespace vigil::signaling
