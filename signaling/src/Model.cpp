#include "vigil/signaling/Model.hpp"

#include <algorithm>

namespace vigil::signaling {

std::string toString(Role role) {
    switch (role) {
        case Role::Subject:
            return "subject";
        case Role::Officer:
            return "officer";
        case Role::Administrator:
            return "administrator";
    }
    return "subject";
}

std::optional<Role> parseRole(const std::string& text) {
    if (text == "subject") return Role::Subject;
    if (text == "officer") return Role::Officer;
    if (text == "administrator" || text == "admin") return Role::Administrator;
    return std::nullopt;
}

nlohmann::json User::publicJson() const {
    return {{"id", id},     {"username", username}, {"name", name},        {"role", toString(role)},
            {"unit", unit}, {"officer", officer},   {"disabled", disabled}};
}

std::string toString(ClassState state) {
    switch (state) {
        case ClassState::Scheduled:
            return "scheduled";
        case ClassState::Live:
            return "live";
        case ClassState::Ended:
            return "ended";
    }
    return "scheduled";
}

bool ClassSession::isOpen(common::Millis now, common::Millis earlyMs) const {
    if (state == ClassState::Ended) return false;
    if (state == ClassState::Live) return true;
    return now >= start - earlyMs && now < end;
}

common::Millis ClassSession::creditEnd(common::Millis now) const {
    if (state == ClassState::Ended && endedAt > 0) return endedAt;  // Ended early or ran over.
    if (state == ClassState::Live) return std::max(end, now);
    return end;
}

nlohmann::json ClassSession::toJson(int utcOffsetMinutes) const {
    nlohmann::json j{{"id", id},
                     {"title", title},
                     {"unit", unit},
                     {"officer", officer},
                     {"start", common::formatIso8601(start, utcOffsetMinutes)},
                     {"end", common::formatIso8601(end, utcOffsetMinutes)},
                     {"required", required},
                     {"enrol_unit", enrolUnit},
                     {"enrol_tags", enrolTags},
                     {"state", toString(state)}};
    if (startedAt > 0) j["started_at"] = common::formatIso8601(startedAt, utcOffsetMinutes);
    if (endedAt > 0) j["ended_at"] = common::formatIso8601(endedAt, utcOffsetMinutes);
    return j;
}

}  // namespace vigil::signaling
