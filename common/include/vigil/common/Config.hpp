#pragma once
// The configuration: one TOML file (config/vigil.toml documents every key) plus environment
// overrides VIGIL_<SECTION>_<KEY>. Loaded once and validated; a bad file stops the process.

#include <stdexcept>
#include <string>
#include <vector>

namespace vigil::common {

class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Config {
    struct Server {
        std::string listen{"0.0.0.0"};
        int port{8080};
        std::string webRoot{"web"};
        // Browser libraries installed by npm (node_modules); /vendor/<package>/ serves them.
        std::string vendorRoot{"node_modules"};
        std::string nodeId;  // Empty: derived from host name and pid.
        std::string roles{"signaling,media"};
        // HTTP transport limits (config/vigil.toml [server]).
        int maxConnectionsPerAddress{256};  // 0: no limit.
        int headerTimeoutSeconds{10};
        int bodyTimeoutSeconds{60};
        // HTTPS and WSS when both are set (PEM files).
        std::string tlsCert;
        std::string tlsKey;
    } server;
    struct Redis {
        std::string url{"redis://127.0.0.1:6379/0"};
        // Credentials kept out of the URL (VIGIL_REDIS_PASSWORD from a Secret); where set,
        // they take the place of the URL's.
        std::string username;
        std::string password;
        int connectTimeoutMs{2000};
        int commandTimeoutMs{5000};
    } redis;
    struct Auth {
        int sessionIdleMinutes{30};
        // A session ends this long after sign-in however much it is used.
        int sessionMaxHours{12};
        // Login throttling (LoginThrottle): failures allowed per account name and per source
        // address before each further one costs an exponentially growing wait.
        int throttleAccountFailures{5};
        int throttleAddressFailures{20};
        int throttleBaseSeconds{2};
        int throttleMaxSeconds{300};
        int throttleWindowMinutes{15};
        // Password checks that may wait for a hashing thread; beyond: 503 busy.
        int hashQueueLimit{32};
        int wsAuthTimeoutSeconds{10};
        int passwordMinLength{8};
    } auth;
    struct Protocol {
        int maxMessageBytes{65536};
        int rateLimitPerSecond{50};
        int abuseStrikes{10};
    } protocol;
    struct Attendance {
        int heartbeatTimeoutSeconds{30};
        int joinEarlyMinutes{10};
        double requiredHoursPerMonth{8.0};
        std::string utcOffset{"+08:00"};
        int spotCheckSeconds{60};
    } attendance;
    struct Media {
        int jitterMs{100};
        int keyframeMinIntervalMs{1000};
        int cameraWidth{320};
        int cameraHeight{240};
        int cameraFps{5};
        int cameraKbps{150};
        int sampleSeconds{10};
        int portMin{0};
        int portMax{0};
        // IP addresses the server's ICE agents gather candidates on. Empty: every address
        // the host has (libnice's discovery, which leaves out loopback).
        std::vector<std::string> iceAddresses;
        // Accept clients' ICE candidates on loopback addresses (only test stacks, where every
        // peer is on 127.0.0.1).
        bool allowLoopbackCandidates{false};
    } media;
    struct Ice {
        std::string stunUrls;
        std::string turnUrls;
        std::string turnSecret;
        int turnTtlSeconds{86400};
    } ice;
    struct Calls {
        int ringSeconds{30};
    } calls;
    struct Recording {
        bool enabled{true};
        std::string dir{"var/recordings"};
        int chunkSeconds{300};
        // Lifetime of a play token (one recording's chunks for one session), renewed by use.
        int playTokenSeconds{900};
    } recording;
    struct Vision {
        bool enabled{true};
        std::string modelsDir{"var/models"};
        std::string detector{"ultraface"};
        std::string detectorModel;
        std::string landmarkModel{"fr_landmark.onnx"};
        std::string recognizer{"arcface"};
        std::string recognizerModel;
        bool haarFallback{true};
        double detectThreshold{0.7};
        double matchThreshold{0.40};
        int minFacePx{40};
        int enrolLiveMinFacePx{64};  // Smallest face of a reference taken from a live camera.
        int workers{1};
        int queueFrames{64};
        bool storeReferenceImages{true};
        std::string referenceKeyFile{"var/reference.key"};
        // A reference photo larger than this (width x height, read from its header) is refused
        // before it is decoded.
        int maxPhotoPixels{4096 * 4096};
    } vision;
    struct Presence {
        int absentAfterSeconds{30};
        int absentAlertSeconds{60};
        int notMatchedAlertAfter{2};
        int noFrameSeconds{30};
        int frozenSeconds{60};
        std::string creditPolicy{"verified"};
        double creditMinVerifiedShare{0.5};
        // Verified mode: time seen as a face while no reference is enrolled counts as verified.
        bool creditUnenrolled{true};
        int livenessSeconds{20};
        int burstFps{5};
        int blinkBurstFps{10};  // A blink closes the eyes for a frame or two at 10 fps.
    } presence;
    // What each management level requires (LevelPolicy). Frequencies: daily | weekly |
    // biweekly | monthly.
    struct LevelRule {
        double hoursPerMonth{8.0};
        std::string checkin{"weekly"};
        std::string call{"biweekly"};
        int maxGapDays{10};
    };
    struct Levels {
        LevelRule strict{12.0, "daily", "weekly", 3};
        LevelRule ordinary{8.0, "weekly", "biweekly", 10};
        LevelRule lenient{4.0, "monthly", "monthly", 35};
        std::string defaultLevel{"ordinary"};
    } levels;
    struct Supervision {
        // Special groups a subject may be tagged with (专项教育 enrols classes by tag).
        std::vector<std::string> tags{"minor",   "female", "elderly", "fraud",     "traffic",
                                      "violent", "drugs",  "theft",   "duty_crime"};
    } supervision;
    struct Checkin {
        int attemptsPerWindow{3};
        int orderMinutes{30};  // an ordered check-in's default deadline
        int reportMaxChars{2000};
        int evidenceFrames{3};  // frames kept sealed with each decided check-in
        // The liveness challenges drawn from at random for each attempt.
        std::vector<std::string> challenges{"turn_left", "turn_right", "look_up", "blink"};
    } checkin;
    struct Alerts {
        int escalateAfterMinutes{1440};  // open this long: escalated to the next unit up
    } alerts;
    struct Notify {
        std::string webhookUrl;  // empty: no webhook
        int attempts{5};
        int backoffMs{2000};  // doubled after each failed attempt
        int timeoutMs{5000};
    } notify;
    struct Log {
        std::string level{"info"};
    } log;
    struct Metrics {
        // GET /metrics needs 'Authorization: Bearer <token>' when set; when empty, only
        // callers on the loopback address may read it.
        std::string token;
    } metrics;
    struct Audit {
        // Checkpoints of the audit chain outside Redis (AuditAnchor); empty: none.
        std::string anchorFile{"var/audit/anchor.log"};
        std::string anchorKeyFile{"var/audit/anchor.key"};
        int anchorIntervalMs{1000};
    } audit;

    // Reads `path` (it must exist), then applies VIGIL_* environment overrides.
    // Throws ConfigError naming the file and the key.
    static Config load(const std::string& path);
    // Parses TOML text; `origin` names it in errors. Environment overrides are applied
    // when `applyEnvironment` is set.
    static Config parse(const std::string& text, const std::string& origin, bool applyEnvironment);

    // Minutes east of UTC of attendance.utc_offset.
    int utcOffsetMinutes() const;
};

// "+08:00" -> 480; throws std::invalid_argument.
int parseUtcOffset(const std::string& text);

}  // namespace vigil::common
