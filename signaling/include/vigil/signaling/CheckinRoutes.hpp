#pragma once
// REST routes of self-service check-ins (docs/api.md, "Check-ins"): what is due for the
// calling subject, the check-in records (a subject: own only; staff: in scope), one record
// and its evidence frames (each read audited, lists too), and officers' orders.

#include "vigil/common/Config.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/CheckinService.hpp"
#include "vigil/signaling/RestRouter.hpp"

namespace vigil::signaling {

struct CheckinRoutesDeps {
    CheckinService& service;
    const common::Config& config;
    AuditLog& audit;
};

void addCheckinRoutes(RestRouter& router, CheckinRoutesDeps deps);

}  // namespace vigil::signaling
