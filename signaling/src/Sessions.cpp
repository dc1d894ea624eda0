#include "vigil/signaling/Sessions.hpp"

#include <nlohmann/json.hpp>

#include "vigil/common/Clock.hpp"
#include "vigil/common/Crypto.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/common/LogText.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Task;

namespace {
VIGIL_LOG_CATEGORY(sessionsLog, "sessions")

// Retry-After of a login refused because the hashing queue is full.
constexpr int kBusyRetrySeconds = 2;

// Verifying against this keeps an unknown username as slow as a wrong password.
const std::string& dummyHash() {
    static const std::string hash = common::hashPassword("not-a-real-password");
    return hash;
}

bool plausibleToken(const std::string& token) {
    return token.size() == 64 && token.find_first_not_of("0123456789abcdef") == std::string::npos;
}
}  // namespace

Task<std::string> Sessions::issue(const std::string& userId) {
    co_return co_await index_.add(userId);
}

std::string Sessions::tokenHash(const std::string& token) {
    return common::sha256Hex(token);
}

Task<bool> Sessions::verifyOnWorkers(std::string hash, std::string password) {
    try {
        // Named: GCC 12 destroys a lambda temporary inside a co_await expression twice.
        auto check =
            hashing_.run(loop_, [hash = std::move(hash), password = std::move(password)]() {
                return common::verifyPassword(hash, password);
            });
        co_return co_await check;
    } catch (const common::WorkerPool::Full&) {
        // Refused, not queued: a flood of logins must not grow the queue or everyone's wait.
        sessionsLog()->warn("password check refused: the hashing queue is full");
    }
    throw ApiError("busy", "the server is busy; try again in a moment", kBusyRetrySeconds);
}

Task<std::string> Sessions::hashPassword(std::string password) {
    try {
        auto hash = hashing_.run(
            loop_, [password = std::move(password)]() { return common::hashPassword(password); });
        co_return co_await hash;
    } catch (const common::WorkerPool::Full&) {
        sessionsLog()->warn("password hashing refused: the hashing queue is full");
    }
    throw ApiError("busy", "the server is busy; try again in a moment", kBusyRetrySeconds);
}

Task<LoginResult> Sessions::login(std::string username, std::string password, std::string origin) {
    auto user = co_await directory_.findUserByUsername(username);
    // Throttled before any password check, by name and by address alike whether or not the
    // name exists: the refusal says nothing about which names do.
    // Named: GCC 12 destroys a temporary of a conditional inside a co_await expression twice.
    const std::string userId = user ? user->id : std::string();
    const int wait = co_await throttle_.secondsToWait(origin, username, userId);
    if (wait > 0) {
        sessionsLog()->info("login for {} from {} throttled ({} s)", common::logText(username),
                            origin, wait);
        throw ApiError(
            "rate_limited",
            "too many failed sign-ins; try again in " + std::to_string(wait) + " second(s)", wait);
    }
    if (!user) {
        // Verifying against a dummy hash keeps an unknown username as slow as a wrong password.
        co_await verifyOnWorkers(dummyHash(), std::move(password));
        co_await throttle_.failed(origin, username);
        // Not in the audit log (a flood of made-up names would grow it without limit): a
        // per-hour count by address, and the log line.
        co_await throttle_.countUnknown(origin, common::nowMillis());
        sessionsLog()->info("login for unknown user {} from {}", common::logText(username), origin);
        throw ApiError("unauthenticated", "wrong username or password");
    }
    std::string hash = co_await directory_.passwordHash(user->id);
    bool ok = co_await verifyOnWorkers(std::move(hash), std::move(password));
    if (!ok) {
        co_await recordFailure(*user, username, origin);
        throw ApiError("unauthenticated", "wrong username or password");
    }
    if (user->disabled) {
        const std::string detail3 = nlohmann::json{{"reason", "disabled"}, {"from", origin}}.dump();
        co_await audit_.append(user->id, "login_refused", user->id, detail3);
        throw ApiError("unauthenticated", "this account is disabled");
    }
    co_await throttle_.succeeded(origin, username, user->id, common::nowMillis());
    LoginResult result;
    result.token = co_await issue(user->id);
    result.user = *user;
    result.expiresInSeconds = config_.sessionIdleMinutes * 60;
    const std::string detail4 = nlohmann::json{{"from", origin}}.dump();
    co_await audit_.append(user->id, "login", user->id, detail4);
    sessionsLog()->info("user {} logged in from {}", user->id, origin);
    co_return result;
}

Task<void> Sessions::recordFailure(const User& user, const std::string& username,
                                   const std::string& origin) {
    // Throttling only: no lock, and the account's open sessions are left alone (whoever sent
    // the wrong password may not be its owner).
    const long long failures = co_await throttle_.failed(origin, username);
    const std::string detail5 = nlohmann::json{
        {"reason", "wrong password"},
        {"from", origin},
        {"failures", failures}}.dump();
    co_await audit_.append(user.id, "login_failed", user.id, detail5);
    if (LoginThrottle::waitAfter(failures, config_.throttleAccountFailures,
                                 config_.throttleBaseSeconds, config_.throttleMaxSeconds) > 0)
        sessionsLog()->warn("account {}: {} failed logins, the last from {}; throttled", user.id,
                            failures, origin);
}

Task<std::optional<User>> Sessions::resolve(std::string token) {
    if (!plausibleToken(token)) co_return std::nullopt;
    SessionState state = co_await check(tokenHash(token));
    co_return state.user;
}

Task<SessionState> Sessions::check(std::string tokenHash) {
    SessionState state;
    SessionRecord record = co_await index_.touch(tokenHash);
    if (record.user.empty()) {
        state.ended = record.ended;
        co_return state;
    }
    auto user = co_await directory_.findUser(record.user);
    if (!user) {
        state.ended = session_end::kAccountRemoved;
        co_return state;
    }
    if (user->disabled) {
        state.ended = session_end::kAccountDisabled;
        co_return state;
    }
    state.user = std::move(user);
    state.until = record.until;
    co_return state;
}

Task<void> Sessions::logout(std::string token) {
    if (!plausibleToken(token)) co_return;
    co_await index_.end(tokenHash(token), session_end::kLoggedOut);
}

Task<int> Sessions::endAll(std::string userId, std::string reason) {
    co_return co_await index_.endAll(std::move(userId), std::move(reason));
}

}  // namespace vigil::signaling
