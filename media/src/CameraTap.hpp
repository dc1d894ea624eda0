#pragma once
// Samples a subject's camera for presence checks without decoding the whole stream: when a
// sample is due it asks the browser for a key frame and lets key frames through to the
// decoder until one has been decoded; every other frame is dropped before decoding. One
// decoded picture per sample_seconds per subject, handed to the FrameSink as BGR.
//
// A burst (a liveness challenge) decodes the whole stream for a while instead: it asks for a
// key frame once, then lets every frame after it through to the decoder, because a delta
// frame decodes only on top of the frames before it. Of the decoded pictures, at most one
// per 1/fps second slot is delivered with Frame::burst set. Regular samples keep flowing
// during a burst, unchanged: when a sample is due, the next decoded picture is delivered as
// the sample (burst = false); if the same picture also takes a burst slot it is delivered a
// second time as a burst frame, so that each consumer sees its own cadence intact. After the
// burst the gate goes back to key frames only, which also puts the decoder back in step.
//
// Threads: the two gates (before and after the decoder) and onSample run on the branch's
// streaming thread; burst(), the sample timer and stop() on the loop. What they share is
// atomic; the rest belongs to the streaming thread alone.

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

    // Decodes every frame for `durationMs` and delivers up to `fps` pictures a second marked
    // burst, on top of the regular samples. A new burst replaces a running one. Both values
    // must be positive. Loop thread.
    void burst(int fps, int durationMs);
    void stop();
    std::uint64_t framesDelivered() const { return delivered_; }

private:
    static GstPadProbeReturn gate(GstPad* pad, GstPadProbeInfo* info, gpointer data);
    static GstPadProbeReturn pick(GstPad* pad, GstPadProbeInfo* info, gpointer data);
    static void onOverrun(GstElement* queue, gpointer data);
    static GstFlowReturn onSample(GstElement* sink, gpointer data);
    bool bursting() const;

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

    // Burst state, written on the loop. Times are g_get_monotonic_time() in nanoseconds.
    std::atomic<std::int64_t> burstUntilNs_{0};
    std::atomic<std::int64_t> burstSlotNs_{0};
    std::atomic<std::uint64_t> burstId_{0};  // Tells a new burst from the one before.
    // Set when the queue in front of the decoder dropped frames (upstream thread).
    std::atomic<bool> resync_{false};

    // Streaming thread only.
    bool inStep_{false};  // The decoder has had every frame since its last key frame.
    std::uint64_t slotBurst_{0};
    std::int64_t nextSlotNs_{0};
};

}  // namespace vigil::media::detail
