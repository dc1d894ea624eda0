#include <gtest/gtest.h>

#include <cctype>
#include <memory>
#include <optional>
#include <string>
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

    Attempt login(const std::string& username, const std::string& password) {
        Attempt a;
        loop.runUntilDone([&]() -> Task<void> {
            try {
                a.result = co_await sessions->login(username, password, "127.0.0.1");
            } catch (const ApiError& e) {
                a.code = e.code();
                a.message = e.what();
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

TEST_F(SessionsTest, UnknownUserIsUnauthenticatedAndAudited) {
    auto a = login("nobody", kPassword);
    EXPECT_EQ(a.code, "unauthenticated");
    auto b = login("BAD NAME!", kPassword);
    EXPECT_EQ(b.code, "unauthenticated");
    auto failed = auditEntries("login_failed");
    EXPECT_EQ(failed.size(), 2u);
}

TEST_F(SessionsTest, FiveWrongPasswordsLockTheAccount) {
    ASSERT_EQ(config.lockoutAttempts, 5);
    for (int i = 0; i < 4; ++i) {
        auto a = login("subject01", "wrong-" + std::to_string(i));
        EXPECT_EQ(a.code, "unauthenticated") << i;
    }
    EXPECT_TRUE(auditEntries("account_locked").empty());
    auto fifth = login("subject01", "wrong-5");
    EXPECT_EQ(fifth.code, "unauthenticated");

    auto locked = login("subject01", kPassword);
    EXPECT_FALSE(locked.result.has_value());
    EXPECT_EQ(locked.code, "account_locked");
    EXPECT_EQ(server.cli({"--scan", "--pattern", "vigil:session:*"}), "");

    auto failed = auditEntries("login_failed");
    EXPECT_EQ(failed.size(), 5u);
    for (const auto& e : failed) EXPECT_EQ(field(e, "target"), user.id);
    auto lockedEntries = auditEntries("account_locked");
    ASSERT_EQ(lockedEntries.size(), 1u);
    EXPECT_EQ(field(lockedEntries[0], "target"), user.id);
    EXPECT_EQ(auditEntries("login_refused").size(), 1u);
    EXPECT_TRUE(auditEntries("login").empty());

    int ttl = std::stoi(server.cli({"TTL", keys::lock(user.id)}));
    EXPECT_GT(ttl, config.lockoutMinutes * 60 - 10);

    // The whole audit trail of the episode is an intact chain.
    std::optional<signaling::ChainBreak> broken;
    loop.runUntilDone([&]() -> Task<void> { broken = co_await audit->verify(); }());
    EXPECT_FALSE(broken.has_value());
}

TEST_F(SessionsTest, LockExpiresAndASuccessfulLoginResetsTheCount) {
    config.lockoutAttempts = 3;
    login("subject01", "wrong-1");
    login("subject01", "wrong-2");
    ASSERT_TRUE(login("subject01", kPassword).result.has_value());  // resets the count
    login("subject01", "wrong-3");
    login("subject01", "wrong-4");
    EXPECT_TRUE(login("subject01", kPassword).result.has_value())
        << "only two failures since the last success";

    for (int i = 0; i < 3; ++i) login("subject01", "wrong");
    EXPECT_EQ(login("subject01", kPassword).code, "account_locked");
    server.cli({"DEL", keys::lock(user.id)});  // The lockout period has passed.
    EXPECT_TRUE(login("subject01", kPassword).result.has_value());
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
