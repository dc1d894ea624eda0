#pragma once
// A private redis-server, an event loop on the test thread and one connected RedisClient:
// the common ground of the store tests. Coroutine bodies run with
// `loop.runUntilDone([&]() -> Task<void> { ... }())`.

#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <memory>
#include <string>

#include "TestProcesses.hpp"
#include "vigil/common/Crypto.hpp"
#include "vigil/common/EventLoop.hpp"
#include "vigil/common/RedisClient.hpp"
#include "vigil/common/Task.hpp"

namespace vigil::testing {

// A detached task's error handler for tests that look at the outcome another way.
inline void ignoreError(std::exception_ptr) {}

class RedisFixture : public ::testing::Test {
protected:
    static void SetUpTestSuite() { common::initCrypto(); }

    void SetUp() override { redis = connect("test"); }

    void TearDown() override { redis.reset(); }

    // A new, connected client to the fixture's server (a second "node").
    std::unique_ptr<common::RedisClient> connect(const std::string& name) {
        common::RedisClient::Options options;
        options.endpoint = common::RedisEndpoint::parseUrl(server.url());
        options.name = name;
        auto client = std::make_unique<common::RedisClient>(loop, options);
        client->start();
        loop.runUntilDone(client->waitConnected(std::chrono::seconds(5)));
        return client;
    }

    static double secondsSince(std::chrono::steady_clock::time_point t) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    }

    RedisServer server;
    common::EventLoop loop;
    std::unique_ptr<common::RedisClient> redis;  // Owned; destroyed before the loop.
};

}  // namespace vigil::testing
