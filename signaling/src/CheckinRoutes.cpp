#include "vigil/signaling/CheckinRoutes.hpp"

#include <limits>

#include "vigil/common/Error.hpp"
#include "vigil/signaling/HttpApi.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Millis;
using common::Task;
using nlohmann::json;

namespace {

Task<HttpResponse> dueCheckins(CheckinRoutesDeps d, const RouteContext& c) {
    const User& user = c.caller();
    const int offset = d.config.utcOffsetMinutes();
    auto due = co_await d.service.due(user, common::nowMillis());
    json windows = json::array();
    if (due.window) {
        windows.push_back({{"kind", "scheduled"},
                           {"first", formatDay(due.window->first)},
                           {"last", formatDay(due.window->last)},
                           {"level", toString(due.window->level)},
                           {"attempts_left", due.windowAttemptsLeft}});
    }
    json orders = json::array();
    for (const auto& [order, left] : due.orders) {
        std::string by = co_await d.service.nameOf(order.orderedBy);
        orders.push_back({{"order", order.id},
                          {"deadline", common::formatIso8601(order.deadline, offset)},
                          {"ordered_by", by},
                          {"attempts_left", left}});
    }
    co_return jsonResponse(200, json{{"windows", windows},
                                     {"orders", orders},
                                     {"attempts_per_window", d.config.checkin.attemptsPerWindow}});
}

Task<HttpResponse> listCheckins(CheckinRoutesDeps d, const RouteContext& c) {
    const User& user = c.caller();
    const int offset = d.config.utcOffsetMinutes();
    Millis from = timeParam(c.request, "from", offset, 0);
    Millis to = timeParam(c.request, "to", offset, std::numeric_limits<Millis>::max() / 2);
    int limit = static_cast<int>(intParam(c.request, "limit", 100, 1, 1000));
    auto list = co_await d.service.list(user, queryValue(c.request, "subject"), from, to, limit);
    json out = json::array();
    std::map<std::string, std::string> names;
    for (const auto& checkin : list) {
        if (names.count(checkin.subject) == 0)
            names[checkin.subject] = co_await d.service.nameOf(checkin.subject);
        out.push_back(checkin.toJson(offset, names[checkin.subject]));
    }
    const std::string subject = queryValue(c.request, "subject");
    const std::string detail = json{{"count", out.size()}, {"from", from}, {"to", to}}.dump();
    co_await d.audit.append(user.id, "checkins_view", subject, detail);
    co_return jsonResponse(200, json{{"checkins", out}});
}

Task<HttpResponse> oneCheckin(CheckinRoutesDeps d, const RouteContext& c) {
    const User& user = c.caller();
    std::string id = c.params.at(0);
    auto checkin = co_await d.service.get(user, id);
    std::string name = co_await d.service.nameOf(checkin.subject);
    co_return jsonResponse(200, checkin.toJson(d.config.utcOffsetMinutes(), name));
}

Task<HttpResponse> checkinFrame(CheckinRoutesDeps d, const RouteContext& c) {
    const User& user = c.caller();
    std::string id = c.params.at(0);
    int index = -1;
    try {
        size_t used = 0;
        index = std::stoi(c.params.at(1), &used);
        if (used != c.params.at(1).size()) index = -1;
    } catch (const std::exception&) {
        index = -1;
    }
    if (index < 0) throw ApiError("not_found", "no such frame");
    HttpResponse response;
    response.body = co_await d.service.frame(user, id, index);
    response.contentType = "image/jpeg";
    response.headers.emplace_back("Cache-Control", "no-store");
    co_return response;
}

Task<HttpResponse> orderCheckins(CheckinRoutesDeps d, const RouteContext& c) {
    const User& user = c.caller();
    json body = jsonBody(c.request);
    auto orders = co_await d.service.order(user, body);
    json out = json::array();
    for (const auto& o : orders) {
        out.push_back(
            {{"order", o.id},
             {"subject", o.subject},
             {"deadline", common::formatIso8601(o.deadline, d.config.utcOffsetMinutes())}});
    }
    co_return jsonResponse(201, json{{"orders", out}});
}

}  // namespace

void addCheckinRoutes(RestRouter& router, CheckinRoutesDeps deps) {
    router.add(Route{"GET", "/api/checkins/due", Caller::Subject,
                     [deps](const RouteContext& c) { return dueCheckins(deps, c); }});
    router.add(Route{"GET", "/api/checkins", Caller::Anyone,
                     [deps](const RouteContext& c) { return listCheckins(deps, c); }});
    router.add(Route{"POST", "/api/checkins/orders", Caller::Staff,
                     [deps](const RouteContext& c) { return orderCheckins(deps, c); }});
    router.add(Route{"GET", "/api/checkins/{}", Caller::Anyone,
                     [deps](const RouteContext& c) { return oneCheckin(deps, c); }});
    router.add(Route{"GET", "/api/checkins/{}/frames/{}", Caller::Anyone,
                     [deps](const RouteContext& c) { return checkinFrame(deps, c); }, true});
}

}  // namespace vigil::signaling
