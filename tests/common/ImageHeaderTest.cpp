#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "vigil/common/ImageHeader.hpp"

namespace vigil::common {
namespace {

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A JPEG header that claims `width` x `height`: SOI, an APP0 segment, then SOF0.
std::string jpegHeader(int width, int height) {
    std::string b("\xff\xd8", 2);
    b += std::string("\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 18);
    b += std::string("\xff\xc0\x00\x11\x08", 5);
    b += static_cast<char>(height >> 8);
    b += static_cast<char>(height & 0xff);
    b += static_cast<char>(width >> 8);
    b += static_cast<char>(width & 0xff);
    b += std::string("\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01", 10);
    return b;
}

std::string pngHeader(unsigned width, unsigned height) {
    std::string b("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", 16);
    for (unsigned v : {width, height})
        for (int shift = 24; shift >= 0; shift -= 8) b += static_cast<char>((v >> shift) & 0xff);
    b += std::string("\x08\x02\x00\x00\x00", 5);
    return b;
}

TEST(ImageHeaderTest, ReadsARealJpegsSize) {
    const std::string photo =
        readFile(std::string(VIGIL_SOURCE_DIR) + "/var/testdata/photos/Justin-Bieber2_crop.jpg");
    ASSERT_FALSE(photo.empty()) << "var/testdata is missing: run scripts/assets";
    auto size = readImageSize(photo);
    ASSERT_TRUE(size.has_value());
    EXPECT_EQ(size->width, 275);
    EXPECT_EQ(size->height, 253);
}

TEST(ImageHeaderTest, ReadsWhatAHeaderClaimsWithoutTheImage) {
    auto jpeg = readImageSize(jpegHeader(65535, 60000));
    ASSERT_TRUE(jpeg.has_value());
    EXPECT_EQ(jpeg->width, 65535);
    EXPECT_EQ(jpeg->height, 60000);
    EXPECT_EQ(jpeg->pixels(), 65535LL * 60000);
    auto png = readImageSize(pngHeader(100000, 3));
    ASSERT_TRUE(png.has_value());
    EXPECT_EQ(png->width, 100000);
    EXPECT_EQ(png->height, 3);
}

TEST(ImageHeaderTest, GarbageAndCutHeadersGiveNothing) {
    EXPECT_FALSE(readImageSize("").has_value());
    EXPECT_FALSE(readImageSize("not an image").has_value());
    EXPECT_FALSE(readImageSize(std::string("\xff\xd8", 2)).has_value());
    const std::string jpeg = jpegHeader(640, 480);
    for (std::size_t cut = 0; cut < jpeg.size() - 10; ++cut)
        EXPECT_FALSE(readImageSize(jpeg.substr(0, cut)).has_value()) << cut;
    EXPECT_FALSE(readImageSize(pngHeader(640, 480).substr(0, 20)).has_value());
    EXPECT_FALSE(readImageSize(pngHeader(0, 480)).has_value());
    EXPECT_FALSE(readImageSize(pngHeader(0x80000000U, 1)).has_value());
    EXPECT_FALSE(readImageSize(jpegHeader(0, 480)).has_value());
    // A segment length that points past the end, or below its own size.
    std::string loop("\xff\xd8\xff\xe0\x00\x00", 6);
    EXPECT_FALSE(readImageSize(loop).has_value());
    std::string past("\xff\xd8\xff\xe0\xff\xff", 6);
    EXPECT_FALSE(readImageSize(past + std::string(100, '\0')).has_value());
}

}  // namespace
}  // namespace vigil::common
