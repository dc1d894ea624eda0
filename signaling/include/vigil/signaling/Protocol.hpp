#pragma once
// WebSocket protocol v1 (docs/protocol.md): the one list of message types, the parser that
// turns a browser's text frame into a validated Request, and the two reply shapes.
//
// Every frame comes from an untrusted browser. parseRequest never asserts and never throws:
// whatever the bytes, it returns either a Request whose fields have already been checked
// against the type's table, or a ParseError carrying a stable error code. Handlers can then
// read body fields without re-checking their presence, type or range.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

namespace vigil::signaling {

enum class MessageType {
    Auth,
    Join,
    Leave,
    Heartbeat,
    Chat,
    RaiseHand,
    LowerHand,
    Roster,
    SpotCheck,
    SpotCheckReply,
    StartClass,
    EndClass,
    Offer,
    Answer,
    Ice,
    IceRestart,
    Subscribe,
    StopMedia,
    Call,
    CallAccept,
    CallDecline,
    CallEnd,
    CheckinStart,
    CheckinShown,
    CheckinCancel,
};

// The wire name ("auth", "spot_check_reply", ...); "unknown" for a value outside the enum.
std::string_view toString(MessageType type);

// Deepest nesting of objects and arrays accepted in a frame; the top-level object counts as 1.
inline constexpr std::size_t kMaxNestingDepth = 16;

struct Request {
    MessageType type;
    nlohmann::json id;    // A string of 1..64 characters or an integer, echoed as "re".
    nlohmann::json body;  // The whole validated object, "type" and "id" included.
};

struct ParseError {
    std::string code;     // Stable: too_large, bad_json, bad_request or internal.
    std::string message;  // For people; names the offending field or type.
    nlohmann::json id;    // The request's id if it could be read, else null.
};

// Checks in this order: size (before parsing), nesting depth (a non-recursive pre-scan, so a
// hostile deeply nested frame never reaches a recursive routine), JSON syntax and UTF-8, the
// envelope (object, id, type) and finally the type's field table. String lengths are counted
// in Unicode code points, so a chat line in any script gets the same allowance.
std::variant<Request, ParseError> parseRequest(std::string_view text, std::size_t maxBytes);

// Whether `text` (JSON) nests no deeper than `limit`, by a linear scan that needs no parser:
// the check parseRequest makes before parsing, which the REST API makes on request bodies.
bool jsonNestingWithin(std::string_view text, std::size_t limit);

// {"type":"ok","re":re, ...payload's fields}. "type" and "re" always win over payload keys
// of the same name; a payload that is not an object is placed under "result".
nlohmann::json okReply(const nlohmann::json& re, nlohmann::json payload = nlohmann::json::object());

// {"type":"error","re":re,"code":code,"message":message}. Invalid UTF-8 in code or message is
// replaced with U+FFFD so that serialising the reply can never throw.
nlohmann::json errorReply(const nlohmann::json& re, std::string_view code,
                          std::string_view message);

}  // namespace vigil::signaling
