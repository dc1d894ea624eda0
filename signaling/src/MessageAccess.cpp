#include "vigil/signaling/MessageAccess.hpp"

#include <cstddef>
#include <iterator>
#include <string>

#include "vigil/common/Error.hpp"

namespace vigil::signaling {

namespace {

// In enum order, so a lookup is an index (checked below). docs/protocol.md has the same table.
constexpr MessageRule kRules[] = {
    {MessageType::Auth, Caller::Public, false, "a valid session token"},
    {MessageType::Join, Caller::Anyone, false,
     "subjects: enrolled in the class; staff: its officer or staff over its unit"},
    {MessageType::Leave, Caller::Anyone, false, "the class the connection is in"},
    {MessageType::Heartbeat, Caller::Anyone, false, "the class the connection is in"},
    {MessageType::Chat, Caller::Anyone, false, "the class the connection is in"},
    {MessageType::RaiseHand, Caller::Subject, false, "the class the connection is in"},
    {MessageType::LowerHand, Caller::Subject, false, "the class the connection is in"},
    {MessageType::Roster, Caller::Staff, true, "a class the caller teaches"},
    {MessageType::SpotCheck, Caller::Staff, false,
     "the teacher of the connection's class; the subject in it"},
    {MessageType::SpotCheckReply, Caller::Subject, false, "a check addressed to the caller"},
    {MessageType::StartClass, Caller::Staff, false, "a class the caller teaches"},
    {MessageType::EndClass, Caller::Staff, false, "a class the caller teaches"},
    {MessageType::Offer, Caller::Anyone, false,
     "a teacher's main stream, a subject's camera in his class, a party of the call, the "
     "subject of the check-in"},
    {MessageType::Answer, Caller::Anyone, false, "a session of this connection"},
    {MessageType::Ice, Caller::Anyone, false, "a session of this connection"},
    {MessageType::IceRestart, Caller::Anyone, false, "a session of this connection"},
    {MessageType::Subscribe, Caller::Anyone, true,
     "the connection's class or call; a subject's camera only for the class's teachers"},
    {MessageType::StopMedia, Caller::Anyone, false, "a session of this connection"},
    {MessageType::Call, Caller::Staff, false, "a subject in the caller's scope"},
    {MessageType::CallAccept, Caller::Subject, false, "a call to the caller"},
    {MessageType::CallDecline, Caller::Subject, false, "a call to the caller"},
    {MessageType::CallEnd, Caller::Anyone, false, "a party of the call"},
    {MessageType::CheckinStart, Caller::Subject, false, "a due window or an order for the caller"},
    {MessageType::CheckinShown, Caller::Subject, false, "the caller's own check-in"},
    {MessageType::CheckinCancel, Caller::Subject, false, "the caller's own check-in"},
};

constexpr bool rulesInEnumOrder() {
    for (std::size_t i = 0; i < std::size(kRules); ++i) {
        if (static_cast<std::size_t>(kRules[i].type) != i) return false;
    }
    return std::size(kRules) == static_cast<std::size_t>(MessageType::CheckinCancel) + 1;
}
static_assert(rulesInEnumOrder(), "kRules must list every MessageType in enum order");

}  // namespace

const MessageRule& messageRule(MessageType type) {
    return kRules[static_cast<std::size_t>(type)];
}

void requireMessageCaller(MessageType type, const User& user) {
    const MessageRule& rule = messageRule(type);
    if (rule.caller == Caller::Public || callerAllowed(rule.caller, user)) return;
    throw common::ApiError("forbidden",
                           "your role may not send '" + std::string(toString(type)) + "'");
}

}  // namespace vigil::signaling
