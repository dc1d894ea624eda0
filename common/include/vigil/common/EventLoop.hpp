#pragma once
// The one event-loop thread of a process: a GLib main context and loop that serves
// libwebsockets, async hiredis and (later) the GStreamer bus. Other threads never touch
// loop-owned state; they post() a closure to it.

#include <glib.h>

#include <chrono>
#include <functional>
#include <thread>

#include "vigil/common/Task.hpp"

namespace vigil::common {

class EventLoop;

// A GLib timeout source owned by this handle; destroying the handle removes the timer.
class Timer {
public:
    Timer() = default;
    Timer(Timer&& other) noexcept;
    Timer& operator=(Timer&& other) noexcept;
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    ~Timer();

    void cancel();
    bool active() const { return source_ != nullptr; }

private:
    friend class EventLoop;
    struct State;
    GSource* source_{nullptr};  // Owned (one ref).
};

class EventLoop {
public:
    // The loop belongs to the thread that constructs it.
    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    GMainContext* context() const { return context_; }
    GMainLoop* loop() const { return loop_; }

    void run();
    // Thread-safe.
    void quit();
    // Thread-safe: runs `fn` on the loop thread, soon (at once when called on the loop
    // thread outside a dispatch, as g_main_context_invoke does).
    void post(std::function<void()> fn);
    // Always queues `fn` for a later iteration, even when called on the loop thread: for
    // work that must wait until the current callback has unwound.
    void defer(std::function<void()> fn);

    bool isInLoopThread() const { return std::this_thread::get_id() == owner_; }
    void assertInLoop() const;

    // Calls `fn` every `interval` while it returns true.
    Timer every(std::chrono::milliseconds interval, std::function<bool()> fn);
    // Calls `fn` once after `delay`.
    Timer after(std::chrono::milliseconds delay, std::function<void()> fn);

    // co_await loop.sleep(d): resumes on the loop after `d`.
    struct SleepAwaiter {
        EventLoop& loop;
        std::chrono::milliseconds delay;
        Timer timer;
        bool await_ready() const noexcept { return delay.count() <= 0; }
        void await_suspend(std::coroutine_handle<> h) {
            timer = loop.after(delay, [h]() { h.resume(); });
        }
        void await_resume() noexcept {}
    };
    SleepAwaiter sleep(std::chrono::milliseconds delay) { return {*this, delay, {}}; }

    // Runs the loop until `task` completes and returns its exception, if any. For the CLI
    // and tests, which have nothing else to do meanwhile.
    void runUntilDone(Task<void> task);

    static EventLoop* current();

private:
    GMainContext* context_;  // Owned.
    GMainLoop* loop_;        // Owned.
    std::thread::id owner_;
};

}  // namespace vigil::common
