#pragma once
// One room's pipeline (a class or a call) and everything in it. The pipeline's bus is
// watched on the event loop; errors are attributed to the session whose element raised
// them, so that one broken viewer does not end a class.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "CameraTap.hpp"
#include "Publisher.hpp"
#include "Recorder.hpp"
#include "Viewer.hpp"

namespace vigil::media::detail {

struct Room {
    Room(Context& ctx, RoomSpec spec, std::function<void(GstMessage*)> onMessage);
    ~Room();
    Room(const Room&) = delete;
    Room& operator=(const Room&) = delete;

    // The session (publisher or viewer) whose element posted `message`, or "".
    std::string sessionOf(GstMessage* message) const;
    std::shared_ptr<Publisher> publisherOf(const std::string& source, StreamKind stream) const;

    Context& ctx;
    RoomSpec spec;
    GstElement* pipeline{nullptr};  // Owned.
    GSource* busWatch{nullptr};     // Owned.
    std::function<void(GstMessage*)> onMessage;
    std::map<std::string, std::shared_ptr<Publisher>> publishers;  // by session
    std::map<std::string, std::shared_ptr<Viewer>> viewers;        // by session
    std::map<std::string, std::unique_ptr<CameraTap>> taps;        // by publisher session
    // One recording per publisher of a main stream (a class's teacher, each party of a
    // call), by the publisher's user id; each of its publisher sessions is a segment.
    std::map<std::string, std::shared_ptr<RecordingInfo>> recordings;
    std::map<std::string, std::unique_ptr<Recorder>> recorders;  // by publisher session
    std::vector<std::unique_ptr<Recorder>> finishing;
};

}  // namespace vigil::media::detail
