#include "Fleet.hpp"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace ws_load {

namespace {

constexpr const char* kSubprotocol = "vigil.v1";
constexpr int kAuthId = 1;
constexpr int kJoinId = 2;
// Heartbeats are due at most this late; also the pace of the ramp if it is slower.
constexpr std::chrono::milliseconds kMaxTick{100};

double millisSince(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double secondsSince(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

const char* stateName(int state) {
    static const char* const kNames[] = {"idle",   "connecting", "authenticating", "joining",
                                         "joined", "failed",     "closed"};
    return kNames[state];
}

}  // namespace

Fleet::Fleet(FleetConfig config, std::vector<ClientSpec> specs)
    : config_(std::move(config)), hostHeader_(config_.host + ":" + std::to_string(config_.port)) {
    // Sized once: lws holds pointers to these clients.
    clients_.resize(specs.size());
    for (size_t i = 0; i < specs.size(); ++i) clients_[i].spec = std::move(specs[i]);
}

Fleet::~Fleet() {
    if (context_ != nullptr) lws_context_destroy(context_);
}

void Fleet::start() {
    lws_set_log_level(LLL_ERR, nullptr);
    protocols_[0] = {kSubprotocol, &Fleet::callback, 0, 65536, 0, nullptr, 0};
    lws_context_creation_info info;
    std::memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols_;
    info.user = this;
    info.fd_limit_per_thread = static_cast<unsigned>(clients_.size() + 256);
    info.timeout_secs = 30;
    info.connect_timeout_secs = 30;
    context_ = lws_create_context(&info);
    if (context_ == nullptr) throw std::runtime_error("lws_create_context failed");
    tick_.self = this;
    lws_sul_schedule(context_, 0, &tick_.sul, &Fleet::onTick, 1);
}

bool Fleet::busy(State s) {
    return s == State::Connecting || s == State::Authenticating || s == State::Joining;
}

void Fleet::setState(Client& c, State s) {
    busy_ += (busy(s) ? 1 : 0) - (busy(c.state) ? 1 : 0);
    c.state = s;
}

int Fleet::callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
    auto* client = static_cast<Client*>(lws_get_opaque_user_data(wsi));
    lws_context* ctx = lws_get_context(wsi);
    auto* self = ctx != nullptr ? static_cast<Fleet*>(lws_context_user(ctx)) : nullptr;
    if (client == nullptr || self == nullptr) {
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
    return self->onEvent(*client, wsi, reason, in, len);
}

int Fleet::onEvent(Client& c, lws* wsi, lws_callback_reasons reason, void* in, size_t len) {
    switch (reason) {
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            c.wsi = nullptr;
            fail(c, stats_.connectErrors, in != nullptr ? static_cast<const char*>(in) : "unknown");
            return 0;
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
            c.wsi = wsi;
            c.opened = true;
            ++open_;
            ++stats_.established;
            stats_.connectMs.push_back(millisSince(c.connectAt));
            setState(c, State::Authenticating);
            queue(
                c, kAuthId,
                nlohmann::json{{"type", "auth"}, {"id", kAuthId}, {"token", c.spec.token}}.dump());
            return 0;
        case LWS_CALLBACK_CLIENT_RECEIVE:
            c.rx.append(static_cast<const char*>(in), len);
            if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
                std::string text = std::move(c.rx);
                c.rx.clear();
                onMessage(c, text);
            }
            return 0;
        case LWS_CALLBACK_CLIENT_WRITEABLE:
            return writeNext(c, wsi);
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            if (len >= 2) {
                const auto* b = static_cast<const unsigned char*>(in);
                c.closeCode = (b[0] << 8) | b[1];
            }
            return 0;
        case LWS_CALLBACK_CLIENT_CLOSED:
            onClosed(c);
            return 0;
        default:
            return 0;
    }
}

void Fleet::onTick(lws_sorted_usec_list_t* sul) {
    reinterpret_cast<Tick*>(sul)->self->tick();
}

void Fleet::tick() {
    if (ramping_) launchBatch();
    sendHeartbeats(Clock::now());
    auto interval = std::min<std::chrono::milliseconds>(config_.rampStep, kMaxTick);
    lws_sul_schedule(context_, 0, &tick_.sul, &Fleet::onTick,
                     std::chrono::duration_cast<std::chrono::microseconds>(interval).count());
}

void Fleet::launchBatch() {
    // A slower --ramp-step-ms than the tick: launch only when a step is due.
    auto now = Clock::now();
    if (now - lastStep_ < config_.rampStep) return;
    lastStep_ = now;
    for (int i = 0; i < config_.rampBatch && launched_ < clients_.size(); ++i) {
        connect(clients_[launched_++]);
    }
}

void Fleet::connect(Client& c) {
    lws_client_connect_info info;
    std::memset(&info, 0, sizeof info);
    info.context = context_;
    info.address = config_.host.c_str();
    info.port = config_.port;
    info.path = "/ws";
    info.host = hostHeader_.c_str();
    info.origin = hostHeader_.c_str();
    info.protocol = kSubprotocol;
    info.opaque_user_data = &c;
    info.pwsi = &c.wsi;
    ++stats_.attempted;
    setState(c, State::Connecting);
    c.connectAt = Clock::now();
    // lws may already have reported CONNECTION_ERROR for it (and set the state) by now.
    if (lws_client_connect_via_info(&info) == nullptr && c.state == State::Connecting) {
        c.wsi = nullptr;
        fail(c, stats_.connectErrors, "lws_client_connect_via_info failed");
    }
}

void Fleet::sendHeartbeats(Clock::time_point now) {
    for (auto& c : clients_) {
        if (c.state != State::Joined || !c.opened || c.closing || now < c.nextHeartbeat) continue;
        c.nextHeartbeat += config_.heartbeat;
        if (c.nextHeartbeat < now) c.nextHeartbeat = now + config_.heartbeat;
        int id = c.nextId++;
        queue(c, id, nlohmann::json{{"type", "heartbeat"}, {"id", id}}.dump());
    }
}

void Fleet::queue(Client& c, int id, std::string text) {
    c.outbox.push_back({id, std::move(text)});
    if (c.wsi != nullptr) lws_callback_on_writable(c.wsi);
}

int Fleet::writeNext(Client& c, lws* wsi) {
    if (c.closing) {
        static const char kBye[] = "load test done";
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL,
                         reinterpret_cast<unsigned char*>(const_cast<char*>(kBye)),
                         sizeof kBye - 1);
        return -1;
    }
    if (c.outbox.empty()) return 0;
    Outgoing out = std::move(c.outbox.front());
    c.outbox.pop_front();
    std::vector<unsigned char> buf(LWS_PRE + out.text.size());
    std::memcpy(buf.data() + LWS_PRE, out.text.data(), out.text.size());
    int n = lws_write(wsi, buf.data() + LWS_PRE, out.text.size(), LWS_WRITE_TEXT);
    if (n < static_cast<int>(out.text.size())) return -1;
    // Latency counts from the moment the request leaves, not from when it was queued.
    c.inflight.emplace_back(out.id, Clock::now());
    ++stats_.total.sent;
    if (!c.outbox.empty()) lws_callback_on_writable(wsi);
    return 0;
}

void Fleet::onMessage(Client& c, const std::string& text) {
    ++stats_.total.received;
    // No exception may cross back into lws.
    try {
        auto j = nlohmann::json::parse(text, nullptr, false);
        if (!j.is_object()) {
            ++stats_.pushes["(not a JSON object)"];
            return;
        }
        std::string type = j.value("type", "");
        if (type != "ok" && type != "error") {
            if (type == "kicked") type += " (" + j.value("reason", "?") + ")";
            ++stats_.pushes[type];
            return;
        }
        std::string code = type == "error" ? j.value("code", "?") : "";
        if (!j.contains("re") || !j["re"].is_number_integer()) {
            ++stats_.unsolicitedErrors[code];
            return;
        }
        int id = j["re"].get<int>();
        auto it = std::find_if(c.inflight.begin(), c.inflight.end(),
                               [id](const auto& p) { return p.first == id; });
        Clock::time_point sentAt = it != c.inflight.end() ? it->second : Clock::now();
        if (it != c.inflight.end()) c.inflight.erase(it);
        onReply(c, id, type == "ok", code, sentAt);
    } catch (const std::exception&) {
        ++stats_.pushes["(malformed)"];
    }
}

void Fleet::onReply(Client& c, int id, bool ok, const std::string& code, Clock::time_point sentAt) {
    double ms = millisSince(sentAt);
    if (id == kAuthId) {
        if (!ok) return fail(c, stats_.authErrors, code);
        stats_.authMs.push_back(ms);
        ++stats_.authenticated;
        setState(c, State::Joining);
        queue(c, kJoinId,
              nlohmann::json{{"type", "join"}, {"id", kJoinId}, {"class", c.spec.classId}}.dump());
    } else if (id == kJoinId) {
        if (!ok) return fail(c, stats_.joinErrors, code);
        if (c.spec.teacher) {
            ++stats_.teachersJoined;
        } else {
            stats_.joinMs.push_back(ms);
            ++stats_.joined;
        }
        setState(c, State::Joined);
        c.nextHeartbeat = Clock::now() + config_.heartbeat;
    } else if (ok) {
        stats_.heartbeatMs.push_back(ms);
    } else {
        ++stats_.heartbeatErrors[code];
    }
}

void Fleet::fail(Client& c, std::map<std::string, int>& reasons, const std::string& code) {
    ++reasons[code];
    setState(c, State::Failed);
    if (c.wsi != nullptr && c.opened) {
        c.closing = true;
        lws_callback_on_writable(c.wsi);
    }
}

void Fleet::onClosed(Client& c) {
    if (!c.opened) return;
    c.opened = false;
    c.wsi = nullptr;
    --open_;
    if (!c.closing) {
        std::string key = c.closeCode != 0 ? "close code " + std::to_string(c.closeCode)
                                           : "dropped without a close frame";
        key += std::string(" while ") + stateName(static_cast<int>(c.state));
        ++stats_.serverCloses[key];
    }
    if (c.state != State::Failed) setState(c, State::Closed);
}

bool Fleet::settled() const {
    return launched_ == clients_.size() && busy_ == 0;
}

void Fleet::serviceUntil(const std::function<bool()>& done, Clock::time_point deadline,
                         bool interruptible) {
    while (!done() && Clock::now() < deadline) {
        if (interruptible && config_.interrupted != nullptr && config_.interrupted->load()) return;
        if (lws_service(context_, 0) < 0) return;
    }
}

double Fleet::ramp(std::chrono::seconds limit) {
    auto started = Clock::now();
    ramping_ = true;
    serviceUntil([this] { return settled(); }, started + limit);
    ramping_ = false;
    return secondsSince(started);
}

double Fleet::hold(std::chrono::seconds duration) {
    auto started = Clock::now();
    serviceUntil([] { return false; }, started + duration);
    return secondsSince(started);
}

int Fleet::closeAll(std::chrono::seconds limit) {
    ramping_ = false;
    for (auto& c : clients_) {
        if (!c.opened) continue;
        c.closing = true;
        lws_callback_on_writable(c.wsi);
    }
    // Not interruptible: after Ctrl-C the connections still close properly.
    serviceUntil([this] { return open_ == 0; }, Clock::now() + limit, false);
    return open_;
}

int Fleet::joinedNow() const {
    return static_cast<int>(std::count_if(clients_.begin(), clients_.end(), [](const Client& c) {
        return c.opened && c.state == State::Joined;
    }));
}

}  // namespace ws_load
