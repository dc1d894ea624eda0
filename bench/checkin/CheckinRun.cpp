#include "CheckinRun.hpp"

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "MediaPeer.hpp"
#include "WsClient.hpp"

namespace checkin {

namespace {

using nlohmann::json;
using vigil::testing::MediaPeer;
using vigil::testing::WsClient;

constexpr auto kConnectLimit = std::chrono::seconds(20);
constexpr auto kReplyLimit = std::chrono::seconds(20);
// Beyond the challenge's own seconds: the server decides camera_off by then at the latest.
constexpr auto kDecisionGrace = std::chrono::seconds(30);
// How far into the loop checkin_shown may still go out (the clip is frontal for its first 1 s).
constexpr double kLoopStartSlack = 0.3;

double secondsSince(Clock::time_point start, Clock::time_point t) {
    return std::chrono::duration<double>(t - start).count();
}

json expectOk(const json& reply, const std::string& step) {
    if (reply.value("type", "") != "ok")
        throw std::runtime_error(step + ": " + reply.value("code", "no reply"));
    return reply;
}

}  // namespace

CheckinOutcome runCheckin(int port, const Subject& subject, const CameraClip& camera,
                          Clock::time_point windowStart) {
    CheckinOutcome result;
    result.startSeconds = secondsSince(windowStart, Clock::now());
    std::string step = "connect";
    try {
        WsClient ws(port);
        step = "auth";
        expectOk(ws.request({{"type", "auth"}, {"token", subject.token}}, kReplyLimit), step);
        step = "checkin_start";
        auto started = expectOk(
            ws.request({{"type", "checkin_start"}, {"location_refused", true}}, kReplyLimit), step);
        const std::string id = started.value("checkin", "");
        const int fps = started.value("camera_fps", 5);
        const int seconds = started.value("seconds", 20);

        vigil::testing::PeerOptions o;
        o.width = 320;
        o.height = 240;
        o.fps = fps;
        o.videoBitrateKbps = 300;
        o.audio = false;
        o.imageSequence = camera.pattern;
        o.checkin = id;
        step = "offer";
        auto peer = MediaPeer::publish(ws, "camera", o);
        if (!peer->lastError().empty()) throw std::runtime_error("offer: " + peer->lastError());
        step = "ice";
        if (!peer->waitConnected(kConnectLimit)) throw std::runtime_error("ICE did not connect");
        step = "frames";
        if (!peer->waitForFrames(1, kConnectLimit)) throw std::runtime_error("no frame encoded");

        // The man in the clip faces the camera at the loop's start and turns after it. A subject
        // told to turn is facing the camera when the instruction appears, and the challenge
        // measures the turn from the pose it starts in: so the instruction "appears" as the
        // loop starts again.
        step = "loop start";
        const double loopSeconds = camera.frames / 10.0;
        const auto loopLimit = Clock::now() + std::chrono::duration<double>(2 * loopSeconds);
        while (std::fmod(static_cast<double>(peer->videoFramesSent()) / fps, loopSeconds) >
                   kLoopStartSlack &&
               Clock::now() < loopLimit) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        step = "checkin_shown";
        const int framesAtShown = peer->videoFramesSent();
        const auto shown = Clock::now();
        expectOk(ws.request({{"type", "checkin_shown"}, {"checkin", id}}, kReplyLimit), step);
        step = "checkin_result";
        auto pushed = ws.waitFor(
            [&](const json& m) {
                return m.value("type", "") == "checkin_result" && m.value("checkin", "") == id;
            },
            std::chrono::seconds(seconds) + kDecisionGrace);
        const auto decided = Clock::now();
        peer->stop(false);
        if (!pushed) throw std::runtime_error("no checkin_result");
        result.outcome = pushed->value("outcome", "");
        result.reason = pushed->value("reason", "");
        result.decidedSeconds = secondsSince(windowStart, decided);
        result.shownToDecisionMs = secondsSince(shown, decided) * 1000;
        const double movementStart =
            secondsToMovementStart(camera, static_cast<double>(framesAtShown) / fps);
        result.movementToDecisionMs = (secondsSince(shown, decided) - movementStart) * 1000;
    } catch (const std::exception& e) {
        result.error = e.what();
        if (result.error.rfind(step, 0) != 0) result.error = step + ": " + result.error;
    }
    return result;
}

}  // namespace checkin
