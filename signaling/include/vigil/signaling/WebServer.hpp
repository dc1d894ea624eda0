#pragma once
// libwebsockets on the process's GLib loop: static files from the web root (and browser
// libraries from npm's node_modules under /vendor/), the REST API
// under /api, /healthz, and the WebSocket protocol. It knows nothing of classes or
// accounts: requests and frames go to the handlers below, answers come back through
// respond() and send(), possibly later (after Redis replied). lws is not thread-safe:
// every call here must run on the loop thread.
//
// Transport limits: a request's body is read only once its handler asked for it with
// readBody() (after checking the caller from the headers), up to the size it names; headers
// and bodies that arrive too slowly close the connection; each client address holds at most
// so many connections. Every response carries the security headers (SecurityHeaders.hpp).
// With a certificate and key it serves HTTPS and WSS.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "vigil/common/EventLoop.hpp"
#include "vigil/signaling/AddressQuota.hpp"

struct lws;
struct lws_context;

namespace vigil::signaling {

struct HttpRequest {
    std::string method;
    std::string path;
    std::map<std::string, std::string> query;
    std::string body;
    // The declared Content-Length. When it is not zero the body is not read yet as the
    // handler first sees the request: WebServer::readBody() reads it.
    std::uint64_t bodyLength{0};
    std::string authorization;
    std::string range;  // the Range header, if any
    std::string peer;
};

struct HttpResponse {
    int status{200};
    std::string contentType{"application/json; charset=utf-8"};
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    // Instead of `body`: `length` bytes of the file at `path` from `offset`, read a piece at
    // a time as the connection can take them (never the whole file in memory). The file is
    // opened by respond(); if it cannot be, or is shorter than offset + length, a 404
    // "file_missing" error goes out instead.
    struct File {
        std::string path;
        std::uint64_t offset{0};
        std::uint64_t length{0};
        // Told (on the loop) how many of the file's bytes went out once the last did
        // (`complete`), or once the connection closed after some but not all of them: a
        // recording's play is audited when it was actually served.
        std::function<void(std::uint64_t sent, bool complete)> served;
    };
    std::optional<File> file;
};

class HttpHandler {
public:
    virtual ~HttpHandler() = default;
    // Called once the headers are in. Must eventually call WebServer::respond(requestId,
    // ...), unless the request is gone; a request with a body (bodyLength) either asks for it
    // with WebServer::readBody() or is answered without it.
    virtual void OnHttpRequest(std::uint64_t requestId, HttpRequest request) = 0;
};

class WsHandler {
public:
    virtual ~WsHandler() = default;
    virtual void OnWsOpen(std::uint64_t connId, const std::string& peer) = 0;
    // `tooLarge`: the message exceeded the limit and `text` holds only its start.
    virtual void OnWsMessage(std::uint64_t connId, std::string text, bool tooLarge) = 0;
    virtual void OnWsClose(std::uint64_t connId) = 0;
};

class WebServer {
public:
    struct Options {
        std::string listen{"0.0.0.0"};
        int port{8080};
        std::string webRoot{"web"};
        // npm's node_modules: /vendor/chart.js/ serves <vendorRoot>/chart.js/dist/.
        std::string vendorRoot{"node_modules"};
        size_t maxMessageBytes{65536};
        // No route takes a larger body: 413 as soon as the headers declare one.
        size_t maxBodyBytes{1 << 20};
        size_t maxQueuedMessages{2048};
        size_t maxConnectionsPerAddress{256};  // 0: no limit.
        int headerTimeoutSeconds{10};
        int bodyTimeoutSeconds{60};
        // PEM files; both set: HTTPS and WSS.
        std::string tlsCert;
        std::string tlsKey;
    };

    WebServer(common::EventLoop& loop, Options options, HttpHandler& http, WsHandler& ws);
    ~WebServer();
    WebServer(const WebServer&) = delete;
    WebServer& operator=(const WebServer&) = delete;

    // Throws std::runtime_error if the port cannot be bound.
    void start();
    int port() const { return boundPort_; }

    void respond(std::uint64_t requestId, HttpResponse response);
    // Reads the body of a request its handler has admitted, then calls `onBody` with the
    // request, body included. A declared body over `maxBytes` is answered 413 too_large
    // unread. If the client goes away first, `onBody` is dropped uncalled.
    void readBody(std::uint64_t requestId, size_t maxBytes,
                  std::function<void(HttpRequest)> onBody);
    // Queues a text frame; false if the connection is gone or its queue is full (then the
    // connection is closed: a client that does not read must not grow our memory).
    bool send(std::uint64_t connId, std::string text);
    // Sends what is queued, then closes with `code` (1000 normal, 1008 policy).
    void close(std::uint64_t connId, int code, const std::string& reason);
    size_t connectionCount() const { return conns_.size(); }

    // lws' C callback lands here.
    int onCallback(lws* wsi, int reason, void* user, void* in, size_t len);

private:
    // An open file descriptor, closed with its holder.
    class FileDescriptor {
    public:
        FileDescriptor() = default;
        explicit FileDescriptor(int fd) : fd_(fd) {}
        FileDescriptor(FileDescriptor&& other) noexcept;
        FileDescriptor& operator=(FileDescriptor&& other) noexcept;
        FileDescriptor(const FileDescriptor&) = delete;
        FileDescriptor& operator=(const FileDescriptor&) = delete;
        ~FileDescriptor();
        int get() const { return fd_; }

    private:
        int fd_{-1};  // Owned.
    };
    struct PendingHttp {
        lws* wsi{nullptr};  // Not owned.
        HttpRequest request;
        // Handed to the HTTP handler: lws also reports the body complete for a POST without
        // one, and a request must reach the handler once.
        bool dispatched{false};
        // The body: held back until the handler asks for it (readBody), then read up to
        // bodyLimit; an unread body is discarded (or the connection closed) after the answer.
        enum class Body { None, Held, Reading, Complete } body{Body::None};
        size_t bodyLimit{0};
        std::function<void(HttpRequest)> onBody;
        std::chrono::steady_clock::time_point bodyDeadline;
        bool bodyIn{false};  // lws has had the whole body.
        // Answered with a body too large to drain: the connection closes after the answer.
        bool closeAfter{false};
        bool answered{false};
        HttpResponse response;
        std::uint64_t sent{0};
        bool headersSent{false};
        FileDescriptor file;  // Open while a file body is sent.
        std::vector<unsigned char> buffer;
    };
    struct Conn {
        lws* wsi{nullptr};  // Not owned.
        std::deque<std::string> outbox;
        std::string partial;
        bool tooLarge{false};
        bool closing{false};
        int closeCode{1000};
        std::string closeReason;
    };
    struct SessionData {
        std::uint64_t id;
        bool isWs;
    };

    int onHttp(lws* wsi, SessionData* pss, void* in, size_t len);
    int onHttpBody(SessionData* pss, void* in, size_t len);
    void onHttpBodyComplete(SessionData* pss);
    // Hands the request, its body read, to the callback readBody() was given.
    void deliverBody(PendingHttp& pending);
    // A new connection from the address of socket `fd`: false refuses it.
    bool admitConnection(int fd);
    // Closes connections whose body has not arrived within its time.
    void closeSlowRequests();
    bool tls() const { return !options_.tlsCert.empty(); }
    int onHttpWriteable(lws* wsi, SessionData* pss);
    bool openFileBody(PendingHttp& pending);
    void dispatchHttp(SessionData* pss);
    int onWsWriteable(lws* wsi, SessionData* pss);
    int onWsReceive(lws* wsi, SessionData* pss, void* in, size_t len);

    common::EventLoop& loop_;  // Passed by argument.
    Options options_;
    HttpHandler& http_;              // Passed by argument.
    WsHandler& ws_;                  // Passed by argument.
    lws_context* context_{nullptr};  // Owned.
    GMainLoop* foreignLoop_{nullptr};
    int boundPort_{0};
    std::uint64_t nextId_{1};
    std::unordered_map<std::uint64_t, PendingHttp> http_requests_;
    std::unordered_map<std::uint64_t, Conn> conns_;
    AddressQuota quota_;
    // The address admitConnection() accepted, until lws creates that connection's handle.
    std::string acceptedAddress_;
    common::Timer slowRequestTimer_;
    std::vector<std::unique_ptr<char[]>> keepAlive_;  // Strings lws points into.
};

}  // namespace vigil::signaling
