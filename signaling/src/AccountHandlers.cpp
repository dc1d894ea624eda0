// ClassHub's account checks: every request after `auth` is judged on the account as it is
// now (AccountGate), and a connection whose session ends (logout, password change, disabled
// account, idle or absolute expiry) is told why and closed.

#include <algorithm>

#include "vigil/common/Error.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/signaling/ClassHub.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Task;
using nlohmann::json;

namespace {
VIGIL_LOG_CATEGORY(accountHandlersLog, "accounts")
}  // namespace

Task<void> ClassHub::requireCurrentAccount(ConnPtr conn) {
    const std::string userId = requireUser(conn).id;
    if (accounts_ == nullptr) co_return;
    SessionState state = co_await accounts_->current(userId, conn->session);
    if (!state.user) {
        // Ended after the reply (ClassHub::handle): closing now would drop the reply.
        conn->endAfterReply = state.ended;
        throw ApiError("unauthenticated",
                       "your session has ended (" + state.ended + "); sign in again");
    }
    // Rights follow the account: its role and unit as they are now.
    conn->user = std::move(state.user);
}

void ClassHub::endSession(const ConnPtr& conn, const std::string& reason) {
    if (conn->closed || conn->sessionEnded) return;
    conn->sessionEnded = true;
    conn->sessionTimer.cancel();
    accountHandlersLog()->info("conn {}: session ended ({}); closing", conn->key, reason);
    push(conn, json{{"type", "session_ended"}, {"reason", reason}});
    if (server_ != nullptr) server_->close(conn->id, 1008, "session ended: " + reason);
}

void ClassHub::endSessionAt(const ConnPtr& conn, common::Millis until) {
    const common::Millis left = std::max<common::Millis>(until - common::nowMillis(), 0);
    std::weak_ptr<Connection> weak = conn;
    conn->sessionTimer = deps_.loop.after(std::chrono::milliseconds(left), [this, weak]() {
        if (auto c = weak.lock()) endSession(c, session_end::kExpired);
    });
}

void ClassHub::OnSessionEnded(const std::string& userId, const std::string& session,
                              const std::string& reason) {
    std::vector<ConnPtr> ending;
    for (const auto& [id, conn] : conns_) {
        if (conn->user && conn->user->id == userId && (session.empty() || conn->session == session))
            ending.push_back(conn);
    }
    for (const auto& conn : ending) endSession(conn, reason);
}

}  // namespace vigil::signaling
