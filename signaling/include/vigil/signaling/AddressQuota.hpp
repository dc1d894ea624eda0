#pragma once
// How many connections each client address holds open, so that one address cannot take all
// of a node's sockets (a slow-request flood holds connections, not bandwidth). WebServer asks
// allows() as a connection is accepted, then tells opened() and closed() for it.

#include <cstddef>
#include <string>
#include <unordered_map>

namespace vigil::signaling {

class AddressQuota {
public:
    // `perAddress` 0: no limit.
    explicit AddressQuota(std::size_t perAddress) : perAddress_(perAddress) {}

    // Whether `address` may open one more connection.
    bool allows(const std::string& address) const;
    // `connection` (any stable key, e.g. the lws handle) is open from `address`.
    void opened(const void* connection, const std::string& address);
    // `connection` is gone; unknown keys are ignored.
    void closed(const void* connection);
    std::size_t openFrom(const std::string& address) const;

private:
    std::size_t perAddress_;
    std::unordered_map<std::string, std::size_t> open_;
    std::unordered_map<const void*, std::string> addressOf_;
};

}  // namespace vigil::signaling
