#pragma once
// A calendar day from its "YYYY-MM-DD" text, for the supervision tests' fixtures.

#include <gtest/gtest.h>

#include <string>

#include "vigil/signaling/Supervision.hpp"

namespace vigil::signaling::test {

// The day `text` names; a test failure (and day 0) if it names none.
inline Day dayFromText(const std::string& text) {
    auto d = parseDay(text);
    EXPECT_TRUE(d) << text;
    return d.value_or(0);
}

}  // namespace vigil::signaling::test
