#include "MediaProbe.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace vigil::testing {

ProcessStats processStats(pid_t pid) {
    ProcessStats stats;
    const std::string dir = "/proc/" + std::to_string(pid) + "/";

    std::ifstream status(dir + "status");
    for (std::string line; std::getline(status, line);) {
        std::istringstream fields(line);
        std::string key;
        fields >> key;
        if (key == "Threads:") fields >> stats.threads;
        if (key == "VmRSS:") fields >> stats.rssKb;
    }

    std::ifstream statFile(dir + "stat");
    std::string stat;
    std::getline(statFile, stat);
    // The command name (field 2) may hold spaces and parentheses: fields are counted from the
    // last ')'. utime and stime are fields 14 and 15, i.e. the 12th and 13th after it.
    auto close = stat.rfind(')');
    if (close != std::string::npos) {
        std::istringstream fields(stat.substr(close + 1));
        std::string field;
        unsigned long long utime = 0;
        unsigned long long stime = 0;
        int index = 3;
        bool ok = false;
        while (fields >> field) {
            if (index == 14) utime = std::stoull(field);
            if (index == 15) {
                stime = std::stoull(field);
                ok = true;
                break;
            }
            ++index;
        }
        long ticks = sysconf(_SC_CLK_TCK);
        if (ok && ticks > 0) stats.cpuSeconds = static_cast<double>(utime + stime) / ticks;
    }
    return stats;
}

}  // namespace vigil::testing
