#include "Options.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>

namespace checkin {

Options parseOptions(int argc, char** argv) {
    Options o;
    CLI::App app{
        "checkin_bench: N subjects, each with an enrolled face reference and a check-in due "
        "today, check in by video inside one window, their cameras WebRTC test peers playing "
        "frames of the enrolled man; prints check-ins decided per minute, outcomes, the time "
        "to each decision and the server's CPU and memory."};
    app.add_option("--subjects", o.subjects, "subjects checking in")
        ->check(CLI::Range(1, 5000))
        ->capture_default_str();
    app.add_option("--window-seconds", o.windowSeconds, "the window all of them check in in")
        ->check(CLI::Range(10, 24 * 3600))
        ->capture_default_str();
    app.add_option("--tail-seconds", o.tailSeconds,
                   "no check-in starts in the window's last seconds (time to decide)")
        ->check(CLI::Range(0, 3600))
        ->capture_default_str();
    app.add_option("--concurrency", o.concurrency, "check-ins under way at once, at most")
        ->check(CLI::Range(1, 500))
        ->capture_default_str();
    app.add_option("--clip", o.clip, "var/testdata/video/<clip>: 10 fps JPEG frames")
        ->capture_default_str();
    app.add_option("--first-frame", o.firstFrame, "first frame of the looped camera")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option("--last-frame", o.lastFrame, "last frame of the looped camera")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option("--challenge", o.challenge, "the server's only challenge")
        ->check(CLI::IsMember({"turn_left", "turn_right", "look_up", "blink"}))
        ->capture_default_str();
    app.add_option("--reference", o.reference, "the enrolled photo, a file of the clip")
        ->capture_default_str();
    app.add_option("--server-core", o.serverCore, "CPU to pin the server to (-1: none)")
        ->capture_default_str();
    app.add_option("--vigil", o.vigil, "vigil binary")->capture_default_str();
    app.add_option("--config", o.config, "configuration file for vigil")->capture_default_str();
    app.add_flag("--keep", o.keep, "keep the folder with the server, Redis and CLI logs");
    try {
        app.parse(argc, argv);
        if (o.lastFrame <= o.firstFrame) throw CLI::ValidationError("--last-frame", "too small");
        if (o.tailSeconds >= o.windowSeconds)
            throw CLI::ValidationError("--tail-seconds", "not below --window-seconds");
    } catch (const CLI::ParseError& e) {
        int status = app.exit(e);
        std::exit(status == 0 ? 0 : 2);
    }
    return o;
}

}  // namespace checkin
