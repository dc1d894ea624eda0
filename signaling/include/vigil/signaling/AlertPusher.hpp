#pragma once
// Tells people of alerts as they happen: a new alert goes to the subject's supervising
// officer ({"type":"alert_raised", ...the alert}); an escalated one also to the officers and
// administrators of the unit it was escalated to ({"type":"alert_escalated", ...}). Pushed
// to every connection of each account on every node (ClassHub::sendToUser).

#include "vigil/common/Config.hpp"
#include "vigil/signaling/AlertBook.hpp"
#include "vigil/signaling/ClassHub.hpp"
#include "vigil/signaling/Directory.hpp"

namespace vigil::signaling {

class AlertPusher : public AlertListener {
public:
    AlertPusher(ClassHub& hub, Directory& directory, const common::Config& config)
        : hub_(hub), directory_(directory), config_(config) {}

    void onAlert(const Alert& alert, bool escalated) override;

private:
    common::Task<void> push(Alert alert, bool escalated);

    ClassHub& hub_;                 // Passed by argument.
    Directory& directory_;          // Passed by argument.
    const common::Config& config_;  // Passed by argument.
};

}  // namespace vigil::signaling
