#include "DemoPasswordWarning.hpp"

#include <iostream>

#include "DemoAccounts.hpp"
#include "vigil/common/Crypto.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/common/Task.hpp"
#include "vigil/signaling/Directory.hpp"

namespace vigil::app {

namespace {
VIGIL_LOG_CATEGORY(demoPasswordWarningLog, "demo")
}  // namespace

DemoPasswordWarning::DemoPasswordWarning(common::EventLoop& loop, common::RedisClient& redis,
                                         std::chrono::minutes interval)
    : loop_(loop), redis_(redis), interval_(interval) {}

DemoPasswordWarning::~DemoPasswordWarning() {
    *alive_ = false;
    stopping_ = true;
    timer_.cancel();
    if (hasher_.joinable()) hasher_.join();
}

void DemoPasswordWarning::start() {
    check();
    timer_ = loop_.every(interval_, [this]() {
        check();
        return true;
    });
}

void DemoPasswordWarning::check() {
    if (checking_.exchange(true)) return;
    // The Redis reads may outlive this object (serve stopping): after each one, `alive`
    // says whether `self` may still be touched.
    common::spawn(
        [](DemoPasswordWarning* self, std::shared_ptr<bool> alive) -> common::Task<void> {
            signaling::Directory directory(self->redis_);
            Hashes hashes;
            for (const auto& demo : kDemoUsers) {
                auto user = co_await directory.findUserByUsername(demo.username);
                if (!*alive) co_return;
                if (!user) continue;
                std::string hash = co_await directory.passwordHash(user->id);
                if (!*alive) co_return;
                hashes.emplace_back(demo.username, std::move(hash));
            }
            self->checkHashes(std::move(hashes));
        }(this, alive_),
        [this, alive = alive_](const std::exception_ptr& e) {
            if (!*alive) return;
            checking_ = false;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                demoPasswordWarningLog()->warn("demo password check failed: {}", ex.what());
            }
        });
}

void DemoPasswordWarning::checkHashes(Hashes hashes) {
    if (hasher_.joinable()) hasher_.join();
    hasher_ = std::thread([this, hashes = std::move(hashes)]() {
        std::string names;
        int count = 0;
        for (const auto& [username, hash] : hashes) {
            if (stopping_) return;
            if (common::verifyPassword(hash, kDemoPassword)) {
                names += (names.empty() ? "" : ", ") + username;
                ++count;
            }
        }
        checking_ = false;
        if (count == 0) {
            demoPasswordWarningLog()->info(
                "demo password check: no demo account has the demo password");
            return;
        }
        // Loud on purpose: the log and the terminal both.
        const std::string text =
            "DEMO PASSWORD IN USE: " + std::to_string(count) +
            " account(s) still have the published demo password (" + names +
            "). Anyone can sign in as them. Fine for a trial; before real use, change their "
            "passwords or start from an empty Redis without `vigil demo seed`.";
        demoPasswordWarningLog()->critical("{}", text);
        std::cerr << "\n*** vigil: " << text << " ***\n\n";
    });
}

}  // namespace vigil::app
