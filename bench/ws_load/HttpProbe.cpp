#include "HttpProbe.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace ws_load {

namespace {

int connectTo(const std::string& host, int port, std::chrono::milliseconds timeout,
              std::string* error) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
    if (rc != 0) {
        *error = gai_strerror(rc);
        return -1;
    }
    int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
            *error = std::string("connect: ") + std::strerror(errno);
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(found);
    return fd;
}

bool sendAll(int fd, const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
        ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return false;
        sent += static_cast<size_t>(n);
    }
    return true;
}

// Reads until the body named by Content-Length is complete or the peer closes.
HttpResult readResponse(int fd) {
    HttpResult r;
    std::string data;
    size_t headerEnd = std::string::npos;
    size_t contentLength = std::string::npos;
    char buf[16384];
    for (;;) {
        if (headerEnd != std::string::npos && contentLength != std::string::npos &&
            data.size() >= headerEnd + 4 + contentLength) {
            break;
        }
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0) {
            r.error = std::string("recv: ") + std::strerror(errno);
            return r;
        }
        if (n == 0) break;
        data.append(buf, static_cast<size_t>(n));
        if (headerEnd == std::string::npos &&
            (headerEnd = data.find("\r\n\r\n")) != std::string::npos) {
            std::string head = data.substr(0, headerEnd);
            for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            auto cl = head.find("\ncontent-length:");
            if (cl != std::string::npos) contentLength = std::stoul(head.substr(cl + 16));
        }
    }
    if (data.rfind("HTTP/1.", 0) != 0 || data.size() < 12) {
        r.error = "no HTTP response";
        return r;
    }
    r.status = std::atoi(data.c_str() + 9);
    if (headerEnd != std::string::npos) r.body = data.substr(headerEnd + 4);
    return r;
}

}  // namespace

HttpResult httpRequest(const std::string& host, int port, const std::string& method,
                       const std::string& path, const std::string& jsonBody,
                       std::chrono::milliseconds timeout, const std::string& token,
                       const std::string& contentType) {
    HttpResult r;
    int fd = connectTo(host, port, timeout, &r.error);
    if (fd < 0) return r;
    std::string request = method + " " + path + " HTTP/1.1\r\nHost: " + host + ":" +
                          std::to_string(port) + "\r\nConnection: close\r\n";
    if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
    if (!jsonBody.empty() || method == "POST" || method == "PUT") {
        request += "Content-Type: " + contentType +
                   "\r\nContent-Length: " + std::to_string(jsonBody.size()) + "\r\n";
    }
    request += "\r\n" + jsonBody;
    if (!sendAll(fd, request)) {
        r.error = std::string("send: ") + std::strerror(errno);
    } else {
        r = readResponse(fd);
    }
    close(fd);
    return r;
}

}  // namespace ws_load
