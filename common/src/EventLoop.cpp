#include "vigil/common/EventLoop.hpp"

#include <cstdlib>
#include <exception>
#include <memory>
#include <utility>

#include "vigil/common/Log.hpp"

namespace vigil::common {

namespace {
thread_local EventLoop* tCurrent = nullptr;

struct Closure {
    std::function<void()> fn;
};

gboolean runClosure(gpointer data) {
    auto* c = static_cast<Closure*>(data);
    try {
        c->fn();
    } catch (const std::exception& e) {
        log("loop")->error("posted closure threw: {}", e.what());
    } catch (...) {
        log("loop")->error("posted closure threw a non-standard exception");
    }
    return G_SOURCE_REMOVE;
}

void deleteClosure(gpointer data) {
    delete static_cast<Closure*>(data);
}

struct RepeatClosure {
    std::function<bool()> fn;
};

gboolean runRepeat(gpointer data) {
    auto* c = static_cast<RepeatClosure*>(data);
    try {
        return c->fn() ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
    } catch (const std::exception& e) {
        log("loop")->error("timer threw: {}", e.what());
    } catch (...) {
        log("loop")->error("timer threw a non-standard exception");
    }
    return G_SOURCE_REMOVE;
}

void deleteRepeat(gpointer data) {
    delete static_cast<RepeatClosure*>(data);
}
}  // namespace

Timer::Timer(Timer&& other) noexcept : source_(std::exchange(other.source_, nullptr)) {}

Timer& Timer::operator=(Timer&& other) noexcept {
    if (this != &other) {
        cancel();
        source_ = std::exchange(other.source_, nullptr);
    }
    return *this;
}

Timer::~Timer() {
    cancel();
}

void Timer::cancel() {
    if (source_ != nullptr) {
        g_source_destroy(source_);
        g_source_unref(source_);
        source_ = nullptr;
    }
}

EventLoop::EventLoop()
    : context_(g_main_context_new()),
      loop_(g_main_loop_new(context_, FALSE)),
      owner_(std::this_thread::get_id()) {
    tCurrent = this;
}

EventLoop::~EventLoop() {
    if (tCurrent == this) tCurrent = nullptr;
    g_main_loop_unref(loop_);
    g_main_context_unref(context_);
}

EventLoop* EventLoop::current() {
    return tCurrent;
}

void EventLoop::assertInLoop() const {
    if (!isInLoopThread()) {
        log("loop")->critical("loop-owned state touched from another thread");
        std::abort();
    }
}

void EventLoop::run() {
    assertInLoop();
    g_main_context_push_thread_default(context_);
    g_main_loop_run(loop_);
    g_main_context_pop_thread_default(context_);
}

void EventLoop::quit() {
    g_main_loop_quit(loop_);
}

void EventLoop::post(std::function<void()> fn) {
    auto* closure = new Closure{std::move(fn)};
    g_main_context_invoke_full(context_, G_PRIORITY_DEFAULT, runClosure, closure, deleteClosure);
}

void EventLoop::defer(std::function<void()> fn) {
    GSource* source = g_idle_source_new();
    // Queued, yet not behind every socket and timer: as urgent as post().
    g_source_set_priority(source, G_PRIORITY_DEFAULT);
    g_source_set_callback(source, runClosure, new Closure{std::move(fn)}, deleteClosure);
    g_source_attach(source, context_);
    g_source_unref(source);
}

Timer EventLoop::every(std::chrono::milliseconds interval, std::function<bool()> fn) {
    Timer t;
    t.source_ = g_timeout_source_new(static_cast<guint>(interval.count()));
    g_source_set_callback(t.source_, runRepeat, new RepeatClosure{std::move(fn)}, deleteRepeat);
    g_source_attach(t.source_, context_);
    return t;
}

Timer EventLoop::after(std::chrono::milliseconds delay, std::function<void()> fn) {
    return every(delay, [fn = std::move(fn)]() {
        fn();
        return false;
    });
}

void EventLoop::runUntilDone(Task<void> task) {
    std::exception_ptr error;
    bool done = false;
    auto finish = [this, &done]() {
        done = true;
        quit();
    };
    spawn(
        [](Task<void> t, std::function<void()> onDone) -> Task<void> {
            co_await t;
            onDone();
        }(std::move(task), finish),
        [&](std::exception_ptr e) {
            error = std::move(e);
            finish();
        });
    if (!done) run();
    if (error) std::rethrow_exception(error);
}

}  // namespace vigil::common
