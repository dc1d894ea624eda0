// The HTTP transport's limits, on a real `vigil serve` over raw sockets: a body is read only
// after the caller passed every check its headers allow, and only up to what its route takes;
// JSON bodies have the WebSocket's nesting limit; headers and bodies that trickle in are cut
// off; one address holds a bounded number of connections; every response carries the security
// headers.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include "Fixtures.hpp"

using namespace vigil::testing;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kHeaderTimeoutSeconds = 2;
constexpr int kBodyTimeoutSeconds = 2;
constexpr int kConnectionsPerAddress = 6;

// A connected TCP socket to 127.0.0.1:port, closed with its holder.
class RawConnection {
public:
    explicit RawConnection(int port) {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            throw std::runtime_error("connect failed");
    }
    ~RawConnection() {
        if (fd_ >= 0) close(fd_);
    }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    // False once the server has closed the connection.
    bool send(const std::string& bytes) {
        size_t sent = 0;
        while (sent < bytes.size()) {
            ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) return false;
            sent += static_cast<size_t>(n);
        }
        return true;
    }

    // What the server sends until it closes the connection, a complete answer with a
    // Content-Length has come, or `timeout` passes.
    std::string read(std::chrono::milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        for (;;) {
            if (answerComplete()) return received_;
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) return received_;
            pollfd p{fd_, POLLIN, 0};
            if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            char buf[16384];
            ssize_t n = recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) {
                closed_ = true;
                return received_;
            }
            received_.append(buf, static_cast<size_t>(n));
        }
    }

    // Whether the server closes the connection within `timeout` (reading what it sends).
    bool closedWithin(std::chrono::milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        while (!closed_ && Clock::now() < deadline) {
            pollfd p{fd_, POLLIN, 0};
            if (poll(&p, 1, 50) <= 0) continue;
            char buf[4096];
            ssize_t n = recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) closed_ = true;
        }
        return closed_;
    }

private:
    bool answerComplete() const {
        auto end = received_.find("\r\n\r\n");
        if (end == std::string::npos) return false;
        auto cl = received_.find("content-length: ");
        if (cl == std::string::npos || cl > end) return false;
        return received_.size() >= end + 4 + std::stoul(received_.substr(cl + 16));
    }

    int fd_{-1};
    std::string received_;
    bool closed_{false};
};

int statusOf(const std::string& raw) {
    return raw.rfind("HTTP/1.", 0) == 0 ? std::atoi(raw.c_str() + 9) : 0;
}

std::string errorCodeOf(const std::string& raw) {
    auto end = raw.find("\r\n\r\n");
    if (end == std::string::npos) return "";
    auto j = json::parse(raw.substr(end + 4), nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
}

std::string postHeaders(const std::string& path, size_t length, const std::string& token) {
    std::string h = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!token.empty()) h += "Authorization: Bearer " + token + "\r\n";
    return h + "Content-Type: application/json\r\nContent-Length: " + std::to_string(length) +
           "\r\n\r\n";
}

// {"a":{"a":...{"a":1}...}}, `depth` objects deep.
std::string nested(int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += R"({"a":)";
    s += "1";
    s.append(static_cast<size_t>(depth), '}');
    return s;
}

class WebServerTest : public DemoOrgTest {
protected:
    std::map<std::string, std::string> serverEnv() const override {
        return {
            {"VIGIL_SERVER_HEADER_TIMEOUT_SECONDS", std::to_string(kHeaderTimeoutSeconds)},
            {"VIGIL_SERVER_BODY_TIMEOUT_SECONDS", std::to_string(kBodyTimeoutSeconds)},
            {"VIGIL_SERVER_MAX_CONNECTIONS_PER_ADDRESS", std::to_string(kConnectionsPerAddress)}};
    }
};

}  // namespace

TEST_F(WebServerTest, CallerIsJudgedBeforeTheBodyIsRead) {
    const std::string subject = login(port(), "subject01", kDemoPassword);
    const std::string path = "/api/subjects/" + demo::kSubject01 + "/references";
    // An 8 MB photo announced; only its first kilobyte sent. The answer must not wait for the
    // rest: without a token, and with a token whose role may not upload.
    for (const auto& [token, status, code] : {std::tuple{std::string(), 401, "unauthenticated"},
                                              std::tuple{subject, 403, "forbidden"}}) {
        RawConnection c(port());
        ASSERT_TRUE(c.send(postHeaders(path, 8'000'000, token) + std::string(1024, 'x')));
        std::string answer = c.read(std::chrono::seconds(5));
        EXPECT_EQ(statusOf(answer), status) << answer.substr(0, 300);
        EXPECT_EQ(errorCodeOf(answer), code);
    }
}

TEST_F(WebServerTest, BodiesAreCappedPerRoute) {
    const std::string officer = login(port(), "officer.wang", kDemoPassword);
    // Scheduling a class takes a small JSON body: 200 kB is refused from its Content-Length,
    // unread.
    {
        RawConnection c(port());
        ASSERT_TRUE(c.send(postHeaders("/api/classes", 200'000, officer)));
        std::string answer = c.read(std::chrono::seconds(5));
        EXPECT_EQ(statusOf(answer), 413) << answer.substr(0, 300);
        EXPECT_EQ(errorCodeOf(answer), "too_large");
    }
    // A request larger than any route takes is refused before it reaches the API.
    {
        RawConnection c(port());
        ASSERT_TRUE(c.send(postHeaders("/api/classes", 100'000'000, officer)));
        EXPECT_EQ(statusOf(c.read(std::chrono::seconds(5))), 413);
    }
    // The photo route takes a megabyte (and judges it: not an image).
    HttpResult photo =
        httpRequest(port(), "POST", "/api/subjects/" + demo::kSubject01 + "/references",
                    std::string(1 << 20, 'x'), officer, {{"Content-Type", "image/jpeg"}});
    EXPECT_NE(photo.status, 413) << photo.body;
    EXPECT_GE(photo.status, 400) << photo.body;
    // A refused body never spoils a request after it: the connection serves the next one
    // (the body was all in), or it ends with the answer (its rest is not read as a request).
    {
        RawConnection c(port());
        ASSERT_TRUE(
            c.send(postHeaders("/api/classes", 70'000, officer) + std::string(70'000, ' ')));
        std::string first = c.read(std::chrono::seconds(5));
        EXPECT_EQ(statusOf(first), 413);
        if (first.find("connection: close") == std::string::npos) {
            ASSERT_TRUE(c.send("GET /api/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
            std::string both = c.read(std::chrono::seconds(5));
            EXPECT_EQ(statusOf(both.substr(first.size())), 200) << both.substr(first.size(), 300);
        }
        EXPECT_EQ(getJson(port(), "/api/clock", officer).status, 200);
    }
}

TEST_F(WebServerTest, JsonBodiesHaveTheWebSocketsNestingLimit) {
    const std::string officer = login(port(), "officer.wang", kDemoPassword);
    JsonResult schedule = [&] {
        HttpResult r = httpRequest(port(), "POST", "/api/classes", nested(40), officer);
        JsonResult out;
        out.status = r.status;
        out.body = json::parse(r.body, nullptr, false);
        return out;
    }();
    EXPECT_EQ(schedule.status, 400);
    EXPECT_EQ(schedule.body["error"]["code"], "bad_json") << schedule.body.dump();

    HttpResult login = httpRequest(port(), "POST", "/api/login", nested(40));
    EXPECT_EQ(login.status, 400);
    EXPECT_EQ(json::parse(login.body, nullptr, false)["error"]["code"], "bad_json") << login.body;
}

TEST_F(WebServerTest, HeadersThatTrickleInAreCutOff) {
    RawConnection c(port());
    ASSERT_TRUE(c.send("GET /api/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
    const auto start = Clock::now();
    // One more header line every 300 ms, never the blank line that ends them.
    bool open = true;
    while (open && Clock::now() - start < std::chrono::seconds(kHeaderTimeoutSeconds + 4)) {
        open = c.send("X-Slow: 1\r\n") && !c.closedWithin(std::chrono::milliseconds(300));
    }
    EXPECT_FALSE(open) << "still open after " << kHeaderTimeoutSeconds + 4 << " s";
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(kHeaderTimeoutSeconds + 3));
}

TEST_F(WebServerTest, BodiesThatTrickleInAreCutOff) {
    RawConnection c(port());
    ASSERT_TRUE(c.send(postHeaders("/api/login", 1000, "") + "{"));
    const auto start = Clock::now();
    bool open = true;
    while (open && Clock::now() - start < std::chrono::seconds(kBodyTimeoutSeconds + 4)) {
        open = c.send(" ") && !c.closedWithin(std::chrono::milliseconds(300));
    }
    EXPECT_FALSE(open) << "still open after " << kBodyTimeoutSeconds + 4 << " s";
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(kBodyTimeoutSeconds + 3));
}

TEST_F(WebServerTest, OneAddressHoldsABoundedNumberOfConnections) {
    std::vector<std::unique_ptr<RawConnection>> held;
    for (int i = 0; i < kConnectionsPerAddress; ++i)
        held.push_back(std::make_unique<RawConnection>(port()));
    // Each of them is served (and stays open: keep-alive).
    for (auto& c : held) {
        ASSERT_TRUE(c->send("GET /api/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
        EXPECT_EQ(statusOf(c->read(std::chrono::seconds(5))), 200);
    }
    RawConnection refused(port());
    EXPECT_TRUE(refused.closedWithin(std::chrono::seconds(3)));

    // Once one closes, the address may open another.
    held.pop_back();
    bool served = false;
    for (auto deadline = Clock::now() + std::chrono::seconds(5);
         !served && Clock::now() < deadline;) {
        RawConnection again(port());
        served = again.send("GET /api/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") &&
                 statusOf(again.read(std::chrono::seconds(2))) == 200;
    }
    EXPECT_TRUE(served);
}

TEST_F(WebServerTest, EveryResponseCarriesTheSecurityHeaders) {
    for (const char* path : {"/", "/js/main.js", "/api/clock", "/api/me", "/no-such-file",
                             "/vendor/chart.js/chart.umd.js"}) {
        HttpResult r = httpRequest(port(), "GET", path);
        SCOPED_TRACE(path);
        const std::string csp = r.headers["content-security-policy"];
        EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
        EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
        EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
        EXPECT_EQ(r.headers["x-content-type-options"], "nosniff");
        EXPECT_EQ(r.headers["referrer-policy"], "no-referrer");
        EXPECT_EQ(r.headers["x-frame-options"], "DENY");
        // Plain HTTP: no HSTS (a browser would ignore it, and it must not stick to a LAN
        // address tried without TLS).
        EXPECT_EQ(r.headers.count("strict-transport-security"), 0u);
    }
}

namespace {

// Runs a shell command; its standard output.
std::string shell(const std::string& command) {
    std::string out;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
    pclose(pipe);
    return out;
}

// `vigil serve` with a certificate and key: VigilServer waits on plain HTTP, so this one is
// started here and waited on over HTTPS.
class TlsServer {
public:
    TlsServer(const RedisServer& redis, const std::string& dir) : port_(freePort()) {
        const std::string log = dir + "/vigil.log";
        pid_ = fork();
        if (pid_ == 0) {
            int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            dup2(fd, 1);
            dup2(fd, 2);
            setenv("VIGIL_REDIS_URL", redis.url().c_str(), 1);
            setenv("VIGIL_SERVER_LISTEN", "127.0.0.1", 1);
            setenv("VIGIL_SERVER_PORT", std::to_string(port_).c_str(), 1);
            setenv("VIGIL_SERVER_WEB_ROOT", (std::string(VIGIL_SOURCE_DIR) + "/web").c_str(), 1);
            setenv("VIGIL_MEDIA_ICE_ADDRESSES", "127.0.0.1", 1);
            setenv("VIGIL_VISION_MODELS_DIR",
                   (std::string(VIGIL_SOURCE_DIR) + "/var/models").c_str(), 1);
            setenv("VIGIL_VISION_REFERENCE_KEY_FILE", "test-reference.key", 1);
            setenv("VIGIL_SERVER_TLS_CERT", (dir + "/cert.pem").c_str(), 1);
            setenv("VIGIL_SERVER_TLS_KEY", (dir + "/key.pem").c_str(), 1);
            const std::string config = std::string(VIGIL_SOURCE_DIR) + "/config/vigil.toml";
            execl(VIGIL_BINARY, VIGIL_BINARY, "serve", "--config", config.c_str(),
                  static_cast<char*>(nullptr));
            _exit(127);
        }
    }
    ~TlsServer() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
        }
    }
    TlsServer(const TlsServer&) = delete;
    TlsServer& operator=(const TlsServer&) = delete;

    int port() const { return port_; }
    // The response headers of GET `path` over HTTPS (the self-signed certificate accepted).
    std::string headersOf(const std::string& path) const {
        return shell("curl -sk --max-time 5 -D - -o /dev/null https://127.0.0.1:" +
                     std::to_string(port_) + path);
    }

private:
    int port_;
    pid_t pid_{-1};
};

}  // namespace

TEST(WebServerTlsTest, ServesHttpsWithHstsWhenACertificateIsConfigured) {
    RedisServer redis;
    const std::string dir = makeTempDir("vigil-tls");
    shell(
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -addext "
        "subjectAltName=IP:127.0.0.1 -keyout " +
        dir + "/key.pem -out " + dir + "/cert.pem 2>/dev/null");
    TlsServer server(redis, dir);
    std::string headers;
    for (auto deadline = Clock::now() + std::chrono::seconds(20);
         headers.rfind("HTTP/1.1 200", 0) != 0 && Clock::now() < deadline;) {
        headers = server.headersOf("/");
        if (headers.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(headers.rfind("HTTP/1.1 200", 0), 0u) << headers;
    for (auto& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_NE(headers.find("strict-transport-security: max-age="), std::string::npos) << headers;
    EXPECT_NE(headers.find("content-security-policy: "), std::string::npos) << headers;
    // The REST API over the same listener.
    EXPECT_EQ(server.headersOf("/api/clock").rfind("HTTP/1.1 200", 0), 0u);
    // Plain HTTP on the TLS port gets no page.
    HttpResult plain;
    try {
        plain = httpRequest(server.port(), "GET", "/api/clock");
    } catch (const std::exception&) {
    }
    EXPECT_NE(plain.status, 200);
}
