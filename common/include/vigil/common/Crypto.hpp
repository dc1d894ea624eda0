#pragma once
// Hashing, random tokens and password hashing (libsodium).

#include <optional>
#include <string>
#include <string_view>

namespace vigil::common {

// Must be called once before any other function here (idempotent, thread-safe).
void initCrypto();

// Lower-case hex SHA-256 of `data`.
std::string sha256Hex(std::string_view data);

// Lower-case hex SHA-256 of the file at `path`, read in pieces (a file of any size uses
// little memory); nullopt if it cannot be opened or read. Blocking file I/O.
std::optional<std::string> sha256File(const std::string& path);

// Lower-case hex HMAC-SHA-256 of `data` under `key` (any length).
std::string hmacSha256Hex(std::string_view data, std::string_view key);

// `bytes` random bytes as lower-case hex.
std::string randomHex(size_t bytes);

// Authenticated secret-key encryption (libsodium secretbox: XSalsa20-Poly1305) with a
// 32-byte key. seal() returns nonce || ciphertext; open() returns nullopt when the data was
// altered or the key is wrong.
inline constexpr size_t kSecretKeyBytes = 32;
std::string sealSecret(std::string_view plaintext, std::string_view key);
std::optional<std::string> openSecret(std::string_view sealed, std::string_view key);
// Reads a hex key of kSecretKeyBytes from `path`, creating it (mode 0600, random) when the
// file does not exist. Throws std::runtime_error when it exists but is not such a key.
std::string loadOrCreateSecretKey(const std::string& path);

// Standard base64 with padding; decode gives nullopt on anything else.
std::string base64Encode(std::string_view data);
std::optional<std::string> base64Decode(std::string_view text);

// argon2id string (libsodium crypto_pwhash_str, interactive limits). Slow on purpose:
// never call it on the event-loop thread.
std::string hashPassword(const std::string& password);
bool verifyPassword(const std::string& hash, const std::string& password);

}  // namespace vigil::common
