#include "vigil/signaling/SessionIndex.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "vigil/common/Crypto.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::Task;
using nlohmann::json;

namespace {
VIGIL_LOG_CATEGORY(sessionIndexLog, "sessions")

SessionRecord parseRecord(const std::string& text) {
    SessionRecord record;
    auto j = json::parse(text, nullptr, false);
    if (!j.is_object()) {
        // A record of an older format (no absolute end): treated as expired.
        record.ended = session_end::kExpired;
        return record;
    }
    if (j.contains("ended") && j["ended"].is_string()) {
        record.ended = j["ended"].get<std::string>();
        return record;
    }
    if (!j.contains("user") || !j["user"].is_string() || !j.contains("until") ||
        !j["until"].is_number_integer()) {
        record.ended = session_end::kExpired;
        return record;
    }
    record.user = j["user"].get<std::string>();
    record.until = j["until"].get<common::Millis>();
    return record;
}
}  // namespace

Task<std::string> SessionIndex::add(std::string userId) {
    std::string token = common::randomHex(32);
    const std::string hash = common::sha256Hex(token);
    const common::Millis now = common::nowMillis();
    const common::Millis until = now + common::Millis{lifetime_.maxSeconds} * 1000;
    const std::string index = keys::userSessions(userId);
    // Indexed first: an account-wide end running meanwhile then finds this session too.
    co_await redis_.cmd("ZADD", index, std::to_string(until), hash);
    co_await redis_.cmd("ZREMRANGEBYSCORE", index, "-inf", std::to_string(now));
    co_await redis_.cmd("EXPIRE", index, std::to_string(lifetime_.maxSeconds));
    const std::string record = json{{"user", userId}, {"until", until}}.dump();
    co_await redis_.cmd("SET", keys::session(hash), record, "EX",
                        std::to_string(std::min(lifetime_.idleSeconds, lifetime_.maxSeconds)));
    co_return token;
}

Task<SessionRecord> SessionIndex::touch(std::string tokenHash) {
    const std::string key = keys::session(tokenHash);
    auto value = co_await redis_.cmd("GET", key);
    if (value.isNil()) co_return SessionRecord{"", 0, session_end::kExpired};
    SessionRecord record = parseRecord(value.asString());
    if (!record.ended.empty()) co_return record;
    const common::Millis left = record.until - common::nowMillis();
    if (left <= 0) {
        co_await markEnded(tokenHash, session_end::kExpired);
        co_await redis_.cmd("ZREM", keys::userSessions(record.user), tokenHash);
        co_return SessionRecord{"", 0, session_end::kExpired};
    }
    // Used now: idle expiry from now, but never past the absolute end.
    const long long ttl = std::min<long long>(lifetime_.idleSeconds, (left + 999) / 1000);
    co_await redis_.cmd("EXPIRE", key, std::to_string(ttl));
    co_return record;
}

Task<std::string> SessionIndex::end(std::string tokenHash, std::string reason) {
    auto value = co_await redis_.cmd("GET", keys::session(tokenHash));
    if (value.isNil()) co_return "";
    SessionRecord record = parseRecord(value.asString());
    if (record.user.empty()) co_return "";
    co_await markEnded(tokenHash, reason);
    co_await redis_.cmd("ZREM", keys::userSessions(record.user), tokenHash);
    co_await announce(record.user, tokenHash, reason);
    co_return record.user;
}

Task<int> SessionIndex::endAll(std::string userId, std::string reason) {
    const std::string index = keys::userSessions(userId);
    auto hashes = (co_await redis_.cmd("ZRANGE", index, "0", "-1")).asStrings();
    int ended = 0;
    for (const auto& hash : hashes) {
        auto value = co_await redis_.cmd("GET", keys::session(hash));
        if (value.isNil() || parseRecord(value.asString()).user != userId) continue;
        co_await markEnded(hash, reason);
        ++ended;
    }
    co_await redis_.cmd("DEL", index);
    // Announced even when none was found live here: a node may hold sockets whose session
    // ended by other means and is still cached.
    co_await announce(userId, "", reason);
    sessionIndexLog()->info("account {}: {} session(s) ended ({})", userId, ended, reason);
    co_return ended;
}

Task<void> SessionIndex::markEnded(const std::string& tokenHash, const std::string& reason) {
    // Kept as long as the session could have idled on: a socket checking later learns why.
    const std::string record = json{{"ended", reason}}.dump();
    co_await redis_.cmd("SET", keys::session(tokenHash), record, "XX", "EX",
                        std::to_string(lifetime_.idleSeconds));
}

Task<void> SessionIndex::announce(std::string userId, std::string tokenHash, std::string reason) {
    json event{{"event", "session_ended"}, {"user", userId}, {"reason", reason}};
    if (!tokenHash.empty()) event["session"] = tokenHash;
    co_await redis_.cmd("PUBLISH", keys::kBusChannel, event.dump());
}

}  // namespace vigil::signaling
