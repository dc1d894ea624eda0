#pragma once
// The org-unit tree (province > city > county > township office) as a parent map, and the
// scoping questions access rules ask of it.

#include <map>
#include <set>
#include <string>

namespace vigil::signaling {

class UnitTree {
public:
    UnitTree() = default;
    explicit UnitTree(std::map<std::string, std::string> parents) : parents_(std::move(parents)) {}

    bool contains(const std::string& unit) const { return parents_.count(unit) != 0; }
    const std::string& parentOf(const std::string& unit) const;
    // Is `unit` equal to `ancestor` or below it? Cycles in corrupt data end the walk.
    bool isWithin(const std::string& unit, const std::string& ancestor) const;
    // `root` and everything below it.
    std::set<std::string> subtree(const std::string& root) const;
    const std::map<std::string, std::string>& parents() const { return parents_; }

private:
    std::map<std::string, std::string> parents_;  // unit -> parent ("" for a root)
};

}  // namespace vigil::signaling
