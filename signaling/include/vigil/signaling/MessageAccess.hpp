#pragma once
// Who may send which WebSocket message: one entry per message type, as the REST route table
// has one per route (RestRouter.hpp), checked before any handler runs. The handler still
// checks scope (the class one teaches, one's own call, session or check-in). A caller whose
// role the entry does not admit is refused with `forbidden`; a refused read (the entry's
// `read`) is audited as `read_refused`.

#include <string_view>

#include "vigil/signaling/Model.hpp"
#include "vigil/signaling/Protocol.hpp"
#include "vigil/signaling/RestRouter.hpp"

namespace vigil::signaling {

struct MessageRule {
    MessageType type;
    // Public: before auth (only `auth` itself). Anyone: any signed-in account.
    Caller caller;
    // Shows the caller records or media of others (a roster, a subject's camera): audited.
    bool read;
    // What the handler checks besides the role, for people reading the table.
    std::string_view scope;
};

// The entry of `type`; every MessageType has one.
const MessageRule& messageRule(MessageType type);

// Throws forbidden when `user` may not send `type`.
void requireMessageCaller(MessageType type, const User& user);

}  // namespace vigil::signaling
