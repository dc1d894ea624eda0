#pragma once
// Many WebSocket clients on one libwebsockets client context, served on this thread. Each
// client connects (paced), authenticates with its session token, joins its class and then
// sends a heartbeat every interval until it is closed.

#include <libwebsockets.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ws_load {

using Clock = std::chrono::steady_clock;

struct ClientSpec {
    std::string token;
    std::string classId;
    bool teacher = false;
};

struct FleetConfig {
    std::string host;
    int port = 0;
    int rampBatch = 200;
    std::chrono::milliseconds rampStep{100};
    std::chrono::seconds heartbeat{10};
    const std::atomic<bool>* interrupted = nullptr;  // Ctrl-C: every phase ends early
};

struct MessageCounts {
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
};

// What happened, for the report. Latencies are in milliseconds.
struct FleetStats {
    int attempted = 0;
    int established = 0;  // WebSocket handshake completed
    int authenticated = 0;
    int joined = 0;
    int teachersJoined = 0;
    std::map<std::string, int> connectErrors;  // lws's reason
    std::map<std::string, int> authErrors;     // protocol error code
    std::map<std::string, int> joinErrors;
    std::map<std::string, int> heartbeatErrors;
    std::map<std::string, int> unsolicitedErrors;  // "error" without "re" (rate_limited, ...)
    std::map<std::string, int> serverCloses;       // closes we did not ask for, by close code
    std::map<std::string, int> pushes;             // server pushes by type (kicked: by reason)
    std::vector<double> connectMs;                 // connect call to handshake complete
    std::vector<double> authMs;                    // auth sent to its reply
    std::vector<double> joinMs;                    // subjects' join sent to its ok reply
    std::vector<double> heartbeatMs;               // heartbeat sent to its reply
    MessageCounts total;
};

class Fleet {
public:
    Fleet(FleetConfig config, std::vector<ClientSpec> specs);
    ~Fleet();
    Fleet(const Fleet&) = delete;
    Fleet& operator=(const Fleet&) = delete;

    // Creates the lws context; throws std::runtime_error.
    void start();
    // Opens every connection, paced; returns once each has joined or failed, or at `limit`.
    // Returns the seconds it took.
    double ramp(std::chrono::seconds limit);
    // Keeps every connection heart-beating for `duration`; returns the seconds it ran.
    double hold(std::chrono::seconds duration);
    // Closes every connection normally; returns how many were still open at `limit`.
    int closeAll(std::chrono::seconds limit);

    int openNow() const { return open_; }
    int joinedNow() const;  // open and in their class
    const FleetStats& stats() const { return stats_; }

private:
    enum class State : std::uint8_t {
        Idle,
        Connecting,
        Authenticating,
        Joining,
        Joined,
        Failed,
        Closed
    };

    struct Outgoing {
        int id;
        std::string text;
    };

    struct Client {
        ClientSpec spec;
        lws* wsi = nullptr;
        State state = State::Idle;
        bool opened = false;   // handshake done and not yet closed
        bool closing = false;  // we asked for the close
        int closeCode = 0;     // from the server's close frame
        int nextId = 3;        // 1 is auth, 2 is join, then heartbeats
        Clock::time_point connectAt;
        Clock::time_point nextHeartbeat;
        std::deque<Outgoing> outbox;
        std::vector<std::pair<int, Clock::time_point>> inflight;  // request id, time written
        std::string rx;                                           // a fragmented message so far
    };

    struct Tick {
        lws_sorted_usec_list_t sul;  // first member: the callback casts back to Tick
        Fleet* self;
    };

    static int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
    static void onTick(lws_sorted_usec_list_t* sul);
    int onEvent(Client& c, lws* wsi, lws_callback_reasons reason, void* in, size_t len);

    static bool busy(State s);
    void setState(Client& c, State s);
    void tick();
    void launchBatch();
    void connect(Client& c);
    void sendHeartbeats(Clock::time_point now);
    void queue(Client& c, int id, std::string text);
    int writeNext(Client& c, lws* wsi);
    void onMessage(Client& c, const std::string& text);
    void onReply(Client& c, int id, bool ok, const std::string& code, Clock::time_point sentAt);
    void fail(Client& c, std::map<std::string, int>& reasons, const std::string& code);
    void onClosed(Client& c);
    bool settled() const;
    // Serves lws until `done`, the deadline, or (if `interruptible`) Ctrl-C.
    void serviceUntil(const std::function<bool()>& done, Clock::time_point deadline,
                      bool interruptible = true);

    FleetConfig config_;
    std::vector<Client> clients_;
    size_t launched_ = 0;
    bool ramping_ = false;
    Clock::time_point lastStep_;
    int open_ = 0;
    int busy_ = 0;  // connecting, authenticating or joining
    lws_context* context_ = nullptr;
    lws_protocols protocols_[2]{};
    Tick tick_{};
    std::string hostHeader_;
    FleetStats stats_;
};

}  // namespace ws_load
