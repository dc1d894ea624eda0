#include "vigil/signaling/AccountGate.hpp"

#include "vigil/signaling/SessionIndex.hpp"

namespace vigil::signaling {

using common::Task;

namespace {
// Past this many cached sessions, stale ones are dropped before another is added.
constexpr size_t kPruneAbove = 4096;
}  // namespace

Task<SessionState> AccountGate::current(std::string userId, std::string session) {
    auto now = std::chrono::steady_clock::now();
    auto it = cache_.find(session);
    if (it == cache_.end() || now - it->second.checked >= maxAge_) {
        SessionState state = co_await sessions_.check(session);
        if (state.user && state.user->id != userId) {
            state.user.reset();
            state.ended = session_end::kExpired;
        }
        if (cache_.size() >= kPruneAbove) pruneStale(now);
        // Looked up again: the map may have changed while the check was under way.
        it = cache_.insert_or_assign(session, Entry{std::move(state), now}).first;
    }
    co_return it->second.state;
}

void AccountGate::onBusEvent(const nlohmann::json& event) {
    if (event.value("event", "") != "session_ended") return;
    const std::string userId = event.value("user", "");
    const std::string session = event.value("session", "");
    const std::string reason = event.value("reason", session_end::kExpired);
    if (userId.empty()) return;
    if (!session.empty()) {
        cache_.erase(session);
    } else {
        std::erase_if(cache_, [&](const auto& entry) {
            const auto& user = entry.second.state.user;
            return user && user->id == userId;
        });
    }
    if (listener_ != nullptr) listener_->OnSessionEnded(userId, session, reason);
}

void AccountGate::pruneStale(std::chrono::steady_clock::time_point now) {
    std::erase_if(cache_, [&](const auto& entry) { return now - entry.second.checked >= maxAge_; });
}

}  // namespace vigil::signaling
