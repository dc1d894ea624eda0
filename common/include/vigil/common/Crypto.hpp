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

// `bytes` random bytes as lower-case hex.
std::string randomHex(size_t bytes);

// argon2id string (libsodium crypto_pwhash_str, interactive limits). Slow on purpose:
// never call it on the event-loop thread.
std::string hashPassword(const std::string& password);
bool verifyPassword(const std::string& hash, const std::string& password);

}  // namespace vigil::common
