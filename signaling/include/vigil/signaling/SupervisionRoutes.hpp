#pragma once
// REST routes of subjects' supervision records (docs/api.md, "Supervision records"):
// GET/PUT /api/subjects/{id}/supervision, POST /api/subjects/{id}/level and
// GET /api/supervision/tags. A subject reads only its own record; staff read and change the
// records of subjects in their unit and below. Changes, and staff reads, are audited.

#include "vigil/common/Config.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/LevelPolicy.hpp"
#include "vigil/signaling/RestRouter.hpp"
#include "vigil/signaling/SupervisionStore.hpp"

namespace vigil::signaling {

struct SupervisionRoutesDeps {
    Directory& directory;
    AuditLog& audit;
    SupervisionStore& store;
    const LevelPolicy& policy;
    const common::Config& config;
};

void addSupervisionRoutes(RestRouter& router, SupervisionRoutesDeps deps);

}  // namespace vigil::signaling
