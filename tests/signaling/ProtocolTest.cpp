#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "vigil/signaling/Protocol.hpp"

namespace vigil::signaling {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxBytes = 65536;

// Returns the error, or records a failure (naming the input) if the text parsed.
ParseError parseError(std::string_view text, std::size_t maxBytes = kMaxBytes) {
    auto result = parseRequest(text, maxBytes);
    if (auto* error = std::get_if<ParseError>(&result)) return *error;
    ADD_FAILURE() << "expected a ParseError for: " << text.substr(0, 200);
    return {};
}

Request parseOk(std::string_view text, std::size_t maxBytes = kMaxBytes) {
    auto result = parseRequest(text, maxBytes);
    if (auto* request = std::get_if<Request>(&result)) return *request;
    const auto& error = std::get<ParseError>(result);
    ADD_FAILURE() << "expected a Request for: " << text.substr(0, 200) << "\n got " << error.code
                  << ": " << error.message;
    return {MessageType::Heartbeat, nullptr, nullptr};
}

json message(std::string_view type, json fields = json::object()) {
    fields["type"] = type;
    fields["id"] = "r1";
    return fields;
}

std::string repeat(std::string_view unit, std::size_t n) {
    std::string out;
    out.reserve(unit.size() * n);
    for (std::size_t i = 0; i < n; ++i) out += unit;
    return out;
}

// --- Good messages -------------------------------------------------------------------------

struct GoodCase {
    MessageType type;
    json body;
};

std::vector<GoodCase> goodCases() {
    return {
        {MessageType::Auth, message("auth", {{"token", "t0k3n"}})},
        {MessageType::Join, message("join", {{"class", "c-42"}})},
        {MessageType::Leave, message("leave", {{"class", "c-42"}})},
        {MessageType::Leave, message("leave")},
        {MessageType::Heartbeat, message("heartbeat")},
        {MessageType::Chat, message("chat", {{"text", "hello"}})},
        {MessageType::RaiseHand, message("raise_hand")},
        {MessageType::LowerHand, message("lower_hand")},
        {MessageType::Roster, message("roster", {{"class", "c-42"}})},
        {MessageType::Roster, message("roster")},
        {MessageType::SpotCheck, message("spot_check", {{"subject", "u-7"}, {"seconds", 30}})},
        {MessageType::SpotCheck, message("spot_check", {{"subject", "u-7"}})},
        {MessageType::SpotCheck,
         message("spot_check", {{"subject", "u-7"}, {"challenge", "blink"}, {"seconds", 20}})},
        {MessageType::SpotCheckReply, message("spot_check_reply", {{"check", "k-1"}})},
        {MessageType::StartClass, message("start_class", {{"class", "c-42"}})},
        {MessageType::EndClass, message("end_class", {{"class", "c-42"}})},
        {MessageType::Offer,
         message("offer", {{"sdp", "v=0\r\n"}, {"stream", "camera"}, {"call", "k1"}})},
        {MessageType::Offer, message("offer", {{"sdp", "v=0\r\n"}})},
        {MessageType::Answer, message("answer", {{"sdp", "v=0\r\n"}, {"session", "s1"}})},
        {MessageType::Ice, message("ice", {{"candidate", "candidate:1 1 udp 1 1.2.3.4 5 typ host"},
                                           {"sdpMLineIndex", 0},
                                           {"session", "s1"}})},
        {MessageType::Ice, message("ice", {{"candidate", ""}, {"session", "s1"}})},
        {MessageType::IceRestart, message("ice_restart", {{"session", "s1"}})},
        {MessageType::Subscribe, message("subscribe")},
        {MessageType::Subscribe,
         message("subscribe", {{"source", "u3"}, {"stream", "main"}, {"call", "k1"}})},
        {MessageType::StopMedia, message("stop_media", {{"session", "s1"}})},
        {MessageType::Call, message("call", {{"subject", "u4"}})},
        {MessageType::CallAccept, message("call_accept", {{"call", "k1"}})},
        {MessageType::CallDecline, message("call_decline", {{"call", "k1"}})},
        {MessageType::CallEnd, message("call_end", {{"call", "k1"}})},
        {MessageType::CheckinStart, message("checkin_start")},
        {MessageType::CheckinStart,
         message("checkin_start",
                 {{"order", "o1"},
                  {"report", "本周按时参加学习。"},
                  {"location", {{"lat", 30.5}, {"lon", 114.3}, {"accuracy", 20}}}})},
        {MessageType::CheckinStart, message("checkin_start", {{"location_refused", true}})},
        {MessageType::CheckinShown, message("checkin_shown", {{"checkin", "ci1"}})},
        {MessageType::CheckinCancel, message("checkin_cancel", {{"checkin", "ci1"}})},
        {MessageType::Offer,
         message("offer", {{"sdp", "v=0\r\n"}, {"stream", "camera"}, {"checkin", "ci1"}})},
    };
}

TEST(ProtocolTest, EveryGoodMessageParsesToItsType) {
    for (const auto& good : goodCases()) {
        const std::string text = good.body.dump();
        const Request request = parseOk(text);
        EXPECT_EQ(request.type, good.type) << text;
        EXPECT_EQ(request.id, json("r1")) << text;
        EXPECT_EQ(request.body, good.body) << text;
    }
}

TEST(ProtocolTest, EveryTypeNameRoundTrips) {
    const std::vector<std::pair<MessageType, std::string_view>> names = {
        {MessageType::Auth, "auth"},
        {MessageType::Join, "join"},
        {MessageType::Leave, "leave"},
        {MessageType::Heartbeat, "heartbeat"},
        {MessageType::Chat, "chat"},
        {MessageType::RaiseHand, "raise_hand"},
        {MessageType::LowerHand, "lower_hand"},
        {MessageType::Roster, "roster"},
        {MessageType::SpotCheck, "spot_check"},
        {MessageType::SpotCheckReply, "spot_check_reply"},
        {MessageType::StartClass, "start_class"},
        {MessageType::EndClass, "end_class"},
        {MessageType::Offer, "offer"},
        {MessageType::Answer, "answer"},
        {MessageType::Ice, "ice"},
        {MessageType::IceRestart, "ice_restart"},
        {MessageType::Subscribe, "subscribe"},
        {MessageType::StopMedia, "stop_media"},
        {MessageType::Call, "call"},
        {MessageType::CallAccept, "call_accept"},
        {MessageType::CallDecline, "call_decline"},
        {MessageType::CallEnd, "call_end"},
        {MessageType::CheckinStart, "checkin_start"},
        {MessageType::CheckinShown, "checkin_shown"},
        {MessageType::CheckinCancel, "checkin_cancel"},
    };
    ASSERT_EQ(names.size(), 25u);
    for (const auto& [type, name] : names) EXPECT_EQ(toString(type), name);
    EXPECT_EQ(toString(static_cast<MessageType>(999)), "unknown");
}

TEST(ProtocolTest, UnknownExtraFieldsAreIgnoredAndKept) {
    const Request request =
        parseOk(R"({"type":"join","id":"a","class":"c1","extra":{"deep":[1,2,3]},"n":1.5})");
    EXPECT_EQ(request.type, MessageType::Join);
    EXPECT_EQ(request.body["extra"]["deep"][2], 3);
}

TEST(ProtocolTest, HandlesWhitespaceAndKeyOrder) {
    const Request request =
        parseOk(" \n\t{ \"class\" : \"c\" , \"id\" : 7 , \"type\" : \"join\" }\r\n");
    EXPECT_EQ(request.type, MessageType::Join);
    EXPECT_EQ(request.id, json(7));
}

// --- Ids ------------------------------------------------------------------------------------

TEST(ProtocolTest, IntegerIdsAreAcceptedAndEchoed) {
    EXPECT_EQ(parseOk(R"({"type":"heartbeat","id":0})").id, json(0));
    EXPECT_EQ(parseOk(R"({"type":"heartbeat","id":42})").id, json(42));
    EXPECT_EQ(parseOk(R"({"type":"heartbeat","id":-5})").id, json(-5));
    EXPECT_EQ(parseOk(R"({"type":"heartbeat","id":18446744073709551615})").id, json(UINT64_MAX));
}

TEST(ProtocolTest, StringIdsOfOneToSixtyFourCharacters) {
    EXPECT_EQ(parseOk(R"({"type":"heartbeat","id":"x"})").id, json("x"));
    const std::string id64(64, 'a');
    EXPECT_EQ(parseOk(json{{"type", "heartbeat"}, {"id", id64}}.dump()).id, json(id64));
    // Counted in code points: 64 three-byte characters are still 64 characters.
    const std::string wide64 = repeat("\xE7\x8F\xAD", 64);
    EXPECT_EQ(parseOk(json{{"type", "heartbeat"}, {"id", wide64}}.dump()).id, json(wide64));
}

TEST(ProtocolTest, BadIdsAreRejectedWithNullId) {
    const std::vector<std::string> bad = {
        R"({"type":"heartbeat"})",
        R"({"type":"heartbeat","id":""})",
        R"({"type":"heartbeat","id":")" + std::string(65, 'a') + R"("})",
        R"({"type":"heartbeat","id":1.5})",
        R"({"type":"heartbeat","id":1e3})",
        R"({"type":"heartbeat","id":true})",
        R"({"type":"heartbeat","id":null})",
        R"({"type":"heartbeat","id":{"a":1}})",
        R"({"type":"heartbeat","id":["a"]})",
        R"({"type":"heartbeat","id":123456789012345678901234567890})",
    };
    for (const auto& text : bad) {
        const ParseError error = parseError(text);
        EXPECT_EQ(error.code, "bad_request") << text;
        EXPECT_TRUE(error.id.is_null()) << text;
        EXPECT_NE(error.message.find("id"), std::string::npos) << text;
    }
}

TEST(ProtocolTest, IdIsEchoedOnLaterErrors) {
    EXPECT_EQ(parseError(R"({"id":"abc"})").id, json("abc"));
    EXPECT_EQ(parseError(R"({"id":9,"type":"nope"})").id, json(9));
    EXPECT_EQ(parseError(R"({"id":"q","type":"join"})").id, json("q"));
    EXPECT_EQ(parseError(R"({"id":"q","type":"spot_check","subject":"s","seconds":1})").id,
              json("q"));
}

// --- Envelope -------------------------------------------------------------------------------

TEST(ProtocolTest, TopLevelMustBeAnObject) {
    for (const std::string text : {"[]", "[1,2]", "1", "\"join\"", "null", "true"}) {
        const ParseError error = parseError(text);
        EXPECT_EQ(error.code, "bad_request") << text;
        EXPECT_TRUE(error.id.is_null()) << text;
    }
}

TEST(ProtocolTest, TypeMustBePresentAndAString) {
    for (const std::string text : {R"({"id":"a"})", R"({"id":"a","type":1})",
                                   R"({"id":"a","type":null})", R"({"id":"a","type":["join"]})"}) {
        const ParseError error = parseError(text);
        EXPECT_EQ(error.code, "bad_request") << text;
        EXPECT_NE(error.message.find("type"), std::string::npos) << text;
    }
}

TEST(ProtocolTest, UnknownTypeIsNamedInTheMessage) {
    const ParseError error = parseError(R"({"id":"a","type":"teleport"})");
    EXPECT_EQ(error.code, "bad_request");
    EXPECT_NE(error.message.find("teleport"), std::string::npos);
    // Type names are case-sensitive.
    EXPECT_EQ(parseError(R"({"id":"a","type":"Join","class":"c"})").code, "bad_request");
}

TEST(ProtocolTest, UnknownTypeIsTruncatedToFortyCharacters) {
    const std::string first40 = std::string(40, 'x');
    const ParseError error = parseError(message(first40 + "TAIL" + std::string(500, 'y')).dump());
    EXPECT_EQ(error.code, "bad_request");
    EXPECT_NE(error.message.find(first40), std::string::npos);
    EXPECT_EQ(error.message.find("TAIL"), std::string::npos);
    EXPECT_LT(error.message.size(), 100u);
}

TEST(ProtocolTest, TruncatedMultibyteTypeStaysValidUtf8) {
    // 45 two-byte characters: a byte-wise cut at 40 would split one in half.
    const ParseError error = parseError(message(repeat("\xC3\xA9", 45)).dump());
    EXPECT_EQ(error.code, "bad_request");
    EXPECT_NE(error.message.find(repeat("\xC3\xA9", 40)), std::string::npos);
    EXPECT_EQ(error.message.find(repeat("\xC3\xA9", 41)), std::string::npos);
    EXPECT_NO_THROW(errorReply(error.id, error.code, error.message).dump());
    EXPECT_NO_THROW(json(error.message).dump());
}

// --- Size, nesting, syntax ------------------------------------------------------------------

TEST(ProtocolTest, SeventyKilobyteMessageIsTooLarge) {
    const std::string text = message("chat", {{"text", std::string(70 * 1024, 'a')}}).dump();
    const ParseError error = parseError(text);
    EXPECT_EQ(error.code, "too_large");
    EXPECT_TRUE(error.id.is_null());
}

TEST(ProtocolTest, SizeIsCheckedBeforeParsing) {
    // Garbage over the limit is too_large, not bad_json: no parsing cost for oversized frames.
    EXPECT_EQ(parseError(std::string(kMaxBytes + 1, '[')).code, "too_large");
    EXPECT_EQ(parseError(std::string(100, '\xff'), 99).code, "too_large");
}

TEST(ProtocolTest, SizeLimitIsInclusive) {
    const std::string text = R"({"type":"heartbeat","id":"a"})";
    EXPECT_EQ(parseOk(text, text.size()).type, MessageType::Heartbeat);
    EXPECT_EQ(parseError(text, text.size() - 1).code, "too_large");
}

std::string nested(std::size_t depth) {
    // A message whose "x" field sits inside (depth - 1) arrays: total depth = depth.
    return R"({"type":"heartbeat","id":"a","x":)" + std::string(depth - 1, '[') +
           std::string(depth - 1, ']') + "}";
}

TEST(ProtocolTest, NestingOfSixteenIsAccepted) {
    EXPECT_EQ(parseOk(nested(16)).type, MessageType::Heartbeat);
}

TEST(ProtocolTest, NestingDeeperThanSixteenIsBadJson) {
    EXPECT_EQ(parseError(nested(17)).code, "bad_json");
    std::string objects = R"({"type":"heartbeat","id":"a","x":)";
    for (int i = 0; i < 16; ++i) objects += R"({"k":)";
    objects += "1" + std::string(17, '}');
    EXPECT_EQ(parseError(objects).code, "bad_json");
}

TEST(ProtocolTest, HostileDeepNestingIsRejectedQuickly) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(parseError(std::string(60000, '['), kMaxBytes).code, "bad_json");
    EXPECT_EQ(parseError(repeat("{\"a\":", 10000)).code, "bad_json");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(ProtocolTest, BracketsInsideStringsDoNotCountAsNesting) {
    const std::string text = message("chat", {{"text", std::string(100, '[') + "\\\"{{{"}}).dump();
    EXPECT_EQ(parseOk(text).type, MessageType::Chat);
}

TEST(ProtocolTest, InvalidJsonIsBadJson) {
    // A raw control character inside a string is not JSON, NUL included.
    static constexpr char kNulText[] = "{\"type\":\"heartbeat\",\"id\":\"a\0\"}";
    const std::string embeddedNul(kNulText, sizeof(kNulText) - 1);
    const std::vector<std::string> bad = {
        "",
        " ",
        "{",
        R"({"type":"heartbeat","id":"a")",
        R"({"type":"heartbeat","id":"a"}})",
        R"({"type":"heartbeat","id":"a"} x)",
        R"({"type":"heartbeat","id":"a",})",
        R"({'type':'heartbeat','id':'a'})",
        R"({"type":"heartbeat","id":"a"} // comment)",
        R"({"type":"heartbeat","id":NaN})",
        embeddedNul,
        "{\"type\":\"chat\",\"id\":\"a\",\"text\":\"line\nbreak\"}",
    };
    for (const auto& text : bad) EXPECT_EQ(parseError(text).code, "bad_json") << text;
}

TEST(ProtocolTest, InvalidUtf8IsBadJson) {
    const std::vector<std::string> bad = {
        "{\"type\":\"chat\",\"id\":\"a\",\"text\":\"\xff\"}",              // never valid
        "{\"type\":\"chat\",\"id\":\"a\",\"text\":\"\xC3\"}",              // truncated sequence
        "{\"type\":\"chat\",\"id\":\"a\",\"text\":\"\xC0\xAF\"}",          // overlong '/'
        "{\"type\":\"chat\",\"id\":\"a\",\"text\":\"\xED\xA0\x80\"}",      // encoded surrogate
        "{\"type\":\"chat\",\"id\":\"a\",\"text\":\"\xF4\x90\x80\x80\"}",  // above U+10FFFF
        R"({"type":"chat","id":"a","text":"\ud800"})",                     // lone surrogate
        R"({"type":"chat","id":"a","text":"\udc00x"})",
        "\xEF\xBB\xBF\xFF{}",
        "{\"type\":\"chat\",\"id\":\"a\",\"text\":\"ok\"\xC3\xA9}",  // stray byte outside strings
    };
    for (const auto& text : bad) EXPECT_EQ(parseError(text).code, "bad_json") << text;
}

TEST(ProtocolTest, ValidUtf8AndEscapesAreAccepted) {
    const Request request =
        parseOk(R"({"type":"chat","id":"a","text":"caf\u00e9 \ud83d\ude00 \u73ed"})");
    EXPECT_EQ(request.body["text"], "caf\xC3\xA9 \xF0\x9F\x98\x80 \xE7\x8F\xAD");
}

// --- Field tables ---------------------------------------------------------------------------

struct FieldCase {
    std::string label;
    json body;
    std::string field;  // Must be named in the error message.
};

void PrintTo(const FieldCase& c, std::ostream* os) {
    *os << c.label;
}

class ProtocolFieldTest : public ::testing::TestWithParam<FieldCase> {};

TEST_P(ProtocolFieldTest, IsBadRequestNamingTheField) {
    const FieldCase& c = GetParam();
    const ParseError error = parseError(c.body.dump());
    EXPECT_EQ(error.code, "bad_request");
    EXPECT_EQ(error.id, json("r1"));
    EXPECT_NE(error.message.find("\"" + c.field + "\""), std::string::npos) << error.message;
}

std::vector<FieldCase> fieldCases() {
    const std::string s65(65, 'a');
    return {
        {"auth_missing_token", message("auth"), "token"},
        {"auth_token_number", message("auth", {{"token", 5}}), "token"},
        {"auth_token_empty", message("auth", {{"token", ""}}), "token"},
        {"auth_token_129", message("auth", {{"token", std::string(129, 't')}}), "token"},
        {"auth_token_null", message("auth", {{"token", nullptr}}), "token"},
        {"join_missing_class", message("join"), "class"},
        {"join_class_empty", message("join", {{"class", ""}}), "class"},
        {"join_class_65", message("join", {{"class", s65}}), "class"},
        {"join_class_array", message("join", {{"class", json::array({"c"})}}), "class"},
        {"leave_class_number", message("leave", {{"class", 1}}), "class"},
        {"leave_class_65", message("leave", {{"class", s65}}), "class"},
        {"leave_class_null", message("leave", {{"class", nullptr}}), "class"},
        {"chat_missing_text", message("chat"), "text"},
        {"chat_text_empty", message("chat", {{"text", ""}}), "text"},
        {"chat_text_2001", message("chat", {{"text", std::string(2001, 'x')}}), "text"},
        {"chat_text_2001_wide", message("chat", {{"text", repeat("\xE7\x8F\xAD", 2001)}}), "text"},
        {"chat_text_object", message("chat", {{"text", {{"a", 1}}}}), "text"},
        {"roster_class_bool", message("roster", {{"class", true}}), "class"},
        {"spot_check_missing_subject", message("spot_check", {{"seconds", 30}}), "subject"},
        {"spot_check_subject_65", message("spot_check", {{"subject", s65}}), "subject"},
        {"spot_check_challenge_number", message("spot_check", {{"subject", "s"}, {"challenge", 1}}),
         "challenge"},
        {"spot_check_challenge_empty", message("spot_check", {{"subject", "s"}, {"challenge", ""}}),
         "challenge"},
        {"spot_check_seconds_4", message("spot_check", {{"subject", "s"}, {"seconds", 4}}),
         "seconds"},
        {"spot_check_seconds_3601", message("spot_check", {{"subject", "s"}, {"seconds", 3601}}),
         "seconds"},
        {"spot_check_seconds_negative", message("spot_check", {{"subject", "s"}, {"seconds", -30}}),
         "seconds"},
        {"spot_check_seconds_float", message("spot_check", {{"subject", "s"}, {"seconds", 30.0}}),
         "seconds"},
        {"spot_check_seconds_string", message("spot_check", {{"subject", "s"}, {"seconds", "30"}}),
         "seconds"},
        {"spot_check_seconds_huge",
         message("spot_check", {{"subject", "s"}, {"seconds", UINT64_MAX}}), "seconds"},
        {"spot_check_seconds_int64_min",
         message("spot_check", {{"subject", "s"}, {"seconds", INT64_MIN}}), "seconds"},
        {"spot_check_seconds_bool", message("spot_check", {{"subject", "s"}, {"seconds", true}}),
         "seconds"},
        {"spot_check_reply_missing_check", message("spot_check_reply"), "check"},
        {"spot_check_reply_check_empty", message("spot_check_reply", {{"check", ""}}), "check"},
        {"start_class_missing_class", message("start_class"), "class"},
        {"start_class_class_65", message("start_class", {{"class", s65}}), "class"},
        {"end_class_missing_class", message("end_class"), "class"},
        {"end_class_class_number", message("end_class", {{"class", 3}}), "class"},
        {"offer_missing_sdp", message("offer", {{"stream", "main"}}), "sdp"},
        {"offer_sdp_empty", message("offer", {{"sdp", ""}}), "sdp"},
        {"offer_sdp_60001", message("offer", {{"sdp", std::string(60001, 'v')}}), "sdp"},
        {"offer_stream_17", message("offer", {{"sdp", "v=0"}, {"stream", std::string(17, 'm')}}),
         "stream"},
        {"offer_call_65", message("offer", {{"sdp", "v=0"}, {"call", s65}}), "call"},
        {"answer_missing_sdp", message("answer", {{"session", "s"}}), "sdp"},
        {"answer_missing_session", message("answer", {{"sdp", "v=0"}}), "session"},
        {"answer_session_empty", message("answer", {{"sdp", "v=0"}, {"session", ""}}), "session"},
        {"ice_missing_candidate", message("ice", {{"sdpMLineIndex", 0}, {"session", "s"}}),
         "candidate"},
        {"ice_missing_session", message("ice", {{"candidate", ""}}), "session"},
        {"ice_candidate_2001",
         message("ice", {{"candidate", std::string(2001, 'c')}, {"session", "s"}}), "candidate"},
        {"ice_candidate_null", message("ice", {{"candidate", nullptr}, {"session", "s"}}),
         "candidate"},
        {"ice_mline_65",
         message("ice", {{"candidate", ""}, {"sdpMLineIndex", 65}, {"session", "s"}}),
         "sdpMLineIndex"},
        {"ice_mline_negative",
         message("ice", {{"candidate", ""}, {"sdpMLineIndex", -1}, {"session", "s"}}),
         "sdpMLineIndex"},
        {"ice_mline_string",
         message("ice", {{"candidate", ""}, {"sdpMLineIndex", "0"}, {"session", "s"}}),
         "sdpMLineIndex"},
        {"ice_session_65", message("ice", {{"candidate", ""}, {"session", s65}}), "session"},
        {"ice_restart_session_number", message("ice_restart", {{"session", 1}}), "session"},
        {"ice_restart_missing_session", message("ice_restart"), "session"},
        {"stop_media_missing_session", message("stop_media"), "session"},
        {"subscribe_source_65", message("subscribe", {{"source", s65}}), "source"},
        {"call_missing_subject", message("call"), "subject"},
        {"call_accept_call_number", message("call_accept", {{"call", 5}}), "call"},
        {"call_end_missing_call", message("call_end"), "call"},
    };
}

INSTANTIATE_TEST_SUITE_P(ProtocolFields, ProtocolFieldTest, ::testing::ValuesIn(fieldCases()),
                         [](const auto& testInfo) { return testInfo.param.label; });

TEST(ProtocolTest, BoundaryValuesAreAccepted) {
    const std::vector<json> good = {
        message("auth", {{"token", std::string(128, 't')}}),
        message("join", {{"class", std::string(64, 'c')}}),
        message("chat", {{"text", "x"}}),
        message("chat", {{"text", std::string(2000, 'x')}}),
        message("chat", {{"text", repeat("\xE7\x8F\xAD", 2000)}}),
        message("spot_check", {{"subject", "s"}, {"seconds", 5}}),
        message("spot_check", {{"subject", "s"}, {"seconds", 3600}}),
        message("offer", {{"sdp", std::string(60000, 'v')}}),
        message("ice",
                {{"candidate", std::string(2000, 'c')}, {"sdpMLineIndex", 64}, {"session", "s"}}),
        message("answer", {{"sdp", std::string(60000, 'v')}, {"session", std::string(64, 's')}}),
    };
    for (const auto& body : good) EXPECT_EQ(parseOk(body.dump()).body, body);
}

TEST(ProtocolTest, FieldsAreCheckedInTableOrder) {
    // Both fields are wrong: the first in the table is reported.
    const ParseError error = parseError(message("spot_check", {{"seconds", 1}}).dump());
    EXPECT_NE(error.message.find("\"subject\""), std::string::npos) << error.message;
}

// --- Replies --------------------------------------------------------------------------------

TEST(ProtocolTest, OkReplyMergesPayload) {
    const json reply = okReply("r1", {{"role", "student"}, {"class", {{"id", "c"}}}});
    EXPECT_EQ(reply,
              (json{{"type", "ok"}, {"re", "r1"}, {"role", "student"}, {"class", {{"id", "c"}}}}));
    EXPECT_EQ(okReply(7), (json{{"type", "ok"}, {"re", 7}}));
}

TEST(ProtocolTest, OkReplyEnvelopeWinsOverPayloadKeys) {
    const json reply = okReply("r1", {{"type", "error"}, {"re", "other"}, {"x", 1}});
    EXPECT_EQ(reply["type"], "ok");
    EXPECT_EQ(reply["re"], "r1");
    EXPECT_EQ(reply["x"], 1);
}

TEST(ProtocolTest, OkReplyPutsNonObjectPayloadUnderResult) {
    EXPECT_EQ(okReply("r", json::array({1, 2}))["result"], json::array({1, 2}));
    EXPECT_FALSE(okReply("r", nullptr).contains("result"));
}

TEST(ProtocolTest, ErrorReplyShape) {
    EXPECT_EQ(errorReply(nullptr, "bad_json", "message is not valid JSON"),
              (json{{"type", "error"},
                    {"re", nullptr},
                    {"code", "bad_json"},
                    {"message", "message is not valid JSON"}}));
    EXPECT_EQ(errorReply(3, "forbidden", "no")["re"], 3);
}

TEST(ProtocolTest, ErrorReplyWithInvalidUtf8StillSerialises) {
    const json reply = errorReply("r", "internal", "bad \xff byte \xC3");
    std::string text;
    ASSERT_NO_THROW(text = reply.dump());
    EXPECT_EQ(reply["message"], "bad \xEF\xBF\xBD byte \xEF\xBF\xBD");
}

TEST(ProtocolTest, ParseErrorFeedsErrorReply) {
    const ParseError error = parseError(R"({"id":"z","type":"join"})");
    const json reply = errorReply(error.id, error.code, error.message);
    EXPECT_EQ(reply["re"], "z");
    EXPECT_EQ(reply["code"], "bad_request");
}

// --- Robustness -----------------------------------------------------------------------------

void expectWellFormedResult(std::string_view text) {
    std::variant<Request, ParseError> result;
    ASSERT_NO_THROW(result = parseRequest(text, kMaxBytes));
    if (const auto* request = std::get_if<Request>(&result)) {
        EXPECT_FALSE(toString(request->type).empty());
        EXPECT_NO_THROW(okReply(request->id, request->body).dump());
    } else {
        const auto& error = std::get<ParseError>(result);
        EXPECT_TRUE(error.code == "bad_json" || error.code == "bad_request" ||
                    error.code == "too_large")
            << error.code << ": " << error.message;
        EXPECT_NO_THROW(errorReply(error.id, error.code, error.message).dump());
    }
}

TEST(ProtocolTest, RandomGarbageNeverCrashes) {
    std::mt19937 rng(20240601);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<std::size_t> length(0, 512);
    for (int i = 0; i < 5000; ++i) {
        std::string text(length(rng), '\0');
        for (char& c : text) c = static_cast<char>(byte(rng));
        expectWellFormedResult(text);
    }
}

TEST(ProtocolTest, MutatedGoodMessagesNeverCrash) {
    // Random bytes mostly fail at the first character; flipping bytes of real messages
    // reaches the envelope and field checks too.
    std::mt19937 rng(7);
    const std::string alphabet = "{}[]\":,\\ 0123456789-.eEtrufalsn\x80\xC3\xFF";
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    for (const auto& good : goodCases()) {
        const std::string base = good.body.dump();
        std::uniform_int_distribution<std::size_t> where(0, base.size() - 1);
        for (int i = 0; i < 300; ++i) {
            std::string text = base;
            for (int k = 0; k < 3; ++k) text[where(rng)] = alphabet[pick(rng)];
            expectWellFormedResult(text);
        }
    }
}

}  // namespace
}  // namespace vigil::signaling
