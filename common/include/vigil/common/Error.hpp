#pragma once
// The one typed error of the control plane. Handlers throw it; exactly one dispatcher per
// transport (WebSocket, HTTP) turns it into an error reply with its stable code.

#include <stdexcept>
#include <string>

namespace vigil::common {

class ApiError : public std::runtime_error {
public:
    ApiError(std::string code, const std::string& message)
        : std::runtime_error(message), code_(std::move(code)) {}
    // A refusal the caller may retry later (rate_limited, busy): HTTP adds Retry-After.
    ApiError(std::string code, const std::string& message, int retryAfterSeconds)
        : std::runtime_error(message),
          code_(std::move(code)),
          retryAfterSeconds_(retryAfterSeconds) {}
    const std::string& code() const { return code_; }
    // Seconds after which a retry may succeed; 0 when the error says nothing about it.
    int retryAfterSeconds() const { return retryAfterSeconds_; }

private:
    std::string code_;
    int retryAfterSeconds_{0};
};

}  // namespace vigil::common
