#pragma once
// Resource use of a process (the server under test), read from /proc, so that tests can bound
// what each media session costs.

#include <sys/types.h>

namespace vigil::testing {

struct ProcessStats {
    long threads = -1;         // -1 when unknown (e.g. the process is gone).
    long rssKb = -1;           // Resident set size.
    double cpuSeconds = -1.0;  // User plus system time since the process started.
};

ProcessStats processStats(pid_t pid);

}  // namespace vigil::testing
