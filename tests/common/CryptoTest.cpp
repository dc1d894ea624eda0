#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "vigil/common/Crypto.hpp"

using namespace vigil::common;

namespace {

std::string tempPath(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / ("vigil-crypto-" + randomHex(6));
    return (dir / name).string();
}

}  // namespace

TEST(CryptoTest, SealedDataOpensOnlyWithTheKeyAndUnaltered) {
    initCrypto();
    std::string key(kSecretKeyBytes, 'k');
    std::string photo = "\xFF\xD8\xFF JFIF a photo";
    std::string sealed = sealSecret(photo, key);
    EXPECT_EQ(sealed.find("JFIF"), std::string::npos);
    EXPECT_NE(sealSecret(photo, key), sealed);  // A fresh nonce every time.
    ASSERT_TRUE(openSecret(sealed, key));
    EXPECT_EQ(*openSecret(sealed, key), photo);
    std::string other(kSecretKeyBytes, 'x');
    EXPECT_FALSE(openSecret(sealed, other));
    std::string altered = sealed;
    altered.back() = static_cast<char>(altered.back() ^ 1);
    EXPECT_FALSE(openSecret(altered, key));
    EXPECT_FALSE(openSecret("short", key));
    EXPECT_THROW(sealSecret(photo, "short key"), std::invalid_argument);
}

TEST(CryptoTest, KeyFileIsCreatedPrivateAndReadBack) {
    initCrypto();
    std::string path = tempPath("keys/reference.key");
    std::string key = loadOrCreateSecretKey(path);
    EXPECT_EQ(key.size(), kSecretKeyBytes);
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(loadOrCreateSecretKey(path), key);
    std::ofstream(path, std::ios::trunc) << "not hex\n";
    EXPECT_THROW(loadOrCreateSecretKey(path), std::runtime_error);
    std::filesystem::remove_all(std::filesystem::path(path).parent_path().parent_path());
}

TEST(CryptoTest, Base64RoundTripsAndRejectsGarbage) {
    std::string bytes("\x00\x01\xFE\xFF floats", 11);
    auto text = base64Encode(bytes);
    EXPECT_EQ(text, "AAH+/yBmbG9hdHM=");
    ASSERT_TRUE(base64Decode(text));
    EXPECT_EQ(*base64Decode(text), bytes);
    EXPECT_FALSE(base64Decode("not base64 !"));
    EXPECT_EQ(*base64Decode(""), "");
}

TEST(CryptoTest, HmacSha256MatchesRfc4231) {
    // RFC 4231, test case 2.
    EXPECT_EQ(vigil::common::hmacSha256Hex("what do ya want for nothing?", "Jefe"),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
