#pragma once
// A minimal blocking HTTP/1.1 client for the few plain requests the benchmark makes
// (/healthz, /api/login). One request per connection.

#include <chrono>
#include <string>

namespace ws_load {

struct HttpResult {
    int status = 0;  // 0: no HTTP answer (see error)
    std::string body;
    std::string error;  // connection or protocol failure
};

HttpResult httpRequest(const std::string& host, int port, const std::string& method,
                       const std::string& path, const std::string& jsonBody,
                       std::chrono::milliseconds timeout, const std::string& token = "",
                       const std::string& contentType = "application/json");

}  // namespace ws_load
