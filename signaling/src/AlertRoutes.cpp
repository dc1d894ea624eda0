#include "vigil/signaling/AlertRoutes.hpp"

#include <map>

#include "vigil/common/Error.hpp"
#include "vigil/signaling/Access.hpp"
#include "vigil/signaling/HttpApi.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Task;
using nlohmann::json;

namespace {

constexpr int kClassScan = 5000;

// The alert as the API shows it: with its subject's display name (empty if the account is
// gone), and `time` (= raised_at) for pages written against the first alert list.
Task<json> alertJson(AlertRoutesDeps d, const Alert& alert,
                     std::map<std::string, std::string>& names) {
    auto name = names.find(alert.subject);
    if (name == names.end()) {
        auto subject = co_await d.directory.findUser(alert.subject);
        name = names.emplace(alert.subject, subject ? subject->name : std::string()).first;
    }
    json out = alert.toJson(d.config.utcOffsetMinutes());
    out["subject_name"] = name->second;
    out["time"] = out["raised_at"];
    co_return out;
}

Task<HttpResponse> listAlerts(AlertRoutesDeps d, const RouteContext& c) {
    const User user = c.caller();
    std::string state = queryValue(c.request, "state");
    std::string escalated = queryValue(c.request, "escalated");
    if (!escalated.empty() && escalated != "0" && escalated != "1")
        throw ApiError("bad_request", "escalated must be 0 or 1");
    std::string subject = queryValue(c.request, "subject");
    std::string classId = queryValue(c.request, "class");
    int limit = static_cast<int>(intParam(c.request, "limit", 200, 1, 1000));
    if (!subject.empty()) {
        // A subject outside one's scope is refused, not answered with an empty list.
        auto named = co_await d.directory.findUser(subject);
        auto tree = co_await d.directory.unitTree();
        if (named && !access::canSeeSubject(user, *named, tree))
            throw ApiError("forbidden", "this subject is outside your scope");
    }
    // A class's alerts are few: look through more and keep the class's.
    auto alerts = co_await d.alerts.list(user, state, escalated == "1", subject,
                                         classId.empty() ? limit : kClassScan);
    if (!classId.empty()) {
        std::erase_if(alerts, [&](const Alert& a) { return a.classId != classId; });
        if (alerts.size() > static_cast<size_t>(limit)) alerts.resize(static_cast<size_t>(limit));
    }
    std::map<std::string, std::string> names;
    json out = json::array();
    for (const auto& alert : alerts) out.push_back(co_await alertJson(d, alert, names));
    json detail{{"state", state},
                {"escalated", escalated == "1"},
                {"subject", subject},
                {"class", classId},
                {"count", alerts.size()}};
    co_await d.audit.append(user.id, "alerts_view", subject, detail.dump());
    co_return jsonResponse(200, json{{"alerts", out}});
}

Task<HttpResponse> acknowledgeAlert(AlertRoutesDeps d, const RouteContext& c) {
    const User user = c.caller();
    auto alert = co_await d.alerts.acknowledge(user, c.params.at(0));
    std::map<std::string, std::string> names;
    co_return jsonResponse(200, co_await alertJson(d, alert, names));
}

Task<HttpResponse> resolveAlert(AlertRoutesDeps d, const RouteContext& c) {
    const User user = c.caller();
    json body = jsonBody(c.request);
    auto note = body.find("note");
    if (note == body.end() || !note->is_string())
        throw ApiError("bad_request", "resolving an alert needs a \"note\" (text)");
    auto alert = co_await d.alerts.resolve(user, c.params.at(0), note->get<std::string>());
    std::map<std::string, std::string> names;
    co_return jsonResponse(200, co_await alertJson(d, alert, names));
}

}  // namespace

void addAlertRoutes(RestRouter& router, AlertRoutesDeps deps) {
    router.add(Route{"GET", "/api/alerts", Caller::Staff,
                     [deps](const RouteContext& c) { return listAlerts(deps, c); }});
    router.add(Route{"POST", "/api/alerts/{}/acknowledge", Caller::Staff,
                     [deps](const RouteContext& c) { return acknowledgeAlert(deps, c); }});
    router.add(Route{"POST", "/api/alerts/{}/resolve", Caller::Staff,
                     [deps](const RouteContext& c) { return resolveAlert(deps, c); }});
}

}  // namespace vigil::signaling
