#pragma once
// A subject's supervision programme (矫正): the term, the management level and its dated
// history, special-group tags and the registered area of residence. Plain data; stored by
// SupervisionStore, interpreted by LevelPolicy.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "vigil/common/Clock.hpp"

namespace vigil::signaling {

enum class Level { Strict, Ordinary, Lenient };  // 严管, 普管, 宽管

std::string toString(Level level);  // "strict" | "ordinary" | "lenient"
std::optional<Level> parseLevel(const std::string& text);

// A calendar date in the agency's time zone, as days since 1970-01-01 (so that periods and
// term boundaries never depend on the hour of day).
using Day = int;

// One change of level, in force from `from` (inclusive) until the next change.
struct LevelChange {
    Day from{0};
    Level level{Level::Ordinary};
    std::string reason;
    std::string by;        // user id of the officer who made it
    common::Millis at{0};  // when it was recorded
};

// The registered area: a circle (centre and radius) or a polygon of (lat, lon) points.
struct Area {
    std::string name;  // "城关镇", free text
    double lat{0};
    double lon{0};
    double radiusM{0};                               // > 0 for a circle
    std::vector<std::pair<double, double>> polygon;  // >= 3 points for a polygon
    // Whether a position (with its accuracy radius, metres) lies outside: only when even the
    // nearest point of the accuracy circle is outside the area.
    bool outside(double lat, double lon, double accuracyM) const;
};

struct Supervision {
    std::string subject;
    std::optional<Day> termStart;     // Unset: no term recorded yet (owes nothing).
    std::optional<Day> termEnd;       // Inclusive last day.
    std::string decision;             // court / decision reference, free text
    std::vector<LevelChange> levels;  // Sorted by `from`; empty: the default level.
    std::vector<std::string> tags;    // from [supervision] tags
    std::optional<Area> area;

    // The level in force on `day` (the default level before the first change).
    Level levelOn(Day day, Level fallback = Level::Ordinary) const;
    // Active: inside the term. Released (解除矫正): after the term's end. Pending: before it.
    bool activeOn(Day day) const;
    bool releasedOn(Day day) const;
};

// Days since 1970-01-01 of an instant at `utcOffsetMinutes`, and back (midnight, local).
Day dayOf(common::Millis ms, int utcOffsetMinutes);
common::Millis startOfDay(Day day, int utcOffsetMinutes);
// "2026-12-05" <-> Day; nullopt for anything else.
std::optional<Day> parseDay(const std::string& text);
std::string formatDay(Day day);
// The first and last day of the calendar month containing `day`.
Day monthStart(Day day);
Day monthEnd(Day day);

// {name, lat, lon, radius_m} or {name, lat, lon, polygon: [[lat, lon], ...]}; lat/lon of a
// polygon is the mean of its points (a map's centre).
nlohmann::json toJson(const Area& area);
// The shape only (numbers where numbers belong); nullopt otherwise. Ranges are checked by
// SupervisionStore.
std::optional<Area> areaFromJson(const nlohmann::json& j);

}  // namespace vigil::signaling
