#pragma once
// The session records in Redis and the index of each account's sessions. A session ends by
// idling past its TTL, by reaching its absolute end, or on purpose (logout, password change,
// disabled account): then its record keeps the reason for a while, every session of an
// account can be ended at once, and each end is announced on the bus so that every node
// closes the WebSockets signed in with it at once (`session_ended`, docs/protocol.md).
// Needs only Redis: the admin CLI uses it too.

#include <string>

#include "vigil/common/Clock.hpp"
#include "vigil/common/Config.hpp"
#include "vigil/common/RedisClient.hpp"
#include "vigil/common/Task.hpp"

namespace vigil::signaling {

// Why a session no longer admits its holder: the `reason` of `session_ended`.
namespace session_end {
inline const std::string kLoggedOut = "logged_out";
inline const std::string kExpired = "session_expired";
inline const std::string kPasswordChanged = "password_changed";
inline const std::string kAccountDisabled = "account_disabled";
inline const std::string kAccountRemoved = "account_removed";
}  // namespace session_end

// A session record as read (and, if live, refreshed).
struct SessionRecord {
    std::string user;         // The account; empty when the session is over.
    common::Millis until{0};  // Its absolute end (live sessions).
    std::string ended;        // Why it is over; empty while live.
};

class SessionIndex {
public:
    struct Lifetime {
        int idleSeconds{0};  // Ends after this long without use.
        int maxSeconds{0};   // Ends this long after it began, used or not.
        static Lifetime from(const common::Config::Auth& auth) {
            return {auth.sessionIdleMinutes * 60, auth.sessionMaxHours * 3600};
        }
    };

    SessionIndex(common::RedisClient& redis, Lifetime lifetime)
        : redis_(redis), lifetime_(lifetime) {}

    // A new session of `userId`; returns the token (the record holds only its SHA-256).
    common::Task<std::string> add(std::string userId);
    // The session behind a token hash, its idle expiry refreshed while it is live.
    common::Task<SessionRecord> touch(std::string tokenHash);
    // Ends one session; returns its account ("" when it was not live).
    common::Task<std::string> end(std::string tokenHash, std::string reason);
    // Ends every session of `userId`; returns how many were live.
    common::Task<int> endAll(std::string userId, std::string reason);

private:
    common::Task<void> markEnded(const std::string& tokenHash, const std::string& reason);
    common::Task<void> announce(std::string userId, std::string tokenHash, std::string reason);

    common::RedisClient& redis_;  // Passed by argument.
    Lifetime lifetime_;
};

}  // namespace vigil::signaling
