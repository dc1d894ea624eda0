#pragma once
// How components with WebSocket messages and media rooms of their own (self-service
// check-ins) plug into ClassHub without growing it: they register handlers for their
// message types, and ClassHub tells them about their rooms' media and verdicts.

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "vigil/common/Task.hpp"
#include "vigil/media/MediaService.hpp"
#include "vigil/signaling/Model.hpp"
#include "vigil/signaling/PresenceService.hpp"
#include "vigil/signaling/Protocol.hpp"

namespace vigil::signaling {

// The caller of a WebSocket message: the account (as the connection authenticated it) and
// the node-unique connection key.
struct WsCaller {
    const User& user;
    std::string connKey;
};

// Returns the reply's payload; throws common::ApiError for an error reply.
using MessageRoute = std::function<common::Task<nlohmann::json>(WsCaller, const Request&)>;

// Self-service check-in rooms ("checkin:<id>"): one subject publishes a camera stream,
// nobody views it; the frames go to the presence pipeline.
class CheckinRooms {
public:
    virtual ~CheckinRooms() = default;
    // May `userId` publish its camera in the check-in's room now?
    virtual bool mayPublish(const std::string& userId, const std::string& checkinId) const = 0;
    // The room's media spec (kind, title, participants) when it is opened.
    virtual media::RoomSpec roomSpec(const std::string& checkinId) const = 0;
    virtual void cameraReady(const std::string& checkinId) = 0;
    virtual void cameraLeft(const std::string& checkinId, const std::string& reason) = 0;
    // The publishing connection closed (the page went away).
    virtual void connectionClosed(const std::string& checkinId) = 0;
    virtual void verdict(const LivenessVerdictReport& verdict) = 0;
    virtual void progress(const LivenessProgressReport& progress) = 0;
};

inline const std::string kCheckinRoomPrefix = "checkin:";
// "checkin:<id>" -> "<id>"; "" for any other room.
inline std::string checkinOfRoom(const std::string& room) {
    return room.rfind(kCheckinRoomPrefix, 0) == 0 ? room.substr(kCheckinRoomPrefix.size())
                                                  : std::string();
}

}  // namespace vigil::signaling
