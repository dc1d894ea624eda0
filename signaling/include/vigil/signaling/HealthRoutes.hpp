#pragma once
// Probe and metrics routes (docs/api.md, "Health and metrics"):
//   GET /healthz  liveness: the process serves HTTP. Never looks at Redis.
//   GET /readyz   readiness: Redis answers (RedisReadiness); 503 while it does not.
//   GET /metrics  Prometheus text format; a bearer token ([metrics] token) or, without
//                 one, callers on the loopback address only.

#include "vigil/common/Config.hpp"
#include "vigil/signaling/RedisReadiness.hpp"
#include "vigil/signaling/RestRouter.hpp"

namespace vigil::signaling {

struct HealthRoutesDeps {
    RedisReadiness& readiness;
    const common::Config& config;
};

void addHealthRoutes(RestRouter& router, HealthRoutesDeps deps);

// /healthz, /readyz or /metrics: the paths outside /api that reach the router.
bool isProbePath(const std::string& path);

// True for 127.0.0.0/8 and ::1 (as lws prints a peer's address).
bool isLoopbackAddress(const std::string& peer);

}  // namespace vigil::signaling
