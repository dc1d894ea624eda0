#pragma once
// A fixed pool of threads for CPU-heavy work (password hashing) that must not run on the
// event loop. `co_await pool.run(loop, fn)` runs fn on a worker and resumes the awaiting
// coroutine back on the loop thread with its result.

#include <condition_variable>
#include <coroutine>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "vigil/common/EventLoop.hpp"

namespace vigil::common {

class WorkerPool {
public:
    explicit WorkerPool(unsigned threads);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    void submit(std::function<void()> job);

    template <typename Fn>
    struct RunAwaiter {
        using Result = std::invoke_result_t<Fn>;
        WorkerPool& pool;
        EventLoop& loop;
        Fn fn;
        std::optional<Result> result;
        std::exception_ptr error;

        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h) {
            pool.submit([this, h]() {
                try {
                    result.emplace(fn());
                } catch (...) {
                    error = std::current_exception();
                }
                loop.post([h]() { h.resume(); });
            });
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
    std::vector<std::thread> threads_;  // Owned.
};

}  // namespace vigil::common
