#pragma once
// REST routes of self-service check-ins (docs/api.md, "Check-ins"): what is due for the
// calling subject, the check-in records (a subject: own only; staff: in scope), one record
// and its evidence frames (each read audited), and officers' orders.

#include "vigil/common/Config.hpp"
#include "vigil/signaling/CheckinService.hpp"
#include "vigil/signaling/RestRouter.hpp"

namespace vigil::signaling {

struct CheckinRoutesDeps {
    CheckinService& service;
    const common::Config& config;
};

void addCheckinRoutes(RestRouter& router, CheckinRoutesDeps deps);

}  // namespace vigil::signaling
