#pragma once
// Refused reads go into the audit log too (action `read_refused`): who asked to see what,
// over REST or the WebSocket, and was told `forbidden`. An agency must be able to show not
// only who read a subject's records but who tried to.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "vigil/common/Task.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Model.hpp"
#include "vigil/signaling/WebServer.hpp"

namespace vigil::signaling {

class RefusalAudit {
public:
    explicit RefusalAudit(AuditLog& audit) : audit_(audit) {}

    // A GET refused: target is the first path parameter, else the `subject`, `target`,
    // `unit` or `class` the query names; the detail has the path and the query without the
    // token. Neither method throws: a failed append is logged, and the refusal goes out.
    common::Task<void> restRead(const User& user, const HttpRequest& request,
                                const std::vector<std::string>& params, std::string reason);
    // A WebSocket read refused (a roster, a camera): `target` names what was asked for.
    common::Task<void> wsRead(const User& user, std::string message, std::string target,
                              std::string reason);

private:
    AuditLog& audit_;  // Passed by argument.
};

}  // namespace vigil::signaling
