// The webhook notifier against a real HTTP receiver on 127.0.0.1 (a socket server thread in
// this file) and a real redis-server for its delivery log.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "RedisFixture.hpp"
#include "vigil/signaling/Keys.hpp"
#include "vigil/signaling/Notifier.hpp"

namespace vigil::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using signaling::Notifier;
namespace keys = signaling::keys;

// A minimal HTTP/1.1 server: one request per connection, answered with the status its
// responder returns (the responder may block to play a slow gateway).
class WebhookReceiver {
public:
    struct Request {
        Clock::time_point at;
        std::map<std::string, std::string> headers;  // lower-case names
        std::string body;
    };
    using Responder = std::function<int(size_t index)>;

    explicit WebhookReceiver(Responder responder) : responder_(std::move(responder)) {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            listen(fd_, 16) != 0) {
            throw std::runtime_error("receiver: bind/listen failed");
        }
        socklen_t len = sizeof addr;
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this]() { serve(); });
    }

    ~WebhookReceiver() {
        stop_ = true;
        thread_.join();
        close(fd_);
    }

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
    bool stopping() const { return stop_; }
    size_t count() const {
        std::lock_guard lock(mutex_);
        return requests_.size();
    }
    std::vector<Request> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }

private:
    void serve() {
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (poll(&p, 1, 20) <= 0) continue;
            int conn = accept(fd_, nullptr, nullptr);
            if (conn < 0) continue;
            handle(conn);
            close(conn);
        }
    }

    void handle(int conn) {
        std::string data;
        size_t headerEnd = std::string::npos;
        size_t contentLength = 0;
        char buf[4096];
        while (!stop_) {
            pollfd p{conn, POLLIN, 0};
            if (poll(&p, 1, 20) <= 0) continue;
            ssize_t n = read(conn, buf, sizeof buf);
            if (n <= 0) return;
            data.append(buf, static_cast<size_t>(n));
            if (headerEnd == std::string::npos) {
                headerEnd = data.find("\r\n\r\n");
                if (headerEnd == std::string::npos) continue;
            }
            Request request{Clock::now(), parseHeaders(data.substr(0, headerEnd)), ""};
            auto it = request.headers.find("content-length");
            if (it != request.headers.end()) contentLength = std::stoul(it->second);
            if (data.size() < headerEnd + 4 + contentLength) continue;
            request.body = data.substr(headerEnd + 4, contentLength);
            size_t index = 0;
            {
                std::lock_guard lock(mutex_);
                index = requests_.size();
                requests_.push_back(request);
            }
            int status = responder_(index);
            std::string reply = "HTTP/1.1 " + std::to_string(status) +
                                " X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
            (void)!write(conn, reply.data(), reply.size());
            return;
        }
    }

    static std::map<std::string, std::string> parseHeaders(const std::string& head) {
        std::map<std::string, std::string> headers;
        size_t pos = head.find("\r\n");
        while (pos != std::string::npos && pos < head.size()) {
            size_t next = head.find("\r\n", pos + 2);
            std::string line = head.substr(
                pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
            size_t colon = line.find(':');
            if (colon != std::string::npos) {
                std::string name = line.substr(0, colon);
                for (auto& c : name) c = static_cast<char>(std::tolower(c));
                size_t start = line.find_first_not_of(' ', colon + 1);
                headers[name] = start == std::string::npos ? "" : line.substr(start);
            }
            pos = next;
        }
        return headers;
    }

    Responder responder_;
    int fd_{-1};
    int port_{0};
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::vector<Request> requests_;
    std::thread thread_;
};

class NotifierTest : public RedisFixture {
protected:
    // Runs the loop until `done` holds (checked every `every`) or `limit` passes.
    bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = 15s,
                  std::chrono::milliseconds every = 10ms) {
        auto check = loop.every(every, [&]() {
            if (done()) loop.quit();
            return true;
        });
        auto deadline = loop.after(limit, [&]() { loop.quit(); });
        if (!done()) loop.run();
        return done();
    }

    std::vector<StreamEntry> logEntries() const { return server.xrange(keys::kNotifyLog); }

    // The delivery log once it holds `n` entries (the notifier writes it without waiting).
    std::vector<StreamEntry> waitLog(size_t n) {
        runUntil([&]() { return logEntries().size() >= n; }, 10s, 50ms);
        return logEntries();
    }

    Notifier::Options options(const std::string& url) {
        Notifier::Options o;
        o.webhookUrl = url;
        o.attempts = 5;
        o.backoff = 100ms;
        o.timeout = 5s;
        return o;
    }

    static nlohmann::json orderEvent(const std::string& subject) {
        return {{"event", "checkin_ordered"},
                {"subject", subject},
                {"name", "张伟"},
                {"order", "o7"},
                {"deadline", "2026-12-05T16:30:00+08:00"}};
    }
};

TEST_F(NotifierTest, PostsTheEventAsJson) {
    WebhookReceiver receiver([](size_t) { return 200; });
    Notifier notifier(loop, *redis, options(receiver.url()));
    notifier.notify(orderEvent("u4"));
    ASSERT_TRUE(runUntil([&]() { return notifier.inFlight() == 0; }));

    auto requests = receiver.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(nlohmann::json::parse(requests[0].body), orderEvent("u4"));
    EXPECT_EQ(requests[0].headers["content-type"], "application/json");
    EXPECT_FALSE(requests[0].headers["x-vigil-delivery"].empty());
    EXPECT_EQ(requests[0].headers["x-vigil-attempt"], "1");

    auto log = waitLog(1);
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0]["event"], "checkin_ordered");
    EXPECT_EQ(log[0]["subject"], "u4");
    EXPECT_EQ(log[0]["attempt"], "1");
    EXPECT_EQ(log[0]["outcome"], "delivered");
    EXPECT_EQ(log[0]["status"], "200");
    EXPECT_EQ(log[0]["delivery"], requests[0].headers["x-vigil-delivery"]);
    EXPECT_FALSE(log[0]["ts"].empty());
}

TEST_F(NotifierTest, RetriesAfterServerErrorsWithGrowingDelays) {
    WebhookReceiver receiver([](size_t index) { return index < 2 ? 500 : 200; });
    Notifier notifier(loop, *redis, options(receiver.url()));
    notifier.notify(orderEvent("u5"));
    ASSERT_TRUE(runUntil([&]() { return notifier.inFlight() == 0; }));

    auto requests = receiver.requests();
    ASSERT_EQ(requests.size(), 3u);
    for (size_t i = 0; i < requests.size(); ++i) {
        EXPECT_EQ(nlohmann::json::parse(requests[i].body), orderEvent("u5"));
        EXPECT_EQ(requests[i].headers["x-vigil-attempt"], std::to_string(i + 1));
        EXPECT_EQ(requests[i].headers["x-vigil-delivery"], requests[0].headers["x-vigil-delivery"]);
    }
    auto first = requests[1].at - requests[0].at;
    auto second = requests[2].at - requests[1].at;
    EXPECT_GE(first, 100ms);
    EXPECT_GE(second, 200ms);
    EXPECT_GT(second, first);

    auto log = waitLog(3);
    ASSERT_EQ(log.size(), 3u);
    EXPECT_EQ(log[0]["attempt"], "1");
    EXPECT_EQ(log[0]["outcome"], "retry");
    EXPECT_EQ(log[0]["status"], "500");
    EXPECT_NE(log[0]["error"].find("500"), std::string::npos);
    EXPECT_EQ(log[1]["attempt"], "2");
    EXPECT_EQ(log[1]["outcome"], "retry");
    EXPECT_EQ(log[2]["attempt"], "3");
    EXPECT_EQ(log[2]["outcome"], "delivered");
    EXPECT_EQ(log[2]["status"], "200");
}

TEST_F(NotifierTest, GivesUpOnAnUnreachableUrlAfterTheConfiguredAttempts) {
    auto o = options("http://127.0.0.1:" + std::to_string(freePort()) + "/hook");
    o.attempts = 3;
    o.backoff = 20ms;
    Notifier notifier(loop, *redis, o);
    notifier.notify(orderEvent("u6"));
    ASSERT_TRUE(runUntil([&]() { return notifier.inFlight() == 0; }));

    auto log = waitLog(3);
    ASSERT_EQ(log.size(), 3u);
    EXPECT_EQ(log[0]["outcome"], "retry");
    EXPECT_EQ(log[1]["outcome"], "retry");
    EXPECT_EQ(log[2]["outcome"], "gave_up");
    EXPECT_EQ(log[2]["attempt"], "3");
    EXPECT_EQ(log[2]["status"], "0");
    EXPECT_FALSE(log[2]["error"].empty());
}

TEST_F(NotifierTest, TheLoopKeepsRunningWhileTheReceiverIsSlow) {
    std::atomic<int> ticks{0};
    std::atomic<int> ticksWhenAnswered{-1};
    // The receiver holds its answer until the loop's timer has fired 20 more times: with the
    // HTTP call on the loop thread, the timer could not fire and the answer would come late.
    WebhookReceiver receiver([&](size_t) {
        int start = ticks;
        auto deadline = Clock::now() + 3s;
        while (ticks < start + 20 && Clock::now() < deadline && !receiver.stopping()) {
            std::this_thread::sleep_for(2ms);
        }
        ticksWhenAnswered = ticks - start;
        return 200;
    });
    auto timer = loop.every(10ms, [&]() {
        ++ticks;
        return true;
    });
    Notifier notifier(loop, *redis, options(receiver.url()));
    notifier.notify(orderEvent("u7"));
    ASSERT_TRUE(runUntil([&]() { return notifier.inFlight() == 0; }));
    EXPECT_GE(ticksWhenAnswered.load(), 20);
    EXPECT_EQ(receiver.count(), 1u);
}

TEST_F(NotifierTest, AFullQueueRefusesTheNewEventAndRecordsTheDrop) {
    std::atomic<bool> release{false};
    WebhookReceiver receiver([&](size_t) {
        auto deadline = Clock::now() + 10s;
        while (!release && Clock::now() < deadline && !receiver.stopping()) {
            std::this_thread::sleep_for(2ms);
        }
        return 200;
    });
    auto o = options(receiver.url());
    o.maxInFlight = 1;
    Notifier notifier(loop, *redis, o);
    notifier.notify(orderEvent("u4"));
    notifier.notify(orderEvent("u5"));
    EXPECT_EQ(notifier.inFlight(), 1u);

    auto log = waitLog(1);
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0]["outcome"], "notify_dropped");
    EXPECT_EQ(log[0]["subject"], "u5");
    EXPECT_EQ(log[0]["event"], "checkin_ordered");

    release = true;
    ASSERT_TRUE(runUntil([&]() { return notifier.inFlight() == 0; }));
    log = waitLog(2);
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[1]["subject"], "u4");
    EXPECT_EQ(log[1]["outcome"], "delivered");
    auto requests = receiver.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(nlohmann::json::parse(requests[0].body)["subject"], "u4");
}

}  // namespace
}  // namespace vigil::testing
