#pragma once
// What checkin_bench prints at the end.

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "CheckinRun.hpp"
#include "Options.hpp"
#include "Processes.hpp"

namespace checkin {

struct RunFigures {
    Options options;
    int prepared = 0;
    std::map<std::string, int> setupFailures;
    double setupSeconds = 0;
    std::vector<CheckinOutcome> outcomes;
    std::optional<ws_load::ProcSample> serverBefore;  // all subjects prepared, none checking in
    std::optional<ws_load::ProcSample> serverAfter;
    long serverPeakRssKiB = 0;  // sampled every second during the window
    double elapsedSeconds = 0;  // window start to the last decision or failure
    std::string loadBefore;
    std::string loadAfter;
};

void printReport(std::ostream& out, const RunFigures& figures);

}  // namespace checkin
