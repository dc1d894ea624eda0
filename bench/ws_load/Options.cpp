#include "Options.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

namespace ws_load {

Options parseOptions(int argc, char** argv) {
    Options o;
    CLI::App app{
        "ws_load: opens many concurrent WebSocket clients against `vigil serve` and prints "
        "connection counts, join latency, message rates and the server's memory and CPU."};
    app.add_option("--clients", o.clients, "subject connections")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    app.add_option("--class-size", o.classSize, "subjects per class")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    app.add_flag("--teachers,!--no-teachers", o.teachers,
                 "connect one officer per class as its teacher, who receives the roster pushes "
                 "(default: on)");
    app.add_option("--hold", o.holdSeconds, "seconds every connection is held after the ramp")
        ->check(CLI::Range(1, 3600))
        ->capture_default_str();
    app.add_option("--ramp-batch", o.rampBatch, "new connections per ramp step")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    app.add_option("--ramp-step-ms", o.rampStepMs, "milliseconds between ramp steps")
        ->check(CLI::Range(1, 10000))
        ->capture_default_str();
    app.add_option("--heartbeat", o.heartbeatSeconds, "seconds between heartbeats")
        ->check(CLI::Range(1, 60))
        ->capture_default_str();
    app.add_option("--logins", o.loginSamples, "password logins to time (0: none)")
        ->check(CLI::Range(0, 1000))
        ->capture_default_str();
    app.add_option("--vigil", o.vigil, "vigil binary (started, and used for the admin CLI)")
        ->capture_default_str();
    app.add_option("--config", o.config, "configuration file for vigil")->capture_default_str();
    auto* url = app.add_option(
        "--url", o.url, "use this running server (http://HOST:PORT) instead of starting one");
    auto* redis =
        app.add_option("--redis", o.redis, "the running server's Redis (redis://HOST:PORT/DB)");
    app.add_option("--pid", o.serverPid, "the running server's pid, for memory and CPU figures");
    app.add_flag("--keep", o.keep, "keep the temporary folder with the server and Redis logs");
    url->needs(redis);
    redis->needs(url);
    try {
        app.parse(argc, argv);
        if (!o.url.empty()) parseServerUrl(o.url);
    } catch (const CLI::ParseError& e) {
        int status = app.exit(e);  // prints the help or the error
        std::exit(status == 0 ? 0 : 2);
    } catch (const std::exception& e) {
        std::cerr << "ws_load: " << e.what() << "\n";
        std::exit(2);
    }
    return o;
}

HostPort parseServerUrl(const std::string& url) {
    std::string rest = url;
    for (const char* scheme : {"http://", "ws://"}) {
        if (rest.rfind(scheme, 0) == 0) rest = rest.substr(std::string(scheme).size());
    }
    if (!rest.empty() && rest.back() == '/') rest.pop_back();
    auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0 || rest.find('/') != std::string::npos) {
        throw std::invalid_argument("--url must look like http://HOST:PORT, not '" + url + "'");
    }
    HostPort hp;
    hp.host = rest.substr(0, colon);
    try {
        hp.port = std::stoi(rest.substr(colon + 1));
    } catch (const std::exception&) {
        hp.port = 0;
    }
    if (hp.port <= 0 || hp.port > 65535) {
        throw std::invalid_argument("--url has no valid port: '" + url + "'");
    }
    return hp;
}

}  // namespace ws_load
