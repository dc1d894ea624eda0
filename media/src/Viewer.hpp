#pragma once
// One browser receiving one publisher's stream: per track a leaky queue fed by the
// publisher's RTP tee, into this viewer's own sending webrtcbin. The queue is what keeps a
// slow or not-yet-connected viewer from holding up the tee (webrtcbin blocks its input until
// DTLS is up), and it drops the oldest packets rather than growing.

#include <memory>
#include <string>
#include <vector>

#include "Endpoint.hpp"
#include "Publisher.hpp"

namespace vigil::media::detail {

class Viewer : public std::enable_shared_from_this<Viewer> {
public:
    Viewer(Context& ctx, GstElement* pipeline, ViewRequest request,
           std::shared_ptr<Publisher> source, std::function<void(const std::string&)> failed);
    ~Viewer();

    // Links the branches and makes the offer.
    common::Task<std::string> start();
    common::Task<void> applyAnswer(std::string sdp);
    void addIceCandidate(int mlineIndex, const std::string& candidate);
    // A new endpoint with fresh ICE credentials and DTLS, same session; returns its offer.
    common::Task<std::string> restart();

    // Detaches from the tees once idle, then frees everything (asynchronously).
    void stop();
    // The publisher is going away: free everything now.
    void dropNow();

    const ViewRequest& request() const { return request_; }
    const std::string& sourceSession() const { return source_->session(); }
    bool answered() const;
    GstElement* element() const {
        return current_ && current_->endpoint ? current_->endpoint->element() : nullptr;
    }

private:
    struct Attachment {
        std::unique_ptr<Endpoint> endpoint;
        std::vector<TeeLink> links;
        std::vector<GstElement*> queues;
        bool dropped{false};
    };
    std::shared_ptr<Attachment> attach();
    void drop(Attachment& attachment);

    Context& ctx_;
    GstElement* pipeline_;  // Not owned.
    ViewRequest request_;
    std::shared_ptr<Publisher> source_;
    std::function<void(const std::string&)> failed_;
    std::shared_ptr<Attachment> current_;
    bool stopped_{false};
};

}  // namespace vigil::media::detail
