#pragma once
// REST routes of alerts (docs/api.md, "Alerts"): the list for staff in scope (newest first,
// filtered by state, escalation and subject), acknowledging and resolving with a note. The
// list read and every change are audited.

#include "vigil/common/Config.hpp"
#include "vigil/signaling/AlertBook.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/RestRouter.hpp"

namespace vigil::signaling {

struct AlertRoutesDeps {
    AlertBook& alerts;
    Directory& directory;
    AuditLog& audit;
    const common::Config& config;
};

void addAlertRoutes(RestRouter& router, AlertRoutesDeps deps);

}  // namespace vigil::signaling
