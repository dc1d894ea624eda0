#pragma once
// A mutex for coroutines on one event loop: `auto guard = co_await mutex.lock();` suspends
// until earlier holders release, without blocking the thread. Used where steps that await
// Redis must not interleave (the audit hash chain).

#include <coroutine>
#include <deque>

namespace vigil::common {

class AsyncMutex {
public:
    class Guard {
    public:
        explicit Guard(AsyncMutex* m) : mutex_(m) {}
        Guard(Guard&& o) noexcept : mutex_(o.mutex_) { o.mutex_ = nullptr; }
        Guard(const Guard&) = delete;
        Guard& operator=(const Guard&) = delete;
        Guard& operator=(Guard&&) = delete;
        ~Guard() {
            if (mutex_ != nullptr) mutex_->unlock();
        }

    private:
        AsyncMutex* mutex_;
    };

    struct LockAwaiter {
        AsyncMutex& mutex;
        bool await_ready() noexcept {
            if (!mutex.locked_) {
                mutex.locked_ = true;
                return true;
            }
            return false;
        }
        void await_suspend(std::coroutine_handle<> h) { mutex.waiters_.push_back(h); }
        Guard await_resume() noexcept { return Guard(&mutex); }
    };

    LockAwaiter lock() { return LockAwaiter{*this}; }

private:
    void unlock() {
        if (waiters_.empty()) {
            locked_ = false;
            return;
        }
        auto next = waiters_.front();
        waiters_.pop_front();
        next.resume();  // Ownership passes straight to the next waiter.
    }

    bool locked_{false};
    std::deque<std::coroutine_handle<>> waiters_;
};

}  // namespace vigil::common
