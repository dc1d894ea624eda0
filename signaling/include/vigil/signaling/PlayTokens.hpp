#pragma once
// Play tokens: what a <video> element puts in a recording chunk's URL instead of the session
// token (a URL ends up in history, logs and Referer headers). A token admits one recording,
// for the session that asked for it, for a short while renewed by each chunk fetched
// ([recording] play_token_seconds); it dies with its session (logout, password change, a
// disabled account). Redis keeps only its SHA-256.

#include <string>

#include "vigil/common/RedisClient.hpp"
#include "vigil/common/Task.hpp"
#include "vigil/signaling/Model.hpp"
#include "vigil/signaling/Sessions.hpp"

namespace vigil::signaling {

class PlayTokens {
public:
    PlayTokens(common::RedisClient& redis, Sessions& sessions, int lifetimeSeconds)
        : redis_(redis), sessions_(sessions), lifetimeSeconds_(lifetimeSeconds) {}

    // A new token for `recording`, bound to the session whose token is `sessionToken`.
    common::Task<std::string> issue(const std::string& sessionToken, const std::string& recording);
    // The account the token admits to `recording` now (renewing the token). Throws
    // unauthenticated when it is unknown, expired or its session has ended, forbidden when
    // it was issued for another recording.
    common::Task<User> admit(const std::string& token, const std::string& recording);

private:
    common::RedisClient& redis_;  // Passed by argument.
    Sessions& sessions_;          // Passed by argument.
    int lifetimeSeconds_;
};

}  // namespace vigil::signaling
