#include "vigil/common/WorkerPool.hpp"

namespace vigil::common {

WorkerPool::WorkerPool(unsigned threads, std::size_t maxQueued) : maxQueued_(maxQueued) {
    if (threads == 0) threads = 1;
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this]() { work(); });
}

WorkerPool::~WorkerPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
}

void WorkerPool::submit(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
}

bool WorkerPool::trySubmit(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        if (maxQueued_ != 0 && jobs_.size() >= maxQueued_) return false;
        jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
    return true;
}

std::size_t WorkerPool::queued() {
    std::lock_guard lock(mutex_);
    return jobs_.size();
}

void WorkerPool::work() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this]() { return stopping_ || !jobs_.empty(); });
            if (stopping_ && jobs_.empty()) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        job();
    }
}

}  // namespace vigil::common
