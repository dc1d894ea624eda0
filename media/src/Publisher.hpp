#pragma once
// A browser sending into a room: its webrtcbin and, per incoming track, the chain
//   depayloader -> [parser] -> encoded tee -> payloader -> RTP tee
// The encoded tee feeds the recorder and the frame tap; the RTP tee feeds the viewers, so
// each viewer costs a queue and its own webrtcbin, never a decoder or an encoder. Key frame
// requests from every branch meet at the depayloader, where they are limited to one per
// keyframe_min_interval_ms before they reach the browser as a PLI.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "Endpoint.hpp"

namespace vigil::media::detail {

struct Track {
    std::string media;  // "video" or "audio"
    std::string codec;  // "VP8", "H264" or "OPUS"
    GstElement* depay{nullptr};
    GstElement* parse{nullptr};
    GstElement* encodedTee{nullptr};
    GstElement* pay{nullptr};
    GstElement* rtpTee{nullptr};
    GstCaps* rtpCaps{nullptr};  // Owned: the payloader's caps, once known.
};

class Publisher : public std::enable_shared_from_this<Publisher> {
public:
    // `ready` is called on the loop once every track of the offer is linked (or a few
    // seconds after the first one); `failed` when the endpoint fails.
    Publisher(Context& ctx, GstElement* pipeline, PublishRequest request,
              std::function<void()> ready, std::function<void(const std::string&)> failed);
    ~Publisher();

    common::Task<std::string> negotiate(std::string offerSdp);
    void addIceCandidate(int mlineIndex, const std::string& candidate);

    const PublishRequest& request() const { return request_; }
    const std::string& session() const { return request_.session; }
    GstElement* element() const { return endpoint_->element(); }
    bool isReady() const { return ready_; }
    // Snapshot of the linked tracks; elements stay valid until stop().
    std::vector<std::shared_ptr<Track>> tracks() const;
    std::shared_ptr<Track> videoTrack() const;

    // Asks the browser for a key frame, subject to the rate limit.
    void requestKeyFrame();
    std::uint64_t keyFrameRequestsSent() const { return keyFramesSent_; }

    // Ends every track with EOS (so that the recorder closes its chunk), then stops and
    // removes the publisher's elements.
    void stop();

private:
    void onPadAdded(GstPad* pad);
    void linkTrack(GstPad* pad, const std::string& media, const std::string& codec);
    void markReady();
    static GstPadProbeReturn limitKeyFrames(GstPad* pad, GstPadProbeInfo* info, gpointer data);

    Context& ctx_;
    GstElement* pipeline_;  // Not owned.
    PublishRequest request_;
    std::function<void()> onReady_;
    std::unique_ptr<Endpoint> endpoint_;
    int expectedTracks_{0};
    mutable std::mutex mutex_;  // Guards tracks_: pads arrive on streaming threads.
    std::vector<std::shared_ptr<Track>> tracks_;
    std::atomic<bool> stopped_{false};
    bool ready_{false};
    common::Timer readyFallback_;
    std::atomic<std::int64_t> lastKeyFrameNs_{0};
    std::atomic<bool> keyFrameDeferred_{false};
    common::Timer deferredKeyFrame_;
    std::atomic<std::uint64_t> keyFramesSent_{0};
    std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace vigil::media::detail
