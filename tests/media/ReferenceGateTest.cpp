// The size limit of reference photos (app/src/ReferenceGate.cpp): a photo whose header gives
// more pixels than [vision] max_photo_pixels is refused with image_too_large before it is
// decoded, whether the file is a real large photo or a few bytes claiming a huge one.

#include <fstream>
#include <iterator>

#include "MediaFixture.hpp"

using namespace vigil::testing;
using nlohmann::json;

namespace {

class ReferenceGateTest : public MediaTest {
protected:
    // 800 x 625: the 720 x 576 photos pass, the 743 x 1155 one does not.
    std::map<std::string, std::string> mediaEnv() const override {
        return {{"VIGIL_VISION_MAX_PHOTO_PIXELS", "500000"}};
    }

    static std::string readFile(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

    HttpResult upload(const std::string& bytes, const std::string& token) {
        return httpRequest(port(), "POST", "/api/subjects/" + demo::kSubject01 + "/references",
                           bytes, token, {{"Content-Type", "image/jpeg"}});
    }
};

// SOI, then a baseline frame header claiming 60000 x 60000 pixels, and nothing else.
std::string hugeJpegHeader() {
    std::string b("\xff\xd8\xff\xc0\x00\x11\x08\xea\x60\xea\x60\x03", 12);
    b += std::string("\x01\x22\x00\x02\x11\x01\x03\x11\x01\xff\xd9", 11);
    return b;
}

TEST_F(ReferenceGateTest, PhotosAboveThePixelLimitAreRefusedBeforeDecoding) {
    const std::string officer = login(port(), "officer.wang", kDemoPassword);

    auto claimed = upload(hugeJpegHeader(), officer);
    EXPECT_EQ(claimed.status, 422) << claimed.body;
    auto c = json::parse(claimed.body, nullptr, false);
    EXPECT_EQ(c["error"]["code"], "image_too_large") << claimed.body;
    EXPECT_NE(claimed.body.find("60000 x 60000"), std::string::npos) << claimed.body;

    const std::string large = readFile(testdataPath("photos/joconde.jpg"));
    ASSERT_FALSE(large.empty());
    auto refused = upload(large, officer);
    EXPECT_EQ(refused.status, 422) << refused.body;
    EXPECT_EQ(json::parse(refused.body, nullptr, false)["error"]["code"], "image_too_large");

    // Under the limit the gate goes on as before.
    auto ok = upload(readFile(testdataPath("photos/franck_02221.jpg")), officer);
    EXPECT_EQ(ok.status, 201) << ok.body;
    auto garbage = upload("not an image", officer);
    EXPECT_EQ(json::parse(garbage.body, nullptr, false)["error"]["code"], "bad_image");
}

}  // namespace
