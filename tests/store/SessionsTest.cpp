#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <future>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "RedisFixture.hpp"
#include "vigil/common/Config.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/common/WorkerPool.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/Keys.hpp"
#include "vigil/signaling/Sessions.hpp"

namespace vigil::testing {
namespace {

using common::ApiError;
using common::Task;
using signaling::AuditEntry;
using signaling::LoginResult;
using signaling::Role;
using signaling::User;
namespace keys = signaling::keys;

const std::string kPassword = "Correct-Horse-7";

struct Attempt {
    std::optional<LoginResult> result;
    std::string code;  // ApiError code when it failed.
    std::string message;
    int retryAfter{0};
};

std::string field(const AuditEntry& e, const std::string& name) {
    for (const auto& [k, v] : e.fields) {
        if (k == name) return v;
    }
    return {};
}

class SessionsTest : public RedisFixture {
protected:
    static void SetUpTestSuite() {
        RedisFixture::SetUpTestSuite();
        passwordHash_ = new std::string(common::hashPassword(kPassword));
    }
    static void TearDownTestSuite() {
        delete passwordHash_;
        passwordHash_ = nullptr;
    }

    void SetUp() override {
        RedisFixture::SetUp();
        directory = std::make_unique<signaling::Directory>(*redis);
        audit = std::make_unique<signaling::AuditLog>(*redis);
        sessions =
            std::make_unique<signaling::Sessions>(loop, *redis, pool, *directory, *audit, config);
        loop.runUntilDone([&]() -> Task<void> {
            co_await directory->addUnit("county1", "Example County Office", "");
            signaling::NewUser u;
            u.username = "subject01";
            u.name = "张伟";
            u.role = Role::Subject;
            u.unit = "county1";
            u.passwordHash = *passwordHash_;
            user = co_await directory->addUser(std::move(u));
        }());
    }

    void TearDown() override {
        sessions.reset();
        audit.reset();
        directory.reset();
        RedisFixture::TearDown();
    }

    Attempt login(const std::string& username, const std::string& password,
                  const std::string& from = "127.0.0.1") {
        return loginWith(*sessions, username, password, from);
    }
    Attempt loginWith(signaling::Sessions& s, const std::string& username,
                      const std::string& password, const std::string& from) {
        Attempt a;
        loop.runUntilDone([&]() -> Task<void> {
            try {
                a.result = co_await s.login(username, password, from);
            } catch (const ApiError& e) {
                a.code = e.code();
                a.message = e.what();
                a.retryAfter = e.retryAfterSeconds();
            }
        }());
        return a;
    }

    std::optional<User> resolve(const std::string& token) {
        std::optional<User> out;
        loop.runUntilDone([&]() -> Task<void> { out = co_await sessions->resolve(token); }());
        return out;
    }

    std::vector<AuditEntry> auditEntries(const std::string& action) {
        std::vector<AuditEntry> all, out;
        loop.runUntilDone([&]() -> Task<void> { all = co_await audit->read("-", 10'000); }());
        for (auto& e : all) {
            if (field(e, "action") == action) out.push_back(e);
        }
        return out;
    }

    static std::string* passwordHash_;
    common::Config::Auth config;
    common::WorkerPool pool{2};
    std::unique_ptr<signaling::Directory> directory;
    std::unique_ptr<signaling::AuditLog> audit;
    std::unique_ptr<signaling::Sessions> sessions;
    User user;
};

std::string* SessionsTest::passwordHash_ = nullptr;

bool isLowerHex(const std::string& s) {
    return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST_F(SessionsTest, LoginReturnsATokenThatResolvesToTheUser) {
    auto a = login("subject01", kPassword);
    ASSERT_TRUE(a.result.has_value()) << a.code << ": " << a.message;
    const auto& token = a.result->token;
    EXPECT_EQ(token.size(), 64u);
    EXPECT_TRUE(isLowerHex(token)) << token;
    EXPECT_EQ(a.result->user.id, user.id);
    EXPECT_EQ(a.result->user.username, "subject01");
    EXPECT_EQ(a.result->expiresInSeconds, config.sessionIdleMinutes * 60);

    auto resolved = resolve(token);
    ASSERT_TRUE(resolved.has_value());
    EXPECT_EQ(resolved->id, user.id);
    EXPECT_EQ(resolved->name, "张伟");
    EXPECT_EQ(resolved->role, Role::Subject);

    auto logins = auditEntries("login");
    ASSERT_EQ(logins.size(), 1u);
    EXPECT_EQ(field(logins[0], "actor"), user.id);
}

TEST_F(SessionsTest, EveryLoginGetsItsOwnToken) {
    auto a = login("subject01", kPassword);
    auto b = login("subject01", kPassword);
    ASSERT_TRUE(a.result && b.result);
    EXPECT_NE(a.result->token, b.result->token);
    EXPECT_TRUE(resolve(a.result->token).has_value());
    EXPECT_TRUE(resolve(b.result->token).has_value());
}

TEST_F(SessionsTest, SessionKeyIsTheHashOfTheTokenNeverTheToken) {
    auto a = login("subject01", kPassword);
    ASSERT_TRUE(a.result.has_value());
    const auto& token = a.result->token;
    std::string keysOut = server.cli({"--scan", "--pattern", "vigil:session:*"});
    EXPECT_EQ(keysOut, keys::session(common::sha256Hex(token)));
    EXPECT_EQ(keysOut.find(token), std::string::npos);
    // No key or value anywhere holds the token.
    std::string all = server.cli({"--scan"});
    EXPECT_EQ(all.find(token), std::string::npos);
    // The record names the account and the session's absolute end, not the token.
    auto record =
        nlohmann::json::parse(server.cli({"GET", keys::session(common::sha256Hex(token))}));
    EXPECT_EQ(record["user"], user.id);
    EXPECT_GT(record["until"].get<long long>(), common::nowMillis());
    EXPECT_EQ(server.cli({"EXISTS", keys::session(token)}), "0");
    int ttl = std::stoi(server.cli({"TTL", keys::session(common::sha256Hex(token))}));
    EXPECT_GT(ttl, config.sessionIdleMinutes * 60 - 10);
    EXPECT_LE(ttl, config.sessionIdleMinutes * 60);
}

TEST_F(SessionsTest, ResolveRefreshesTheIdleExpiry) {
    auto a = login("subject01", kPassword);
    ASSERT_TRUE(a.result.has_value());
    std::string key = keys::session(common::sha256Hex(a.result->token));
    server.cli({"EXPIRE", key, "5"});
    ASSERT_TRUE(resolve(a.result->token).has_value());
    EXPECT_GT(std::stoi(server.cli({"TTL", key})), 60);
}

TEST_F(SessionsTest, WrongPasswordIsUnauthenticated) {
    auto a = login("subject01", "wrong-password");
    EXPECT_FALSE(a.result.has_value());
    EXPECT_EQ(a.code, "unauthenticated");
    auto failed = auditEntries("login_failed");
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(field(failed[0], "target"), user.id);
    EXPECT_EQ(server.cli({"--scan", "--pattern", "vigil:session:*"}), "");
}

TEST_F(SessionsTest, UnknownUserIsUnauthenticatedAndCountedNotAudited) {
    auto a = login("nobody", kPassword, "192.0.2.1");
    EXPECT_EQ(a.code, "unauthenticated");
    auto b = login("BAD NAME!", kPassword, "192.0.2.1");
    EXPECT_EQ(b.code, "unauthenticated");
    auto wrong = login("subject01", "wrong-password");
    EXPECT_EQ(a.message, wrong.message) << "an unknown name reads like a wrong password";
    // A flood of made-up names must not grow the audit stream: a per-hour count by address
    // with a TTL instead.
    EXPECT_TRUE(auditEntries("login_failed").size() == 1u) << "only the real account's failure";
    const std::string hours = server.cli({"--scan", "--pattern", "vigil:loginunknown:*"});
    ASSERT_FALSE(hours.empty());
    ASSERT_EQ(hours.find('\n'), std::string::npos) << hours;
    EXPECT_EQ(server.cli({"HGET", hours, "192.0.2.1"}), "2");
    EXPECT_GT(std::stoi(server.cli({"TTL", hours})), 0);
}

TEST_F(SessionsTest, TheUnknownNameAggregateKeepsABoundedNumberOfAddresses) {
    // Already full for this hour: another address is counted under "other", not added.
    const std::string key = keys::unknownLogins([] {
        std::time_t now = std::time(nullptr);
        std::tm tm{};
        gmtime_r(&now, &tm);
        char text[16];
        std::strftime(text, sizeof text, "%Y%m%d%H", &tm);
        return std::string(text);
    }());
    std::vector<std::string> fill{"HSET", key};
    for (int i = 0; i < 1000; ++i) {
        fill.push_back("198.51.100." + std::to_string(i));
        fill.push_back("1");
    }
    server.cli(fill);
    EXPECT_EQ(login("nobody", kPassword, "203.0.113.9").code, "unauthenticated");
    EXPECT_EQ(server.cli({"HLEN", key}), "1001");
    EXPECT_EQ(server.cli({"HGET", key, "other"}), "1");
    EXPECT_EQ(login("nobody", kPassword, "198.51.100.5").code, "unauthenticated");
    EXPECT_EQ(server.cli({"HGET", key, "198.51.100.5"}), "2") << "a known address still counts";
}

TEST_F(SessionsTest, WrongPasswordsThrottleTheNameAndNeverLockOrEndSessions) {
    ASSERT_EQ(config.throttleAccountFailures, 5);
    auto open = login("subject01", kPassword, "10.0.0.1");
    ASSERT_TRUE(open.result.has_value());
    // Five free failures, then each failure makes the name wait: 2 s, 4 s, ...
    for (int i = 1; i <= 6; ++i) {
        auto a = login("subject01", "wrong-" + std::to_string(i), "10.9.9.9");
        EXPECT_EQ(a.code, "unauthenticated") << i;
    }
    auto throttled = login("subject01", kPassword, "10.9.9.9");
    EXPECT_FALSE(throttled.result.has_value());
    EXPECT_EQ(throttled.code, "rate_limited");
    EXPECT_GE(throttled.retryAfter, 1);
    EXPECT_LE(throttled.retryAfter, 2);
    // The wait runs out (its key expires): the name may try again, and the next failure
    // doubles the wait.
    const std::string waits = server.cli({"--scan", "--pattern", "vigil:loginwait:*"});
    ASSERT_FALSE(waits.empty());
    std::istringstream lines(waits);
    for (std::string k; std::getline(lines, k);) server.cli({"DEL", k});
    EXPECT_EQ(login("subject01", "wrong-7", "10.8.8.8").code, "unauthenticated");
    auto again = login("subject01", kPassword, "10.8.8.8");
    EXPECT_EQ(again.code, "rate_limited");
    EXPECT_GE(again.retryAfter, 3) << "the wait doubles";

    // No lock: nothing the owner holds is touched.
    EXPECT_TRUE(resolve(open.result->token).has_value()) << "an open session survives";
    EXPECT_TRUE(auditEntries("account_locked").empty());
    EXPECT_EQ(server.cli({"--scan", "--pattern", "vigil:lock:*"}), "");
    // The owner, from the address the account signed in from, is not held back by it.
    auto owner = login("subject01", kPassword, "10.0.0.1");
    EXPECT_TRUE(owner.result.has_value()) << owner.code << ": " << owner.message;
    EXPECT_EQ(auditEntries("login_failed").size(), 7u);
    // The whole audit trail of the episode is an intact chain.
    std::optional<signaling::ChainBreak> broken;
    loop.runUntilDone([&]() -> Task<void> { broken = co_await audit->verify(); }());
    EXPECT_FALSE(broken.has_value());
}

TEST_F(SessionsTest, AnUnknownNameIsThrottledExactlyLikeAKnownOne) {
    std::vector<Attempt> known, unknown;
    for (int i = 0; i < 7; ++i) {
        known.push_back(login("subject01", "wrong", "10.1.0." + std::to_string(i)));
        unknown.push_back(login("nobody01", "wrong", "10.2.0." + std::to_string(i)));
    }
    for (int i = 0; i < 7; ++i) {
        EXPECT_EQ(known[i].code, unknown[i].code) << i;
        if (known[i].code != "rate_limited") {
            EXPECT_EQ(known[i].message, unknown[i].message) << i;
        }
        // The wait is the same, give or take the time one attempt took.
        EXPECT_LE(std::abs(known[i].retryAfter - unknown[i].retryAfter), 1) << i;
    }
    EXPECT_EQ(unknown[6].code, "rate_limited");
    EXPECT_EQ(known[6].code, "rate_limited");
}

TEST_F(SessionsTest, OneAddressIsThrottledAcrossNames) {
    config.throttleAddressFailures = 3;
    for (int i = 0; i < 4; ++i)
        EXPECT_EQ(login("guess" + std::to_string(i), "pw", "192.0.2.50").code, "unauthenticated");
    auto throttled = login("subject01", kPassword, "192.0.2.50");
    EXPECT_EQ(throttled.code, "rate_limited");
    EXPECT_GT(throttled.retryAfter, 0);
    // Another address, and another host's /64, are not affected.
    EXPECT_TRUE(login("subject01", kPassword, "192.0.2.51").result.has_value());
    for (int i = 0; i < 4; ++i) login("guess" + std::to_string(i), "pw", "2001:db8:0:1::1");
    EXPECT_EQ(login("subject01", kPassword, "2001:db8:0:1::2").code, "rate_limited");
    EXPECT_TRUE(login("subject01", kPassword, "2001:db8:0:2::1").result.has_value());
}

TEST_F(SessionsTest, ASuccessfulLoginClearsTheNamesCount) {
    config.throttleAccountFailures = 3;
    login("subject01", "wrong-1", "10.3.0.1");
    login("subject01", "wrong-2", "10.3.0.1");
    ASSERT_TRUE(login("subject01", kPassword, "10.3.0.1").result.has_value());
    login("subject01", "wrong-3", "10.3.0.2");
    login("subject01", "wrong-4", "10.3.0.2");
    login("subject01", "wrong-5", "10.3.0.2");
    EXPECT_TRUE(login("subject01", kPassword, "10.3.0.4").result.has_value())
        << "only three failures since the last success";
}

TEST_F(SessionsTest, AFullHashingQueueAnswersBusy) {
    common::WorkerPool bounded(1, 1);
    signaling::Sessions busy(loop, *redis, bounded, *directory, *audit, config);
    std::promise<void> started, release;
    auto released = release.get_future().share();
    bounded.submit([&started, released]() {
        started.set_value();
        released.wait();
    });
    started.get_future().wait();
    ASSERT_TRUE(bounded.trySubmit([]() {}));  // The one queue place is taken.
    auto a = loginWith(busy, "subject01", kPassword, "10.4.0.1");
    EXPECT_EQ(a.code, "busy");
    EXPECT_GT(a.retryAfter, 0);
    auto unknown = loginWith(busy, "nobody", kPassword, "10.4.0.1");
    EXPECT_EQ(unknown.code, "busy");
    release.set_value();
    for (int i = 0; i < 500 && bounded.queued() > 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_TRUE(loginWith(busy, "subject01", kPassword, "10.4.0.1").result.has_value());
}

TEST_F(SessionsTest, DisabledUserCannotLogIn) {
    auto before = login("subject01", kPassword);
    ASSERT_TRUE(before.result.has_value());
    loop.runUntilDone([&]() -> Task<void> { co_await directory->setDisabled(user.id, true); }());
    auto a = login("subject01", kPassword);
    EXPECT_FALSE(a.result.has_value());
    EXPECT_EQ(a.code, "unauthenticated");
    // A session issued before the account was disabled no longer resolves.
    EXPECT_FALSE(resolve(before.result->token).has_value());
    EXPECT_EQ(auditEntries("login_refused").size(), 1u);
}

TEST_F(SessionsTest, LogoutInvalidatesTheToken) {
    auto a = login("subject01", kPassword);
    ASSERT_TRUE(a.result.has_value());
    auto other = login("subject01", kPassword);
    ASSERT_TRUE(other.result.has_value());
    std::string token = a.result->token;
    loop.runUntilDone([&]() -> Task<void> { co_await sessions->logout(token); }());
    EXPECT_FALSE(resolve(token).has_value());
    // Kept for a while as ended, saying why: a socket that checks later learns it.
    auto ended =
        nlohmann::json::parse(server.cli({"GET", keys::session(common::sha256Hex(token))}));
    EXPECT_EQ(ended.value("ended", ""), "logged_out");
    EXPECT_TRUE(resolve(other.result->token).has_value()) << "logout ends only its own session";
    // Logging out twice, or with garbage, is harmless.
    loop.runUntilDone([&]() -> Task<void> {
        co_await sessions->logout(token);
        co_await sessions->logout("garbage");
    }());
}

TEST_F(SessionsTest, GarbageTokensResolveToNothing) {
    auto a = login("subject01", kPassword);
    ASSERT_TRUE(a.result.has_value());
    std::string upper = a.result->token;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string hashed = common::sha256Hex(a.result->token);
    const std::vector<std::string> garbage{"",
                                           "abc",
                                           std::string(64, 'g'),
                                           std::string(64, '0'),
                                           a.result->token + "0",
                                           a.result->token.substr(1),
                                           upper == a.result->token ? std::string("x") : upper,
                                           std::string(1 << 16, 'a'),
                                           "../../vigil:user:" + user.id,
                                           "*",
                                           std::string("\0", 1) + a.result->token.substr(1)};
    for (const auto& token : garbage)
        EXPECT_FALSE(resolve(token).has_value()) << token.substr(0, 80);
    // The stored hash itself is not a token either.
    EXPECT_NE(hashed, a.result->token);
    EXPECT_FALSE(resolve(hashed).has_value());
    EXPECT_TRUE(resolve(a.result->token).has_value());
}

TEST_F(SessionsTest, IssueCreatesAResolvableSession) {
    std::string token;
    loop.runUntilDone([&]() -> Task<void> { token = co_await sessions->issue(user.id); }());
    EXPECT_EQ(token.size(), 64u);
    auto resolved = resolve(token);
    ASSERT_TRUE(resolved.has_value());
    EXPECT_EQ(resolved->id, user.id);
}

}  // namespace
}  // namespace vigil::testing
