#pragma once
// REST routes of 脱管 prevention and the programme report (docs/api.md, "Supervision
// programme"): GET /api/supervision/overdue, GET /api/supervision/units and
// GET /api/reports/programme (JSON or format=csv). Staff only, limited to the caller's unit
// and below, every read audited.

#include "vigil/common/Config.hpp"
#include "vigil/signaling/AlertBook.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/LevelPolicy.hpp"
#include "vigil/signaling/ProgrammeMonitor.hpp"
#include "vigil/signaling/ProgrammeReport.hpp"
#include "vigil/signaling/RestRouter.hpp"

namespace vigil::signaling {

struct ProgrammeRoutesDeps {
    Directory& directory;
    AuditLog& audit;
    AlertBook& alerts;
    const LevelPolicy& policy;
    ProgrammeMonitor& monitor;
    ProgrammeReport& report;
    const common::Config& config;
};

void addProgrammeRoutes(RestRouter& router, ProgrammeRoutesDeps deps);

}  // namespace vigil::signaling
