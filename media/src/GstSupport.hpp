#pragma once
// Small helpers shared by the media sources: owning pointers for GStreamer objects, the
// awaitable webrtcbin promise, element creation that reports what is missing, and the
// context every room shares (the loop, the options, the listener).

#define GST_USE_UNSTABLE_API
#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <coroutine>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "vigil/common/EventLoop.hpp"
#include "vigil/common/WorkerPool.hpp"
#include "vigil/media/GstMediaService.hpp"

namespace vigil::media::detail {

// Creates a GStreamer element or throws MediaFailure naming the missing plugin.
GstElement* makeElement(const char* factory, const std::string& name = {});

struct MediaFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// What all rooms share. Lives as long as the service; GStreamer threads reach the loop
// only through post(), which drops the closure once the service is gone.
struct Context {
    common::EventLoop& loop;
    MediaOptions options;
    MediaListener* listener{nullptr};
    FrameSink* frameSink{nullptr};  // Written on the loop, read on streaming threads.
    std::mutex sinkMutex;
    std::shared_ptr<std::atomic<bool>> alive = std::make_shared<std::atomic<bool>>(true);
    common::WorkerPool hashing{1};

    Context(common::EventLoop& l, MediaOptions o) : loop(l), options(std::move(o)) {}

    // Thread-safe: runs fn on the loop thread unless the service has been destroyed. Always
    // queued, never run on the spot: callers post from inside GStreamer callbacks and from
    // the middle of a teardown, where running the closure at once would re-enter them.
    void post(std::function<void()> fn) {
        auto flag = alive;
        loop.defer([flag, f = std::move(fn)]() {
            if (flag->load()) f();
        });
    }
};

// co_await on a webrtcbin operation. Create it, pass promise() to the signal, await it:
// resumes on the loop thread with the reply (owned copy, may be null) or throws
// MediaFailure on an error reply or when webrtcbin has not answered within the timeout.
class PromiseOp {
public:
    PromiseOp(common::EventLoop& loop, const char* what);
    ~PromiseOp();
    PromiseOp(const PromiseOp&) = delete;
    PromiseOp& operator=(const PromiseOp&) = delete;

    GstPromise* promise() const { return promise_; }

    bool await_ready() const;
    bool await_suspend(std::coroutine_handle<> h);
    // The reply structure, copied; the caller frees it with gst_structure_free.
    GstStructure* await_resume();

    struct State;

private:
    std::shared_ptr<State> state_;
    GstPromise* promise_{nullptr};  // One ref.
    common::Timer timeout_;
    common::EventLoop& loop_;
    std::string what_;
};

// Text of an SDP held in a GstWebRTCSessionDescription field of a promise reply.
std::string descriptionText(const GstStructure* reply, const char* field);
// Parses and checks an SDP from a browser; throws common::ApiError bad_sdp / no_media.
// `offer`: it must carry at least one audio or video line with a codec we take.
GstWebRTCSessionDescription* parseDescription(const std::string& sdp, GstWebRTCSDPType type);

// Detaches a branch fed by a tee once no buffer is passing through it: unlinks the tee's
// pad from `sinkPad` on the streaming thread, then calls `done` on the loop thread, where
// the caller releases the tee pad and stops the branch's elements.
void detachFromTee(Context& ctx, GstElement* tee, GstPad* teePad, GstPad* sinkPad,
                   std::function<void()> done);

// Stops `element` and removes it from `bin` (no-op for null).
void dropElement(GstElement* bin, GstElement* element);

// Asks upstream of `pad` for a key frame.
void sendKeyFrameRequest(GstPad* pad);

}  // namespace vigil::media::detail

namespace vigil::media::detail {

// A branch hanging off a tee: the tee's request pad and the branch's first sink pad.
struct TeeLink {
    GstElement* tee{nullptr};  // One ref.
    GstPad* teePad{nullptr};   // One ref.
    GstPad* sinkPad{nullptr};  // One ref.
};

// Requests a pad of `tee` and links it to `downstream`'s "sink" pad.
TeeLink linkFromTee(GstElement* tee, GstElement* downstream);
// Unlinks (if still linked), releases the request pad and drops the refs. Loop thread.
void releaseTeeLink(TeeLink& link);
// Unlinks every link once its tee pad is idle, then (on the loop) releases them and calls
// `done`, where the caller stops the branches' elements.
void detachAll(Context& ctx, std::vector<TeeLink> links, std::function<void()> done);

// Wall clock in Unix milliseconds.
std::int64_t wallMillis();

}  // namespace vigil::media::detail
