#pragma once
// One person in the class: a WebSocket signed in with a (possibly shared) session token that
// has joined the class, and the WebRTC peer that publishes or views over it.

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "MediaPeer.hpp"
#include "WsClient.hpp"

namespace fanout {

// How long a group of participants may take to connect and sign in.
inline constexpr auto kConnectLimit = std::chrono::seconds(15);

struct Participant {
    std::unique_ptr<vigil::testing::WsClient> ws;
    // Declared after `ws`, so destroyed before it, as MediaPeer requires.
    std::unique_ptr<vigil::testing::MediaPeer> peer;
};

// A new socket that sent `auth` with `token` and `join` for `classId`; throws
// std::runtime_error with the error code when either is refused. `joinReply` gets the reply.
std::unique_ptr<vigil::testing::WsClient> joinClass(int port, const std::string& token,
                                                    const std::string& classId,
                                                    nlohmann::json* joinReply = nullptr);

}  // namespace fanout
