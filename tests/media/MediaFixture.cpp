#include "MediaFixture.hpp"

using nlohmann::json;

namespace vigil::testing {

void MediaTest::SetUp() {
    recordingDir = makeTempDir("vigil-rec");
    DemoOrgTest::SetUp();
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

}  // namespace vigil::testing
