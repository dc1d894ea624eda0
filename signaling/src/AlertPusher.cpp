#include "vigil/signaling/AlertPusher.hpp"

#include <set>

#include "vigil/common/Log.hpp"

namespace vigil::signaling {

using common::Task;
using nlohmann::json;

namespace {
VIGIL_LOG_CATEGORY(alertPusherLog, "alerts")
}  // namespace

void AlertPusher::onAlert(const Alert& alert, bool escalated) {
    common::spawn(push(alert, escalated), [id = alert.id](const std::exception_ptr& e) {
        try {
            if (e) std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            alertPusherLog()->warn("alert {}: not pushed: {}", id, ex.what());
        }
    });
}

Task<void> AlertPusher::push(Alert alert, bool escalated) {
    auto subject = co_await directory_.findUser(alert.subject);
    json message = alert.toJson(config_.utcOffsetMinutes());
    message["type"] = escalated ? "alert_escalated" : "alert_raised";
    message["subject_name"] = subject ? subject->name : std::string();
    std::set<std::string> to;
    if (subject && !subject->officer.empty()) to.insert(subject->officer);
    if (escalated) {
        // Escalation is rare: reading every account is affordable here.
        for (const auto& user : co_await directory_.listUsers()) {
            if (user.unit == alert.escalatedTo && user.role != Role::Subject && !user.disabled)
                to.insert(user.id);
        }
    }
    for (const auto& user : to) hub_.sendToUser(user, message);
}

}  // namespace vigil::signaling
