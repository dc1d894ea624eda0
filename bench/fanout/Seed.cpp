#include "Seed.hpp"

#include <cstdio>

namespace fanout {

namespace {
const char* kDemoPassword = "Demo!2026";
const char* kSubjectPassword = "Fanout!2026";
const char* kSubjectUnit = "zj-hz-xh-zt";  // c1's enrolment unit
}  // namespace

Accounts seedAccounts(Server& server, int subjects) {
    server.cli({"demo", "seed"});
    Accounts a;
    a.teacher = server.login("officer.wang", kDemoPassword);
    a.audience.push_back(server.login("admin", kDemoPassword));
    a.audience.push_back(server.login("officer.li", kDemoPassword));
    for (int i = 1; i <= subjects; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "camera%03d", i);
        server.cli({"user", "add", "--username", name, "--name", name, "--unit", kSubjectUnit},
                   kSubjectPassword);
        a.subjects.push_back(server.login(name, kSubjectPassword));
    }
    return a;
}

}  // namespace fanout
