#include "vigil/signaling/IceServers.hpp"

#include <glib.h>

namespace vigil::signaling {

std::vector<std::string> splitUrls(const std::string& list) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= list.size()) {
        size_t comma = list.find(',', start);
        std::string item =
            list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        size_t first = item.find_first_not_of(' ');
        size_t last = item.find_last_not_of(' ');
        if (first != std::string::npos) out.push_back(item.substr(first, last - first + 1));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

std::string turnCredential(const std::string& secret, const std::string& username) {
    GHmac* hmac =
        g_hmac_new(G_CHECKSUM_SHA1, reinterpret_cast<const guchar*>(secret.data()), secret.size());
    g_hmac_update(hmac, reinterpret_cast<const guchar*>(username.data()),
                  static_cast<gssize>(username.size()));
    guint8 digest[20];
    gsize length = sizeof digest;
    g_hmac_get_digest(hmac, digest, &length);
    g_hmac_unref(hmac);
    gchar* encoded = g_base64_encode(digest, length);
    std::string out = encoded;
    g_free(encoded);
    return out;
}

nlohmann::json iceServers(const common::Config::Ice& ice, const std::string& userId,
                          common::Millis now) {
    nlohmann::json servers = nlohmann::json::array();
    auto stun = splitUrls(ice.stunUrls);
    if (!stun.empty()) servers.push_back({{"urls", stun}});
    auto turn = splitUrls(ice.turnUrls);
    if (!turn.empty()) {
        long long expiry = now / 1000 + ice.turnTtlSeconds;
        std::string username = std::to_string(expiry) + ":" + userId;
        servers.push_back({{"urls", turn},
                           {"username", username},
                           {"credential", turnCredential(ice.turnSecret, username)}});
    }
    return servers;
}

}  // namespace vigil::signaling
