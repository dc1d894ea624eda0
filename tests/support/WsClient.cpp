#include "WsClient.hpp"

#include <libwebsockets.h>

#include <cstring>
#include <stdexcept>
#include <vector>

namespace vigil::testing {

namespace {
int clientCallback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in, size_t len) {
    lws_context* ctx = lws_get_context(wsi);
    auto* self = ctx != nullptr ? static_cast<WsClient*>(lws_context_user(ctx)) : nullptr;
    if (self != nullptr) {
        int r = self->onCallback(wsi, static_cast<int>(reason), in, len);
        if (r != 0) return r;
    }
    return lws_callback_http_dummy(wsi, reason, nullptr, in, len);
}

lws_protocols kClientProtocols[] = {
    {"vigil-test-client", clientCallback, 0, 65536, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};
}  // namespace

WsClient::WsClient(int port, const std::string& subprotocol) {
    lws_set_log_level(LLL_ERR, nullptr);
    lws_context_creation_info info;
    std::memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = kClientProtocols;
    info.user = this;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    context_ = lws_create_context(&info);
    if (context_ == nullptr) throw std::runtime_error("lws client context failed");

    lws_client_connect_info ci;
    std::memset(&ci, 0, sizeof ci);
    ci.context = context_;
    ci.address = "127.0.0.1";
    ci.port = port;
    ci.path = "/ws";
    ci.host = "127.0.0.1";
    ci.origin = "127.0.0.1";
    ci.protocol = subprotocol.empty() ? nullptr : subprotocol.c_str();
    ci.local_protocol_name = "vigil-test-client";
    ci.pwsi = &wsi_;
    if (lws_client_connect_via_info(&ci) == nullptr) {
        lws_context_destroy(context_);
        throw std::runtime_error("lws client connect failed");
    }
    thread_ = std::thread([this]() { serviceLoop(); });
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, std::chrono::seconds(10),
                      [this]() { return established_ || failed_ || closed_; }) ||
        !established_) {
        lock.unlock();
        stop_ = true;
        lws_cancel_service(context_);
        thread_.join();
        lws_context_destroy(context_);
        context_ = nullptr;
        throw std::runtime_error("websocket handshake failed");
    }
}

WsClient::~WsClient() {
    stop_ = true;
    if (context_ != nullptr) lws_cancel_service(context_);
    if (thread_.joinable()) thread_.join();
    if (context_ != nullptr) lws_context_destroy(context_);
}

void WsClient::serviceLoop() {
    while (!stop_) lws_service(context_, 50);
}

int WsClient::onCallback(lws* wsi, int reason, void* in, size_t len) {
    switch (reason) {
        case LWS_CALLBACK_CLIENT_ESTABLISHED: {
            std::lock_guard lock(mutex_);
            established_ = true;
            cv_.notify_all();
            break;
        }
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
            std::lock_guard lock(mutex_);
            failed_ = true;
            closed_ = true;
            wsi_ = nullptr;
            cv_.notify_all();
            break;
        }
        case LWS_CALLBACK_CLIENT_RECEIVE: {
            partial_.append(static_cast<const char*>(in), len);
            if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
                auto j = nlohmann::json::parse(partial_, nullptr, false);
                partial_.clear();
                if (!j.is_discarded() && offerToListeners(j)) break;
                std::lock_guard lock(mutex_);
                inbox_.push_back(j.is_discarded() ? nlohmann::json{{"type", "__unparsable__"}} : j);
                cv_.notify_all();
            }
            break;
        }
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            if (len >= 2) {
                auto* b = static_cast<const unsigned char*>(in);
                closeCode_ = (b[0] << 8) | b[1];
            }
            break;
        case LWS_CALLBACK_CLIENT_CLOSED: {
            std::lock_guard lock(mutex_);
            closed_ = true;
            wsi_ = nullptr;
            cv_.notify_all();
            break;
        }
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
            std::lock_guard lock(mutex_);
            if (wsi_ != nullptr && (!outbox_.empty() || wantClose_)) lws_callback_on_writable(wsi_);
            break;
        }
        case LWS_CALLBACK_CLIENT_WRITEABLE: {
            std::string text;
            {
                std::lock_guard lock(mutex_);
                if (outbox_.empty()) {
                    if (wantClose_) {
                        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
                        return -1;
                    }
                    break;
                }
                text = std::move(outbox_.front());
                outbox_.pop_front();
                if (!outbox_.empty() || wantClose_) lws_callback_on_writable(wsi);
            }
            std::vector<unsigned char> buf(LWS_PRE + text.size());
            std::memcpy(buf.data() + LWS_PRE, text.data(), text.size());
            if (lws_write(wsi, buf.data() + LWS_PRE, text.size(), LWS_WRITE_TEXT) <
                static_cast<int>(text.size())) {
                return -1;
            }
            break;
        }
        default:
            break;
    }
    return 0;
}

void WsClient::sendText(std::string text) {
    {
        std::lock_guard lock(mutex_);
        outbox_.push_back(std::move(text));
    }
    lws_cancel_service(context_);
}

void WsClient::close() {
    wantClose_ = true;
    lws_cancel_service(context_);
    waitClosed(std::chrono::seconds(5));
}

nlohmann::json WsClient::request(nlohmann::json message, std::chrono::milliseconds timeout) {
    if (!message.contains("id")) message["id"] = ++nextId_;
    nlohmann::json id = message["id"];
    send(message);
    auto reply = waitFor([&](const nlohmann::json& m) { return m.contains("re") && m["re"] == id; },
                         timeout);
    if (!reply) throw std::runtime_error("no reply to " + message.dump().substr(0, 200));
    return *reply;
}

std::optional<nlohmann::json> WsClient::waitFor(
    const std::function<bool(const nlohmann::json&)>& pred, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mutex_);
    for (;;) {
        for (auto it = inbox_.begin(); it != inbox_.end(); ++it) {
            if (pred(*it)) {
                nlohmann::json m = std::move(*it);
                inbox_.erase(it);
                return m;
            }
        }
        if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
            for (auto it = inbox_.begin(); it != inbox_.end(); ++it) {
                if (pred(*it)) {
                    nlohmann::json m = std::move(*it);
                    inbox_.erase(it);
                    return m;
                }
            }
            return std::nullopt;
        }
    }
}

std::optional<nlohmann::json> WsClient::waitForType(const std::string& type,
                                                    std::chrono::milliseconds timeout) {
    return waitFor([&](const nlohmann::json& m) { return m.value("type", "") == type; }, timeout);
}

int WsClient::addListener(Listener listener) {
    std::lock_guard lock(listenersMutex_);
    int id = nextListenerId_++;
    listeners_.emplace(id, std::move(listener));
    return id;
}

void WsClient::removeListener(int id) {
    std::lock_guard lock(listenersMutex_);
    listeners_.erase(id);
}

bool WsClient::offerToListeners(const nlohmann::json& message) {
    std::lock_guard lock(listenersMutex_);
    for (auto& [id, listener] : listeners_) {
        // Runs inside lws' C callback: no exception may leave it.
        try {
            if (listener(message)) return true;
        } catch (...) {
        }
    }
    return false;
}

bool WsClient::waitClosed(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [this]() { return closed_.load(); });
}

}  // namespace vigil::testing
