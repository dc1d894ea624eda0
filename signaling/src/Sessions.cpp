#include "vigil/signaling/Sessions.hpp"

#include <nlohmann/json.hpp>

#include "vigil/common/Crypto.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Task;

namespace {
VIGIL_LOG_CATEGORY("sessions")

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

Task<LoginResult> Sessions::login(std::string username, std::string password, std::string origin) {
    auto user = co_await directory_.findUserByUsername(username);
    if (!user) {
        // Named: GCC 12 destroys a lambda temporary inside a co_await expression twice.
        auto check = hashing_.run(
            loop_, [password]() { return common::verifyPassword(dummyHash(), password); });
        co_await check;
        const std::string detail1 =
            nlohmann::json{{"reason", "unknown user"}, {"from", origin}}.dump();
        co_await audit_.append(username.substr(0, 64), "login_failed", "", detail1);
        throw ApiError("unauthenticated", "wrong username or password");
    }
    auto locked = co_await redis_.cmd("PTTL", keys::lock(user->id));
    if (locked.asInteger() > 0 || locked.asInteger() == -1) {
        const std::string detail2 = nlohmann::json{{"reason", "locked"}, {"from", origin}}.dump();
        co_await audit_.append(user->id, "login_refused", user->id, detail2);
        long long minutes =
            locked.asInteger() > 0 ? (locked.asInteger() + 59999) / 60000 : config_.lockoutMinutes;
        throw ApiError("account_locked", "too many wrong passwords: the account is locked for " +
                                             std::to_string(minutes) + " more minute(s)");
    }
    std::string hash = co_await directory_.passwordHash(user->id);
    auto check =
        hashing_.run(loop_, [hash, password]() { return common::verifyPassword(hash, password); });
    bool ok = co_await check;
    if (!ok) {
        co_await recordFailure(*user, origin);
        throw ApiError("unauthenticated", "wrong username or password");
    }
    if (user->disabled) {
        const std::string detail3 = nlohmann::json{{"reason", "disabled"}, {"from", origin}}.dump();
        co_await audit_.append(user->id, "login_refused", user->id, detail3);
        throw ApiError("unauthenticated", "this account is disabled");
    }
    co_await redis_.cmd("DEL", keys::loginFailures(user->id));
    LoginResult result;
    result.token = co_await issue(user->id);
    result.user = *user;
    result.expiresInSeconds = config_.sessionIdleMinutes * 60;
    const std::string detail4 = nlohmann::json{{"from", origin}}.dump();
    co_await audit_.append(user->id, "login", user->id, detail4);
    logger()->info("user {} logged in from {}", user->id, origin);
    co_return result;
}

Task<void> Sessions::recordFailure(const User& user, const std::string& origin) {
    auto failures = (co_await redis_.cmd("INCR", keys::loginFailures(user.id))).asInteger();
    if (failures == 1) {
        co_await redis_.cmd("EXPIRE", keys::loginFailures(user.id),
                            std::to_string(config_.lockoutWindowMinutes * 60));
    }
    const std::string detail5 = nlohmann::json{
        {"reason", "wrong password"},
        {"from", origin},
        {"failures", failures}}.dump();
    co_await audit_.append(user.id, "login_failed", user.id, detail5);
    if (failures >= config_.lockoutAttempts) {
        co_await redis_.cmd("SET", keys::lock(user.id), "1", "EX",
                            std::to_string(config_.lockoutMinutes * 60));
        co_await redis_.cmd("DEL", keys::loginFailures(user.id));
        const std::string detail6 =
            nlohmann::json{{"minutes", config_.lockoutMinutes}, {"failures", failures}}.dump();
        co_await audit_.append("system", "account_locked", user.id, detail6);
        logger()->warn("account {} locked after {} wrong passwords", user.id, failures);
    }
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
