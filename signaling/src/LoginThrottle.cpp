#include "vigil/signaling/LoginThrottle.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>

#include "vigil/common/Crypto.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::Task;

namespace {

// How long an address stays trusted for an account after a successful login, and how many
// addresses an account keeps (the oldest are dropped).
constexpr long long kTrustedSeconds = 30LL * 24 * 3600;
constexpr int kTrustedMax = 20;
// The per-hour aggregate of unknown names: kept this long, with at most this many addresses
// per hour (the rest are counted together under "other").
constexpr long long kUnknownKeepSeconds = 30LL * 24 * 3600;
constexpr long long kUnknownMaxAddresses = 1000;

std::string nameKey(const std::string& username) {
    std::string lower = username;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return "name:" + common::sha256Hex(lower);
}

std::string addressKey(const std::string& peer) {
    return "addr:" + LoginThrottle::addressOf(peer);
}

std::string utcHour(long long nowMs) {
    const std::time_t seconds = static_cast<std::time_t>(nowMs / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    std::array<char, 16> text{};
    std::strftime(text.data(), text.size(), "%Y%m%d%H", &tm);
    return text.data();
}

}  // namespace

std::string LoginThrottle::addressOf(const std::string& peer) {
    in6_addr v6{};
    if (peer.find(':') == std::string::npos || inet_pton(AF_INET6, peer.c_str(), &v6) != 1)
        return peer;
    // An IPv4-mapped address is the IPv4 host it maps.
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
        std::array<char, INET_ADDRSTRLEN> text{};
        inet_ntop(AF_INET, &v6.s6_addr[12], text.data(), text.size());
        return text.data();
    }
    std::fill(std::begin(v6.s6_addr) + 8, std::end(v6.s6_addr), 0);
    std::array<char, INET6_ADDRSTRLEN> text{};
    inet_ntop(AF_INET6, &v6, text.data(), text.size());
    return std::string(text.data()) + "/64";
}

int LoginThrottle::waitAfter(long long failures, int allowed, int baseSeconds, int maxSeconds) {
    if (failures <= allowed) return 0;
    const long long doublings = std::min(failures - allowed - 1, 30LL);
    return static_cast<int>(
        std::min<long long>(static_cast<long long>(baseSeconds) << doublings, maxSeconds));
}

Task<int> LoginThrottle::waitLeft(const std::string& who) {
    const long long ms = (co_await redis_.cmd("PTTL", keys::loginWait(who))).asInteger();
    co_return ms > 0 ? static_cast<int>((ms + 999) / 1000) : 0;
}

Task<int> LoginThrottle::secondsToWait(const std::string& peer, const std::string& username,
                                       const std::string& userId) {
    int wait = co_await waitLeft(addressKey(peer));
    bool trusted = false;
    if (!userId.empty()) {
        auto seen = co_await redis_.cmd("ZSCORE", keys::trustedAddresses(userId), addressOf(peer));
        trusted = !seen.isNil();
    }
    if (!trusted) {
        const int nameWait = co_await waitLeft(nameKey(username));
        wait = std::max(wait, nameWait);
    }
    co_return wait;
}

Task<long long> LoginThrottle::countFailure(const std::string& who, int allowed) {
    const std::string key = keys::loginFailures(who);
    const long long failures = (co_await redis_.cmd("INCR", key)).asInteger();
    co_await redis_.cmd("EXPIRE", key, std::to_string(config_.throttleWindowMinutes * 60));
    const int wait =
        waitAfter(failures, allowed, config_.throttleBaseSeconds, config_.throttleMaxSeconds);
    if (wait > 0) co_await redis_.cmd("SET", keys::loginWait(who), "1", "EX", std::to_string(wait));
    co_return failures;
}

Task<long long> LoginThrottle::failed(const std::string& peer, const std::string& username) {
    co_await countFailure(addressKey(peer), config_.throttleAddressFailures);
    co_return co_await countFailure(nameKey(username), config_.throttleAccountFailures);
}

Task<void> LoginThrottle::countUnknown(const std::string& peer, long long nowMs) {
    const std::string key = keys::unknownLogins(utcHour(nowMs));
    std::string field = addressOf(peer);
    auto known = co_await redis_.cmd("HEXISTS", key, field);
    if (known.asInteger() == 0 &&
        (co_await redis_.cmd("HLEN", key)).asInteger() >= kUnknownMaxAddresses)
        field = "other";
    co_await redis_.cmd("HINCRBY", key, field, "1");
    co_await redis_.cmd("EXPIRE", key, std::to_string(kUnknownKeepSeconds));
}

Task<void> LoginThrottle::succeeded(const std::string& peer, const std::string& username,
                                    const std::string& userId, long long nowMs) {
    const std::string name = nameKey(username);
    co_await redis_.cmd("DEL", keys::loginFailures(name), keys::loginWait(name));
    const std::string trusted = keys::trustedAddresses(userId);
    co_await redis_.cmd("ZADD", trusted, std::to_string(nowMs), addressOf(peer));
    co_await redis_.cmd("ZREMRANGEBYSCORE", trusted, "-inf",
                        std::to_string(nowMs - kTrustedSeconds * 1000));
    co_await redis_.cmd("ZREMRANGEBYRANK", trusted, "0", std::to_string(-kTrustedMax - 1));
    co_await redis_.cmd("EXPIRE", trusted, std::to_string(kTrustedSeconds));
}

}  // namespace vigil::signaling
