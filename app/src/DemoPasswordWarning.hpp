#pragma once
// `vigil serve` warns loudly, at start and then every hour, while any demo account still has
// the demo's published password: a server seeded for a trial and then put to real use would
// otherwise let anyone who read the README sign in as its administrator. The hashes are read
// on the loop; the slow password checks run on a thread of this object's own, which also
// writes the warning (the log is thread-safe), so nothing waits on the loop for them.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "vigil/common/EventLoop.hpp"
#include "vigil/common/RedisClient.hpp"

namespace vigil::app {

class DemoPasswordWarning {
public:
    DemoPasswordWarning(common::EventLoop& loop, common::RedisClient& redis,
                        std::chrono::minutes interval = std::chrono::minutes(60));
    ~DemoPasswordWarning();  // Stops a check under way (after at most one password check).
    DemoPasswordWarning(const DemoPasswordWarning&) = delete;
    DemoPasswordWarning& operator=(const DemoPasswordWarning&) = delete;

    // Checks now, then every interval.
    void start();

private:
    using Hashes = std::vector<std::pair<std::string, std::string>>;  // username, hash

    void check();
    void checkHashes(Hashes hashes);

    common::EventLoop& loop_;     // Passed by argument.
    common::RedisClient& redis_;  // Passed by argument.
    std::chrono::minutes interval_;
    common::Timer timer_;
    std::shared_ptr<bool> alive_{std::make_shared<bool>(true)};  // False once destroyed.
    std::atomic<bool> checking_{false};
    std::atomic<bool> stopping_{false};
    std::thread hasher_;  // Owned; joined before the next check and on destruction.
};

}  // namespace vigil::app
