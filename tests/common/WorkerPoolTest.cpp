#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "vigil/common/EventLoop.hpp"
#include "vigil/common/Task.hpp"
#include "vigil/common/WorkerPool.hpp"

namespace vigil::common {
namespace {

// Occupies the pool's one thread until released, so that later jobs wait in the queue.
struct Blocker {
    std::promise<void> started;
    std::promise<void> release;
    void occupy(WorkerPool& pool) {
        auto released = release.get_future().share();
        pool.submit([this, released]() {
            started.set_value();
            released.wait();
        });
        started.get_future().wait();
    }
};

TEST(WorkerPoolTest, ABoundedQueueRefusesJobsBeyondItsLimit) {
    WorkerPool pool(1, 2);
    Blocker blocker;
    blocker.occupy(pool);
    std::atomic<int> ran{0};
    EXPECT_TRUE(pool.trySubmit([&]() { ++ran; }));
    EXPECT_TRUE(pool.trySubmit([&]() { ++ran; }));
    EXPECT_EQ(pool.queued(), 2u);
    EXPECT_FALSE(pool.trySubmit([&]() { ++ran; })) << "a third job waits beyond the limit of 2";
    blocker.release.set_value();
    for (int i = 0; i < 500 && ran.load() < 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(ran.load(), 2);
    EXPECT_TRUE(pool.trySubmit([&]() { ++ran; })) << "room again once the queue drained";
}

TEST(WorkerPoolTest, RunThrowsFullWhenTheQueueIsFull) {
    EventLoop loop;
    WorkerPool pool(1, 1);
    Blocker blocker;
    blocker.occupy(pool);
    ASSERT_TRUE(pool.trySubmit([]() {}));
    bool full = false;
    loop.runUntilDone([&]() -> Task<void> {
        try {
            auto job = pool.run(loop, []() { return 1; });
            co_await job;
        } catch (const WorkerPool::Full&) {
            full = true;
        }
    }());
    EXPECT_TRUE(full);
    blocker.release.set_value();
    // Room again once the worker took the queued job.
    for (int i = 0; i < 500 && pool.queued() > 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    int result = 0;
    loop.runUntilDone([&]() -> Task<void> {
        auto job = pool.run(loop, []() { return 42; });
        result = co_await job;
    }());
    EXPECT_EQ(result, 42);
}

TEST(WorkerPoolTest, AnUnboundedPoolTakesEverything) {
    WorkerPool pool(1);
    Blocker blocker;
    blocker.occupy(pool);
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(pool.trySubmit([]() {}));
    blocker.release.set_value();
}

}  // namespace
}  // namespace vigil::common
