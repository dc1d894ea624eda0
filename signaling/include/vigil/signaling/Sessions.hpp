#pragma once
// Login and session tokens. A token is 256 random bits shown once to the client;
// Redis keeps only its SHA-256, with an idle expiry refreshed on use and an absolute end
// ([auth] session_max_hours). Failed logins are throttled by LoginThrottle (never an
// account lock). Every outcome for an existing account is audited.

#include <optional>
#include <string>

#include "vigil/common/Config.hpp"
#include "vigil/common/EventLoop.hpp"
#include "vigil/common/Task.hpp"
#include "vigil/common/WorkerPool.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/LoginThrottle.hpp"
#include "vigil/signaling/SessionIndex.hpp"

namespace vigil::signaling {

// A session as it stands now: the account behind it, or why it no longer admits anyone.
struct SessionState {
    std::optional<User> user;  // The account as it is now, while the session admits it.
    std::string ended;         // Otherwise why (session_end::...).
    common::Millis until{0};   // The session's absolute end, while it admits.
};

struct LoginResult {
    std::string token;
    User user;
    int expiresInSeconds{0};
};

class Sessions {
public:
    Sessions(common::EventLoop& loop, common::RedisClient& redis, common::WorkerPool& hashing,
             Directory& directory, AuditLog& audit, const common::Config::Auth& config)
        : loop_(loop),
          redis_(redis),
          hashing_(hashing),
          directory_(directory),
          audit_(audit),
          config_(config),
          index_(redis, SessionIndex::Lifetime::from(config)) {}

    // Throws ApiError unauthenticated (wrong name or password, disabled; the same text for
    // an unknown name as for a wrong password), rate_limited (throttled, with the seconds to
    // wait) or busy (the hashing queue is full).
    common::Task<LoginResult> login(std::string username, std::string password, std::string origin);
    // Hashes a new password on the hashing workers (never on the event loop); busy when their
    // queue is full.
    common::Task<std::string> hashPassword(std::string password);
    // The user behind a live token (refreshing its expiry), or nothing.
    common::Task<std::optional<User>> resolve(std::string token);
    // The same for a token's SHA-256, saying why when it admits nobody (idle or absolute
    // expiry, ended on purpose, the account disabled or gone): what the account gate asks.
    common::Task<SessionState> check(std::string tokenHash);
    // Ends the token's session, everywhere (its WebSockets are told `logged_out`).
    common::Task<void> logout(std::string token);
    // Ends every session of the account, HTTP and WebSocket alike, on every node; `reason` is
    // a session_end:: value (password_changed, account_disabled, ...).
    common::Task<int> endAll(std::string userId, std::string reason);
    static std::string tokenHash(const std::string& token);
    // Issues a session without a password check: for tools that already hold authority
    // (the load benchmark, the admin CLI).
    common::Task<std::string> issue(const std::string& userId);

private:
    common::Task<void> recordFailure(const User& user, const std::string& username,
                                     const std::string& origin);
    // Runs a password check on the hashing workers; busy when their queue is full.
    common::Task<bool> verifyOnWorkers(std::string hash, std::string password);

    common::EventLoop& loop_;             // Passed by argument.
    common::RedisClient& redis_;          // Passed by argument.
    common::WorkerPool& hashing_;         // Passed by argument.
    Directory& directory_;                // Passed by argument.
    AuditLog& audit_;                     // Passed by argument.
    const common::Config::Auth& config_;  // Passed by argument.
    LoginThrottle throttle_{redis_, config_};
    SessionIndex index_;  // Owned.
};

}  // namespace vigil::signaling
