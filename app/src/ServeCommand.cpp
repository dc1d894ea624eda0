// vigil serve: runs the configured roles in this process until SIGINT or SIGTERM.

#include <glib-unix.h>

#include <atomic>
#include <iostream>
#include <sstream>

#include "Commands.hpp"
#include "DemoPasswordWarning.hpp"
#include "PresenceMonitor.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/media/GstMediaService.hpp"
#include "vigil/signaling/SignalingNode.hpp"

namespace vigil::app {

namespace {
// With presence verification off, sampled camera frames are only counted on the officer's
// roster, which still shows that each subject's camera reaches the server.
class FrameCounter final : public media::FrameSink {
public:
    FrameCounter(common::EventLoop& loop, signaling::SignalingNode& node)
        : loop_(loop), node_(node), alive_(std::make_shared<std::atomic<bool>>(true)) {}
    ~FrameCounter() override { *alive_ = false; }

    void onFrame(media::Frame frame) override {
        auto alive = alive_;
        auto* node = &node_;
        loop_.post(
            [alive, node, room = frame.room, subject = frame.subject, ts = frame.capturedMs]() {
                if (*alive) node->onFrameSampled(room, subject, ts);
            });
    }

private:
    common::EventLoop& loop_;
    signaling::SignalingNode& node_;
    std::shared_ptr<std::atomic<bool>> alive_;
};

struct Stopper {
    common::EventLoop& loop;
    signaling::SignalingNode* node{nullptr};
    bool stopping{false};
    common::Timer deadline;
};

// First signal: record every connected subject as having left, then stop. The deadline
// (and a second signal) stops at once; intervals then stay open until the next start.
gboolean onSignal(gpointer data) {
    auto* stopper = static_cast<Stopper*>(data);
    if (stopper->stopping || stopper->node == nullptr) {
        stopper->loop.quit();
        return G_SOURCE_CONTINUE;
    }
    stopper->stopping = true;
    common::log("main")->info("signal received; stopping");
    stopper->deadline =
        stopper->loop.after(std::chrono::seconds(5), [stopper]() { stopper->loop.quit(); });
    common::spawn(
        [](Stopper* s) -> common::Task<void> {
            co_await s->node->shutdown();
            s->loop.quit();
        }(stopper),
        [stopper](const std::exception_ptr&) { stopper->loop.quit(); });
    return G_SOURCE_CONTINUE;
}

void serve(const GlobalOptions& options, const std::string& rolesOverride) {
    auto config = loadConfigOrExit(options);
    std::string roles = rolesOverride.empty() ? config.server.roles : rolesOverride;
    std::stringstream ss(roles);
    std::string role;
    bool signaling = false;
    bool mediaRole = false;
    while (std::getline(ss, role, ',')) {
        if (role == "signaling") {
            signaling = true;
        } else if (role == "media") {
            mediaRole = true;
        } else {
            std::cerr << "vigil: unknown role '" << role << "' (signaling, media)\n";
            std::exit(2);
        }
    }
    if (!signaling && mediaRole) {
        std::cerr << "vigil: a media node on its own needs the cross-node media link, which this "
                     "version does not have; run --roles signaling,media\n";
        std::exit(2);
    }
    if (!signaling) {
        std::cerr << "vigil: no role to run\n";
        std::exit(2);
    }
    common::EventLoop loop;
    std::unique_ptr<media::MediaService> mediaService;
    std::unique_ptr<FrameCounter> frames;
    std::unique_ptr<PresenceMonitor> presence;
    if (mediaRole) {
        try {
            mediaService = media::makeGstMediaService(loop, media::mediaOptionsFrom(config));
        } catch (const std::exception& e) {
            std::cerr << "vigil: cannot start the media role: " << e.what() << "\n";
            std::exit(1);
        }
    }
    auto node = std::make_unique<signaling::SignalingNode>(loop, config, mediaService.get());
    if (mediaService && config.vision.enabled) {
        try {
            presence = std::make_unique<PresenceMonitor>(loop, config, *node, mediaService.get());
        } catch (const vision::VisionError& e) {
            std::cerr << "vigil: cannot start presence verification (" << e.code()
                      << "): " << e.what() << "\n";
            std::exit(2);
        }
        node->setPresence(presence.get());
        mediaService->setFrameSink(presence.get());
    } else if (mediaService) {
        frames = std::make_unique<FrameCounter>(loop, *node);
        mediaService->setFrameSink(frames.get());
    }
    Stopper stopper{loop, node.get()};
    for (int sig : {SIGINT, SIGTERM}) {
        GSource* source = g_unix_signal_source_new(sig);
        g_source_set_callback(source, onSignal, &stopper, nullptr);
        g_source_attach(source, loop.context());
        g_source_unref(source);
    }
    bool failed = false;
    // Checked once Redis answers: a server still holding the demo's password says so loudly.
    auto demoWarning = std::make_unique<DemoPasswordWarning>(loop, node->redis());
    auto startNode = [](signaling::SignalingNode* n, DemoPasswordWarning* w) -> common::Task<void> {
        co_await n->start();
        w->start();
    };
    common::spawn(startNode(node.get(), demoWarning.get()), [&](const std::exception_ptr& e) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            std::cerr << "vigil: cannot start: " << ex.what() << "\n";
        }
        failed = true;
        loop.quit();
    });
    if (!failed) loop.run();
    stopper.deadline.cancel();
    if (mediaService) mediaService->setFrameSink(nullptr);
    if (node) node->setPresence(nullptr);
    presence.reset();
    demoWarning.reset();
    node.reset();
    mediaService.reset();
    if (failed) std::exit(1);
}
}  // namespace

void addServeCommand(CLI::App& app, GlobalOptions& options) {
    auto* cmd =
        app.add_subcommand("serve", "run Vigil (every role built into this binary by default)");
    static std::string roles;
    cmd->add_option("--roles", roles, "comma-separated roles: signaling, media");
    cmd->callback([&options]() { serve(options, roles); });
}

}  // namespace vigil::app
