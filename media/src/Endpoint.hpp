#pragma once
// One webrtcbin in a room's pipeline: a publisher's receiving end or a viewer's sending end.
// Owns the element and its signal handlers; forwards local ICE candidates and ICE failure
// to the loop thread, tagged with the session id, and never after stop().

#include <functional>
#include <memory>
#include <string>

#include "GstSupport.hpp"
#include "vigil/common/Task.hpp"

namespace vigil::media::detail {

class Endpoint {
public:
    struct Callbacks {
        // Streaming thread: a new incoming stream (publishers only). Link it at once.
        std::function<void(GstPad*)> padAdded;
        // Loop thread: ICE or DTLS failed; the endpoint is of no further use.
        std::function<void(const std::string& reason)> failed;
    };

    Endpoint(Context& ctx, GstElement* pipeline, std::string session, Callbacks callbacks);
    ~Endpoint();
    Endpoint(const Endpoint&) = delete;
    Endpoint& operator=(const Endpoint&) = delete;

    GstElement* element() const { return webrtc_; }
    const std::string& session() const { return session_; }

    // Brings the element up to the pipeline's state; call after linking sink pads.
    void start();
    // Publisher: applies the browser's offer and returns the answer.
    common::Task<std::string> answerOffer(std::string sdp);
    // Viewer: makes and applies an offer for the linked sink pads.
    common::Task<std::string> makeOffer();
    // Viewer: applies the browser's answer.
    common::Task<void> applyAnswer(std::string sdp);
    void addIceCandidate(int mlineIndex, const std::string& candidate);
    bool hasRemoteDescription() const { return haveRemote_; }

    // No more callbacks from now on; the element keeps running until stop().
    void silence();
    // Silences the callbacks, then stops the element and removes it from the pipeline.
    void stop();

    struct Shared;

private:
    Context& ctx_;
    GstElement* pipeline_;  // Not owned.
    GstElement* webrtc_;    // Owned by the pipeline while added.
    std::string session_;
    std::shared_ptr<Shared> shared_;
    bool haveRemote_{false};
    bool stopped_{false};
};

}  // namespace vigil::media::detail
