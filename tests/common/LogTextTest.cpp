#include <gtest/gtest.h>

#include <string>

#include "vigil/common/LogText.hpp"

namespace vigil::common {
namespace {

TEST(LogTextTest, PlainTextIsQuotedAsIs) {
    EXPECT_EQ(logText("subject01"), "\"subject01\"");
    EXPECT_EQ(logText(""), "\"\"");
}

TEST(LogTextTest, ALineBreakCannotForgeALogLine) {
    const std::string forged = "x\n[2026-01-01 00:00:00] [sessions] [info] user 1 logged in";
    const std::string out = logText(forged, 200);
    EXPECT_EQ(out.find('\n'), std::string::npos) << out;
    EXPECT_EQ(out.rfind("\"x\\x0a[2026", 0), 0u) << out;
}

TEST(LogTextTest, ControlBytesQuotesAndNonAsciiAreEscaped) {
    EXPECT_EQ(logText(std::string("a\x1b[2Jb\r\t\0c", 10)), "\"a\\x1b[2Jb\\x0d\\x09\\x00c\"");
    EXPECT_EQ(logText("say \"hi\" \\ bye"), "\"say \\x22hi\\x22 \\x5c bye\"");
    EXPECT_EQ(logText("张"), "\"\\xe5\\xbc\\xa0\"");
    EXPECT_EQ(logText("\x7f"), "\"\\x7f\"");
}

TEST(LogTextTest, LongTextIsCut) {
    EXPECT_EQ(logText(std::string(1 << 20, 'a'), 8), "\"aaaaaaaa\"...");
    EXPECT_EQ(logText("12345678", 8), "\"12345678\"");
}

}  // namespace
}  // namespace vigil::common
