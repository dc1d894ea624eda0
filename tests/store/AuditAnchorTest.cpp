// The audit chain's checkpoints outside Redis: someone with write access to Redis rebuilds a
// chain whose hashes agree, cuts its tail, or deletes it; the chain alone cannot tell, the
// anchor does. A forged or edited checkpoint line is refused.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "RedisFixture.hpp"
#include "vigil/signaling/AuditAnchor.hpp"
#include "vigil/signaling/AuditChain.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::testing {
namespace {

using common::Task;
using signaling::AuditAnchor;
using signaling::AuditEntry;
using signaling::AuditLog;
using signaling::ChainBreak;
using signaling::kChainGenesis;
namespace keys = signaling::keys;

class AuditAnchorTest : public RedisFixture {
protected:
    void SetUp() override {
        RedisFixture::SetUp();
        path = makeTempDir("vigil-anchor") + "/anchor.log";
        key = std::string(common::kSecretKeyBytes, 'k');
    }

    // Appends `n` entries through a log anchored in `path` (a checkpoint per entry).
    void appendAnchored(int n) {
        AuditAnchor anchor(loop, path, key, std::chrono::milliseconds(0));
        AuditLog log(*redis, &anchor);
        loop.runUntilDone([&]() -> Task<void> {
            for (int i = 0; i < n; ++i)
                co_await log.append("admin1", "test.append", "t" + std::to_string(i), "{}");
        }());
    }

    std::vector<AuditEntry> entries() {
        AuditLog reader(*redis);
        std::vector<AuditEntry> all;
        loop.runUntilDone([&]() -> Task<void> { all = co_await reader.read("-", 1000); }());
        return all;
    }

    std::optional<ChainBreak> verify(bool anchored) {
        std::vector<AuditAnchor::Checkpoint> checkpoints;
        if (anchored) {
            auto contents = AuditAnchor::load(path, key);
            EXPECT_FALSE(contents.problem.has_value()) << *contents.problem;
            checkpoints = contents.checkpoints;
        }
        AuditLog verifier(*redis);
        std::optional<ChainBreak> result;
        loop.runUntilDone(
            [&]() -> Task<void> { result = co_await verifier.verify(checkpoints); }());
        return result;
    }

    // Writes `chain` as the whole stream, each entry re-linked and re-hashed from genesis, and
    // moves the head key to its end: a forger with Redis access and this code.
    void rewrite(std::vector<AuditEntry> chain) {
        loop.runUntilDone([&]() -> Task<void> {
            co_await redis->cmd("DEL", keys::kAudit);
            std::string prev = kChainGenesis;
            for (auto& e : chain) {
                e.prev = prev;
                e.hash = signaling::chainHash(prev, e.fields);
                std::vector<std::string> args{"XADD", keys::kAudit, e.id};
                for (const auto& [k, v] : e.fields) {
                    args.push_back(k);
                    args.push_back(v);
                }
                args.insert(args.end(), {"prev", e.prev, "hash", e.hash});
                co_await redis->command(std::move(args));
                prev = e.hash;
            }
            co_await redis->cmd("SET", keys::kAuditHead, prev);
        }());
    }

    std::string path;
    std::string key;
};

TEST_F(AuditAnchorTest, EachAppendLeavesASignedCheckpoint) {
    appendAnchored(3);
    auto all = entries();
    auto contents = AuditAnchor::load(path, key);
    ASSERT_FALSE(contents.problem.has_value()) << *contents.problem;
    ASSERT_EQ(contents.checkpoints.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(contents.checkpoints[i].id, all[i].id);
        EXPECT_EQ(contents.checkpoints[i].hash, all[i].hash);
    }
    EXPECT_FALSE(verify(true).has_value());
}

TEST_F(AuditAnchorTest, BurstIsCheckpointedOnceItsIntervalEnds) {
    {
        AuditAnchor anchor(loop, path, key, std::chrono::milliseconds(500));
        AuditLog log(*redis, &anchor);
        loop.runUntilDone([&]() -> Task<void> {
            for (int i = 0; i < 5; ++i) co_await log.append("admin1", "test.append", "t", "{}");
            // The first append is written at once, the burst's last when the interval ends.
            for (int i = 0; i < 250 && AuditAnchor::load(path, key).checkpoints.size() < 2; ++i)
                co_await loop.sleep(std::chrono::milliseconds(20));
        }());
    }
    auto contents = AuditAnchor::load(path, key);
    ASSERT_EQ(contents.checkpoints.size(), 2u);
    EXPECT_EQ(contents.checkpoints.back().id, entries().back().id);
}

TEST_F(AuditAnchorTest, RebuiltChainIsCaughtByItsCheckpoints) {
    appendAnchored(5);
    auto chain = entries();
    chain[1].fields[4].second = "{\"edited\":true}";
    rewrite(chain);
    EXPECT_FALSE(verify(false).has_value()) << "the chain alone cannot see a full rebuild";
    auto broken = verify(true);
    ASSERT_TRUE(broken.has_value());
    EXPECT_EQ(broken->id, chain[1].id);
    EXPECT_NE(broken->reason.find("rewritten"), std::string::npos) << broken->reason;
}

TEST_F(AuditAnchorTest, CutTailIsCaught) {
    appendAnchored(5);
    auto chain = entries();
    const std::string lastId = chain.back().id;
    chain.pop_back();
    rewrite(chain);  // The head key moved back too: consistent in Redis.
    EXPECT_FALSE(verify(false).has_value());
    auto broken = verify(true);
    ASSERT_TRUE(broken.has_value());
    EXPECT_EQ(broken->id, lastId);
    EXPECT_NE(broken->reason.find("removed"), std::string::npos) << broken->reason;
}

TEST_F(AuditAnchorTest, DeletedLogIsMissingNotIntact) {
    appendAnchored(3);
    server.cli({"DEL", keys::kAudit, keys::kAuditHead});
    EXPECT_FALSE(verify(false).has_value());
    auto broken = verify(true);
    ASSERT_TRUE(broken.has_value());
    EXPECT_NE(broken->reason.find("missing"), std::string::npos) << broken->reason;
}

TEST_F(AuditAnchorTest, ForgedOrEditedCheckpointIsRefused) {
    appendAnchored(2);
    {
        std::ofstream out(path, std::ios::app);
        out << "1-0 " << std::string(64, 'a') << " 1 " << std::string(64, 'b') << "\n";
    }
    auto forged = AuditAnchor::load(path, key);
    ASSERT_TRUE(forged.problem.has_value());
    EXPECT_NE(forged.problem->find("line 3"), std::string::npos) << *forged.problem;
    // Signed with another key: refused as well.
    auto other = AuditAnchor::load(path, std::string(common::kSecretKeyBytes, 'x'));
    ASSERT_TRUE(other.problem.has_value());
    EXPECT_NE(other.problem->find("line 1"), std::string::npos) << *other.problem;
}

TEST_F(AuditAnchorTest, AnchoredLogVerifiesAgainstItsOwnFile) {
    AuditAnchor anchor(loop, path, key, std::chrono::milliseconds(0));
    AuditLog log(*redis, &anchor);
    std::optional<ChainBreak> before, after;
    loop.runUntilDone([&]() -> Task<void> {
        co_await log.append("admin1", "test.append", "t", "{}");
        before = co_await log.verify();
        co_await redis->cmd("DEL", keys::kAudit, keys::kAuditHead);
        after = co_await log.verify();
    }());
    EXPECT_FALSE(before.has_value()) << before->reason;
    ASSERT_TRUE(after.has_value());
    EXPECT_NE(after->reason.find("missing"), std::string::npos) << after->reason;
}

}  // namespace
}  // namespace vigil::testing
