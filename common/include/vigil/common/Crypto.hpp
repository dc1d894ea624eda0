#pragma once
// Hashing, random tokens and password hashing (libsodium).

#include <string>
#include <string_view>

namespace vigil::common {

// Must be called once before any other function here (idempotent, thread-safe).
void initCrypto();

// Lower-case hex SHA-256 of `data`.
std::string sha256Hex(std::string_view data);

// `bytes` random bytes as lower-case hex.
std::string randomHex(size_t bytes);

// argon2id string (libsodium crypto_pwhash_str, interactive limits). Slow on purpose:
// never call it on the event-loop thread.
std::string hashPassword(const std::string& password);
bool verifyPassword(const std::string& hash, const std::string& password);

}  // namespace vigil::common
