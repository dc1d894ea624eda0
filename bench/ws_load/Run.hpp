#pragma once
// Everything one ws_load run finds out, filled in phase by phase and printed at the end.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "Fleet.hpp"
#include "Options.hpp"
#include "Processes.hpp"
#include "Seed.hpp"

namespace ws_load {

// The server under test and its Redis: ours (children) or given on the command line.
struct Target {
    HostPort http;
    std::string redisUrl;
    pid_t serverPid = 0;  // 0: unknown
    std::optional<StartedRedis> redis;
    std::optional<Child> server;
    std::string serverLog;
};

struct LoginSample {
    std::vector<double> ms;
    std::map<std::string, int> failures;
    std::string note;  // why there is no sample
};

// Server and Redis process figures at the moments that matter.
struct Samples {
    std::optional<ProcSample> serverStart, serverIdle, serverRamped, serverHeld, serverAfter;
    std::optional<ProcSample> redisIdle, redisHeld;
};

struct AfterClose {
    int stillOpen = 0;                // client connections that did not close
    long long openIntervals = -1;     // attendance intervals left open in Redis
    double intervalsSeconds = 0;      // how long they took to reach zero
    long long attendanceEvents = -1;  // join and leave events recorded
    std::string error;                // Redis could not be read
};

struct Run {
    Options opt;
    std::string loadAtStart;
    bool interrupted = false;  // Ctrl-C cut a phase short
    long openFiles = 0;
    Target target;
    SeedResult seed;
    LoginSample logins;
    Samples samples;
    double rampSeconds = 0;
    double holdSeconds = 0;
    MessageCounts holdStart, holdEnd;
    double benchCpuSeconds = 0;  // this process, from the first connection to the last close
    int openAfterRamp = 0;
    int openAtHoldEnd = 0;
    int joinedAtHoldEnd = 0;
    AfterClose afterClose;
    std::string serverExit;
    std::string serverDied;  // the first phase after which the server was found gone
    std::string redisExit;
    size_t serverProblems = 0;
    std::vector<std::string> serverProblemLines;
};

// Prints the table (and the server's log lines worth seeing) to standard output.
void printReport(const Run& r, const FleetStats& s);

}  // namespace ws_load
