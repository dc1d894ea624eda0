#include "vigil/signaling/UnitTree.hpp"

namespace vigil::signaling {

const std::string& UnitTree::parentOf(const std::string& unit) const {
    static const std::string kNone;
    auto it = parents_.find(unit);
    return it == parents_.end() ? kNone : it->second;
}

bool UnitTree::isWithin(const std::string& unit, const std::string& ancestor) const {
    if (ancestor.empty() || unit.empty()) return false;
    std::string current = unit;
    for (size_t steps = 0; steps <= parents_.size() && !current.empty(); ++steps) {
        if (current == ancestor) return true;
        current = parentOf(current);
    }
    return false;
}

std::set<std::string> UnitTree::subtree(const std::string& root) const {
    std::set<std::string> out;
    for (const auto& [unit, parent] : parents_) {
        if (isWithin(unit, root)) out.insert(unit);
    }
    return out;
}

}  // namespace vigil::signaling
