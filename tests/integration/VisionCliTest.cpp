// `vigil vision enrol` against a real Redis: the quality gate refuses with a clear code and
// exit status, an accepted photo becomes a reference with a sealed copy and an audit entry.

#include <gtest/gtest.h>

#include "Fixtures.hpp"

using namespace vigil::testing;

namespace {

class VisionCliTest : public ::testing::Test {
protected:
    void SetUp() override { seedDemo(redis); }

    CommandResult enrol(const std::string& subject, const std::string& photo) {
        return vigilCli(redis,
                        {"vision", "enrol", "--subject", subject, "--models",
                         std::string(VIGIL_SOURCE_DIR) + "/var/models", testdataPath(photo)},
                        {{"VIGIL_VISION_REFERENCE_KEY_FILE", keyDir + "/reference.key"}});
    }

    RedisServer redis;
    std::string keyDir = makeTempDir("vigil-key");
};

}  // namespace

TEST_F(VisionCliTest, EnrolStoresAReferenceWithASealedPhotoAndAnAuditEntry) {
    auto r = enrol(demo::kSubject01, "photos/franck_02221.jpg");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("\"enrolled\":true"), std::string::npos) << r.output;
    EXPECT_EQ(redis.cli({"HLEN", "vigil:refs:" + demo::kSubject01}), "1");
    auto audit = redis.xrange("vigil:audit");
    bool audited = false;
    for (const auto& e : audit) audited = audited || e["action"] == "reference_enrol";
    EXPECT_TRUE(audited);
}

TEST_F(VisionCliTest, EnrolRefusesBadPhotosAndUnknownSubjects) {
    auto group = enrol(demo::kSubject01, "photos/group_faces.jpg");
    EXPECT_EQ(group.exitCode, 1) << group.output;
    EXPECT_NE(group.output.find("several_faces"), std::string::npos) << group.output;
    auto missing = enrol(demo::kSubject01, "photos/no-such-photo.jpg");
    EXPECT_EQ(missing.exitCode, 2) << missing.output;
    auto nobody = enrol("u999", "photos/franck_02221.jpg");
    EXPECT_NE(nobody.exitCode, 0) << nobody.output;
    EXPECT_EQ(redis.cli({"HLEN", "vigil:refs:" + demo::kSubject01}), "0");
}
