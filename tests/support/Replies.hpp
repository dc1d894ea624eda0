#pragma once
// Messages the integration tests send and the checks they make on the server's replies.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "Fixtures.hpp"

namespace vigil::testing {

// The WebSocket request to join class `classId`.
inline nlohmann::json joinMsg(const std::string& classId) {
    return {{"type", "join"}, {"class", classId}};
}

// `subject`'s row of an attendance report's body, or null when absent.
inline nlohmann::json attendanceRow(const nlohmann::json& body, const std::string& subject) {
    for (const auto& row : body["attendance"]) {
        if (row.value("subject", "") == subject) return row;
    }
    return nlohmann::json();
}

// The error code of a REST reply ({"error": {"code": ...}}), empty when there is none.
inline std::string errorCode(const JsonResult& r) {
    if (!r.body.is_object() || !r.body.contains("error")) return "";
    return r.body["error"].value("code", "");
}

// A WebSocket error reply with `code` and a message, which names `mentions` if given.
inline void expectError(const nlohmann::json& reply, const std::string& code,
                        const std::string& mentions = "") {
    EXPECT_EQ(reply.value("type", ""), "error") << reply.dump();
    EXPECT_EQ(reply.value("code", ""), code) << reply.dump();
    EXPECT_FALSE(reply.value("message", "").empty()) << reply.dump();
    if (!mentions.empty()) {
        EXPECT_NE(reply.value("message", "").find(mentions), std::string::npos)
            << "the message should name " << mentions << ": " << reply.dump();
    }
}

}  // namespace vigil::testing
