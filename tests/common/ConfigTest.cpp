#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "vigil/common/Config.hpp"

namespace vigil::common {
namespace {

// Sets an environment variable for one test and puts back what was there before, even when
// an assertion fails half-way.
class ScopedEnv {
public:
    ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
        if (const char* old = std::getenv(name_.c_str())) old_ = old;
        ::setenv(name_.c_str(), value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old_) {
            ::setenv(name_.c_str(), old_->c_str(), 1);
        } else {
            ::unsetenv(name_.c_str());
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    std::string name_;
    std::optional<std::string> old_;
};

// The message of the ConfigError that parsing `text` throws; fails the test if none.
std::string errorOf(const std::string& text, bool applyEnvironment = false) {
    try {
        Config::parse(text, "test.toml", applyEnvironment);
    } catch (const ConfigError& e) {
        return e.what();
    }
    ADD_FAILURE() << "no ConfigError for:\n" << text;
    return {};
}

TEST(ConfigTest, EmptyFileGivesTheDefaults) {
    Config c = Config::parse("", "test.toml", false);
    EXPECT_EQ(c.server.listen, "0.0.0.0");
    EXPECT_EQ(c.server.port, 8080);
    EXPECT_EQ(c.server.roles, "signaling,media");
    EXPECT_EQ(c.redis.url, "redis://127.0.0.1:6379/0");
    EXPECT_EQ(c.auth.throttleAccountFailures, 5);
    EXPECT_EQ(c.attendance.heartbeatTimeoutSeconds, 30);
    EXPECT_DOUBLE_EQ(c.attendance.requiredHoursPerMonth, 8.0);
    EXPECT_EQ(c.attendance.utcOffset, "+08:00");
    EXPECT_EQ(c.utcOffsetMinutes(), 480);
    EXPECT_EQ(c.log.level, "info");
}

TEST(ConfigTest, ReadsValuesFromEverySection) {
    Config c = Config::parse(R"(
[server]
port = 9000
roles = "signaling,media"
[redis]
url = "redis://10.0.0.5:6380/2"
[attendance]
required_hours_per_month = 12
utc_offset = "-05:30"
[log]
level = "debug"
)",
                             "test.toml", false);
    EXPECT_EQ(c.server.port, 9000);
    EXPECT_EQ(c.server.roles, "signaling,media");
    EXPECT_EQ(c.redis.url, "redis://10.0.0.5:6380/2");
    EXPECT_DOUBLE_EQ(c.attendance.requiredHoursPerMonth, 12.0);  // An integer is a number.
    EXPECT_EQ(c.utcOffsetMinutes(), -330);
    EXPECT_EQ(c.log.level, "debug");
    EXPECT_EQ(c.auth.throttleAccountFailures, 5);  // Untouched keys keep their defaults.
}

TEST(ConfigTest, UnknownKeyIsNamed) {
    std::string msg = errorOf("[server]\nprot = 8080\n");
    EXPECT_NE(msg.find("test.toml"), std::string::npos) << msg;
    EXPECT_NE(msg.find("unknown key"), std::string::npos) << msg;
    EXPECT_NE(msg.find("server.prot"), std::string::npos) << msg;

    msg = errorOf("[sever]\nport = 8080\n");
    EXPECT_NE(msg.find("sever.port"), std::string::npos) << msg;

    msg = errorOf("port = 8080\n");  // Outside any section.
    EXPECT_NE(msg.find("'port'"), std::string::npos) << msg;
}

TEST(ConfigTest, WrongTypeIsNamed) {
    std::string msg = errorOf("[server]\nport = \"8080\"\n");
    EXPECT_NE(msg.find("server.port"), std::string::npos) << msg;
    EXPECT_NE(msg.find("integer"), std::string::npos) << msg;

    msg = errorOf("[attendance]\nutc_offset = 8\n");
    EXPECT_NE(msg.find("attendance.utc_offset"), std::string::npos) << msg;
    EXPECT_NE(msg.find("string"), std::string::npos) << msg;

    msg = errorOf("[attendance]\nrequired_hours_per_month = \"8\"\n");
    EXPECT_NE(msg.find("attendance.required_hours_per_month"), std::string::npos) << msg;

    msg = errorOf("[server]\nport = 8080.5\n");
    EXPECT_NE(msg.find("server.port"), std::string::npos) << msg;
}

TEST(ConfigTest, OutOfRangeValueIsNamed) {
    std::string msg = errorOf("[server]\nport = 70000\n");
    EXPECT_NE(msg.find("server.port"), std::string::npos) << msg;
    EXPECT_NE(msg.find("between 1 and 65535"), std::string::npos) << msg;

    EXPECT_NE(errorOf("[server]\nport = 0\n").find("server.port"), std::string::npos);
    EXPECT_NE(errorOf("[attendance]\nrequired_hours_per_month = -1\n")
                  .find("attendance.required_hours_per_month"),
              std::string::npos);
    EXPECT_NE(errorOf("[attendance]\nheartbeat_timeout_seconds = 1\n")
                  .find("attendance.heartbeat_timeout_seconds"),
              std::string::npos);
}

TEST(ConfigTest, InvalidStringValuesAreNamed) {
    EXPECT_NE(errorOf("[attendance]\nutc_offset = \"+8\"\n").find("attendance.utc_offset"),
              std::string::npos);
    EXPECT_NE(errorOf("[attendance]\nutc_offset = \"+15:00\"\n").find("attendance.utc_offset"),
              std::string::npos);
    EXPECT_NE(errorOf("[log]\nlevel = \"verbose\"\n").find("log.level"), std::string::npos);
    EXPECT_NE(errorOf("[server]\nroles = \"signaling,vision\"\n").find("vision"),
              std::string::npos);
    EXPECT_NE(errorOf("[redis]\nurl = \"http://x\"\n").find("redis.url"), std::string::npos);
}

TEST(ConfigTest, SyntaxErrorNamesTheFile) {
    std::string msg = errorOf("[server\nport = 1\n");
    EXPECT_EQ(msg.rfind("test.toml", 0), 0u) << msg;
}

TEST(ConfigTest, EnvironmentOverridesTheFile) {
    ScopedEnv port("VIGIL_SERVER_PORT", "9100");
    ScopedEnv hours("VIGIL_ATTENDANCE_REQUIRED_HOURS_PER_MONTH", "12.5");
    ScopedEnv offset("VIGIL_ATTENDANCE_UTC_OFFSET", "-03:00");
    Config c = Config::parse("[server]\nport = 9000\n", "test.toml", true);
    EXPECT_EQ(c.server.port, 9100);
    EXPECT_DOUBLE_EQ(c.attendance.requiredHoursPerMonth, 12.5);
    EXPECT_EQ(c.utcOffsetMinutes(), -180);
}

TEST(ConfigTest, EnvironmentIsIgnoredWhenNotAsked) {
    ScopedEnv port("VIGIL_SERVER_PORT", "9100");
    EXPECT_EQ(Config::parse("[server]\nport = 9000\n", "test.toml", false).server.port, 9000);
    EXPECT_EQ(Config::parse("", "test.toml", false).server.port, 8080);
}

TEST(ConfigTest, BadEnvironmentValueIsNamed) {
    for (const char* value : {"abc", "", "80x", "70000", "-", "80-90", "1-", "9999999999999"}) {
        ScopedEnv port("VIGIL_SERVER_PORT", value);
        std::string msg = errorOf("", true);
        EXPECT_NE(msg.find("VIGIL_SERVER_PORT"), std::string::npos) << value << ": " << msg;
        EXPECT_NE(msg.find("server.port"), std::string::npos) << value << ": " << msg;
    }
    ScopedEnv hours("VIGIL_ATTENDANCE_REQUIRED_HOURS_PER_MONTH", "lots");
    EXPECT_NE(errorOf("", true).find("VIGIL_ATTENDANCE_REQUIRED_HOURS_PER_MONTH"),
              std::string::npos);
}

TEST(ConfigTest, RecordingSection) {
    Config defaults = Config::parse("", "test.toml", false);
    EXPECT_TRUE(defaults.recording.enabled);
    EXPECT_EQ(defaults.recording.dir, "var/recordings");
    EXPECT_EQ(defaults.recording.chunkSeconds, 300);

    Config c = Config::parse(
        "[recording]\nenabled = false\ndir = \"/srv/vigil/rec\"\nchunk_seconds = 60\n", "test.toml",
        false);
    EXPECT_FALSE(c.recording.enabled);
    EXPECT_EQ(c.recording.dir, "/srv/vigil/rec");
    EXPECT_EQ(c.recording.chunkSeconds, 60);

    EXPECT_NE(errorOf("[recording]\nenabled = \"yes\"\n").find("recording.enabled"),
              std::string::npos);
    EXPECT_NE(errorOf("[recording]\ndir = \"\"\n").find("recording.dir"), std::string::npos);
    EXPECT_NE(errorOf("[recording]\nchunk_seconds = 1\n").find("recording.chunk_seconds"),
              std::string::npos);

    ScopedEnv enabled("VIGIL_RECORDING_ENABLED", "false");
    EXPECT_FALSE(Config::parse("", "test.toml", true).recording.enabled);
    ScopedEnv bad("VIGIL_RECORDING_ENABLED", "maybe");
    EXPECT_NE(errorOf("", true).find("VIGIL_RECORDING_ENABLED"), std::string::npos);
}

TEST(ConfigTest, VisionAndPresenceSections) {
    Config defaults = Config::parse("", "test.toml", false);
    EXPECT_TRUE(defaults.vision.enabled);
    EXPECT_EQ(defaults.vision.detector, "ultraface");
    EXPECT_EQ(defaults.vision.recognizer, "arcface");
    EXPECT_EQ(defaults.vision.workers, 1);
    EXPECT_EQ(defaults.presence.creditPolicy, "verified");
    EXPECT_EQ(defaults.presence.livenessSeconds, 20);

    Config c = Config::parse(
        "[vision]\ndetector = \"yunet\"\ndetector_model = \"/srv/yunet.onnx\"\n"
        "recognizer = \"sface\"\nmatch_threshold = 0.5\nworkers = 2\n"
        "[presence]\ncredit_policy = \"connected\"\nabsent_alert_seconds = 90\n",
        "test.toml", false);
    EXPECT_EQ(c.vision.detector, "yunet");
    EXPECT_EQ(c.vision.detectorModel, "/srv/yunet.onnx");
    EXPECT_EQ(c.vision.recognizer, "sface");
    EXPECT_DOUBLE_EQ(c.vision.matchThreshold, 0.5);
    EXPECT_EQ(c.vision.workers, 2);
    EXPECT_EQ(c.presence.creditPolicy, "connected");
    EXPECT_EQ(c.presence.absentAlertSeconds, 90);

    EXPECT_NE(errorOf("[vision]\ndetector = \"mtcnn\"\n").find("vision.detector"),
              std::string::npos);
    EXPECT_NE(errorOf("[vision]\nrecognizer = \"facenet\"\n").find("vision.recognizer"),
              std::string::npos);
    EXPECT_NE(errorOf("[vision]\nworkers = 0\n").find("vision.workers"), std::string::npos);
    EXPECT_NE(errorOf("[presence]\ncredit_policy = \"any\"\n").find("presence.credit_policy"),
              std::string::npos);
    EXPECT_NE(errorOf("[presence]\ncredit_min_verified_share = 1.5\n")
                  .find("presence.credit_min_verified_share"),
              std::string::npos);
}

TEST(ConfigTest, IceAddressesAreIpAddresses) {
    EXPECT_TRUE(Config::parse("", "test.toml", false).media.iceAddresses.empty());
    EXPECT_TRUE(Config::parse("[media]\nice_addresses = []\n", "test.toml", false)
                    .media.iceAddresses.empty());
    Config c = Config::parse("[media]\nice_addresses = [\"127.0.0.1\", \"::1\", \"10.0.0.5\"]\n",
                             "test.toml", false);
    EXPECT_EQ(c.media.iceAddresses, (std::vector<std::string>{"127.0.0.1", "::1", "10.0.0.5"}));

    for (const char* text :
         {"[media]\nice_addresses = [\"localhost\"]\n",
          "[media]\nice_addresses = [\"127.0.0.1\", \"300.1.2.3\"]\n",
          "[media]\nice_addresses = [\"\"]\n", "[media]\nice_addresses = \"127.0.0.1\"\n",
          "[media]\nice_addresses = [127]\n"}) {
        EXPECT_NE(errorOf(text).find("media.ice_addresses"), std::string::npos) << text;
    }
    EXPECT_NE(errorOf("[media]\nice_addresses = [\"eth0\"]\n").find("'eth0' is not an IP"),
              std::string::npos);

    {
        ScopedEnv env("VIGIL_MEDIA_ICE_ADDRESSES", "127.0.0.1, ::1");
        EXPECT_EQ(Config::parse("[media]\nice_addresses = [\"10.0.0.5\"]\n", "test.toml", true)
                      .media.iceAddresses,
                  (std::vector<std::string>{"127.0.0.1", "::1"}));
    }
    {
        ScopedEnv env("VIGIL_MEDIA_ICE_ADDRESSES", "");
        EXPECT_TRUE(Config::parse("[media]\nice_addresses = [\"10.0.0.5\"]\n", "test.toml", true)
                        .media.iceAddresses.empty());
    }
    ScopedEnv bad("VIGIL_MEDIA_ICE_ADDRESSES", "127.0.0.1,host.example");
    std::string msg = errorOf("", true);
    EXPECT_NE(msg.find("VIGIL_MEDIA_ICE_ADDRESSES"), std::string::npos) << msg;
    EXPECT_NE(msg.find("host.example"), std::string::npos) << msg;
}

TEST(ConfigTest, ParseUtcOffset) {
    EXPECT_EQ(parseUtcOffset("+08:00"), 480);
    EXPECT_EQ(parseUtcOffset("-05:30"), -330);
    EXPECT_EQ(parseUtcOffset("+00:00"), 0);
    EXPECT_EQ(parseUtcOffset("+14:00"), 840);
    for (const char* bad : {"08:00", "+8:00", "+08", "+0800", "+15:00", "+08:60", "", "Z"}) {
        EXPECT_THROW(parseUtcOffset(bad), std::invalid_argument) << bad;
    }
}

TEST(ConfigTest, LevelPolicyTableHasDocumentedDefaultsAndIsCheckedKeyByKey) {
    Config d = Config::parse("", "test.toml", false);
    EXPECT_DOUBLE_EQ(d.levels.strict.hoursPerMonth, 12.0);
    EXPECT_EQ(d.levels.strict.checkin, "daily");
    EXPECT_EQ(d.levels.ordinary.call, "biweekly");
    EXPECT_EQ(d.levels.lenient.maxGapDays, 35);
    EXPECT_EQ(d.levels.defaultLevel, "ordinary");

    Config c = Config::parse(
        "[levels]\nstrict_hours_per_month = 16\nordinary_checkin = \"daily\"\n"
        "lenient_call = \"weekly\"\nlenient_max_gap_days = 40\n",
        "test.toml", false);
    EXPECT_DOUBLE_EQ(c.levels.strict.hoursPerMonth, 16.0);
    EXPECT_EQ(c.levels.ordinary.checkin, "daily");
    EXPECT_EQ(c.levels.lenient.call, "weekly");
    EXPECT_EQ(c.levels.lenient.maxGapDays, 40);
    EXPECT_EQ(c.levels.strict.checkin, "daily") << "untouched keys keep their defaults";

    EXPECT_NE(errorOf("[levels]\nordinary_checkin = \"hourly\"\n").find("levels.ordinary_checkin"),
              std::string::npos);
    EXPECT_NE(errorOf("[levels]\nstrict_max_gap_days = 0\n").find("levels.strict_max_gap_days"),
              std::string::npos);
    EXPECT_NE(errorOf("[levels]\ndefault_level = \"medium\"\n").find("levels.default_level"),
              std::string::npos);
    EXPECT_NE(errorOf("[supervision]\ntags = [\"Minor\"]\n").find("supervision.tags"),
              std::string::npos);
    EXPECT_NE(errorOf("[checkin]\nchallenges = [\"smile\"]\n").find("checkin.challenges"),
              std::string::npos);
    EXPECT_NE(errorOf("[notify]\nwebhook_url = \"ftp://x\"\n").find("notify.webhook_url"),
              std::string::npos);

    ScopedEnv hours("VIGIL_LEVELS_LENIENT_HOURS_PER_MONTH", "2.5");
    ScopedEnv challenges("VIGIL_CHECKIN_CHALLENGES", "turn_left, blink");
    Config e = Config::parse("", "test.toml", true);
    EXPECT_DOUBLE_EQ(e.levels.lenient.hoursPerMonth, 2.5);
    EXPECT_EQ(e.checkin.challenges, (std::vector<std::string>{"turn_left", "blink"}));
}

}  // namespace
}  // namespace vigil::common
