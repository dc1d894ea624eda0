#pragma once
// A demo organisation, one `vigil serve` with the media role, recordings in a private
// directory, and helpers to put people into class c1 (live now, taught by officer.wang).

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "Fixtures.hpp"
#include "MediaPeer.hpp"

namespace vigil::testing {

class MediaTest : public DemoOrgTest {
protected:
    void SetUp() override;
    std::map<std::string, std::string> serverEnv() const override;
    // Extra settings for one test suite.
    virtual std::map<std::string, std::string> mediaEnv() const { return {}; }

    // Signs in and joins c1; fails the test if either is refused.
    std::unique_ptr<WsClient> joinC1(const std::string& username, nlohmann::json* joinReply = nullptr);
    // Adds `count` subjects of c1's enrol unit (zj-hz-xh-zt); returns their usernames.
    std::vector<std::string> addSubjects(int count);

    std::string recordingDir;
};

// The first push of `type` whose fields match `fields`.
std::optional<nlohmann::json> waitForPush(WsClient& ws, const std::string& type,
                                          const nlohmann::json& fields,
                                          std::chrono::milliseconds timeout);

}  // namespace vigil::testing
