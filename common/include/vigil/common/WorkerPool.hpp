#pragma once
// A fixed pool of threads for CPU-heavy work (password hashing) that must not run on the
// event loop. `co_await pool.run(loop, fn)` runs fn on a worker and resumes the awaiting
// coroutine back on the loop thread with its result. A pool built with a queue limit refuses
// work beyond it (run() throws WorkerPool::Full) instead of queueing without bound: a flood
// of password checks then costs the caller a refusal, not the server its memory and latency.

#include <condition_variable>
#include <coroutine>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <vector>

#include "vigil/common/EventLoop.hpp"

namespace vigil::common {

class WorkerPool {
public:
    // Thrown by run() (and returned false by trySubmit()) when the queue is full.
    class Full : public std::runtime_error {
    public:
        Full() : std::runtime_error("the worker queue is full") {}
    };

    // `maxQueued`: jobs that may wait for a thread (0: no limit).
    explicit WorkerPool(unsigned threads, std::size_t maxQueued = 0);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    void submit(std::function<void()> job);
    // Queues `job` unless the queue holds maxQueued jobs already.
    bool trySubmit(std::function<void()> job);
    // Jobs waiting for a thread now.
    std::size_t queued();

    template <typename Fn>
    struct RunAwaiter {
        using Result = std::invoke_result_t<Fn>;
        WorkerPool& pool;
        EventLoop& loop;
        Fn fn;
        std::optional<Result> result;
        std::exception_ptr error;

        bool await_ready() const noexcept { return false; }
        // Returns false (resume at once, with Full thrown) when the queue is full.
        bool await_suspend(std::coroutine_handle<> h) {
            bool queued = pool.trySubmit([this, h]() {
                try {
                    result.emplace(fn());
                } catch (...) {
                    error = std::current_exception();
                }
                loop.post([h]() { h.resume(); });
            });
            if (!queued) error = std::make_exception_ptr(Full());
            return queued;
        }
        Result await_resume() {
            if (error) std::rethrow_exception(error);
            return std::move(*result);
        }
    };

    template <typename Fn>
    RunAwaiter<Fn> run(EventLoop& loop, Fn fn) {
        return RunAwaiter<Fn>{*this, loop, std::move(fn), std::nullopt, nullptr};
    }

private:
    void work();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> jobs_;
    bool stopping_{false};
    std::size_t maxQueued_;
    std::vector<std::thread> threads_;  // Owned.
};

}  // namespace vigil::common
