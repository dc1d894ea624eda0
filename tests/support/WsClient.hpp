#pragma once
// A real WebSocket client for tests, on libwebsockets' client API: its own lws context and
// service thread; a blocking API for the test thread (send, then wait for a reply or push).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

struct lws;
struct lws_context;

namespace vigil::testing {

class WsClient {
public:
    // Connects to ws://127.0.0.1:port/ws; throws if the handshake fails.
    explicit WsClient(int port, const std::string& subprotocol = "vigil.v1");
    ~WsClient();
    WsClient(const WsClient&) = delete;
    WsClient& operator=(const WsClient&) = delete;

    void sendText(std::string text);
    void send(const nlohmann::json& message) { sendText(message.dump()); }

    // Sends `message` (given an "id" if it has none) and waits for the reply whose "re" is
    // that id. Other messages stay queued for waitFor(). Throws on timeout.
    nlohmann::json request(nlohmann::json message,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

    // The first queued or arriving message that satisfies `pred` (removed from the queue).
    std::optional<nlohmann::json> waitFor(
        const std::function<bool(const nlohmann::json&)>& pred,
        std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // The first push of the given type.
    std::optional<nlohmann::json> waitForType(
        const std::string& type, std::chrono::milliseconds timeout = std::chrono::seconds(10));

    // Sees every incoming message on the service thread before it is queued; returning true
    // consumes it (it never reaches request() or waitFor()). Listeners let a media peer apply
    // ICE candidates as they arrive instead of the test thread polling for them. A listener
    // must not block and must not call request() or waitFor().
    using Listener = std::function<bool(const nlohmann::json&)>;
    int addListener(Listener listener);
    // Once this returns the listener is not running and never runs again.
    void removeListener(int id);

    bool waitClosed(std::chrono::milliseconds timeout);
    bool closed() const { return closed_; }
    int closeCode() const { return closeCode_; }
    void close();

    // Called from lws' C callback.
    int onCallback(lws* wsi, int reason, void* in, size_t len);

private:
    void serviceLoop();
    bool offerToListeners(const nlohmann::json& message);

    lws_context* context_{nullptr};  // Owned.
    lws* wsi_{nullptr};              // Not owned.
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> established_{false};
    std::atomic<bool> failed_{false};
    std::atomic<bool> closed_{false};
    std::atomic<bool> wantClose_{false};
    std::atomic<int> closeCode_{0};
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::string> outbox_;
    std::deque<nlohmann::json> inbox_;
    std::string partial_;
    int nextId_{1000};
    // Held while listeners run, so that removeListener() can wait for a running one; never
    // held together with mutex_.
    std::mutex listenersMutex_;
    std::map<int, Listener> listeners_;
    int nextListenerId_{1};
};

}  // namespace vigil::testing
