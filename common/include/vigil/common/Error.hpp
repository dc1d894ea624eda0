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
    const std::string& code() const { return code_; }

private:
    std::string code_;
};

}  // namespace vigil::common
