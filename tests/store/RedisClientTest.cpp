#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "RedisFixture.hpp"
#include "TestProcesses.hpp"
#include "vigil/common/AsyncMutex.hpp"
#include "vigil/common/WorkerPool.hpp"

namespace vigil::testing {
namespace {

using common::EventLoop;
using common::RedisClient;
using common::RedisError;
using common::RedisValue;
using common::Task;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A redis-server on a port chosen once and kept across restarts, so that a client can lose it
// and find it again at the same address. DEBUG is enabled for the timeout test.
class RestartableRedis {
public:
    RestartableRedis() : port_(freePort()), dir_(makeTempDir("vigil-redis-fixed")) { start(); }
    ~RestartableRedis() { stop(); }
    RestartableRedis(const RestartableRedis&) = delete;
    RestartableRedis& operator=(const RestartableRedis&) = delete;

    int port() const { return port_; }

    void start() {
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            int fd = open((dir_ + "/redis.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
                close(fd);
            }
            std::string port = std::to_string(port_);
            execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
                   "--dir", dir_.c_str(), "--save", "", "--appendonly", "no",
                   "--enable-debug-command", "local", static_cast<char*>(nullptr));
            _exit(127);
        }
        for (int i = 0; i < 200; ++i) {
            if (cli("PING") == "PONG") return;
            std::this_thread::sleep_for(milliseconds(25));
        }
        throw std::runtime_error("redis-server did not start on port " + std::to_string(port_));
    }

    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

    std::string cli(const std::string& command) const {
        std::string cmd = "redis-cli -p " + std::to_string(port_) + " " + command + " 2>&1";
        std::string out;
        if (FILE* p = popen(cmd.c_str(), "r")) {
            char buf[512];
            size_t n;
            while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
            pclose(p);
        }
        while (!out.empty() && out.back() == '\n') out.pop_back();
        return out;
    }

private:
    int port_;
    std::string dir_;
    pid_t pid_{-1};
};

RedisClient::Options optionsFor(int port, milliseconds commandTimeout = milliseconds(5000)) {
    RedisClient::Options o;
    o.endpoint.host = "127.0.0.1";
    o.endpoint.port = port;
    o.connectTimeout = milliseconds(500);
    o.commandTimeout = commandTimeout;
    o.name = "test";
    return o;
}

// Outcome of one awaited command, kept for checks after the loop returns.
struct Outcome {
    bool failed{false};
    std::string error;
    RedisValue value;
    double seconds{0};
};

Task<void> runCommand(RedisClient* client, std::vector<std::string> args, Outcome* out,
                      int* remaining) {
    auto started = Clock::now();
    try {
        out->value = co_await client->command(std::move(args));
    } catch (const RedisError& e) {
        out->failed = true;
        out->error = e.what();
    }
    out->seconds = std::chrono::duration<double>(Clock::now() - started).count();
    --*remaining;
}

Task<void> waitUntilZero(EventLoop* loop, const int* remaining, milliseconds limit) {
    auto deadline = Clock::now() + limit;
    while (*remaining > 0 && Clock::now() < deadline) co_await loop->sleep(milliseconds(10));
}

class RedisClientTest : public RedisFixture {};

TEST_F(RedisClientTest, ParsesUrls) {
    auto e = common::RedisEndpoint::parseUrl("redis://:secret@redis.local:6390/3");
    EXPECT_EQ(e.host, "redis.local");
    EXPECT_EQ(e.port, 6390);
    EXPECT_EQ(e.db, 3);
    EXPECT_EQ(e.password, "secret");
    auto d = common::RedisEndpoint::parseUrl("redis://10.0.0.1");
    EXPECT_EQ(d.port, 6379);
    EXPECT_EQ(d.db, 0);
    EXPECT_THROW(common::RedisEndpoint::parseUrl("http://x"), std::invalid_argument);
    EXPECT_THROW(common::RedisEndpoint::parseUrl("redis://x:99999"), std::invalid_argument);
    EXPECT_THROW(common::RedisEndpoint::parseUrl("redis://x:6379/db"), std::invalid_argument);
    EXPECT_THROW(common::RedisEndpoint::parseUrl("redis://:6379"), std::invalid_argument);
}

TEST_F(RedisClientTest, ParsesCredentialsInUrls) {
    auto acl = common::RedisEndpoint::parseUrl("redis://vigil:p%40ss%3Aword@10.0.0.2:6380/1");
    EXPECT_EQ(acl.username, "vigil");
    EXPECT_EQ(acl.password, "p@ss:word");
    EXPECT_EQ(acl.host, "10.0.0.2");
    auto bare = common::RedisEndpoint::parseUrl("redis://secret@10.0.0.2");
    EXPECT_EQ(bare.username, "");
    EXPECT_EQ(bare.password, "secret");
    EXPECT_THROW(common::RedisEndpoint::parseUrl("redis://:bad%4@x"), std::invalid_argument);
    // Configured credentials take the place of the URL's; empty ones leave the URL's alone.
    auto configured = common::RedisEndpoint::fromConfig("redis://:old@x:1/2", "ops", "new");
    EXPECT_EQ(configured.username, "ops");
    EXPECT_EQ(configured.password, "new");
    EXPECT_EQ(configured.port, 1);
    EXPECT_EQ(configured.db, 2);
    EXPECT_EQ(common::RedisEndpoint::fromConfig("redis://:old@x", "", "").password, "old");
}

// Connects with `endpoint`; returns "" once connected or the error waitConnected threw.
std::string connectOutcome(EventLoop& loop, const common::RedisEndpoint& endpoint) {
    RedisClient::Options options;
    options.endpoint = endpoint;
    options.connectTimeout = milliseconds(500);
    RedisClient client(loop, options);
    client.start();
    std::string error;
    loop.runUntilDone([&]() -> Task<void> {
        try {
            co_await client.waitConnected(milliseconds(1500));
            co_await client.cmd("PING");
        } catch (const RedisError& e) {
            error = e.what();
        }
    }());
    return error.empty() && !client.connected() ? "not connected" : error;
}

TEST_F(RedisClientTest, RefusedPasswordIsReportedAtConnectNotLater) {
    auto endpoint = common::RedisEndpoint::parseUrl(server.url());
    endpoint.password = "wrong";
    std::string error = connectOutcome(loop, endpoint);
    EXPECT_NE(error.find("WRONGPASS"), std::string::npos) << error;
    endpoint.password.clear();
    error = connectOutcome(loop, endpoint);
    EXPECT_NE(error.find("NOAUTH"), std::string::npos) << error;
}

TEST_F(RedisClientTest, AuthenticatesAsAnAclUser) {
    // A user that may only touch vigil:* keys, as an operator would set up. Before usernames
    // were sent, its password went to the default user and was refused.
    ASSERT_EQ(
        server.cli({"ACL", "SETUSER", "vigil", "on", ">user-secret", "~vigil:*", "&*", "+@all"}),
        "OK");
    auto endpoint = common::RedisEndpoint::fromConfig(
        "redis://127.0.0.1:" + std::to_string(server.port()) + "/0", "vigil", "user-secret");
    RedisClient::Options options;
    options.endpoint = endpoint;
    RedisClient client(loop, options);
    client.start();
    RedisValue own;
    std::string refused;
    loop.runUntilDone([&]() -> Task<void> {
        co_await client.waitConnected(std::chrono::seconds(5));
        co_await client.cmd("SET", "vigil:acl", "yes");
        own = co_await client.cmd("ACL", "WHOAMI");
        try {
            co_await client.cmd("SET", "other:acl", "no");
        } catch (const RedisError& e) {
            refused = e.what();
        }
    }());
    EXPECT_EQ(own.asString(), "vigil");
    EXPECT_NE(refused.find("NOPERM"), std::string::npos) << refused;
}

TEST_F(RedisClientTest, CommandRoundTrip) {
    RedisValue set, get, missing, incr, hset, hgetall, lrange, binary;
    const std::string bytes("a\0b\r\nc", 6);
    loop.runUntilDone([&]() -> Task<void> {
        set = co_await redis->cmd("SET", "k", "value");
        get = co_await redis->cmd("GET", "k");
        missing = co_await redis->cmd("GET", "no-such-key");
        incr = co_await redis->cmd("INCRBY", "n", "41");
        incr = co_await redis->cmd("INCR", "n");
        std::vector<std::string> hargs{"HSET", "h", "name", "张三", "unit", "town1"};
        hset = co_await redis->command(std::move(hargs));
        hgetall = co_await redis->cmd("HGETALL", "h");
        co_await redis->cmd("RPUSH", "l", "x", "y", "z");
        lrange = co_await redis->cmd("LRANGE", "l", "0", "-1");
        co_await redis->cmd("SET", "bin", bytes);
        binary = co_await redis->cmd("GET", "bin");
    }());
    EXPECT_EQ(set.kind, RedisValue::Kind::Status);
    EXPECT_EQ(set.asString(), "OK");
    EXPECT_EQ(get.kind, RedisValue::Kind::String);
    EXPECT_EQ(get.asString(), "value");
    EXPECT_TRUE(missing.isNil());
    EXPECT_THROW(missing.asString(), RedisError);
    EXPECT_EQ(incr.kind, RedisValue::Kind::Integer);
    EXPECT_EQ(incr.asInteger(), 42);
    EXPECT_EQ(hset.asInteger(), 2);
    EXPECT_EQ(hgetall.asMap(),
              (std::map<std::string, std::string>{{"name", "张三"}, {"unit", "town1"}}));
    ASSERT_TRUE(lrange.isArray());
    EXPECT_EQ(lrange.asStrings(), (std::vector<std::string>{"x", "y", "z"}));
    EXPECT_THROW(get.asStrings(), RedisError);
    EXPECT_EQ(binary.asString(), bytes);
}

TEST_F(RedisClientTest, ErrorReplyThrowsAndConnectionStaysUsable) {
    std::string wrongType, unknown;
    RedisValue after;
    loop.runUntilDone([&]() -> Task<void> {
        co_await redis->cmd("SET", "s", "not a number");
        try {
            co_await redis->cmd("INCR", "s");
        } catch (const RedisError& e) {
            wrongType = e.what();
        }
        try {
            co_await redis->cmd("NO-SUCH-COMMAND", "x");
        } catch (const RedisError& e) {
            unknown = e.what();
        }
        after = co_await redis->cmd("GET", "s");
    }());
    EXPECT_NE(wrongType.find("not an integer"), std::string::npos) << wrongType;
    EXPECT_NE(unknown.find("unknown command"), std::string::npos) << unknown;
    EXPECT_EQ(after.asString(), "not a number");
    EXPECT_TRUE(redis->connected());
}

TEST_F(RedisClientTest, CommandsFailFastWhileRedisIsDown) {
    server.stop();
    int failures = 0;
    bool firstFailed = false;
    double firstSeconds = 0, burstSeconds = 0;
    auto started = Clock::now();
    loop.runUntilDone([&]() -> Task<void> {
        // The first command may still be written before the loss is noticed: it fails with
        // the connection.
        auto t0 = Clock::now();
        try {
            co_await redis->cmd("GET", "k");
        } catch (const RedisError&) {
            firstFailed = true;
        }
        firstSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
        co_await loop.sleep(milliseconds(300));
        auto t1 = Clock::now();
        for (int i = 0; i < 50; ++i) {
            try {
                co_await redis->cmd("SET", "k", std::to_string(i));
            } catch (const RedisError&) {
                ++failures;
            }
        }
        burstSeconds = std::chrono::duration<double>(Clock::now() - t1).count();
    }());
    EXPECT_TRUE(firstFailed);
    EXPECT_LT(firstSeconds, 1.0);
    EXPECT_EQ(failures, 50);
    EXPECT_LT(burstSeconds, 0.2);
    EXPECT_FALSE(redis->connected());
    EXPECT_LT(secondsSince(started), 3.0);
}

TEST_F(RedisClientTest, FireAndForgetWhileDownDoesNotThrow) {
    server.stop();
    loop.runUntilDone([&]() -> Task<void> { co_await loop.sleep(milliseconds(200)); }());
    EXPECT_NO_THROW(redis->send({"SET", "k", "v"}));
}

TEST(RedisClientStandalone, WaitConnectedThrowsWhenNothingListens) {
    EventLoop loop;
    RedisClient client(loop, optionsFor(freePort()));
    client.start();
    std::string error;
    auto started = Clock::now();
    try {
        loop.runUntilDone(client.waitConnected(milliseconds(700)));
    } catch (const RedisError& e) {
        error = e.what();
    }
    double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    EXPECT_NE(error.find("cannot reach redis"), std::string::npos) << error;
    EXPECT_GE(seconds, 0.6);
    EXPECT_LT(seconds, 2.0);
    EXPECT_FALSE(client.connected());

    // And a command on it fails at once.
    std::string commandError;
    loop.runUntilDone([&]() -> Task<void> {
        try {
            co_await client.cmd("PING");
        } catch (const RedisError& e) {
            commandError = e.what();
        }
    }());
    EXPECT_FALSE(commandError.empty());
}

TEST(RedisClientStandalone, ReconnectsWhenRedisComesBackOnTheSamePort) {
    RestartableRedis server;
    EventLoop loop;
    RedisClient client(loop, optionsFor(server.port()));
    client.start();
    loop.runUntilDone(client.waitConnected(std::chrono::seconds(5)));

    std::string before, after;
    bool failedWhileDown = false;
    loop.runUntilDone([&]() -> Task<void> { before = (co_await client.cmd("PING")).asString(); }());

    server.stop();
    loop.runUntilDone([&]() -> Task<void> {
        co_await loop.sleep(milliseconds(100));
        try {
            co_await client.cmd("PING");
        } catch (const RedisError&) {
            failedWhileDown = true;
        }
        // Let a few reconnect attempts fail.
        co_await loop.sleep(milliseconds(700));
    }());
    EXPECT_TRUE(failedWhileDown);
    EXPECT_FALSE(client.connected());

    server.start();
    auto started = Clock::now();
    loop.runUntilDone(client.waitConnected(std::chrono::seconds(8)));
    double reconnectSeconds = std::chrono::duration<double>(Clock::now() - started).count();
    loop.runUntilDone([&]() -> Task<void> {
        co_await client.cmd("SET", "back", "yes");
        after = (co_await client.cmd("GET", "back")).asString();
    }());
    EXPECT_EQ(before, "PONG");
    EXPECT_EQ(after, "yes");
    EXPECT_LT(reconnectSeconds, 6.0);
}

TEST(RedisClientStandalone, CommandTimeoutFailsPendingCommandsAndRecovers) {
    RestartableRedis server;
    EventLoop loop;
    RedisClient client(loop, optionsFor(server.port(), milliseconds(300)));
    client.start();
    loop.runUntilDone(client.waitConnected(std::chrono::seconds(5)));

    Outcome sleeping, queued;
    int remaining = 2;
    loop.runUntilDone([&]() -> Task<void> {
        std::vector<std::string> sleep{"DEBUG", "SLEEP", "1.5"};
        std::vector<std::string> get{"GET", "k"};
        common::spawn(runCommand(&client, std::move(sleep), &sleeping, &remaining), ignoreError);
        common::spawn(runCommand(&client, std::move(get), &queued, &remaining), ignoreError);
        co_await waitUntilZero(&loop, &remaining, milliseconds(5000));
    }());
    ASSERT_EQ(remaining, 0) << "a command neither completed nor failed";
    EXPECT_TRUE(sleeping.failed);
    EXPECT_TRUE(queued.failed);
    EXPECT_NE(sleeping.error.find("connection lost"), std::string::npos) << sleeping.error;
    EXPECT_GE(sleeping.seconds, 0.25);
    EXPECT_LT(sleeping.seconds, 1.2);
    EXPECT_LT(queued.seconds, 1.2);

    // Once Redis answers again, the client is back.
    loop.runUntilDone(client.waitConnected(std::chrono::seconds(8)));
    std::string pong;
    loop.runUntilDone([&]() -> Task<void> {
        for (int attempt = 0; attempt < 50 && pong.empty(); ++attempt) {
            try {
                pong = (co_await client.cmd("PING")).asString();
            } catch (const RedisError&) {
            }
            if (pong.empty()) co_await loop.sleep(milliseconds(100));
        }
    }());
    EXPECT_EQ(pong, "PONG");
}

TEST_F(RedisClientTest, ConcurrentCommandsGetTheirOwnReplies) {
    constexpr int kCount = 500;
    std::vector<Outcome> outcomes(kCount);
    int remaining = kCount;
    loop.runUntilDone([&]() -> Task<void> {
        for (int i = 0; i < kCount; ++i) {
            std::vector<std::string> args{"ECHO", "reply-" + std::to_string(i)};
            common::spawn(runCommand(redis.get(), std::move(args), &outcomes[i], &remaining),
                          ignoreError);
        }
        co_await waitUntilZero(&loop, &remaining, milliseconds(5000));
    }());
    ASSERT_EQ(remaining, 0);
    for (int i = 0; i < kCount; ++i) {
        ASSERT_FALSE(outcomes[i].failed) << outcomes[i].error;
        EXPECT_EQ(outcomes[i].value.asString(), "reply-" + std::to_string(i));
    }
}

TEST_F(RedisClientTest, SubscribeDeliversPublishedMessages) {
    std::vector<std::pair<std::string, std::string>> received;
    common::RedisClient::Options options;
    options.endpoint = common::RedisEndpoint::parseUrl(server.url());
    options.name = "subscriber";
    RedisClient subscriber(loop, options);
    subscriber.subscribe({"vigil:test:a", "vigil:test:b"},
                         [&](const std::string& channel, const std::string& message) {
                             received.emplace_back(channel, message);
                         });
    subscriber.start();
    loop.runUntilDone(subscriber.waitConnected(std::chrono::seconds(5)));

    long long subscribers = 0;
    loop.runUntilDone([&]() -> Task<void> {
        // SUBSCRIBE goes out on connect; wait until Redis has registered it.
        for (int i = 0; i < 100; ++i) {
            auto n = co_await redis->cmd("PUBSUB", "NUMSUB", "vigil:test:b");
            subscribers = n.elements.size() == 2 ? n.elements[1].asInteger() : 0;
            if (subscribers == 1) break;
            co_await loop.sleep(milliseconds(20));
        }
        co_await redis->cmd("PUBLISH", "vigil:test:a", "first");
        co_await redis->cmd("PUBLISH", "vigil:test:other", "ignored");
        co_await redis->cmd("PUBLISH", "vigil:test:b", "{\"type\":\"second\"}");
        for (int i = 0; i < 100 && received.size() < 2; ++i) co_await loop.sleep(milliseconds(10));
    }());
    EXPECT_EQ(subscribers, 1);
    ASSERT_EQ(received.size(), 2u);
    EXPECT_EQ(received[0], (std::pair<std::string, std::string>{"vigil:test:a", "first"}));
    EXPECT_EQ(received[1],
              (std::pair<std::string, std::string>{"vigil:test:b", "{\"type\":\"second\"}"}));
}

TEST(RedisClientStandalone, ResubscribesAfterReconnect) {
    RestartableRedis server;
    EventLoop loop;
    std::vector<std::string> received;
    RedisClient subscriber(loop, optionsFor(server.port()));
    subscriber.subscribe({"vigil:bus"}, [&](const std::string&, const std::string& message) {
        received.push_back(message);
    });
    RedisClient publisher(loop, optionsFor(server.port()));
    subscriber.start();
    publisher.start();
    loop.runUntilDone(subscriber.waitConnected(std::chrono::seconds(5)));
    loop.runUntilDone(publisher.waitConnected(std::chrono::seconds(5)));

    auto publishUntilReceived = [&](const std::string& message) {
        loop.runUntilDone([&]() -> Task<void> {
            for (int i = 0; i < 200; ++i) {
                try {
                    co_await publisher.cmd("PUBLISH", "vigil:bus", message);
                } catch (const RedisError&) {
                }
                co_await loop.sleep(milliseconds(25));
                if (!received.empty() && received.back() == message) break;
            }
        }());
    };
    publishUntilReceived("before");
    ASSERT_FALSE(received.empty());
    EXPECT_EQ(received.back(), "before");

    server.stop();
    loop.runUntilDone([&]() -> Task<void> { co_await loop.sleep(milliseconds(300)); }());
    server.start();
    loop.runUntilDone(subscriber.waitConnected(std::chrono::seconds(8)));
    loop.runUntilDone(publisher.waitConnected(std::chrono::seconds(8)));
    publishUntilReceived("after");
    EXPECT_EQ(received.back(), "after");
}

// AsyncMutex and WorkerPool: the coroutine plumbing the stores rely on.

Task<void> holdMutex(common::AsyncMutex* mutex, EventLoop* loop, std::vector<int>* order, int id,
                     int* remaining) {
    auto guard = co_await mutex->lock();
    order->push_back(id);
    co_await loop->sleep(milliseconds(5));
    order->push_back(-id);
    --*remaining;
}

TEST(AsyncMutexTest, WaitersRunOneAtATimeInArrivalOrder) {
    EventLoop loop;
    common::AsyncMutex mutex;
    std::vector<int> order;
    int remaining = 5;
    bool reacquired = false;
    loop.runUntilDone([&]() -> Task<void> {
        for (int id = 1; id <= 5; ++id) {
            common::spawn(holdMutex(&mutex, &loop, &order, id, &remaining), ignoreError);
        }
        co_await waitUntilZero(&loop, &remaining, milliseconds(2000));
        // Free again: an uncontended lock is taken without suspending.
        auto lock = mutex.lock();
        reacquired = lock.await_ready();
        if (reacquired) {
            common::AsyncMutex::Guard release(&mutex);
        }
    }());
    EXPECT_EQ(order, (std::vector<int>{1, -1, 2, -2, 3, -3, 4, -4, 5, -5}));
    EXPECT_TRUE(reacquired);
}

TEST(WorkerPoolTest, RunResumesOnTheLoopThreadWithTheResult) {
    EventLoop loop;
    common::WorkerPool pool(2);
    const auto loopThread = std::this_thread::get_id();
    std::thread::id workerThread, resumedOn;
    int value = 0;
    loop.runUntilDone([&]() -> Task<void> {
        auto job =
            pool.run(loop, []() { return std::make_pair(std::this_thread::get_id(), 6 * 7); });
        auto [worker, result] = co_await job;
        workerThread = worker;
        value = result;
        resumedOn = std::this_thread::get_id();
    }());
    EXPECT_EQ(value, 42);
    EXPECT_NE(workerThread, loopThread);
    EXPECT_EQ(resumedOn, loopThread);
}

TEST(WorkerPoolTest, RunPropagatesExceptions) {
    EventLoop loop;
    common::WorkerPool pool(1);
    std::string error;
    bool resumedOnLoop = false;
    loop.runUntilDone([&]() -> Task<void> {
        auto job = pool.run(loop, []() -> int { throw std::runtime_error("hashing failed"); });
        try {
            co_await job;
        } catch (const std::runtime_error& e) {
            error = e.what();
        }
        resumedOnLoop = loop.isInLoopThread();
    }());
    EXPECT_EQ(error, "hashing failed");
    EXPECT_TRUE(resumedOnLoop);
}

TEST(WorkerPoolTest, ManyJobsAllComeBack) {
    EventLoop loop;
    common::WorkerPool pool(3);
    long long sum = 0;
    loop.runUntilDone([&]() -> Task<void> {
        for (int i = 1; i <= 200; ++i) {
            auto job = pool.run(loop, [i]() { return static_cast<long long>(i) * i; });
            sum += co_await job;
        }
    }());
    EXPECT_EQ(sum, 200LL * 201 * 401 / 6);
}

}  // namespace
}  // namespace vigil::testing
