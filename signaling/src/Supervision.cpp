#include "vigil/signaling/Supervision.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace vigil::signaling {

using nlohmann::json;

namespace {

constexpr double kEarthRadiusM = 6'371'008.8;  // mean radius
constexpr double kRadPerDeg = 3.14159265358979323846 / 180.0;

// Floor division: days before 1970 count down, not towards zero.
common::Millis floorDiv(common::Millis a, common::Millis b) {
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

double haversineM(double lat1, double lon1, double lat2, double lon2) {
    const double dLat = (lat2 - lat1) * kRadPerDeg;
    const double dLon = (lon2 - lon1) * kRadPerDeg;
    const double a = std::sin(dLat / 2) * std::sin(dLat / 2) +
                     std::cos(lat1 * kRadPerDeg) * std::cos(lat2 * kRadPerDeg) *
                         std::sin(dLon / 2) * std::sin(dLon / 2);
    return 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(a)));
}

struct Point {
    double x;
    double y;
};

// Distance from the origin to segment ab, in the plane.
double distanceToSegment(Point a, Point b) {
    const double dx = b.x - a.x;
    const double dy = b.y - a.y;
    const double len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? -(a.x * dx + a.y * dy) / len2 : 0;
    t = std::clamp(t, 0.0, 1.0);
    return std::hypot(a.x + t * dx, a.y + t * dy);
}

// A township or county is small enough for a flat projection centred on the position: the
// error is far below a phone's location accuracy.
bool outsidePolygon(const std::vector<std::pair<double, double>>& polygon, double lat, double lon,
                    double accuracyM) {
    const double mPerDegLat = kEarthRadiusM * kRadPerDeg;
    const double mPerDegLon = mPerDegLat * std::cos(lat * kRadPerDeg);
    std::vector<Point> pts;
    pts.reserve(polygon.size());
    for (const auto& [plat, plon] : polygon) {
        pts.push_back({(plon - lon) * mPerDegLon, (plat - lat) * mPerDegLat});
    }
    bool inside = false;
    double nearest = std::numeric_limits<double>::infinity();
    for (size_t i = 0, j = pts.size() - 1; i < pts.size(); j = i++) {
        const Point a = pts[i];
        const Point b = pts[j];
        // Ray from the origin along +x: count the edges it crosses.
        if ((a.y > 0) != (b.y > 0) && 0 < a.x + (0 - a.y) * (b.x - a.x) / (b.y - a.y)) {
            inside = !inside;
        }
        nearest = std::min(nearest, distanceToSegment(a, b));
    }
    return !inside && nearest > accuracyM;
}

}  // namespace

std::string toString(Level level) {
    switch (level) {
        case Level::Strict:
            return "strict";
        case Level::Lenient:
            return "lenient";
        case Level::Ordinary:
            break;
    }
    return "ordinary";
}

std::optional<Level> parseLevel(const std::string& text) {
    if (text == "strict") return Level::Strict;
    if (text == "ordinary") return Level::Ordinary;
    if (text == "lenient") return Level::Lenient;
    return std::nullopt;
}

bool Area::outside(double atLat, double atLon, double accuracyM) const {
    // A missing or nonsensical accuracy is no accuracy: the point itself decides.
    const double slack = std::isfinite(accuracyM) && accuracyM > 0 ? accuracyM : 0;
    if (polygon.size() >= 3) return outsidePolygon(polygon, atLat, atLon, slack);
    if (radiusM > 0) return haversineM(lat, lon, atLat, atLon) - slack > radiusM;
    return false;  // No usable area: nothing is outside it.
}

Level Supervision::levelOn(Day day, Level fallback) const {
    // Sorted by `from`; of two changes on one day the later recorded one wins.
    Level level = fallback;
    for (const auto& change : levels) {
        if (change.from > day) break;
        level = change.level;
    }
    return level;
}

bool Supervision::activeOn(Day day) const {
    return termStart && day >= *termStart && !(termEnd && day > *termEnd);
}

bool Supervision::releasedOn(Day day) const {
    return termStart && termEnd && day > *termEnd;
}

Day dayOf(common::Millis ms, int utcOffsetMinutes) {
    return static_cast<Day>(
        floorDiv(ms + common::Millis{utcOffsetMinutes} * 60'000, common::kDayMs));
}

common::Millis startOfDay(Day day, int utcOffsetMinutes) {
    return common::Millis{day} * common::kDayMs - common::Millis{utcOffsetMinutes} * 60'000;
}

std::optional<Day> parseDay(const std::string& text) {
    if (text.size() != 10) return std::nullopt;
    auto ms = common::parseIso8601(text, 0);
    if (!ms) return std::nullopt;
    return dayOf(*ms, 0);
}

std::string formatDay(Day day) {
    return common::formatIso8601(startOfDay(day, 0), 0).substr(0, 10);
}

Day monthStart(Day day) {
    return *parseDay(formatDay(day).substr(0, 8) + "01");
}

Day monthEnd(Day day) {
    // A month has at most 31 days: its first day plus 31 is in the next month.
    return monthStart(monthStart(day) + 31) - 1;
}

json toJson(const Area& area) {
    json j{{"name", area.name}};
    if (area.polygon.size() >= 3) {
        double lat = 0, lon = 0;
        json points = json::array();
        for (const auto& [plat, plon] : area.polygon) {
            points.push_back(json::array({plat, plon}));
            lat += plat;
            lon += plon;
        }
        j["lat"] = lat / static_cast<double>(area.polygon.size());
        j["lon"] = lon / static_cast<double>(area.polygon.size());
        j["polygon"] = std::move(points);
    } else {
        j["lat"] = area.lat;
        j["lon"] = area.lon;
        j["radius_m"] = area.radiusM;
    }
    return j;
}

std::optional<Area> areaFromJson(const json& j) {
    if (!j.is_object()) return std::nullopt;
    Area area;
    if (j.contains("name")) {
        if (!j["name"].is_string()) return std::nullopt;
        area.name = j["name"].get<std::string>();
    }
    if (j.contains("polygon")) {
        if (!j["polygon"].is_array()) return std::nullopt;
        for (const auto& p : j["polygon"]) {
            if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number()) {
                return std::nullopt;
            }
            area.polygon.emplace_back(p[0].get<double>(), p[1].get<double>());
        }
        return area;
    }
    if (!j.contains("lat") || !j.contains("lon") || !j.contains("radius_m") ||
        !j["lat"].is_number() || !j["lon"].is_number() || !j["radius_m"].is_number()) {
        return std::nullopt;
    }
    area.lat = j["lat"].get<double>();
    area.lon = j["lon"].get<double>();
    area.radiusM = j["radius_m"].get<double>();
    return area;
}

}  // namespace vigil::signaling
