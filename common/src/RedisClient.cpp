#include "vigil/common/RedisClient.hpp"

#include <hiredis/adapters/glib.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "vigil/common/Log.hpp"
#include "vigil/common/Metrics.hpp"

namespace vigil::common {

namespace {
VIGIL_LOG_CATEGORY(redisClientLog, "redis")

// Round trips of awaited commands (GET /metrics): latency of those answered, and failures by
// kind. A stalled or lost Redis shows as "lost" (timed out and dropped) and "unavailable"
// (refused at once while disconnected).
void countCommand(std::chrono::steady_clock::time_point issuedAt, const std::string& failure,
                  bool errorReply) {
    auto& metrics = Metrics::global();
    static Counter& total =
        metrics.counter("vigil_redis_commands_total", "Awaited Redis commands completed.");
    static Histogram& seconds = metrics.histogram(
        "vigil_redis_command_seconds", "Round trip of awaited Redis commands that were answered.");
    static Counter& unavailable = metrics.counter(
        "vigil_redis_errors_total", "Redis command failures by kind.", {{"kind", "unavailable"}});
    static Counter& lost = metrics.counter("vigil_redis_errors_total",
                                           "Redis command failures by kind.", {{"kind", "lost"}});
    static Counter& replied = metrics.counter(
        "vigil_redis_errors_total", "Redis command failures by kind.", {{"kind", "error_reply"}});
    total.inc();
    if (failure == "redis unavailable") {
        unavailable.inc();
        return;
    }
    if (!failure.empty()) {
        lost.inc();
        return;
    }
    if (errorReply) replied.inc();
    seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - issuedAt).count());
}

std::vector<const char*> argvOf(const std::vector<std::string>& args, std::vector<size_t>& lens) {
    std::vector<const char*> argv;
    argv.reserve(args.size());
    lens.clear();
    for (const auto& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    return argv;
}

// "%40" -> "@": a password may hold any character once percent-encoded in the URL.
std::string percentDecoded(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
                !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
                throw std::invalid_argument("bad percent-encoding in the user or password");
            }
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}
}  // namespace

RedisEndpoint RedisEndpoint::parseUrl(const std::string& url) {
    const std::string scheme = "redis://";
    if (url.rfind(scheme, 0) != 0) throw std::invalid_argument("must start with redis://");
    RedisEndpoint e;
    std::string rest = url.substr(scheme.size());
    if (auto at = rest.rfind('@'); at != std::string::npos) {
        std::string auth = rest.substr(0, at);
        rest = rest.substr(at + 1);
        if (auto colon = auth.find(':'); colon != std::string::npos) {
            e.username = percentDecoded(auth.substr(0, colon));
            e.password = percentDecoded(auth.substr(colon + 1));
        } else {
            e.password = percentDecoded(auth);  // redis://secret@host: a password alone.
        }
    }
    if (auto slash = rest.find('/'); slash != std::string::npos) {
        std::string db = rest.substr(slash + 1);
        rest = rest.substr(0, slash);
        if (!db.empty()) {
            if (db.find_first_not_of("0123456789") != std::string::npos || db.size() > 4) {
                throw std::invalid_argument("database must be a number");
            }
            e.db = std::stoi(db);
        }
    }
    if (auto colon = rest.rfind(':'); colon != std::string::npos) {
        std::string port = rest.substr(colon + 1);
        rest = rest.substr(0, colon);
        if (port.empty() || port.size() > 5 ||
            port.find_first_not_of("0123456789") != std::string::npos) {
            throw std::invalid_argument("port must be a number");
        }
        e.port = std::stoi(port);
        if (e.port < 1 || e.port > 65535) throw std::invalid_argument("port out of range");
    }
    if (rest.empty()) throw std::invalid_argument("missing host");
    e.host = rest;
    return e;
}

RedisEndpoint RedisEndpoint::fromConfig(const std::string& url, const std::string& username,
                                        const std::string& password) {
    RedisEndpoint e = parseUrl(url);
    if (!username.empty()) e.username = username;
    if (!password.empty()) e.password = password;
    return e;
}

RedisClient::RedisClient(EventLoop& loop, Options options)
    : loop_(loop), options_(std::move(options)) {}

RedisClient::~RedisClient() {
    stopping_ = true;
    connectTimer_.cancel();
    reconnectTimer_.cancel();
    deadlineTimer_.cancel();
    if (ac_ != nullptr) {
        redisAsyncContext* ac = ac_;
        ac_ = nullptr;
        connected_ = false;
        ac->data = nullptr;
        // Outside a hiredis callback the context is freed right here, cleanup hook included,
        // so the source can go at once: deferring it to a loop that may never run again (a
        // CLI command returning) leaks it.
        const bool inCallback = (ac->c.flags & REDIS_IN_CALLBACK) != 0;
        redisAsyncFree(ac);  // Calls pending callbacks with a null reply.
        if (!inCallback && source_ != nullptr) {
            g_source_destroy(source_);
            g_source_unref(source_);
            source_ = nullptr;
        }
    }
    releaseSource();
}

void RedisClient::start() {
    loop_.assertInLoop();
    stopping_ = false;
    if (ac_ == nullptr) connect();
    if (!deadlineTimer_.active()) {
        deadlineTimer_ = loop_.every(std::chrono::milliseconds(100), [this]() {
            checkDeadlines();
            return true;
        });
    }
}

void RedisClient::connect() {
    const auto& ep = options_.endpoint;
    redisAsyncContext* ac = redisAsyncConnect(ep.host.c_str(), ep.port);
    if (ac == nullptr || ac->err != 0) {
        redisClientLog()->warn("{}: cannot connect to {}:{}: {}", options_.name, ep.host, ep.port,
                               ac != nullptr ? ac->errstr : "out of memory");
        if (ac != nullptr) redisAsyncFree(ac);
        scheduleReconnect();
        return;
    }
    ac_ = ac;
    ac_->data = this;
    source_ = redis_source_new(ac_);
    // The adapter reads at most 16 KiB per dispatch; with thousands of sockets on the loop
    // an iteration is slow, so drain what is already waiting before yielding.
    g_source_set_callback(source_, &RedisClient::drainCallback, this, nullptr);
    g_source_attach(source_, loop_.context());
    redisAsyncSetConnectCallback(ac_, &RedisClient::connectCallback);
    redisAsyncSetDisconnectCallback(ac_, &RedisClient::disconnectCallback);
    connectTimer_ = loop_.after(options_.connectTimeout, [this]() {
        if (ac_ != nullptr && !connected_) dropConnection("connect timed out");
    });
}

void RedisClient::scheduleReconnect() {
    if (stopping_) return;
    reconnectTimer_ = loop_.after(backoff_, [this]() {
        if (ac_ == nullptr && !stopping_) connect();
    });
    backoff_ = std::min(backoff_ * 2, std::chrono::milliseconds(5000));
}

// The GLib source must outlive hiredis' cleanup hook, which runs while the context is
// freed; and after the context is gone its dispatch must not call into it again.
void RedisClient::releaseSource() {
    if (source_ == nullptr) return;
    auto* rs = reinterpret_cast<RedisSource*>(source_);
    rs->poll_fd.events = 0;
    rs->poll_fd.revents = 0;
    GSource* s = source_;
    source_ = nullptr;
    loop_.defer([s]() {
        g_source_destroy(s);
        g_source_unref(s);
    });
}

void RedisClient::dropConnection(const std::string& why) {
    if (ac_ == nullptr) return;
    redisClientLog()->warn("{}: dropping connection: {}", options_.name, why);
    redisAsyncContext* ac = ac_;
    ac_ = nullptr;
    connected_ = false;
    ac->data = nullptr;
    const bool inCallback = (ac->c.flags & REDIS_IN_CALLBACK) != 0;
    redisAsyncFree(ac);  // Pending callbacks get a null reply: their awaiters fail.
    if (!inCallback && source_ != nullptr) {
        // Freed right here, cleanup hook included: the source can go at once.
        g_source_destroy(source_);
        g_source_unref(source_);
        source_ = nullptr;
    }
    releaseSource();
    connectTimer_.cancel();
    lastFailure_ = why;
    scheduleReconnect();
}

void RedisClient::connectCallback(const redisAsyncContext* ac, int status) {
    if (auto* self = static_cast<RedisClient*>(ac->data)) self->onConnected(status);
}

void RedisClient::disconnectCallback(const redisAsyncContext* ac, int status) {
    if (auto* self = static_cast<RedisClient*>(ac->data)) self->onDisconnected(status);
}

void RedisClient::onConnected(int status) {
    if (status != REDIS_OK) {
        connectTimer_.cancel();
        lastFailure_ = ac_ != nullptr ? ac_->errstr : "connect failed";
        redisClientLog()->warn("{}: connect to {}:{} failed: {}", options_.name,
                               options_.endpoint.host, options_.endpoint.port, lastFailure_);
        // hiredis frees the context after this callback returns.
        ac_ = nullptr;
        connected_ = false;
        releaseSource();
        scheduleReconnect();
        return;
    }
    lastReplyAt_ = std::chrono::steady_clock::now();
    beginHandshake();
}

void RedisClient::beginHandshake() {
    const auto& ep = options_.endpoint;
    handshake_.clear();
    if (!ep.password.empty()) {
        if (ep.username.empty()) {
            handshake_.push_back({"AUTH", ep.password});
        } else {
            handshake_.push_back({"AUTH", ep.username, ep.password});
        }
    } else {
        // A server that wants a password answers NOAUTH here, at connect time, rather than
        // to every command later.
        handshake_.push_back({"PING"});
    }
    if (ep.db != 0) handshake_.push_back({"SELECT", std::to_string(ep.db)});
    std::vector<size_t> lens;
    auto argv = argvOf(handshake_.front(), lens);
    redisAsyncCommandArgv(ac_, &RedisClient::handshakeCallback, nullptr,
                          static_cast<int>(argv.size()), argv.data(), lens.data());
}

void RedisClient::handshakeCallback(redisAsyncContext* ac, void* reply, void* /*privdata*/) {
    if (auto* self = static_cast<RedisClient*>(ac->data)) self->onHandshakeReply(reply);
}

void RedisClient::onHandshakeReply(void* raw) {
    auto* reply = static_cast<redisReply*>(raw);
    if (reply == nullptr || handshake_.empty()) return;  // The connection is going away.
    if (reply->type == REDIS_REPLY_ERROR) {
        // The reply names the failure (WRONGPASS, NOAUTH, ...), never the password.
        std::string why =
            handshake_.front()[0] + " refused: " + std::string(reply->str, reply->len);
        redisClientLog()->error("{}: {}:{}: {}", options_.name, options_.endpoint.host,
                                options_.endpoint.port, why);
        handshake_.clear();
        dropConnection(why);
        return;
    }
    lastReplyAt_ = std::chrono::steady_clock::now();
    handshake_.erase(handshake_.begin());
    if (handshake_.empty()) {
        onReady();
        return;
    }
    std::vector<size_t> lens;
    auto argv = argvOf(handshake_.front(), lens);
    redisAsyncCommandArgv(ac_, &RedisClient::handshakeCallback, nullptr,
                          static_cast<int>(argv.size()), argv.data(), lens.data());
}

void RedisClient::onReady() {
    connectTimer_.cancel();
    connected_ = true;
    lastFailure_.clear();
    backoff_ = std::chrono::milliseconds(200);
    redisClientLog()->info(
        "{}: connected to {}:{}{}", options_.name, options_.endpoint.host, options_.endpoint.port,
        options_.endpoint.password.empty()
            ? ""
            : (options_.endpoint.username.empty() ? " (password)"
                                                  : " (user " + options_.endpoint.username + ")"));
    if (!channels_.empty()) {
        std::vector<std::string> args{"SUBSCRIBE"};
        args.insert(args.end(), channels_.begin(), channels_.end());
        std::vector<size_t> lens;
        auto argv = argvOf(args, lens);
        redisAsyncCommandArgv(ac_, &RedisClient::messageCallback, nullptr,
                              static_cast<int>(argv.size()), argv.data(), lens.data());
    }
}

void RedisClient::onDisconnected(int status) {
    redisClientLog()->warn("{}: disconnected ({})", options_.name,
                           status == REDIS_OK ? "clean" : "error");
    ac_ = nullptr;
    connected_ = false;
    releaseSource();
    scheduleReconnect();
}

void RedisClient::subscribe(std::vector<std::string> channels, MessageHandler handler) {
    channels_ = std::move(channels);
    messageHandler_ = std::move(handler);
}

void RedisClient::messageCallback(redisAsyncContext* ac, void* reply, void* /*privdata*/) {
    if (auto* self = static_cast<RedisClient*>(ac->data)) self->onMessage(reply);
}

void RedisClient::onMessage(void* raw) {
    auto* reply = static_cast<redisReply*>(raw);
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) return;
    std::string kind(reply->element[0]->str != nullptr ? reply->element[0]->str : "");
    if (kind != "message" || reply->element[2]->type != REDIS_REPLY_STRING) return;
    std::string channel(reply->element[1]->str, reply->element[1]->len);
    std::string message(reply->element[2]->str, reply->element[2]->len);
    try {
        if (messageHandler_) messageHandler_(channel, message);
    } catch (const std::exception& e) {
        redisClientLog()->error("{}: message handler threw: {}", options_.name, e.what());
    }
}

bool RedisClient::issue(const std::vector<std::string>& args, CommandAwaiter* awaiter) {
    if (ac_ == nullptr || !connected_) return false;
    std::vector<size_t> lens;
    auto argv = argvOf(args, lens);
    pending_.push_back({awaiter, std::chrono::steady_clock::now() + options_.commandTimeout});
    int rc = redisAsyncCommandArgv(ac_, &RedisClient::replyCallback, awaiter,
                                   static_cast<int>(argv.size()), argv.data(), lens.data());
    if (rc != REDIS_OK) {
        pending_.pop_back();
        return false;
    }
    return true;
}

void RedisClient::send(std::vector<std::string> args) {
    if (!issue(args, nullptr)) {
        redisClientLog()->warn("{}: {} not sent: not connected", options_.name,
                               args.empty() ? "" : args[0]);
    }
}

void RedisClient::replyCallback(redisAsyncContext* ac, void* reply, void* privdata) {
    auto* self = static_cast<RedisClient*>(ac->data);
    auto* awaiter = static_cast<CommandAwaiter*>(privdata);
    if (self != nullptr) {
        self->onReply(reply, awaiter);
        return;
    }
    // The client is dropping this connection: fail the awaiter directly.
    if (awaiter != nullptr) {
        RedisClient& owner = awaiter->client_;
        owner.pending_.erase(std::remove_if(owner.pending_.begin(), owner.pending_.end(),
                                            [&](const Pending& p) { return p.awaiter == awaiter; }),
                             owner.pending_.end());
        awaiter->failure_ = "redis connection lost";
        awaiter->handle_.resume();
    }
}

void RedisClient::onReply(void* raw, CommandAwaiter* awaiter) {
    if (!pending_.empty()) pending_.pop_front();
    if (raw != nullptr) lastReplyAt_ = std::chrono::steady_clock::now();
    if (awaiter == nullptr) {
        auto* reply = static_cast<redisReply*>(raw);
        if (reply != nullptr && reply->type == REDIS_REPLY_ERROR) {
            redisClientLog()->warn("{}: error reply: {}", options_.name,
                                   std::string(reply->str, reply->len));
        }
        return;
    }
    if (raw == nullptr) {
        awaiter->failure_ = "redis connection lost";
    } else {
        awaiter->result_ = RedisValue::fromReply(static_cast<redisReply*>(raw));
    }
    awaiter->handle_.resume();
}

gboolean RedisClient::drainCallback(gpointer data) {
    auto* self = static_cast<RedisClient*>(data);
    for (int i = 0; i < 64 && self->ac_ != nullptr && self->connected_; ++i) {
        int waiting = 0;
        if (ioctl(self->ac_->c.fd, FIONREAD, &waiting) != 0 || waiting <= 0) break;
        redisAsyncHandleRead(self->ac_);  // May disconnect: ac_ is then cleared.
    }
    return G_SOURCE_CONTINUE;
}

void RedisClient::checkDeadlines() {
    // The fire-and-forget entries' awaiter is null; pending_ also drops them when the
    // connection is freed.
    if (ac_ == nullptr) {
        pending_.clear();
        return;
    }
    // A dead server sends nothing: time out when the oldest command is overdue and no reply
    // at all has come for a command timeout. A backlog that is still moving is not dead.
    auto now = std::chrono::steady_clock::now();
    if (!pending_.empty() && pending_.front().deadline < now &&
        now - lastReplyAt_ > options_.commandTimeout) {
        dropConnection("command timed out");
    }
}

bool RedisClient::CommandAwaiter::await_suspend(std::coroutine_handle<> h) {
    handle_ = h;
    issuedAt_ = std::chrono::steady_clock::now();
    if (!client_.issue(args_, this)) {
        failure_ = "redis unavailable";
        return false;  // Resume at once; await_resume throws.
    }
    return true;
}

RedisValue RedisClient::CommandAwaiter::await_resume() {
    countCommand(issuedAt_, failure_, result_.kind == RedisValue::Kind::Error);
    if (!failure_.empty()) throw RedisError(failure_);
    if (result_.kind == RedisValue::Kind::Error) throw RedisError("redis: " + result_.str);
    return std::move(result_);
}

Task<void> RedisClient::waitConnected(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!connected_) {
        if (std::chrono::steady_clock::now() >= deadline) {
            throw RedisError("cannot reach redis at " + options_.endpoint.host + ":" +
                             std::to_string(options_.endpoint.port) +
                             (lastFailure_.empty() ? "" : ": " + lastFailure_));
        }
        co_await loop_.sleep(std::chrono::milliseconds(20));
    }
}

}  // namespace vigil::common
