#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "RedisFixture.hpp"
#include "vigil/signaling/AuditChain.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::testing {
namespace {

using common::EventLoop;
using common::RedisClient;
using common::Task;
using signaling::AuditEntry;
using signaling::AuditLog;
using signaling::ChainBreak;
using signaling::kChainGenesis;
namespace keys = signaling::keys;

Task<void> appendMany(AuditLog* log, std::string actor, int count, std::vector<std::string>* ids) {
    for (int i = 0; i < count; ++i) {
        ids->push_back(co_await log->append(actor, "test.append", "t" + std::to_string(i),
                                            "{\"n\":" + std::to_string(i) + "}"));
    }
}

Task<std::vector<AuditEntry>> readAll(AuditLog* log) {
    std::vector<AuditEntry> all;
    std::string after = "-";
    for (;;) {
        auto page = co_await log->read(after, 700);
        if (page.empty()) break;
        after = page.back().id;
        all.insert(all.end(), page.begin(), page.end());
    }
    co_return all;
}

// Checks every link by hand (not through verifyChain), so a bug shared by the writer and
// the verifier does not hide itself.
void expectLinear(const std::vector<AuditEntry>& entries) {
    std::string prev = kChainGenesis;
    std::set<std::string> hashes;
    for (size_t i = 0; i < entries.size(); ++i) {
        EXPECT_EQ(entries[i].prev, prev) << "entry " << i;
        EXPECT_EQ(entries[i].hash, signaling::chainHash(entries[i].prev, entries[i].fields))
            << "entry " << i;
        EXPECT_TRUE(hashes.insert(entries[i].hash).second) << "duplicate hash at " << i;
        prev = entries[i].hash;
    }
}

class AuditLogTest : public RedisFixture {
protected:
    std::vector<AuditEntry> entries() {
        AuditLog reader(*redis);
        std::vector<AuditEntry> all;
        loop.runUntilDone([&]() -> Task<void> { all = co_await readAll(&reader); }());
        return all;
    }

    std::optional<ChainBreak> verify() {
        AuditLog verifier(*redis);
        std::optional<ChainBreak> result;
        loop.runUntilDone([&]() -> Task<void> { result = co_await verifier.verify(); }());
        return result;
    }

    std::vector<std::string> appendN(int n, const std::string& actor = "admin1") {
        AuditLog log(*redis);
        std::vector<std::string> ids;
        loop.runUntilDone(appendMany(&log, actor, n, &ids));
        return ids;
    }
};

TEST_F(AuditLogTest, EmptyLogVerifies) {
    EXPECT_FALSE(verify().has_value());
    EXPECT_TRUE(entries().empty());
}

TEST_F(AuditLogTest, AppendsFormAVerifiableChain) {
    auto ids = appendN(12);
    ASSERT_EQ(ids.size(), 12u);
    auto all = entries();
    ASSERT_EQ(all.size(), 12u);
    for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].id, ids[i]);
    expectLinear(all);
    EXPECT_EQ(all.front().prev, kChainGenesis);

    const auto& f = all[3].fields;
    ASSERT_EQ(f.size(), 5u);
    EXPECT_EQ(f[0].first, "ts");
    EXPECT_EQ(f[1], (std::pair<std::string, std::string>{"actor", "admin1"}));
    EXPECT_EQ(f[2], (std::pair<std::string, std::string>{"action", "test.append"}));
    EXPECT_EQ(f[3], (std::pair<std::string, std::string>{"target", "t3"}));
    EXPECT_EQ(f[4], (std::pair<std::string, std::string>{"detail", "{\"n\":3}"}));

    EXPECT_EQ(server.cli({"GET", keys::kAuditHead}), all.back().hash);
    EXPECT_FALSE(verify().has_value());
}

TEST_F(AuditLogTest, ReadPagesAfterAnId) {
    auto ids = appendN(7);
    AuditLog log(*redis);
    std::vector<AuditEntry> first, rest, none;
    loop.runUntilDone([&]() -> Task<void> {
        first = co_await log.read("-", 3);
        rest = co_await log.read(first.back().id, 100);
        none = co_await log.read(rest.back().id, 100);
    }());
    ASSERT_EQ(first.size(), 3u);
    ASSERT_EQ(rest.size(), 4u);
    EXPECT_TRUE(none.empty());
    EXPECT_EQ(first[0].id, ids[0]);
    EXPECT_EQ(rest[0].id, ids[3]);
    EXPECT_EQ(rest[0].prev, first[2].hash);
}

// Appends `count` entries and records the first error instead of letting it escape.
Task<void> appendManyRecording(AuditLog* log, std::string actor, int count,
                               std::vector<std::string>* ids, std::string* error, int* left) {
    try {
        co_await appendMany(log, std::move(actor), count, ids);
    } catch (const std::exception& e) {
        *error = e.what();
    }
    --*left;
}

TEST_F(AuditLogTest, TwoInstancesOnOneLoopInterleaveIntoOneChain) {
    auto second = connect("node2");
    AuditLog node1(*redis);
    AuditLog node2(*second);
    constexpr int kEach = 40;
    std::vector<std::string> ids1, ids2;
    std::string error1, error2;
    int remaining = 2;
    loop.runUntilDone([&]() -> Task<void> {
        // Both start from the genesis at once: one of them must lose the head and retry.
        common::spawn(appendManyRecording(&node1, "node1", kEach, &ids1, &error1, &remaining),
                      ignoreError);
        common::spawn(appendManyRecording(&node2, "node2", kEach, &ids2, &error2, &remaining),
                      ignoreError);
        for (int i = 0; i < 500 && remaining > 0; ++i)
            co_await loop.sleep(std::chrono::milliseconds(10));
    }());
    ASSERT_EQ(remaining, 0);
    EXPECT_EQ(error1, "");
    EXPECT_EQ(error2, "");
    EXPECT_EQ(ids1.size(), static_cast<size_t>(kEach));
    EXPECT_EQ(ids2.size(), static_cast<size_t>(kEach));
    auto all = entries();
    EXPECT_EQ(all.size(), ids1.size() + ids2.size());
    expectLinear(all);
    size_t switches = 0;
    for (size_t i = 1; i < all.size(); ++i) {
        if (all[i].fields[1].second != all[i - 1].fields[1].second) ++switches;
    }
    EXPECT_GT(switches, 0u) << "the two writers never interleaved";
    EXPECT_FALSE(verify().has_value());
}

// One "node": its own thread, event loop, connection and AuditLog.
void runNode(std::string url, std::string actor, int count, std::vector<std::string>* ids,
             std::string* error) {
    try {
        EventLoop loop;
        RedisClient::Options options;
        options.endpoint = common::RedisEndpoint::parseUrl(url);
        options.name = actor;
        RedisClient client(loop, options);
        client.start();
        loop.runUntilDone(client.waitConnected(std::chrono::seconds(5)));
        AuditLog log(client);
        loop.runUntilDone(appendMany(&log, actor, count, ids));
    } catch (const std::exception& e) {
        *error = e.what();
    }
}

TEST_F(AuditLogTest, TwoNodesAppendingConcurrentlyKeepOneLinearChain) {
    appendN(3, "before");  // The nodes start from a head they have never seen.
    constexpr int kEach = 150;
    std::vector<std::string> ids1, ids2;
    std::string error1, error2;
    std::thread a(runNode, server.url(), "node1", kEach, &ids1, &error1);
    std::thread b(runNode, server.url(), "node2", kEach, &ids2, &error2);
    a.join();
    b.join();
    EXPECT_EQ(error1, "");
    EXPECT_EQ(error2, "");
    EXPECT_EQ(ids1.size(), static_cast<size_t>(kEach));
    EXPECT_EQ(ids2.size(), static_cast<size_t>(kEach));

    auto all = entries();
    expectLinear(all);
    EXPECT_EQ(all.size(), 3u + ids1.size() + ids2.size());
    ASSERT_EQ(all.size(), 3u + 2 * kEach);
    size_t fromNode1 = 0, fromNode2 = 0;
    for (const auto& e : all) {
        fromNode1 += e.fields[1].second == "node1";
        fromNode2 += e.fields[1].second == "node2";
    }
    EXPECT_EQ(fromNode1, static_cast<size_t>(kEach));
    EXPECT_EQ(fromNode2, static_cast<size_t>(kEach));
    EXPECT_EQ(server.cli({"GET", keys::kAuditHead}), all.back().hash);
    EXPECT_FALSE(verify().has_value());
}

TEST_F(AuditLogTest, EditedEntryIsNamed) {
    appendN(6);
    auto original = entries();
    // Rewrite the stream with the same ids, changing one field of entry 2.
    loop.runUntilDone([&]() -> Task<void> {
        co_await redis->cmd("DEL", keys::kAudit);
        for (size_t i = 0; i < original.size(); ++i) {
            std::vector<std::string> args{"XADD", keys::kAudit, original[i].id};
            for (const auto& [k, v] : original[i].fields) {
                args.push_back(k);
                args.push_back(i == 2 && k == "actor" ? std::string("someone-else") : v);
            }
            args.insert(args.end(), {"prev", original[i].prev, "hash", original[i].hash});
            co_await redis->command(std::move(args));
        }
    }());
    auto broken = verify();
    ASSERT_TRUE(broken.has_value());
    EXPECT_EQ(broken->index, 2u);
    EXPECT_EQ(broken->id, original[2].id);
    EXPECT_EQ(broken->reason, "hash does not match");
}

TEST_F(AuditLogTest, EditedEntryWithRecomputedHashBreaksTheNextLink) {
    appendN(5);
    auto original = entries();
    // A forger who recomputes the edited entry's own hash still breaks the link after it.
    loop.runUntilDone([&]() -> Task<void> {
        co_await redis->cmd("DEL", keys::kAudit);
        for (size_t i = 0; i < original.size(); ++i) {
            auto fields = original[i].fields;
            std::string hash = original[i].hash;
            if (i == 1) {
                fields[4].second = "{\"n\":999}";
                hash = signaling::chainHash(original[i].prev, fields);
            }
            std::vector<std::string> args{"XADD", keys::kAudit, original[i].id};
            for (const auto& [k, v] : fields) {
                args.push_back(k);
                args.push_back(v);
            }
            args.insert(args.end(), {"prev", original[i].prev, "hash", hash});
            co_await redis->command(std::move(args));
        }
    }());
    auto broken = verify();
    ASSERT_TRUE(broken.has_value());
    EXPECT_EQ(broken->index, 2u);
    EXPECT_EQ(broken->id, original[2].id);
    EXPECT_EQ(broken->reason, "prev does not match");
}

TEST_F(AuditLogTest, DeletedEntryBreaksTheLinkAfterIt) {
    auto ids = appendN(6);
    EXPECT_EQ(server.cli({"XDEL", keys::kAudit, ids[3]}), "1");
    auto broken = verify();
    ASSERT_TRUE(broken.has_value());
    EXPECT_EQ(broken->index, 3u);
    EXPECT_EQ(broken->id, ids[4]);
    EXPECT_EQ(broken->reason, "prev does not match");
}

TEST_F(AuditLogTest, DeletedLastEntriesAreNoticed) {
    auto ids = appendN(5);
    EXPECT_EQ(server.cli({"XDEL", keys::kAudit, ids[4]}), "1");
    EXPECT_EQ(server.cli({"XDEL", keys::kAudit, ids[3]}), "1");
    auto broken = verify();
    ASSERT_TRUE(broken.has_value()) << "a truncated chain must not verify";
    EXPECT_EQ(broken->index, 3u);
    EXPECT_EQ(broken->id, ids[2]);
}

TEST_F(AuditLogTest, DeletedStreamIsNoticed) {
    appendN(3);
    EXPECT_EQ(server.cli({"DEL", keys::kAudit}), "1");
    EXPECT_TRUE(verify().has_value());
}

TEST_F(AuditLogTest, ForgedEntryWithWrongPrevIsNamed) {
    appendN(4);
    const std::string wrongPrev(64, 'a');
    signaling::AuditFields fields{{"ts", "1795950000000"},
                                  {"actor", "intruder"},
                                  {"action", "recording.play"},
                                  {"target", "rec1"},
                                  {"detail", "{}"}};
    std::vector<std::string> args{"XADD", keys::kAudit, "*"};
    for (const auto& [k, v] : fields) {
        args.push_back(k);
        args.push_back(v);
    }
    args.insert(args.end(), {"prev", wrongPrev, "hash", signaling::chainHash(wrongPrev, fields)});
    std::string forgedId = server.cli(args);
    ASSERT_FALSE(forgedId.empty());

    auto broken = verify();
    ASSERT_TRUE(broken.has_value());
    EXPECT_EQ(broken->index, 4u);
    EXPECT_EQ(broken->id, forgedId);
    EXPECT_EQ(broken->reason, "prev does not match");

    // The next honest append chains from the real head, not from the forgery: the break
    // stays where it is.
    appendN(1);
    auto again = verify();
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->id, forgedId);
}

TEST_F(AuditLogTest, BreakAcrossPagesIsNamedAtItsPosition) {
    // verify() reads 1000 entries a page: a gap right at the page boundary must be seen.
    auto ids = appendN(2100);
    ASSERT_EQ(ids.size(), 2100u);
    EXPECT_FALSE(verify().has_value());
    EXPECT_EQ(server.cli({"XDEL", keys::kAudit, ids[1000]}), "1");
    auto broken = verify();
    ASSERT_TRUE(broken.has_value());
    EXPECT_EQ(broken->index, 1000u);
    EXPECT_EQ(broken->id, ids[1001]);

    // A second gap further on does not hide the first.
    EXPECT_EQ(server.cli({"XDEL", keys::kAudit, ids[1500]}), "1");
    auto still = verify();
    ASSERT_TRUE(still.has_value());
    EXPECT_EQ(still->index, 1000u);
}

}  // namespace
}  // namespace vigil::testing
