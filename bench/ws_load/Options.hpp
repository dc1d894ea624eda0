#pragma once
// Command line of ws_load.

#include <string>

namespace ws_load {

struct Options {
    int clients = 2000;    // subjects, each on its own WebSocket
    int classSize = 100;   // subjects per class
    bool teachers = true;  // one officer connection per class, which receives rosters
    int holdSeconds = 30;  // how long every connection stays after the ramp
    int rampBatch = 200;   // new connections per ramp step...
    int rampStepMs = 100;  // ...every this many milliseconds
    int heartbeatSeconds = 10;
    int loginSamples = 20;  // real POST /api/login round trips (argon2id on the server)
    std::string vigil = WS_LOAD_DEFAULT_VIGIL;
    std::string config = WS_LOAD_DEFAULT_CONFIG;
    std::string url;    // an already running server: http://HOST:PORT or ws://HOST:PORT
    std::string redis;  // ...and its Redis: redis://HOST:PORT/DB
    int serverPid = 0;  // ...and, optionally, its pid for the resource figures
    bool keep = false;  // keep the temporary folder (logs, Redis data)

    bool external() const { return !url.empty(); }
};

// Parses argv; exits with status 0 for --help and 2 for a bad command line.
Options parseOptions(int argc, char** argv);

struct HostPort {
    std::string host;
    int port = 0;
};

// "http://127.0.0.1:8080", "ws://127.0.0.1:8080/" or "127.0.0.1:8080"; throws on anything else.
HostPort parseServerUrl(const std::string& url);

}  // namespace ws_load
