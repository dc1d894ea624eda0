#pragma once
// Login throttling in place of an account lock. Failed logins are counted per username
// (hashed; the same whether or not the account exists, so the answer tells an outsider
// nothing about which names exist) and per source address (IPv6 by its /64). Past
// [auth] throttle_account_failures / throttle_address_failures within the window, each
// further failure makes that name or address wait, doubling from throttle_base_seconds up to
// throttle_max_seconds. A waiting attempt is refused before any password check.
//
// What an outsider cannot do with it: lock the owner out. The name's count does not hold back
// an address the account signed in from successfully in the last 30 days, and nothing here
// touches sessions already open. Failures for unknown names go to a per-hour aggregate with
// a TTL instead of the audit log.

#include <string>

#include "vigil/common/Config.hpp"
#include "vigil/common/RedisClient.hpp"
#include "vigil/common/Task.hpp"

namespace vigil::signaling {

class LoginThrottle {
public:
    LoginThrottle(common::RedisClient& redis, const common::Config::Auth& config)
        : redis_(redis), config_(config) {}

    // Seconds an attempt for `username` from `peer` must still wait (0: it may try now).
    // `userId`: the account behind the name, or empty when there is none.
    common::Task<int> secondsToWait(const std::string& peer, const std::string& username,
                                    const std::string& userId);
    // A failed attempt (wrong password or unknown name). Returns the failures counted for
    // the name within the window.
    common::Task<long long> failed(const std::string& peer, const std::string& username);
    // An attempt for a name no account has: counted in the per-hour aggregate.
    common::Task<void> countUnknown(const std::string& peer, long long nowMs);
    // The right password: the name's count is cleared and `peer` trusted for the account.
    // The address's count stays: signing in to one's own account must not buy more guesses
    // at others.
    common::Task<void> succeeded(const std::string& peer, const std::string& username,
                                 const std::string& userId, long long nowMs);

    // The address a peer is counted under: IPv4 as is, IPv6 by its /64 (one host's share).
    static std::string addressOf(const std::string& peer);
    // The wait after `failures` failures when `allowed` are free: 0, then base, 2 base, ...
    // up to `maxSeconds`.
    static int waitAfter(long long failures, int allowed, int baseSeconds, int maxSeconds);

private:
    // Counts one failure of `who`; past `allowed`, starts its wait. Returns the count.
    common::Task<long long> countFailure(const std::string& who, int allowed);
    // Seconds left of `who`'s wait (0 when none).
    common::Task<int> waitLeft(const std::string& who);

    common::RedisClient& redis_;          // Passed by argument.
    const common::Config::Auth& config_;  // Passed by argument.
};

}  // namespace vigil::signaling
