#include "vigil/signaling/CandidateFilter.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <sstream>

#include "vigil/common/RedisClient.hpp"

namespace vigil::signaling {

namespace {

// Why an IPv4 address (network byte order as 4 bytes) is off limits, or "".
std::string ipv4Reason(const unsigned char* a, bool allowLoopback) {
    if (a[0] == 127) return allowLoopback ? "" : "loopback";
    if (a[0] == 0) return "unspecified";
    if (a[0] == 169 && a[1] == 254) return "link-local";
    if (a[0] >= 224) return "multicast or reserved";
    return "";
}

std::string ipv6Reason(const in6_addr& a, bool allowLoopback) {
    if (IN6_IS_ADDR_V4MAPPED(&a) || IN6_IS_ADDR_V4COMPAT(&a))
        return ipv4Reason(&a.s6_addr[12], allowLoopback);
    if (IN6_IS_ADDR_LOOPBACK(&a)) return allowLoopback ? "" : "loopback";
    if (IN6_IS_ADDR_UNSPECIFIED(&a)) return "unspecified";
    if (IN6_IS_ADDR_LINKLOCAL(&a)) return "link-local";
    if (IN6_IS_ADDR_MULTICAST(&a)) return "multicast or reserved";
    return "";
}

}  // namespace

CandidateFilter CandidateFilter::fromConfig(const common::Config& config) {
    Options options;
    options.allowLoopback = config.media.allowLoopbackCandidates;
    options.servicePorts.push_back(config.server.port);
    try {
        options.servicePorts.push_back(common::RedisEndpoint::parseUrl(config.redis.url).port);
    } catch (const std::exception&) {
        // The loader validated the URL; nothing more to add if it still does not parse.
    }
    return CandidateFilter(std::move(options));
}

std::string CandidateFilter::rejectReason(const std::string& candidate) const {
    std::string text = candidate;
    if (text.rfind("a=", 0) == 0) text.erase(0, 2);
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) return "";
    if (text.rfind("candidate:", 0) != 0) return "not a candidate";
    // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
    std::istringstream fields(text);
    std::string foundation, component, transport, priority, address, portText, typ;
    if (!(fields >> foundation >> component >> transport >> priority >> address >> portText >>
          typ) ||
        typ != "typ")
        return "malformed";
    int port = -1;
    auto [end, error] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
    if (error != std::errc() || end != portText.data() + portText.size() || port < 0 ||
        port > 65535)
        return "malformed port";

    std::string reason;
    unsigned char v4[4];
    in6_addr v6{};
    if (inet_pton(AF_INET, address.c_str(), v4) == 1) {
        reason = ipv4Reason(v4, options_.allowLoopback);
    } else if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
        reason = ipv6Reason(v6, options_.allowLoopback);
    } else {
        reason = "host name";
    }
    if (!reason.empty()) return reason;
    if (std::find(options_.servicePorts.begin(), options_.servicePorts.end(), port) !=
        options_.servicePorts.end())
        return "service port";
    return "";
}

}  // namespace vigil::signaling
