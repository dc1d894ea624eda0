#include <gtest/gtest.h>

#include "vigil/signaling/ByteRange.hpp"

namespace vigil::signaling {
namespace {

using Kind = ByteRange::Kind;

void expectPartial(std::string_view header, std::uint64_t size, std::uint64_t first,
                   std::uint64_t last) {
    ByteRange r = ByteRange::parse(header, size);
    EXPECT_EQ(r.kind, Kind::Partial) << header;
    EXPECT_EQ(r.first, first) << header;
    EXPECT_EQ(r.last, last) << header;
}

TEST(ByteRangeTest, ClosedOpenAndSuffixRanges) {
    expectPartial("bytes=100-199", 1000, 100, 199);
    expectPartial("bytes=0-0", 1000, 0, 0);
    expectPartial("bytes=100-", 1000, 100, 999);
    expectPartial("bytes=-50", 1000, 950, 999);
    expectPartial("bytes=999-999", 1000, 999, 999);
    expectPartial(" Bytes=5-9 ", 1000, 5, 9);
    EXPECT_EQ(ByteRange::parse("bytes=100-199", 1000).length(), 100u);
}

TEST(ByteRangeTest, EndsPastTheFileAreCut) {
    expectPartial("bytes=900-5000", 1000, 900, 999);
    expectPartial("bytes=-5000", 1000, 0, 999);
}

TEST(ByteRangeTest, UnsatisfiableRanges) {
    EXPECT_EQ(ByteRange::parse("bytes=1000-", 1000).kind, Kind::Unsatisfiable);
    EXPECT_EQ(ByteRange::parse("bytes=1000-1001", 1000).kind, Kind::Unsatisfiable);
    EXPECT_EQ(ByteRange::parse("bytes=-0", 1000).kind, Kind::Unsatisfiable);
    EXPECT_EQ(ByteRange::parse("bytes=0-", 0).kind, Kind::Unsatisfiable);
    EXPECT_EQ(ByteRange::parse("bytes=-10", 0).kind, Kind::Unsatisfiable);
}

TEST(ByteRangeTest, UnusableHeadersMeanTheWholeFile) {
    for (const char* h : {"", "bytes=", "bytes=-", "items=0-10", "bytes=abc-def", "bytes=10-5",
                          "bytes=0-10,20-30", "bytes=1-2-3", "bytes=99999999999999999999-",
                          "bytes 0-10", "bytes =0-10", "bytes=+1-2"}) {
        EXPECT_EQ(ByteRange::parse(h, 1000).kind, Kind::Whole) << h;
    }
}

}  // namespace
}  // namespace vigil::signaling
