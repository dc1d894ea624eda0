#pragma once
// The durable records the signaling role keeps in Redis.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "vigil/common/Clock.hpp"

namespace vigil::signaling {

enum class Role { Subject, Officer, Administrator };

std::string toString(Role role);
std::optional<Role> parseRole(const std::string& text);

struct OrgUnit {
    std::string id;
    std::string name;
    std::string parent;  // Empty for a root unit.
};

struct User {
    std::string id;
    std::string username;
    std::string name;  // Display name, any script (Chinese names).
    Role role{Role::Subject};
    std::string unit;
    std::string officer;  // A subject's supervising officer, if assigned.
    bool disabled{false};

    nlohmann::json publicJson() const;
};

enum class ClassState { Scheduled, Live, Ended };

std::string toString(ClassState state);

struct ClassSession {
    std::string id;
    std::string title;
    std::string unit;
    std::string officer;
    common::Millis start{0};
    common::Millis end{0};
    bool required{true};
    std::string enrolUnit;  // Non-empty: every subject of this unit and below is enrolled.
    // Special-group tags (专项教育): every subject with one of them, in the class's unit and
    // below, is enrolled.
    std::vector<std::string> enrolTags;
    ClassState state{ClassState::Scheduled};
    common::Millis startedAt{0};
    common::Millis endedAt{0};

    // May a subject join at `now`? Open from `earlyMs` before start to the end, or while live.
    bool isOpen(common::Millis now, common::Millis earlyMs) const;
    // Where the window in which attendance earns credit ends: the actual end once ended,
    // the schedule extended while it runs over.
    common::Millis creditEnd(common::Millis now) const;
    nlohmann::json toJson(int utcOffsetMinutes) const;
};

}  // namespace vigil::signaling
