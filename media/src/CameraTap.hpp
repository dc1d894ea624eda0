#pragma once
// Samples a subject's camera for presence checks without decoding the whole stream: when a
// sample is due it asks the browser for a key frame and lets exactly one key frame through
// to the decoder; every other frame is dropped before decoding. One decoded picture per
// sample_seconds per subject, handed to the FrameSink as BGR.

#include <atomic>
#include <memory>
#include <string>

#include "Publisher.hpp"

namespace vigil::media::detail {

class CameraTap {
public:
    CameraTap(Context& ctx, GstElement* pipeline, std::string room,
              std::shared_ptr<Publisher> publisher);
    ~CameraTap();
    CameraTap(const CameraTap&) = delete;
    CameraTap& operator=(const CameraTap&) = delete;

    void stop();
    std::uint64_t framesDelivered() const { return delivered_; }

private:
    static GstPadProbeReturn gate(GstPad* pad, GstPadProbeInfo* info, gpointer data);
    static GstFlowReturn onSample(GstElement* sink, gpointer data);

    Context& ctx_;
    GstElement* pipeline_;  // Not owned.
    std::string room_;
    std::string subject_;
    std::shared_ptr<Publisher> publisher_;
    std::vector<GstElement*> elements_;
    TeeLink link_;
    common::Timer sampleTimer_;
    std::atomic<bool> due_{true};
    std::atomic<std::uint64_t> delivered_{0};
    bool stopped_{false};
};

}  // namespace vigil::media::detail
