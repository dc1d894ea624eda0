#include "Participant.hpp"

#include <stdexcept>

namespace fanout {

namespace {

void expectOk(const nlohmann::json& reply, const char* what) {
    if (reply.value("type", "") != "ok") {
        throw std::runtime_error(std::string(what) + ": " + reply.value("code", "no reply"));
    }
}

}  // namespace

std::unique_ptr<vigil::testing::WsClient> joinClass(int port, const std::string& token,
                                                    const std::string& classId,
                                                    nlohmann::json* joinReply) {
    auto ws = std::make_unique<vigil::testing::WsClient>(port);
    expectOk(ws->request({{"type", "auth"}, {"token", token}}), "auth");
    auto reply = ws->request({{"type", "join"}, {"class", classId}});
    expectOk(reply, "join");
    if (joinReply != nullptr) *joinReply = std::move(reply);
    return ws;
}

}  // namespace fanout
