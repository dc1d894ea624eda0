#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "vigil/common/Crypto.hpp"
#include "vigil/signaling/AuditChain.hpp"

namespace vigil::signaling {
namespace {

class AuditChainTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { common::initCrypto(); }

    // A chain written the way the store appends: each entry links to the one before.
    static std::vector<AuditEntry> chain(size_t n) {
        std::vector<AuditEntry> out;
        std::string prev = kChainGenesis;
        for (size_t i = 0; i < n; ++i) {
            AuditEntry e;
            e.id = std::to_string(1795950000000 + i * 1000) + "-0";
            e.fields = {{"ts", std::to_string(1795950000000 + i * 1000)},
                        {"actor", "admin1"},
                        {"action", i % 2 == 0 ? "recording.play" : "export.csv"},
                        {"target", "rec" + std::to_string(i)},
                        {"detail", "{\"unit\":\"u1\"}"}};
            e.prev = prev;
            e.hash = chainHash(e.prev, e.fields);
            prev = e.hash;
            out.push_back(std::move(e));
        }
        return out;
    }
};

TEST_F(AuditChainTest, GenesisIsSixtyFourZeros) {
    EXPECT_EQ(std::string(kChainGenesis), std::string(64, '0'));
}

TEST_F(AuditChainTest, HashIsSha256OfTheDocumentedNetstringEncoding) {
    // Recomputed here from the format in the header, as an outside auditor would.
    AuditFields fields{{"ts", "1795950000000"}, {"actor", "admin1"}, {"detail", ""}};
    std::string encoded =
        "64:" + std::string(kChainGenesis) + ",2:ts,13:1795950000000,5:actor,6:admin1,6:detail,0:,";
    std::string hash = chainHash(kChainGenesis, fields);
    EXPECT_EQ(hash, common::sha256Hex(encoded));
    ASSERT_EQ(hash.size(), 64u);
    EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST_F(AuditChainTest, HashSeparatesFieldBoundaries) {
    // Concatenations that a naive join would confuse must hash differently.
    const std::string p = kChainGenesis;
    EXPECT_NE(chainHash(p, {{"ab", "c"}}), chainHash(p, {{"a", "bc"}}));
    EXPECT_NE(chainHash(p, {{"a", "b"}, {"c", "d"}}), chainHash(p, {{"a", "b,c"}, {"d", ""}}));
    EXPECT_NE(chainHash(p, {{"a", "1:b,"}}), chainHash(p, {{"a", ""}, {"b", ""}}));
    EXPECT_NE(chainHash(p, {}), chainHash(p + "x", {}));
    EXPECT_NE(chainHash(p, {{"a", "b"}, {"c", "d"}}), chainHash(p, {{"c", "d"}, {"a", "b"}}));
    EXPECT_EQ(chainHash(p, {{"a", "b"}}), chainHash(p, {{"a", "b"}}));
}

TEST_F(AuditChainTest, ValidChainVerifies) {
    EXPECT_FALSE(verifyChain(chain(5)).has_value());
    EXPECT_FALSE(verifyChain({}).has_value());
}

TEST_F(AuditChainTest, TamperedFieldIsReportedAtThatEntry) {
    auto entries = chain(5);
    entries[2].fields[1].second = "someone-else";
    auto broken = verifyChain(entries);
    ASSERT_TRUE(broken.has_value());
    EXPECT_EQ(broken->index, 2u);
    EXPECT_EQ(broken->id, entries[2].id);
    EXPECT_EQ(broken->reason, "hash does not match");
}

TEST_F(AuditChainTest, RehashedTamperedEntryBreaksTheNextLink) {
    // Recomputing the edited entry's own hash is not enough: the next entry still holds the
    // old one.
    auto entries = chain(5);
    entries[2].fields[2].second = "nothing.happened";
    entries[2].hash = chainHash(entries[2].prev, entries[2].fields);
    auto broken = verifyChain(entries);
    ASSERT_TRUE(broken.has_value());
    EXPECT_EQ(broken->index, 3u);
    EXPECT_EQ(broken->reason, "prev does not match");
}

TEST_F(AuditChainTest, RemovedEntryIsReportedAtTheEntryAfterTheGap) {
    auto entries = chain(5);
    const std::string idAfterGap = entries[2].id;
    entries.erase(entries.begin() + 1);
    auto broken = verifyChain(entries);
    ASSERT_TRUE(broken.has_value());
    EXPECT_EQ(broken->index, 1u);
    EXPECT_EQ(broken->id, idAfterGap);
    EXPECT_EQ(broken->reason, "prev does not match");
}

TEST_F(AuditChainTest, RemovedLastEntryNeedsTheKnownHead) {
    // Truncating the tail leaves a consistent chain; only a head hash kept elsewhere shows it.
    auto entries = chain(5);
    entries.pop_back();
    EXPECT_FALSE(verifyChain(entries).has_value());
}

TEST_F(AuditChainTest, ReorderedEntriesAreReported) {
    auto entries = chain(5);
    std::swap(entries[1], entries[2]);
    auto broken = verifyChain(entries);
    ASSERT_TRUE(broken.has_value());
    EXPECT_EQ(broken->index, 1u);
    EXPECT_EQ(broken->reason, "prev does not match");
}

TEST_F(AuditChainTest, WrongGenesisIsReportedAtTheFirstEntry) {
    auto entries = chain(3);
    auto broken = verifyChain(entries, std::string(63, '0') + "1");
    ASSERT_TRUE(broken.has_value());
    EXPECT_EQ(broken->index, 0u);
    EXPECT_EQ(broken->id, entries[0].id);
    EXPECT_EQ(broken->reason, "prev does not match");

    // A chain whose first entry claims another genesis fails the default check.
    auto forged = chain(3);
    forged[0].prev = std::string(64, 'f');
    forged[0].hash = chainHash(forged[0].prev, forged[0].fields);
    broken = verifyChain(forged);
    ASSERT_TRUE(broken.has_value());
    EXPECT_EQ(broken->index, 0u);
}

TEST_F(AuditChainTest, SuffixVerifiesFromACheckpoint) {
    // Verifying a page of the log that starts after a hash already verified.
    auto entries = chain(6);
    std::vector<AuditEntry> page(entries.begin() + 3, entries.end());
    EXPECT_FALSE(verifyChain(page, entries[2].hash).has_value());
    auto broken = verifyChain(page);
    ASSERT_TRUE(broken.has_value());
    EXPECT_EQ(broken->index, 0u);
}

}  // namespace
}  // namespace vigil::signaling
