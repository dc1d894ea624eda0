#include "vigil/signaling/RefusalAudit.hpp"

#include "vigil/common/Log.hpp"

namespace vigil::signaling {

using common::Task;
using nlohmann::json;

namespace {
VIGIL_LOG_CATEGORY(refusalAuditLog, "refusal-audit")

constexpr size_t kMaxValue = 128;

std::string clipped(const std::string& s) {
    return s.size() > kMaxValue ? s.substr(0, kMaxValue) : s;
}
}  // namespace

Task<void> RefusalAudit::restRead(const User& user, const HttpRequest& request,
                                  const std::vector<std::string>& params, std::string reason) {
    json query = json::object();
    for (const auto& [k, v] : request.query) {
        if (k == "token" || query.size() >= 16) continue;  // Never a credential in the log.
        query[clipped(k)] = clipped(v);
    }
    std::string target = params.empty() ? "" : clipped(params.front());
    for (const char* name : {"subject", "target", "unit", "class"}) {
        if (!target.empty()) break;
        if (auto it = request.query.find(name); it != request.query.end())
            target = clipped(it->second);
    }
    const json detail{{"via", "rest"},
                      {"method", request.method},
                      {"path", clipped(request.path)},
                      {"query", query},
                      {"reason", clipped(reason)}};
    try {
        // Invalid UTF-8 in a path or query is replaced, so that the dump cannot throw.
        co_await audit_.append(user.id, "read_refused", target,
                               detail.dump(-1, ' ', false, json::error_handler_t::replace));
    } catch (const std::exception& e) {
        refusalAuditLog()->error("refused GET by {} not audited: {}", user.id, e.what());
    }
}

Task<void> RefusalAudit::wsRead(const User& user, std::string message, std::string target,
                                std::string reason) {
    const json detail{{"via", "ws"}, {"message", message}, {"reason", clipped(reason)}};
    try {
        co_await audit_.append(user.id, "read_refused", clipped(target),
                               detail.dump(-1, ' ', false, json::error_handler_t::replace));
    } catch (const std::exception& e) {
        // The refusal still goes out; the log says what the audit log lacks.
        refusalAuditLog()->error("refused {} by {} not audited: {}", message, user.id, e.what());
    }
}

}  // namespace vigil::signaling
