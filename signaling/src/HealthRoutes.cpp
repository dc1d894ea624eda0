#include "vigil/signaling/HealthRoutes.hpp"

#include "vigil/common/Crypto.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/common/Metrics.hpp"
#include "vigil/signaling/HttpApi.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Task;
using nlohmann::json;

bool isProbePath(const std::string& path) {
    return path == "/healthz" || path == "/readyz" || path == "/metrics";
}

bool isLoopbackAddress(const std::string& peer) {
    return peer.rfind("127.", 0) == 0 || peer == "::1" || peer.rfind("::ffff:127.", 0) == 0;
}

namespace {

// The configured token, compared through digests so the time taken says nothing of it.
void checkMetricsAccess(const HttpRequest& request, const std::string& token) {
    if (token.empty()) {
        if (!isLoopbackAddress(request.peer))
            throw ApiError("forbidden",
                           "metrics are served to loopback callers only; set [metrics] token");
        return;
    }
    const std::string prefix = "Bearer ";
    const std::string given = request.authorization.rfind(prefix, 0) == 0
                                  ? request.authorization.substr(prefix.size())
                                  : std::string();
    if (given.empty() || common::sha256Hex(given) != common::sha256Hex(token))
        throw ApiError("unauthenticated",
                       "send the metrics token as 'Authorization: Bearer TOKEN'");
}

}  // namespace

void addHealthRoutes(RestRouter& router, HealthRoutesDeps deps) {
    router.add(
        Route{"GET", "/healthz", Caller::Public, [](const RouteContext&) -> Task<HttpResponse> {
                  co_return jsonResponse(200, json{{"status", "alive"}});
              }});
    router.add(
        Route{"GET", "/readyz", Caller::Public, [deps](const RouteContext&) -> Task<HttpResponse> {
                  const bool ready = deps.readiness.ready();
                  co_return jsonResponse(
                      ready ? 200 : 503,
                      json{{"status", ready ? "ready" : "not_ready"},
                           {"redis", ready},
                           {"redis_last_answer_ms", deps.readiness.lastAnswerAgeMs()}});
              }});
    router.add(Route{"GET", "/metrics", Caller::Public,
                     [deps](const RouteContext& c) -> Task<HttpResponse> {
                         checkMetricsAccess(c.request, deps.config.metrics.token);
                         HttpResponse r;
                         r.contentType = common::Metrics::kContentType;
                         r.body = common::Metrics::global().render();
                         co_return r;
                     }});
}

}  // namespace vigil::signaling
