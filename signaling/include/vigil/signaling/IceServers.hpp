#pragma once
// The ICE servers a browser is given with each join and call, in the shape of
// RTCConfiguration.iceServers. TURN credentials follow coturn's shared-secret scheme
// (use-auth-secret): user name "<expiry unix seconds>:<user id>", credential
// base64(HMAC-SHA1(secret, user name)), so they expire without any state on the server.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "vigil/common/Clock.hpp"
#include "vigil/common/Config.hpp"

namespace vigil::signaling {

nlohmann::json iceServers(const common::Config::Ice& ice, const std::string& userId,
                          common::Millis now);

// base64(HMAC-SHA1(secret, username)).
std::string turnCredential(const std::string& secret, const std::string& username);

// "a, b,c" -> {"a","b","c"}; empty items dropped.
std::vector<std::string> splitUrls(const std::string& list);

}  // namespace vigil::signaling
