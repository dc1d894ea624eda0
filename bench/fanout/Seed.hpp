#pragma once
// The accounts of a run, made as an administrator would: `vigil demo seed` (class c1, open
// now, taught by officer.wang) and `vigil user add` for the subjects with cameras. Each
// account logs in once: a login costs an argon2id hash, and one token serves many sockets.

#include <string>
#include <vector>

#include "Server.hpp"

namespace fanout {

// `vigil demo seed` on an empty database: this class opens now.
inline const std::string kClassId = "c1";

struct Accounts {
    Login teacher;  // officer.wang, who publishes the class's main stream
    // admin and officer.li: teachers of c1 too, so one token serves any number of viewers
    // (a subject's second connection would replace its first).
    std::vector<Login> audience;
    std::vector<Login> subjects;  // one per camera, enrolled in c1
};

// Throws std::runtime_error when the CLI or a login fails.
Accounts seedAccounts(Server& server, int subjects);

}  // namespace fanout
