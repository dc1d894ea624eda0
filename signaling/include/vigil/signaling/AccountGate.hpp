#pragma once
// Judges each WebSocket request on the account as it is now, not as it was at `auth`. What a
// session admits is read through Sessions::check and kept for at most `maxAge`, so that a
// busy socket costs Redis one look-up every few seconds; a `session_ended` event on the bus
// (SessionIndex) drops it at once and tells the listener, which closes the sockets concerned.
// Loop thread only.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

#include "vigil/common/Task.hpp"
#include "vigil/signaling/Sessions.hpp"

namespace vigil::signaling {

class AccountGate {
public:
    class Listener {
    public:
        virtual ~Listener() = default;
        // Every session of `userId` ended (`session` empty), or that one; `reason` says why.
        virtual void OnSessionEnded(const std::string& userId, const std::string& session,
                                    const std::string& reason) = 0;
    };

    AccountGate(Sessions& sessions, std::chrono::milliseconds maxAge)
        : sessions_(sessions), maxAge_(maxAge) {}

    void setListener(Listener* listener) { listener_ = listener; }

    // The account behind `session` (a token's SHA-256) as it is now, or why it admits nobody.
    // A session that turns out to belong to another account than `userId` admits nobody.
    common::Task<SessionState> current(std::string userId, std::string session);

    // A bus event; a `session_ended` one forgets what is cached and tells the listener.
    void onBusEvent(const nlohmann::json& event);

private:
    struct Entry {
        SessionState state;
        std::chrono::steady_clock::time_point checked;
    };
    void pruneStale(std::chrono::steady_clock::time_point now);

    Sessions& sessions_;  // Passed by argument.
    std::chrono::milliseconds maxAge_;
    Listener* listener_{nullptr};                   // Passed by argument (setListener).
    std::unordered_map<std::string, Entry> cache_;  // by session
};

}  // namespace vigil::signaling
