#include "vigil/signaling/WebServer.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "vigil/common/Log.hpp"
#include "vigil/signaling/SecurityHeaders.hpp"

namespace vigil::signaling {

namespace {
VIGIL_LOG_CATEGORY(webServerLog, "web")

constexpr const char* kProtocolName = "vigil.v1";
constexpr size_t kBodyChunk = size_t{32} * 1024;
// A file body goes out this much per writeable callback: one short read, then back to the
// loop.
constexpr size_t kFileChunk = size_t{64} * 1024;
// While a file goes out, the kernel holds at most about this much of it (SO_SNDBUF, which
// Linux doubles): what a served callback counts as sent is then at most this much (plus one
// chunk lws may hold) ahead of what the player actually took, instead of the few megabytes an
// autotuned buffer holds. Enough for a recording's bit rate on any link.
constexpr int kFileSendBuffer = 2 * static_cast<int>(kFileChunk);
constexpr const char* kJson = "application/json; charset=utf-8";

int lwsCallback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
    lws_context* ctx = lws_get_context(wsi);
    auto* self = ctx != nullptr ? static_cast<WebServer*>(lws_context_user(ctx)) : nullptr;
    if (self == nullptr) return lws_callback_http_dummy(wsi, reason, user, in, len);
    try {
        return self->onCallback(wsi, static_cast<int>(reason), user, in, len);
    } catch (const std::exception& e) {
        // No exception may cross into lws.
        webServerLog()->error("callback {} threw: {}", static_cast<int>(reason), e.what());
        return -1;
    }
}

void lwsLog(int level, const char* line) {
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (level & LLL_ERR) {
        webServerLog()->error("lws: {}", text);
    } else if (level & LLL_WARN) {
        webServerLog()->warn("lws: {}", text);
    } else {
        webServerLog()->debug("lws: {}", text);
    }
}

lws_protocols kProtocols[] = {
    {kProtocolName, lwsCallback, 16, 65536, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

std::string copyToken(lws* wsi, lws_token_indexes token) {
    int n = lws_hdr_total_length(wsi, token);
    if (n <= 0) return {};
    std::string out(static_cast<size_t>(n) + 1, '\0');
    int got = lws_hdr_copy(wsi, out.data(), n + 1, token);
    if (got < 0) return {};
    out.resize(static_cast<size_t>(got));
    return out;
}

}  // namespace

WebServer::FileDescriptor::FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.fd_) {
    other.fd_ = -1;
}

WebServer::FileDescriptor& WebServer::FileDescriptor::operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

WebServer::FileDescriptor::~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
}

WebServer::WebServer(common::EventLoop& loop, Options options, HttpHandler& http, WsHandler& ws)
    : loop_(loop),
      options_(std::move(options)),
      http_(http),
      ws_(ws),
      quota_(options_.maxConnectionsPerAddress) {}

WebServer::~WebServer() {
    slowRequestTimer_.cancel();
    if (context_ != nullptr) {
        lws_context_destroy(context_);
        context_ = nullptr;
    }
}

void WebServer::start() {
    loop_.assertInLoop();
    lws_set_log_level(LLL_ERR | LLL_WARN, lwsLog);

    auto resolve = [](const std::string& path) {
        char resolved[PATH_MAX];
        return realpath(path.c_str(), resolved) != nullptr ? std::string(resolved) : path;
    };
    std::string root = resolve(options_.webRoot);
    std::string chartJs = resolve(options_.vendorRoot) + "/chart.js/dist";
    struct stat st {};
    if (::stat(chartJs.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        webServerLog()->warn(
            "{} is missing (server.vendor_root = \"{}\"; run npm install): "
            "/vendor/chart.js/ answers 404",
            chartJs, options_.vendorRoot);
    }
    auto keep = [this](const std::string& s) {
        auto buf = std::make_unique<char[]>(s.size() + 1);
        std::memcpy(buf.get(), s.c_str(), s.size() + 1);
        const char* p = buf.get();
        keepAlive_.push_back(std::move(buf));
        return p;
    };

    // lws knows .js, .json, .svg, .css, .html and the image and font types itself (and
    // those win over this list); these are the others a browser needs typed: a module
    // script (.mjs) without a JavaScript type is refused, a video without its type may not
    // play.
    static const lws_protocol_vhost_options kMimeTypes[] = {
        {&kMimeTypes[1], nullptr, ".mjs", "text/javascript"},
        {&kMimeTypes[2], nullptr, ".map", "application/json"},
        {&kMimeTypes[3], nullptr, ".webm", "video/webm"},
        {&kMimeTypes[4], nullptr, ".wasm", "application/wasm"},
        {nullptr, nullptr, ".webmanifest", "application/manifest+json"},
    };

    // Mounts are a linked list that lws reads for the life of the context.
    auto* mounts = new lws_http_mount[6]();
    keepAlive_.emplace_back(reinterpret_cast<char*>(mounts));  // Freed with the server.
    // The API and the probe routes (HealthRoutes) go to the callback; then the files.
    auto callbackMount = [](lws_http_mount& m, const char* path, const lws_http_mount* next) {
        m.mountpoint = path;
        m.mountpoint_len = static_cast<unsigned char>(std::strlen(path));
        m.origin = kProtocolName;
        m.origin_protocol = LWSMPRO_CALLBACK;
        m.mount_next = next;
    };
    callbackMount(mounts[0], "/api", &mounts[1]);
    callbackMount(mounts[1], "/healthz", &mounts[4]);
    callbackMount(mounts[4], "/readyz", &mounts[5]);
    callbackMount(mounts[5], "/metrics", &mounts[2]);
    mounts[2].mountpoint = "/vendor/chart.js";
    mounts[2].mountpoint_len = 16;
    mounts[2].origin = keep(chartJs);
    mounts[2].origin_protocol = LWSMPRO_FILE;
    mounts[2].cache_max_age = 0;
    mounts[2].extra_mimetypes = kMimeTypes;
    mounts[2].mount_next = &mounts[3];
    mounts[3].mountpoint = "/";
    mounts[3].mountpoint_len = 1;
    mounts[3].origin = keep(root);
    mounts[3].def = "index.html";
    mounts[3].origin_protocol = LWSMPRO_FILE;
    mounts[3].cache_max_age = 0;
    mounts[3].extra_mimetypes = kMimeTypes;

    // The security headers, which lws adds to every response it starts (files, its own
    // errors, ours): a linked list lws reads for the life of the context.
    const auto security = securityHeaders(tls());
    keepAlive_.push_back(
        std::make_unique<char[]>(sizeof(lws_protocol_vhost_options) * security.size()));
    auto* headers = reinterpret_cast<lws_protocol_vhost_options*>(keepAlive_.back().get());
    for (size_t i = 0; i < security.size(); ++i) {
        headers[i] = lws_protocol_vhost_options{};
        headers[i].next = i + 1 < security.size() ? &headers[i + 1] : nullptr;
        headers[i].name = keep(security[i].first);
        headers[i].value = keep(security[i].second);
    }

    if (options_.tlsCert.empty() != options_.tlsKey.empty())
        throw std::runtime_error("server.tls_cert and server.tls_key must be set together");

    lws_context_creation_info info;
    std::memset(&info, 0, sizeof info);
    info.port = options_.port;
    info.iface =
        options_.listen == "0.0.0.0" || options_.listen.empty() ? nullptr : keep(options_.listen);
    info.protocols = kProtocols;
    info.mounts = mounts;
    info.headers = headers;
    info.options = LWS_SERVER_OPTION_GLIB | LWS_SERVER_OPTION_DISABLE_IPV6;
    if (tls()) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = keep(options_.tlsCert);
        info.ssl_private_key_filepath = keep(options_.tlsKey);
        // HTTP/1.1 only: lws applies no receive flow control to HTTP/2 streams, and bodies
        // wait on it until the caller is judged.
        info.alpn = "http/1.1";
    }
    foreignLoop_ = loop_.loop();
    void* foreign[1] = {foreignLoop_};
    info.foreign_loops = foreign;
    info.user = this;
    info.pt_serv_buf_size = 64 * 1024;
    // Between two pieces of a body (lws starts it again with each); the whole body has
    // bodyTimeoutSeconds (closeSlowRequests).
    info.timeout_secs = 30;
    // From a connection's first byte to its complete headers.
    info.timeout_secs_ah_idle = static_cast<unsigned>(options_.headerTimeoutSeconds);
    info.vhost_name = "default";

    context_ = lws_create_context(&info);
    if (context_ == nullptr) {
        throw std::runtime_error(
            "cannot listen on " + options_.listen + ":" + std::to_string(options_.port) +
            (tls() ? " with TLS (check server.tls_cert and server.tls_key)" : ""));
    }
    lws_vhost* vhost = lws_get_vhost_by_name(context_, "default");
    boundPort_ = vhost != nullptr ? lws_get_vhost_listen_port(vhost) : options_.port;
    if (boundPort_ <= 0) {
        lws_context_destroy(context_);
        context_ = nullptr;
        throw std::runtime_error("cannot listen on " + options_.listen + ":" +
                                 std::to_string(options_.port));
    }
    slowRequestTimer_ = loop_.every(std::chrono::seconds(1), [this]() {
        closeSlowRequests();
        return true;
    });
    webServerLog()->info("serving {} on {}://{}:{}", root, tls() ? "https" : "http",
                         options_.listen, boundPort_);
}

int WebServer::onCallback(lws* wsi, int reason, void* user, void* in, size_t len) {
    auto* pss = static_cast<SessionData*>(user);
    switch (reason) {
        case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
            // `in` is the accepted socket; `wsi` is still the listening one.
            return admitConnection(static_cast<int>(reinterpret_cast<std::intptr_t>(in))) ? 0 : 1;
        case LWS_CALLBACK_WSI_CREATE:
            // Right after the filter above, for the connection it accepted.
            if (!acceptedAddress_.empty()) {
                quota_.opened(wsi, acceptedAddress_);
                acceptedAddress_.clear();
            }
            break;
        case LWS_CALLBACK_WSI_DESTROY:
            quota_.closed(wsi);
            break;
        case LWS_CALLBACK_HTTP:
            return onHttp(wsi, pss, in, len);
        case LWS_CALLBACK_HTTP_BODY:
            return onHttpBody(pss, in, len);
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            onHttpBodyComplete(pss);
            return 0;
        case LWS_CALLBACK_HTTP_WRITEABLE:
            if (pss != nullptr && pss->id != 0 && !pss->isWs) return onHttpWriteable(wsi, pss);
            break;
        case LWS_CALLBACK_CLOSED_HTTP:
            if (pss != nullptr && pss->id != 0 && !pss->isWs) {
                // A file cut short: tell its owner how much of it went out.
                if (auto it = http_requests_.find(pss->id); it != http_requests_.end()) {
                    auto& file = it->second.response.file;
                    if (file && file->served && it->second.sent > 0)
                        file->served(it->second.sent, false);
                }
                http_requests_.erase(pss->id);
                pss->id = 0;
            }
            break;
        case LWS_CALLBACK_ESTABLISHED: {
            pss->id = nextId_++;
            pss->isWs = true;
            conns_[pss->id].wsi = wsi;
            char peer[64] = {0};
            lws_get_peer_simple(wsi, peer, sizeof peer);
            ws_.OnWsOpen(pss->id, peer);
            return 0;
        }
        case LWS_CALLBACK_RECEIVE:
            return onWsReceive(wsi, pss, in, len);
        case LWS_CALLBACK_SERVER_WRITEABLE:
            return onWsWriteable(wsi, pss);
        case LWS_CALLBACK_CLOSED:
            if (pss != nullptr && pss->isWs && pss->id != 0) {
                std::uint64_t id = pss->id;
                pss->id = 0;
                conns_.erase(id);
                ws_.OnWsClose(id);
            }
            return 0;
        default:
            break;
    }
    return lws_callback_http_dummy(wsi, static_cast<lws_callback_reasons>(reason), user, in, len);
}

int WebServer::onHttp(lws* wsi, SessionData* pss, void* /*in*/, size_t /*len*/) {
    PendingHttp pending;
    pending.wsi = wsi;
    HttpRequest& req = pending.request;
    struct MethodToken {
        const char* method;
        lws_token_indexes token;
    };
    static const MethodToken methods[] = {
        {"GET", WSI_TOKEN_GET_URI},       {"POST", WSI_TOKEN_POST_URI},
        {"PUT", WSI_TOKEN_PUT_URI},       {"PATCH", WSI_TOKEN_PATCH_URI},
        {"DELETE", WSI_TOKEN_DELETE_URI}, {"OPTIONS", WSI_TOKEN_OPTIONS_URI}};
    for (const auto& m : methods) {
        if (lws_hdr_total_length(wsi, m.token) > 0) {
            req.method = m.method;
            req.path = copyToken(wsi, m.token);
            break;
        }
    }
    if (req.method.empty()) return -1;
    // lws has already percent-decoded the arguments; '+' stays '+' (time zones).
    char frag[1024];
    for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i) > 0;
         ++i) {
        std::string kv(frag);
        auto eq = kv.find('=');
        if (eq == std::string::npos) {
            req.query[kv] = "";
        } else {
            req.query[kv.substr(0, eq)] = kv.substr(eq + 1);
        }
    }
    req.authorization = copyToken(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    req.range = copyToken(wsi, WSI_TOKEN_HTTP_RANGE);
    char peer[64] = {0};
    lws_get_peer_simple(wsi, peer, sizeof peer);
    req.peer = peer;

    pss->id = nextId_++;
    pss->isWs = false;
    if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
        std::string cl = copyToken(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
        if (!cl.empty() && cl.find_first_not_of("0123456789") == std::string::npos &&
            cl.size() <= 18) {
            req.bodyLength = std::strtoull(cl.c_str(), nullptr, 10);
        }
    }
    pending.bodyDeadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(options_.bodyTimeoutSeconds);
    if (req.bodyLength > 0) {
        // Held from the handler until it has judged the caller from the headers; taken in
        // meanwhile, up to the largest body any route takes (checked just below). Pausing
        // the socket instead (lws rx flow control) was seen to stall: lws does not hand on
        // what it had already read when receiving resumes from outside its callbacks.
        pending.body = PendingHttp::Body::Held;
    }
    const std::uint64_t length = req.bodyLength;
    http_requests_.emplace(pss->id, std::move(pending));
    if (length > options_.maxBodyBytes) {
        respond(pss->id, {413,
                          kJson,
                          R"({"error":{"code":"too_large","message":"request body too large"}})",
                          {},
                          std::nullopt});
        return 0;
    }
    dispatchHttp(pss);
    return 0;
}

int WebServer::onHttpBody(SessionData* pss, void* in, size_t len) {
    if (pss == nullptr) return -1;
    if (pss->id == 0) return 0;  // Answered already: the rest of a refused body.
    auto it = http_requests_.find(pss->id);
    if (it == http_requests_.end()) return -1;
    PendingHttp& p = it->second;
    // lws restarts its own timeout with each piece: a body that trickles in is cut here.
    if (std::chrono::steady_clock::now() >= p.bodyDeadline) {
        webServerLog()->warn("request {} {}: body not in within {} s; closing", pss->id,
                             p.request.path, options_.bodyTimeoutSeconds);
        return -1;
    }
    // Answered without its body (lws drains the rest unread), or a body no handler wants
    // (a GET's).
    if (p.answered || p.body == PendingHttp::Body::None) return 0;
    auto& body = p.request.body;
    const size_t limit = p.body == PendingHttp::Body::Reading ? p.bodyLimit : options_.maxBodyBytes;
    if (body.size() + len > limit) return -1;
    body.append(static_cast<const char*>(in), len);
    return 0;
}

void WebServer::onHttpBodyComplete(SessionData* pss) {
    if (pss == nullptr) return;
    auto it = http_requests_.find(pss->id);
    if (it == http_requests_.end()) return;
    PendingHttp& p = it->second;
    p.bodyIn = true;
    if (p.body == PendingHttp::Body::Reading && !p.answered) deliverBody(p);
}

void WebServer::deliverBody(PendingHttp& p) {
    p.body = PendingHttp::Body::Complete;
    // The handler gets the request; the path stays for this side's log lines.
    HttpRequest request = std::move(p.request);
    p.request.path = request.path;
    auto onBody = std::move(p.onBody);
    onBody(std::move(request));
}

void WebServer::readBody(std::uint64_t requestId, size_t maxBytes,
                         std::function<void(HttpRequest)> onBody) {
    loop_.assertInLoop();
    auto it = http_requests_.find(requestId);
    if (it == http_requests_.end() || it->second.answered) return;
    PendingHttp& p = it->second;
    if (p.body != PendingHttp::Body::Held) return;
    if (p.request.bodyLength > maxBytes) {
        respond(requestId,
                {413,
                 kJson,
                 R"({"error":{"code":"too_large","message":"the body is over )" +
                     std::to_string(maxBytes) + R"( bytes, the most this resource takes"}})",
                 {},
                 std::nullopt});
        return;
    }
    p.body = PendingHttp::Body::Reading;
    p.bodyLimit = maxBytes;
    p.onBody = std::move(onBody);
    if (p.bodyIn) {
        deliverBody(p);  // The whole body came with the headers.
    }
}

bool WebServer::admitConnection(int fd) {
    sockaddr_storage addr{};
    socklen_t size = sizeof addr;
    char text[INET6_ADDRSTRLEN] = {0};
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &size) != 0) return false;
    if (addr.ss_family == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, text, sizeof text);
    } else if (addr.ss_family == AF_INET6) {
        ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr, text,
                    sizeof text);
    }
    if (!quota_.allows(text)) {
        webServerLog()->warn("{} holds {} connections already: refused another", text,
                             quota_.openFrom(text));
        return false;
    }
    acceptedAddress_ = text;
    return true;
}

void WebServer::closeSlowRequests() {
    const auto now = std::chrono::steady_clock::now();
    for (auto& [id, p] : http_requests_) {
        const bool waiting =
            p.body == PendingHttp::Body::Held || p.body == PendingHttp::Body::Reading;
        if (!waiting || p.bodyIn || p.answered || now < p.bodyDeadline) continue;
        webServerLog()->warn("request {} {}: body not in within {} s; closing", id, p.request.path,
                             options_.bodyTimeoutSeconds);
        p.answered = true;  // Nothing more goes to the handler.
        lws_set_timeout(p.wsi, PENDING_TIMEOUT_HTTP_CONTENT, LWS_TO_KILL_ASYNC);
    }
}

void WebServer::dispatchHttp(SessionData* pss) {
    if (pss == nullptr) return;
    auto it = http_requests_.find(pss->id);
    if (it == http_requests_.end() || it->second.answered || it->second.dispatched) return;
    it->second.dispatched = true;
    http_.OnHttpRequest(pss->id, it->second.request);
}

void WebServer::respond(std::uint64_t requestId, HttpResponse response) {
    loop_.assertInLoop();
    auto it = http_requests_.find(requestId);
    if (it == http_requests_.end()) return;  // The client went away meanwhile.
    PendingHttp& p = it->second;
    p.answered = true;
    p.response = std::move(response);
    if (p.body == PendingHttp::Body::Held) {
        // Answered without taking its body: what of it is still to come would be read as the
        // next request, so the connection ends with this answer.
        p.closeAfter = true;
        p.response.headers.emplace_back("connection:", "close");
    }
    if (it->second.response.file && !openFileBody(it->second)) {
        it->second.response = {
            404,
            "application/json; charset=utf-8",
            R"({"error":{"code":"file_missing","message":"the file is missing"}})",
            {},
            std::nullopt};
    }
    if (it->second.response.file && it->second.response.file->served) {
        const int fd = lws_get_socket_fd(it->second.wsi);
        if (fd >= 0 &&
            ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kFileSendBuffer, sizeof kFileSendBuffer) != 0)
            webServerLog()->warn("request {}: SO_SNDBUF: {}", it->second.request.path,
                                 std::strerror(errno));
    }
    lws_callback_on_writable(it->second.wsi);
}

bool WebServer::openFileBody(PendingHttp& pending) {
    const HttpResponse::File& f = *pending.response.file;
    FileDescriptor fd(::open(f.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        webServerLog()->warn("request {}: cannot open {}: {}", pending.request.path, f.path,
                             std::strerror(errno));
        return false;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
        static_cast<std::uint64_t>(st.st_size) < f.offset + f.length) {
        webServerLog()->warn("request {}: {} is not a regular file of at least {} bytes",
                             pending.request.path, f.path, f.offset + f.length);
        return false;
    }
    pending.file = std::move(fd);
    return true;
}

int WebServer::onHttpWriteable(lws* wsi, SessionData* pss) {
    auto it = http_requests_.find(pss->id);
    if (it == http_requests_.end() || !it->second.answered) return 0;
    PendingHttp& p = it->second;
    const HttpResponse& r = p.response;
    if (!p.headersSent) {
        std::vector<unsigned char> buf(LWS_PRE + 4096);
        unsigned char* start = buf.data() + LWS_PRE;
        unsigned char* cursor = start;
        unsigned char* end = buf.data() + buf.size() - 1;
        if (lws_add_http_header_status(wsi, static_cast<unsigned>(r.status), &cursor, end) ||
            lws_add_http_header_by_token(
                wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                reinterpret_cast<const unsigned char*>(r.contentType.c_str()),
                static_cast<int>(r.contentType.size()), &cursor, end) ||
            lws_add_http_header_content_length(wsi, r.file ? r.file->length : r.body.size(),
                                               &cursor, end)) {
            return -1;
        }
        std::vector<std::pair<std::string, std::string>> headers = r.headers;
        headers.emplace_back("cache-control:", "no-store");
        for (const auto& [name, value] : headers) {
            std::string n = name.back() == ':' ? name : name + ":";
            if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(n.c_str()),
                                            reinterpret_cast<const unsigned char*>(value.c_str()),
                                            static_cast<int>(value.size()), &cursor, end)) {
                return -1;
            }
        }
        if (lws_finalize_write_http_header(wsi, start, &cursor, end)) return -1;
        p.headersSent = true;
        if (r.file ? r.file->length == 0 : r.body.empty()) {
            const bool close = p.closeAfter;
            http_requests_.erase(it);
            pss->id = 0;
            return close || lws_http_transaction_completed(wsi) ? -1 : 0;
        }
        lws_callback_on_writable(wsi);
        return 0;
    }
    size_t n = 0;
    bool last = false;
    std::vector<unsigned char>& buf = p.buffer;
    if (r.file) {
        n = static_cast<size_t>(std::min<std::uint64_t>(kFileChunk, r.file->length - p.sent));
        buf.resize(LWS_PRE + n);
        size_t got = 0;
        while (got < n) {
            ssize_t k = ::pread(p.file.get(), buf.data() + LWS_PRE + got, n - got,
                                static_cast<off_t>(r.file->offset + p.sent + got));
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) {
                // Headers are out: all that is left is to cut the connection short.
                webServerLog()->error("request {}: reading {} failed at byte {}", p.request.path,
                                      r.file->path, r.file->offset + p.sent + got);
                return -1;
            }
            got += static_cast<size_t>(k);
        }
        last = p.sent + n == r.file->length;
    } else {
        n = std::min<size_t>(kBodyChunk, r.body.size() - p.sent);
        buf.resize(LWS_PRE + n);
        std::memcpy(buf.data() + LWS_PRE, r.body.data() + p.sent, n);
        last = p.sent + n == r.body.size();
    }
    if (lws_write(wsi, buf.data() + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) <
        static_cast<int>(n)) {
        return -1;
    }
    p.sent += n;
    if (!last) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    if (r.file && r.file->served) r.file->served(p.sent, true);
    const bool close = p.closeAfter;
    http_requests_.erase(it);
    pss->id = 0;
    return close || lws_http_transaction_completed(wsi) ? -1 : 0;
}

int WebServer::onWsReceive(lws* wsi, SessionData* pss, void* in, size_t len) {
    if (pss == nullptr) return -1;
    auto it = conns_.find(pss->id);
    if (it == conns_.end()) return -1;
    Conn& c = it->second;
    if (c.closing) return 0;
    if (!c.tooLarge) {
        if (c.partial.size() + len > options_.maxMessageBytes) {
            c.tooLarge = true;
            c.partial.append(static_cast<const char*>(in),
                             std::min(len, options_.maxMessageBytes - c.partial.size()));
        } else {
            c.partial.append(static_cast<const char*>(in), len);
        }
    }
    if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
        std::string text = std::move(c.partial);
        bool tooLarge = c.tooLarge;
        c.partial.clear();
        c.tooLarge = false;
        ws_.OnWsMessage(pss->id, std::move(text), tooLarge);
    }
    return 0;
}

bool WebServer::send(std::uint64_t connId, std::string text) {
    loop_.assertInLoop();
    auto it = conns_.find(connId);
    if (it == conns_.end() || it->second.closing) return false;
    if (it->second.outbox.size() >= options_.maxQueuedMessages) {
        webServerLog()->warn("conn {}: send queue full; closing", connId);
        close(connId, 1008, "not reading");
        return false;
    }
    it->second.outbox.push_back(std::move(text));
    lws_callback_on_writable(it->second.wsi);
    return true;
}

void WebServer::close(std::uint64_t connId, int code, const std::string& reason) {
    loop_.assertInLoop();
    auto it = conns_.find(connId);
    if (it == conns_.end() || it->second.closing) return;
    it->second.closing = true;
    it->second.closeCode = code;
    it->second.closeReason = reason.substr(0, 100);
    lws_callback_on_writable(it->second.wsi);
}

int WebServer::onWsWriteable(lws* wsi, SessionData* pss) {
    if (pss == nullptr) return -1;
    auto it = conns_.find(pss->id);
    if (it == conns_.end()) return -1;
    Conn& c = it->second;
    if (!c.outbox.empty()) {
        std::string& text = c.outbox.front();
        std::vector<unsigned char> buf(LWS_PRE + text.size());
        std::memcpy(buf.data() + LWS_PRE, text.data(), text.size());
        int n = lws_write(wsi, buf.data() + LWS_PRE, text.size(), LWS_WRITE_TEXT);
        if (n < static_cast<int>(text.size())) return -1;
        c.outbox.pop_front();
        if (!c.outbox.empty() || c.closing) lws_callback_on_writable(wsi);
        return 0;
    }
    if (c.closing) {
        lws_close_reason(wsi, static_cast<lws_close_status>(c.closeCode),
                         reinterpret_cast<unsigned char*>(c.closeReason.data()),
                         c.closeReason.size());
        return -1;
    }
    return 0;
}

}  // namespace vigil::signaling
