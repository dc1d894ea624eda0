#include "vigil/signaling/PlayTokens.hpp"

#include "vigil/common/Crypto.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Task;

Task<std::string> PlayTokens::issue(const std::string& sessionToken, const std::string& recording) {
    const std::string token = common::randomHex(32);
    const std::string key = keys::playToken(common::sha256Hex(token));
    co_await redis_.cmd("HSET", key, "recording", recording, "session",
                        Sessions::tokenHash(sessionToken));
    co_await redis_.cmd("EXPIRE", key, std::to_string(lifetimeSeconds_));
    co_return token;
}

Task<User> PlayTokens::admit(const std::string& token, const std::string& recording) {
    const std::string key = keys::playToken(common::sha256Hex(token));
    auto fields = co_await redis_.cmd("HMGET", key, "recording", "session");
    const bool known = fields.elements.size() == 2 && !fields.elements[0].str.empty() &&
                       !fields.elements[1].str.empty();
    if (!known) {
        throw ApiError("unauthenticated",
                       "the play token is invalid or has expired; open the recording again");
    }
    if (fields.elements[0].str != recording)
        throw ApiError("forbidden", "this play token is for another recording");
    SessionState session = co_await sessions_.check(fields.elements[1].str);
    if (!session.user) {
        co_await redis_.cmd("DEL", key);
        throw ApiError("unauthenticated", "the session that opened this recording has ended");
    }
    co_await redis_.cmd("EXPIRE", key, std::to_string(lifetimeSeconds_));
    co_return *session.user;
}

}  // namespace vigil::signaling
