#pragma once
// Async Redis connection on the event loop (hiredis + its GLib adapter), awaited from
// coroutines. The adapter has no timers, so connect and command timeouts are enforced
// here: a command that outlives its deadline drops the connection, fails every pending
// command with RedisError and reconnects with backoff. While disconnected, commands fail
// at once; nothing blocks the loop.

#include <chrono>
#include <coroutine>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "vigil/common/EventLoop.hpp"
#include "vigil/common/RedisValue.hpp"

struct redisAsyncContext;

namespace vigil::common {

struct RedisEndpoint {
    std::string host{"127.0.0.1"};
    int port{6379};
    int db{0};
    // An ACL user (AUTH username password) or, with no username, the `requirepass` password.
    std::string username;
    std::string password;

    // redis://[[username]:password@]host[:port][/db], user and password percent-encoded;
    // throws std::invalid_argument.
    static RedisEndpoint parseUrl(const std::string& url);
    // The URL with the configured credentials (`[redis] username`/`password`), where set,
    // taking the place of the URL's: a password kept out of the URL stays out of logs.
    static RedisEndpoint fromConfig(const std::string& url, const std::string& username,
                                    const std::string& password);
};

class RedisClient {
public:
    struct Options {
        RedisEndpoint endpoint;
        std::chrono::milliseconds connectTimeout{2000};
        std::chrono::milliseconds commandTimeout{5000};
        std::string name{"redis"};
    };
    using MessageHandler =
        std::function<void(const std::string& channel, const std::string& message)>;

    RedisClient(EventLoop& loop, Options options);
    ~RedisClient();
    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;

    // Starts connecting (and keeps reconnecting after a loss).
    void start();
    bool connected() const { return connected_; }
    EventLoop& loop() const { return loop_; }
    // Completes when connected (and authenticated); throws RedisError after `timeout`,
    // naming the last failure (a refused password, say).
    Task<void> waitConnected(std::chrono::milliseconds timeout);

    // Turns this connection into a subscriber for `channels` (re-subscribed after every
    // reconnect). A subscribed connection can send no other command.
    void subscribe(std::vector<std::string> channels, MessageHandler handler);

    class CommandAwaiter {
    public:
        CommandAwaiter(RedisClient& client, std::vector<std::string> args)
            : client_(client), args_(std::move(args)) {}
        bool await_ready() const noexcept { return false; }
        bool await_suspend(std::coroutine_handle<> h);
        RedisValue await_resume();

    private:
        friend class RedisClient;
        RedisClient& client_;
        std::vector<std::string> args_;
        std::coroutine_handle<> handle_;
        RedisValue result_;
        std::string failure_;
        std::chrono::steady_clock::time_point issuedAt_;  // For the latency metric.
    };

    // co_await client.command({"GET", key}) -> RedisValue; an error reply, a timeout or a
    // lost connection throws RedisError.
    CommandAwaiter command(std::vector<std::string> args) { return {*this, std::move(args)}; }
    // co_await client.cmd("GET", key): the same, for a fixed argument list. (GCC 12 cannot
    // compile a braced list inside a co_await expression, so call sites use this form.)
    template <typename... Args>
    CommandAwaiter cmd(Args&&... args) {
        std::vector<std::string> v;
        v.reserve(sizeof...(args));
        (v.emplace_back(std::forward<Args>(args)), ...);
        return {*this, std::move(v)};
    }

    // Fire-and-forget; failures are logged.
    void send(std::vector<std::string> args);

private:
    struct Pending {
        CommandAwaiter* awaiter;  // Passed by argument; null for fire-and-forget commands.
        std::chrono::steady_clock::time_point deadline;
    };

    void connect();
    void scheduleReconnect();
    void dropConnection(const std::string& why);
    void releaseSource();
    bool issue(const std::vector<std::string>& args, CommandAwaiter* awaiter);
    void checkDeadlines();
    void onConnected(int status);
    // AUTH and SELECT, each answered before the next step: a refused password is reported
    // at connect time, and no command or subscription goes out before it is accepted.
    void beginHandshake();
    void onHandshakeReply(void* reply);
    void onReady();
    void onDisconnected(int status);
    void onReply(void* reply, CommandAwaiter* awaiter);
    void onMessage(void* reply);

    static void connectCallback(const redisAsyncContext* ac, int status);
    static void disconnectCallback(const redisAsyncContext* ac, int status);
    static void replyCallback(redisAsyncContext* ac, void* reply, void* privdata);
    static void messageCallback(redisAsyncContext* ac, void* reply, void* privdata);
    static void handshakeCallback(redisAsyncContext* ac, void* reply, void* privdata);
    static gboolean drainCallback(gpointer data);

    EventLoop& loop_;  // Passed by argument.
    Options options_;
    redisAsyncContext* ac_{nullptr};  // Not owned: hiredis frees it after disconnect.
    GSource* source_{nullptr};        // Owned.
    bool connected_{false};
    bool stopping_{false};
    std::deque<Pending> pending_;
    std::vector<std::string> channels_;
    MessageHandler messageHandler_;
    Timer connectTimer_;
    Timer reconnectTimer_;
    Timer deadlineTimer_;
    std::chrono::milliseconds backoff_{200};
    std::chrono::steady_clock::time_point lastReplyAt_{};
    std::vector<std::vector<std::string>> handshake_;  // Steps not yet answered.
    std::string lastFailure_;                          // Why the last connect failed.
};

}  // namespace vigil::common
