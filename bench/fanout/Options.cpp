#include "Options.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>

namespace fanout {

Options parseOptions(int argc, char** argv) {
    Options o;
    CLI::App app{
        "fanout: one teacher publishes 1280x720 VP8 at 1 Mbps, 30 fps into a class and N "
        "viewers subscribe; prints the server's CPU, memory and threads per viewer, frames "
        "lost and glass-to-glass latency for each N, then the cost of subjects' presence "
        "cameras."};
    app.add_option("--viewers", o.viewers, "viewer counts, one step each (e.g. 10,50)")
        ->delimiter(',')
        ->check(CLI::Range(1, 2000))
        ->capture_default_str();
    app.add_option("--seconds", o.seconds, "measuring window of each step")
        ->check(CLI::Range(3, 3600))
        ->capture_default_str();
    app.add_option("--decoders", o.decoders,
                   "viewers that decode (for latency); the others only count frames")
        ->check(CLI::Range(0, 50))
        ->capture_default_str();
    app.add_option("--cameras", o.cameras, "subjects publishing a presence camera (0: skip)")
        ->check(CLI::Range(0, 500))
        ->capture_default_str();
    app.add_flag("--audio,!--no-audio", o.audio, "the teacher sends a tone too (default: on)");
    app.add_option("--pattern", o.pattern, "videotestsrc pattern of the teacher's camera")
        ->capture_default_str();
    app.add_option("--server-core", o.serverCore, "CPU to pin the server to")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option("--bench-core", o.benchCore, "CPU to pin this process to")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option("--vigil", o.vigil, "vigil binary (served, and used for the admin CLI)")
        ->capture_default_str();
    app.add_option("--config", o.config, "configuration file for vigil")->capture_default_str();
    app.add_flag("--keep", o.keep, "keep the folder with the server, Redis and CLI logs");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int status = app.exit(e);  // prints the help or the error
        std::exit(status == 0 ? 0 : 2);
    }
    std::sort(o.viewers.begin(), o.viewers.end());
    o.viewers.erase(std::unique(o.viewers.begin(), o.viewers.end()), o.viewers.end());
    return o;
}

}  // namespace fanout
