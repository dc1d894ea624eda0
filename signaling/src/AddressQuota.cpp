#include "vigil/signaling/AddressQuota.hpp"

namespace vigil::signaling {

bool AddressQuota::allows(const std::string& address) const {
    return perAddress_ == 0 || openFrom(address) < perAddress_;
}

void AddressQuota::opened(const void* connection, const std::string& address) {
    if (!addressOf_.emplace(connection, address).second) return;
    ++open_[address];
}

void AddressQuota::closed(const void* connection) {
    auto it = addressOf_.find(connection);
    if (it == addressOf_.end()) return;
    auto count = open_.find(it->second);
    if (count != open_.end() && --count->second == 0) open_.erase(count);
    addressOf_.erase(it);
}

std::size_t AddressQuota::openFrom(const std::string& address) const {
    auto it = open_.find(address);
    return it == open_.end() ? 0 : it->second;
}

}  // namespace vigil::signaling
