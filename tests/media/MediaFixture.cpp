#include "MediaFixture.hpp"

#include <iostream>
#include <thread>

using nlohmann::json;

namespace vigil::testing {

void MediaTest::SetUp() {
    recordingDir = makeTempDir("vigil-rec");
    DemoOrgTest::SetUp();
}

void MediaTest::TearDown() {
    if (HasFailure() && server) std::cerr << "server log: " << server->logPath() << "\n";
}

std::map<std::string, std::string> MediaTest::serverEnv() const {
    std::map<std::string, std::string> env{{"VIGIL_RECORDING_DIR", recordingDir},
                                           {"VIGIL_SERVER_ROLES", "signaling,media"}};
    for (const auto& [k, v] : mediaEnv()) env[k] = v;
    return env;
}

std::unique_ptr<WsClient> MediaTest::joinC1(const std::string& username, json* joinReply) {
    auto ws = connectAs(port(), username);
    json reply = ws->request({{"type", "join"}, {"class", demo::kClassToday}});
    EXPECT_EQ(reply.value("type", ""), "ok") << username << ": " << reply.dump();
    if (joinReply != nullptr) *joinReply = reply;
    return ws;
}

std::unique_ptr<WsClient> MediaTest::joinC1Watching(const std::string& username,
                                                    const std::string& source,
                                                    const std::string& stream) {
    json join;
    auto ws = joinC1(username, &join);
    for (const auto& p : join.value("publishers", json::array())) {
        if (p.value("source", "") == source && p.value("stream", "") == stream) return ws;
    }
    EXPECT_TRUE(waitForPush(*ws, "publisher_ready", {{"source", source}, {"stream", stream}},
                            std::chrono::seconds(10)))
        << username << " never saw " << source << " publish " << stream;
    return ws;
}

std::vector<std::string> MediaTest::addSubjects(int count) {
    std::vector<std::string> names;
    for (int i = 0; i < count; ++i) {
        std::string name = "viewer" + std::to_string(i);
        vigilOk(redis, {"user", "add", "--username", name, "--name", "学员" + std::to_string(i),
                        "--unit", "zj-hz-xh-zt", "--password", kDemoPassword});
        names.push_back(name);
    }
    return names;
}

std::optional<json> waitForPush(WsClient& ws, const std::string& type, const json& fields,
                                std::chrono::milliseconds timeout) {
    return ws.waitFor(
        [&](const json& m) {
            if (m.value("type", "") != type) return false;
            for (const auto& [k, v] : fields.items()) {
                if (!m.contains(k) || m[k] != v) return false;
            }
            return true;
        },
        timeout);
}

bool waitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
               std::chrono::milliseconds step) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (pred()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(step);
    }
}

std::string outcome(const json& reply) {
    if (reply.value("type", "") == "ok") return "ok";
    if (reply.value("type", "") == "error") return reply.value("code", "(no code)");
    return "(not a reply: " + reply.dump() + ")";
}

::testing::AssertionResult refusedWith(WsClient& ws, const json& message, const std::string& code) {
    json reply;
    try {
        reply = ws.request(message, std::chrono::seconds(10));
    } catch (const std::exception& e) {
        return ::testing::AssertionFailure() << message.dump() << ": no reply (" << e.what() << ")";
    }
    if (reply.value("type", "") != "error" || reply.value("code", "") != code) {
        return ::testing::AssertionFailure() << message.dump().substr(0, 300) << ": expected "
                                             << code << ", got " << reply.dump().substr(0, 400);
    }
    if (!reply.contains("message") || !reply["message"].is_string()) {
        return ::testing::AssertionFailure() << "error reply without a message: " << reply.dump();
    }
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult stillServing(WsClient& ws) {
    json reply;
    try {
        reply = ws.request({{"type", "heartbeat"}}, std::chrono::seconds(5));
    } catch (const std::exception& e) {
        return ::testing::AssertionFailure() << "heartbeat unanswered: " << e.what();
    }
    if (outcome(reply) != "ok") {
        return ::testing::AssertionFailure() << "heartbeat refused: " << reply.dump();
    }
    return ::testing::AssertionSuccess();
}

}  // namespace vigil::testing
