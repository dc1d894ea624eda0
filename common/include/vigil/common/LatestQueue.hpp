#pragma once
// A bounded queue between threads where the newest item of a key replaces an older one still
// waiting: a presence check wants a subject's latest picture, never a backlog of stale ones.
// When full, the oldest waiting item (of another key) is dropped to make room; both kinds of
// drop are counted so that an overloaded server says so.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

namespace vigil::common {

template <typename Key, typename Item>
class LatestQueue {
public:
    enum class Pushed { Queued, Replaced, DroppedOldest, Closed };

    explicit LatestQueue(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

    Pushed push(Key key, Item item) {
        std::unique_lock lock(mutex_);
        if (closed_) return Pushed::Closed;
        auto it = items_.find(key);
        if (it != items_.end()) {
            // Keeps its place in line: a subject who sends often is not served more often.
            it->second = std::move(item);
            ++replaced_;
            return Pushed::Replaced;
        }
        Pushed result = Pushed::Queued;
        if (items_.size() >= capacity_) {
            items_.erase(order_.front());
            order_.pop_front();
            ++dropped_;
            result = Pushed::DroppedOldest;
        }
        order_.push_back(key);
        items_.emplace(std::move(key), std::move(item));
        lock.unlock();
        wake_.notify_one();
        return result;
    }

    // Blocks until an item is waiting or the queue is closed (then nullopt).
    std::optional<std::pair<Key, Item>> pop() {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return closed_ || !order_.empty(); });
        if (order_.empty()) return std::nullopt;
        Key key = std::move(order_.front());
        order_.pop_front();
        auto node = items_.extract(key);
        return std::make_pair(std::move(key), std::move(node.mapped()));
    }

    // Wakes every waiting pop(); later pushes are refused. Items still waiting are dropped.
    void close() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
            order_.clear();
            items_.clear();
        }
        wake_.notify_all();
    }

    size_t size() const {
        std::lock_guard lock(mutex_);
        return order_.size();
    }
    std::uint64_t replaced() const {
        std::lock_guard lock(mutex_);
        return replaced_;
    }
    std::uint64_t dropped() const {
        std::lock_guard lock(mutex_);
        return dropped_;
    }

private:
    const size_t capacity_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Key> order_;
    std::map<Key, Item> items_;
    std::uint64_t replaced_{0};
    std::uint64_t dropped_{0};
    bool closed_{false};
};

}  // namespace vigil::common
