// Face references at rest: the embedding, like the photo, is stored only sealed with the
// reference key; another key opens nothing; a reference written before embeddings were
// sealed is still read, and sealed in place.

#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "RedisFixture.hpp"
#include "vigil/common/Crypto.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Keys.hpp"
#include "vigil/signaling/ReferenceStore.hpp"

namespace vigil::testing {
namespace {

using common::Task;
using nlohmann::json;
using signaling::FaceReference;
using signaling::ReferenceStore;
namespace keys = signaling::keys;

const std::vector<float> kEmbedding{0.25F, -0.5F, 0.125F, 1.0F};

std::string plainBase64(const std::vector<float>& v) {
    std::string bytes(v.size() * sizeof(float), '\0');
    std::memcpy(bytes.data(), v.data(), bytes.size());
    return common::base64Encode(bytes);
}

class ReferenceStoreTest : public RedisFixture {
protected:
    std::vector<FaceReference> list(const std::string& withKey) {
        signaling::AuditLog audit(*redis);
        ReferenceStore store(*redis, audit, withKey, true);
        std::vector<FaceReference> out;
        loop.runUntilDone([&]() -> Task<void> { out = co_await store.list("s1"); }());
        return out;
    }

    std::string key = std::string(common::kSecretKeyBytes, 'r');
};

TEST_F(ReferenceStoreTest, EmbeddingIsStoredSealed) {
    signaling::AuditLog audit(*redis);
    ReferenceStore store(*redis, audit, key, true);
    signaling::ReferenceCheck check;
    check.code = "ok";
    check.model = "arcface";
    check.embedding = kEmbedding;
    FaceReference added;
    loop.runUntilDone([&]() -> Task<void> {
        added = co_await store.add("s1", check, "photo-bytes", "upload", "admin1");
    }());
    const std::string raw = server.cli({"HGET", keys::references("s1"), added.id});
    auto stored = json::parse(raw, nullptr, false);
    ASSERT_TRUE(stored.is_object()) << raw;
    EXPECT_FALSE(stored.contains("embedding")) << raw;
    EXPECT_TRUE(stored.contains("embedding_sealed")) << raw;
    EXPECT_EQ(raw.find(plainBase64(kEmbedding)), std::string::npos) << raw;

    auto read = list(key);
    ASSERT_EQ(read.size(), 1u);
    EXPECT_EQ(read[0].embedding, kEmbedding);
    EXPECT_TRUE(list(std::string(common::kSecretKeyBytes, 'x')).empty())
        << "another key opens nothing";
}

TEST_F(ReferenceStoreTest, PlainEmbeddingFromBeforeIsReadAndSealed) {
    json legacy{{"id", "r1"},
                {"subject", "s1"},
                {"model", "arcface"},
                {"source", "cli"},
                {"by", "cli"},
                {"created", 1},
                {"embedding", plainBase64(kEmbedding)}};
    server.cli({"HSET", keys::references("s1"), "r1", legacy.dump()});
    auto read = list(key);
    ASSERT_EQ(read.size(), 1u);
    EXPECT_EQ(read[0].embedding, kEmbedding);
    // The rewrite is fire-and-forget on the same connection: a command after it sees it.
    loop.runUntilDone([&]() -> Task<void> { co_await redis->cmd("PING"); }());
    auto stored = json::parse(server.cli({"HGET", keys::references("s1"), "r1"}), nullptr, false);
    ASSERT_TRUE(stored.is_object());
    EXPECT_FALSE(stored.contains("embedding"));
    EXPECT_TRUE(stored.contains("embedding_sealed"));
    EXPECT_EQ(list(key).at(0).embedding, kEmbedding);
}

}  // namespace
}  // namespace vigil::testing
