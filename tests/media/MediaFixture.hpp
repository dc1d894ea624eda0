#pragma once
// A demo organisation, one `vigil serve` with the media role, recordings in a private
// directory, and helpers to put people into class c1 (live now, taught by officer.wang).

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "Fixtures.hpp"
#include "MediaPeer.hpp"

namespace vigil::testing {

class MediaTest : public DemoOrgTest {
protected:
    void SetUp() override;
    // On failure, the server's log is named so that the media side can be read.
    void TearDown() override;
    std::map<std::string, std::string> serverEnv() const override;
    // Extra settings for one test suite.
    virtual std::map<std::string, std::string> mediaEnv() const { return {}; }

    // Signs in and joins c1; fails the test if either is refused.
    std::unique_ptr<WsClient> joinC1(const std::string& username,
                                     nlohmann::json* joinReply = nullptr);
    // joinC1, then waits (10 s) until `source` publishes `stream` there: listed in the join
    // reply's `publishers` or announced by publisher_ready. Fails the test otherwise.
    std::unique_ptr<WsClient> joinC1Watching(const std::string& username, const std::string& source,
                                             const std::string& stream = "main");
    // Adds `count` subjects of c1's enrol unit (zj-hz-xh-zt); returns their usernames.
    std::vector<std::string> addSubjects(int count);

    std::string recordingDir;
};

// The first push of `type` whose fields match `fields`.
std::optional<nlohmann::json> waitForPush(WsClient& ws, const std::string& type,
                                          const nlohmann::json& fields,
                                          std::chrono::milliseconds timeout);

// Polls `pred` every `step` until it holds (true) or `timeout` passes (false).
bool waitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
               std::chrono::milliseconds step = std::chrono::milliseconds(100));

// "ok" for a success reply, the error's `code` otherwise.
std::string outcome(const nlohmann::json& reply);
// Sends `message` and expects an error reply with `code`.
::testing::AssertionResult refusedWith(WsClient& ws, const nlohmann::json& message,
                                       const std::string& code);
// A heartbeat on `ws` is answered ok: the server still serves the connection.
::testing::AssertionResult stillServing(WsClient& ws);

}  // namespace vigil::testing
