#include "vigil/signaling/Protocol.hpp"

#include <array>
#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string>

namespace vigil::signaling {

namespace {

using nlohmann::json;

// Field tables in the style of Janus' janus_json_parameter: one static table per message
// type, checked before any handler runs, so a handler can rely on every field it reads.

enum class Kind : std::uint8_t { String, Integer, Boolean, Object };

struct Field {
    std::string_view name;
    Kind kind;
    bool required;
    // Strings: length in code points. Integers: value. Unused for booleans and objects.
    std::int64_t min = 0;
    std::int64_t max = 0;
};

struct Message {
    MessageType type;
    std::string_view name;
    std::span<const Field> fields;
};

constexpr Field kAuth[] = {{"token", Kind::String, true, 1, 128}};
constexpr Field kClassRequired[] = {{"class", Kind::String, true, 1, 64}};
constexpr Field kClassOptional[] = {{"class", Kind::String, false, 1, 64}};
constexpr Field kChat[] = {{"text", Kind::String, true, 1, 2000}};
constexpr Field kSpotCheck[] = {
    {"subject", Kind::String, true, 1, 64},
    {"seconds", Kind::Integer, false, 5, 3600},
    {"challenge", Kind::String, false, 1, 32},
};
constexpr Field kSpotCheckReply[] = {{"check", Kind::String, true, 1, 64}};
constexpr Field kOffer[] = {
    {"sdp", Kind::String, true, 1, 60000},
    {"stream", Kind::String, false, 1, 16},
    {"call", Kind::String, false, 1, 64},
    {"checkin", Kind::String, false, 1, 64},
};
constexpr Field kAnswer[] = {
    {"session", Kind::String, true, 1, 64},
    {"sdp", Kind::String, true, 1, 60000},
};
// An empty candidate is how a browser signals end-of-candidates, hence the minimum of 0.
constexpr Field kIce[] = {
    {"session", Kind::String, true, 1, 64},
    {"candidate", Kind::String, true, 0, 2000},
    {"sdpMLineIndex", Kind::Integer, false, 0, 64},
};
constexpr Field kSession[] = {{"session", Kind::String, true, 1, 64}};
constexpr Field kSubscribe[] = {
    {"source", Kind::String, false, 1, 64},
    {"stream", Kind::String, false, 1, 16},
    {"call", Kind::String, false, 1, 64},
};
constexpr Field kCallSubject[] = {{"subject", Kind::String, true, 1, 64}};
constexpr Field kCallId[] = {{"call", Kind::String, true, 1, 64}};
// A self-service check-in: `order` answers an officer's ordered check-in, else the due
// window's. The report's configured limit ([checkin] report_max_chars) is checked by the
// handler; `location` is {lat, lon, accuracy} from the Geolocation API, checked there too.
constexpr Field kCheckinStart[] = {
    {"order", Kind::String, false, 1, 64},
    {"report", Kind::String, false, 0, 20000},
    {"location", Kind::Object, false},
    {"location_refused", Kind::Boolean, false},
};
constexpr Field kCheckinId[] = {{"checkin", Kind::String, true, 1, 64}};

// In enum order, so toString is an index (checked below).
constexpr Message kMessages[] = {
    {MessageType::Auth, "auth", kAuth},
    {MessageType::Join, "join", kClassRequired},
    {MessageType::Leave, "leave", kClassOptional},
    {MessageType::Heartbeat, "heartbeat", {}},
    {MessageType::Chat, "chat", kChat},
    {MessageType::RaiseHand, "raise_hand", {}},
    {MessageType::LowerHand, "lower_hand", {}},
    {MessageType::Roster, "roster", kClassOptional},
    {MessageType::SpotCheck, "spot_check", kSpotCheck},
    {MessageType::SpotCheckReply, "spot_check_reply", kSpotCheckReply},
    {MessageType::StartClass, "start_class", kClassRequired},
    {MessageType::EndClass, "end_class", kClassRequired},
    {MessageType::Offer, "offer", kOffer},
    {MessageType::Answer, "answer", kAnswer},
    {MessageType::Ice, "ice", kIce},
    {MessageType::IceRestart, "ice_restart", kSession},
    {MessageType::Subscribe, "subscribe", kSubscribe},
    {MessageType::StopMedia, "stop_media", kSession},
    {MessageType::Call, "call", kCallSubject},
    {MessageType::CallAccept, "call_accept", kCallId},
    {MessageType::CallDecline, "call_decline", kCallId},
    {MessageType::CallEnd, "call_end", kCallId},
    {MessageType::CheckinStart, "checkin_start", kCheckinStart},
    {MessageType::CheckinShown, "checkin_shown", kCheckinId},
    {MessageType::CheckinCancel, "checkin_cancel", kCheckinId},
};

constexpr bool tableInEnumOrder() {
    for (std::size_t i = 0; i < std::size(kMessages); ++i) {
        if (static_cast<std::size_t>(kMessages[i].type) != i) return false;
    }
    return std::size(kMessages) == static_cast<std::size_t>(MessageType::CheckinCancel) + 1;
}
static_assert(tableInEnumOrder(), "kMessages must list every MessageType in enum order");

constexpr std::size_t kMaxIdLength = 64;
constexpr std::size_t kMaxTypeInMessage = 40;

const Message* findMessage(std::string_view name) {
    for (const Message& m : kMessages) {
        if (m.name == name) return &m;
    }
    return nullptr;
}

// Rejects frames nested deeper than `limit` by counting brackets outside strings. It runs
// before the JSON parser so a hostile frame of a million '[' costs one linear pass and never
// reaches a recursive routine. Where it disagrees with the parser (a malformed escape, say)
// the parser has already failed at that point, so the count is never too low.
bool nestingWithin(std::string_view text, std::size_t limit) {
    std::size_t depth = 0;
    bool inString = false;
    bool escaped = false;
    for (char c : text) {
        if (inString) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                inString = false;
            }
            continue;
        }
        switch (c) {
            case '"':
                inString = true;
                break;
            case '{':
            case '[':
                if (++depth > limit) return false;
                break;
            case '}':
            case ']':
                if (depth > 0) --depth;
                break;
            default:
                break;
        }
    }
    return true;
}

// Length of the well-formed UTF-8 sequence at s[i] (Unicode Table 3-7: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0 if the bytes there are not one.
std::size_t utf8SequenceLength(std::string_view s, std::size_t i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) return 1;
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
    } else if (b0 == 0xE0) {
        len = 3;
        lo = 0xA0;
    } else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
        len = 3;
    } else if (b0 == 0xED) {
        len = 3;
        hi = 0x9F;
    } else if (b0 == 0xF0) {
        len = 4;
        lo = 0x90;
    } else if (b0 >= 0xF1 && b0 <= 0xF3) {
        len = 4;
    } else if (b0 == 0xF4) {
        len = 4;
        hi = 0x8F;
    } else {
        return 0;
    }
    if (s.size() - i < len) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b1 < lo || b1 > hi) return 0;
    for (std::size_t k = 2; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if (b < 0x80 || b > 0xBF) return 0;
    }
    return len;
}

// Reply text comes partly from server code; a stray invalid byte must not make json::dump
// throw on the event loop, so it becomes U+FFFD instead.
std::string sanitizeUtf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t len = utf8SequenceLength(s, i);
        if (len == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            out.append(s.substr(i, len));
            i += len;
        }
    }
    return out;
}

// Only called on strings the JSON parser accepted, which are well-formed UTF-8.
std::size_t codePoints(std::string_view s) {
    std::size_t n = 0;
    for (char c : s) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    }
    return n;
}

// Cuts at a code point boundary so the message stays valid UTF-8.
std::string truncateCodePoints(std::string_view s, std::size_t maxPoints) {
    std::size_t seen = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
            if (seen == maxPoints) return std::string(s.substr(0, i)) + "...";
            ++seen;
        }
    }
    return std::string(s);
}

bool integerInRange(const json& value, std::int64_t min, std::int64_t max) {
    // The parser stores non-negative numbers as unsigned, which may exceed INT64_MAX.
    if (value.is_number_unsigned()) {
        const auto v = value.get<std::uint64_t>();
        if (max < 0) return false;
        return v <= static_cast<std::uint64_t>(max) &&
               (min <= 0 || v >= static_cast<std::uint64_t>(min));
    }
    const auto v = value.get<std::int64_t>();
    return v >= min && v <= max;
}

std::optional<std::string> checkField(const json& body, const Field& field) {
    const std::string name(field.name);
    const auto it = body.find(name);
    if (it == body.end()) {
        if (field.required) return "missing required field \"" + name + "\"";
        return std::nullopt;
    }
    // An explicit null is a wrong type, not an absent field: handlers may then treat
    // "present" as "present and well-typed".
    const json& value = *it;
    switch (field.kind) {
        case Kind::String: {
            if (!value.is_string()) return "field \"" + name + "\" must be a string";
            const std::size_t n = codePoints(value.get_ref<const std::string&>());
            if (n < static_cast<std::size_t>(field.min) ||
                n > static_cast<std::size_t>(field.max)) {
                return "field \"" + name + "\" must be " + std::to_string(field.min) + ".." +
                       std::to_string(field.max) + " characters long";
            }
            return std::nullopt;
        }
        case Kind::Integer:
            if (!value.is_number_integer() || !integerInRange(value, field.min, field.max)) {
                return "field \"" + name + "\" must be an integer from " +
                       std::to_string(field.min) + " to " + std::to_string(field.max);
            }
            return std::nullopt;
        case Kind::Boolean:
            if (!value.is_boolean()) return "field \"" + name + "\" must be a boolean";
            return std::nullopt;
        case Kind::Object:
            if (!value.is_object()) return "field \"" + name + "\" must be an object";
            return std::nullopt;
    }
    return "field \"" + name + "\" has an unsupported kind";
}

bool validId(const json& id) {
    if (id.is_number_integer()) return true;
    if (!id.is_string()) return false;
    const std::size_t n = codePoints(id.get_ref<const std::string&>());
    return n >= 1 && n <= kMaxIdLength;
}

ParseError error(std::string code, std::string message, json id = nullptr) {
    return ParseError{std::move(code), std::move(message), std::move(id)};
}

std::variant<Request, ParseError> parse(std::string_view text, std::size_t maxBytes) {
    if (text.size() > maxBytes) {
        return error("too_large", "message is " + std::to_string(text.size()) +
                                      " bytes; the limit is " + std::to_string(maxBytes));
    }
    if (!nestingWithin(text, kMaxNestingDepth)) {
        return error("bad_json",
                     "message is nested deeper than " + std::to_string(kMaxNestingDepth));
    }
    // Without exceptions: a parse failure, including ill-formed UTF-8 or a lone surrogate
    // escape, yields a discarded value.
    json body = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) return error("bad_json", "message is not valid JSON");
    if (!body.is_object()) return error("bad_request", "message must be a JSON object");

    const auto idIt = body.find("id");
    if (idIt == body.end()) return error("bad_request", "missing required field \"id\"");
    if (!validId(*idIt)) {
        return error("bad_request",
                     "field \"id\" must be a string of 1..64 characters or an integer");
    }
    json id = *idIt;

    const auto typeIt = body.find("type");
    if (typeIt == body.end()) return error("bad_request", "missing required field \"type\"", id);
    if (!typeIt->is_string()) return error("bad_request", "field \"type\" must be a string", id);
    const auto& typeName = typeIt->get_ref<const std::string&>();
    const Message* message = findMessage(typeName);
    if (message == nullptr) {
        return error(
            "bad_request",
            "unknown message type \"" + truncateCodePoints(typeName, kMaxTypeInMessage) + "\"", id);
    }

    for (const Field& field : message->fields) {
        if (auto problem = checkField(body, field)) {
            return error("bad_request", std::move(*problem), id);
        }
    }
    return Request{message->type, std::move(id), std::move(body)};
}

}  // namespace

std::string_view toString(MessageType type) {
    const auto index = static_cast<std::size_t>(type);
    if (index >= std::size(kMessages)) return "unknown";
    return kMessages[index].name;
}

bool jsonNestingWithin(std::string_view text, std::size_t limit) {
    return nestingWithin(text, limit);
}

std::variant<Request, ParseError> parseRequest(std::string_view text, std::size_t maxBytes) {
    // Nothing below should throw on any input; this is the last line against a library
    // surprise or memory exhaustion escaping into a C callback on the event loop.
    try {
        return parse(text, maxBytes);
    } catch (const std::exception& e) {
        return error("internal", std::string("could not read the message: ") + e.what());
    } catch (...) {
        return error("internal", "could not read the message");
    }
}

json okReply(const json& re, json payload) {
    json reply = json::object();
    if (payload.is_object()) {
        reply = std::move(payload);
    } else if (!payload.is_null()) {
        reply["result"] = std::move(payload);
    }
    reply["type"] = "ok";
    reply["re"] = re;
    return reply;
}

json errorReply(const json& re, std::string_view code, std::string_view message) {
    return json{{"type", "error"},
                {"re", re},
                {"code", sanitizeUtf8(code)},
                {"message", sanitizeUtf8(message)}};
}

}  // namespace vigil::signaling
