#include "vigil/common/Config.hpp"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <vector>

namespace vigil::common {

namespace {

// One row per key: how to read it from TOML and from an environment string.
struct Key {
    std::string name;  // section.key
    std::function<void(Config&, const toml::node&)> fromToml;
    std::function<void(Config&, const std::string&)> fromText;
};

[[noreturn]] void bad(const std::string& what) {
    throw std::invalid_argument(what);
}

Key intKey(std::string name, const std::function<int&(Config&)>& field, long lo, long hi) {
    auto check = [lo, hi](long long v) {
        if (v < lo || v > hi)
            bad("must be between " + std::to_string(lo) + " and " + std::to_string(hi));
        return static_cast<int>(v);
    };
    return {std::move(name),
            [field, check](Config& c, const toml::node& n) {
                auto v = n.value_exact<int64_t>();
                if (!v) bad("must be an integer");
                field(c) = check(*v);
            },
            [field, check](Config& c, const std::string& s) {
                // Digits after an optional leading minus: "80-90" must not read as 80.
                if (s.empty() || s == "-" || s.size() > 12 ||
                    s.find_first_not_of("0123456789", s[0] == '-' ? 1 : 0) != std::string::npos) {
                    bad("must be an integer");
                }
                field(c) = check(std::stoll(s));
            }};
}

Key stringKey(std::string name, const std::function<std::string&(Config&)>& field,
              const std::function<void(const std::string&)>& validate) {
    return {std::move(name),
            [field, validate](Config& c, const toml::node& n) {
                auto v = n.value_exact<std::string>();
                if (!v) bad("must be a string");
                validate(*v);
                field(c) = *v;
            },
            [field, validate](Config& c, const std::string& s) {
                validate(s);
                field(c) = s;
            }};
}

Key doubleKey(std::string name, const std::function<double&(Config&)>& field, double lo,
              double hi) {
    auto check = [lo, hi](double v) {
        if (!std::isfinite(v) || v < lo || v > hi) {
            bad("must be a number between " + std::to_string(lo) + " and " + std::to_string(hi));
        }
        return v;
    };
    return {std::move(name),
            [field, check](Config& c, const toml::node& n) {
                auto v = n.value<double>();
                if (!v || !(n.is_floating_point() || n.is_integer())) bad("must be a number");
                field(c) = check(*v);
            },
            [field, check](Config& c, const std::string& s) {
                char* end = nullptr;
                double v = std::strtod(s.c_str(), &end);
                if (s.empty() || end == nullptr || *end != '\0') bad("must be a number");
                field(c) = check(v);
            }};
}

Key boolKey(std::string name, const std::function<bool&(Config&)>& field) {
    return {std::move(name),
            [field](Config& c, const toml::node& n) {
                auto v = n.value_exact<bool>();
                if (!v) bad("must be true or false");
                field(c) = *v;
            },
            [field](Config& c, const std::string& s) {
                if (s == "true" || s == "1") {
                    field(c) = true;
                } else if (s == "false" || s == "0") {
                    field(c) = false;
                } else {
                    bad("must be true or false");
                }
            }};
}

// A TOML array of strings; in the environment, the same strings separated by commas (an
// empty value is an empty list). `validate` checks each entry.
Key stringListKey(std::string name, const std::function<std::vector<std::string>&(Config&)>& field,
                  const std::function<void(const std::string&)>& validate) {
    return {std::move(name),
            [field, validate](Config& c, const toml::node& n) {
                const auto* array = n.as_array();
                if (array == nullptr) bad("must be an array of strings");
                std::vector<std::string> values;
                for (const auto& item : *array) {
                    auto v = item.value_exact<std::string>();
                    if (!v) bad("must be an array of strings");
                    validate(*v);
                    values.push_back(*v);
                }
                field(c) = std::move(values);
            },
            [field, validate](Config& c, const std::string& s) {
                std::vector<std::string> values;
                std::stringstream ss(s);
                std::string item;
                while (std::getline(ss, item, ',')) {
                    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
                    while (!item.empty() && item.back() == ' ') item.pop_back();
                    validate(item);
                    values.push_back(item);
                }
                field(c) = std::move(values);
            }};
}

void validateFrequency(const std::string& s) {
    if (s != "daily" && s != "weekly" && s != "biweekly" && s != "monthly")
        bad("must be daily, weekly, biweekly or monthly");
}

void validateManagementLevel(const std::string& s) {
    if (s != "strict" && s != "ordinary" && s != "lenient")
        bad("must be strict, ordinary or lenient");
}

// Tags are stored and matched as given: short lowercase words.
void validateTag(const std::string& s) {
    if (s.empty() || s.size() > 32 ||
        s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos)
        bad("tags are 1 to 32 lowercase letters, digits, '_' or '-'");
}

void validateChallenge(const std::string& s) {
    if (s != "turn_left" && s != "turn_right" && s != "look_up" && s != "blink")
        bad("challenges are turn_left, turn_right, look_up or blink");
}

void validateWebhookUrl(const std::string& s) {
    if (!s.empty() && s.rfind("http://", 0) != 0 && s.rfind("https://", 0) != 0)
        bad("must be empty or an http:// or https:// URL");
}

// A numeric IPv4 or IPv6 address: what an ICE agent can gather on. Host names are refused.
void validateIpAddress(const std::string& s) {
    unsigned char buffer[sizeof(in6_addr)];
    if (inet_pton(AF_INET, s.c_str(), buffer) != 1 && inet_pton(AF_INET6, s.c_str(), buffer) != 1)
        bad("'" + s + "' is not an IP address");
}

void anyString(const std::string&) {}

void validateRoles(const std::string& roles) {
    std::stringstream ss(roles);
    std::string role;
    bool any = false;
    while (std::getline(ss, role, ',')) {
        if (role != "signaling" && role != "media")
            bad("unknown role '" + role + "' (signaling, media)");
        any = true;
    }
    if (!any) bad("must name at least one role");
}

void validateLevel(const std::string& level) {
    static const std::vector<std::string> levels{"trace", "debug",    "info", "warn",
                                                 "error", "critical", "off"};
    for (const auto& l : levels) {
        if (l == level) return;
    }
    bad("must be one of trace, debug, info, warn, error, critical, off");
}

void validateRedisUrl(const std::string& url) {
    if (url.rfind("redis://", 0) != 0) bad("must be a redis:// URL");
}

void validateOffset(const std::string& s) {
    (void)parseUtcOffset(s);
}

// Comma-separated stun:/stuns:/turn:/turns: URLs, or empty.
void validateIceUrls(const std::string& s) {
    size_t start = 0;
    while (start < s.size()) {
        size_t comma = s.find(',', start);
        std::string url =
            s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        while (!url.empty() && url.front() == ' ') url.erase(url.begin());
        while (!url.empty() && url.back() == ' ') url.pop_back();
        if (url.rfind("stun:", 0) != 0 && url.rfind("stuns:", 0) != 0 &&
            url.rfind("turn:", 0) != 0 && url.rfind("turns:", 0) != 0) {
            bad("each URL must start with stun:, stuns:, turn: or turns:");
        }
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
}

void validateDetector(const std::string& s) {
    if (s != "ultraface" && s != "blazeface" && s != "yunet" && s != "haar")
        bad("must be one of ultraface, blazeface, yunet, haar");
}

void validateRecognizer(const std::string& s) {
    if (s != "arcface" && s != "sface") bad("must be arcface or sface");
}

void validateCreditPolicy(const std::string& s) {
    if (s != "verified" && s != "connected") bad("must be verified or connected");
}

void validateNotEmpty(const std::string& s) {
    if (s.empty()) bad("must not be empty");
}

#define VIGIL_INT(section, key, member, lo, hi) \
    intKey(                                     \
        #section "." #key, [](Config& c) -> int& { return c.member; }, lo, hi)
#define VIGIL_STR(section, key, member, validate) \
    stringKey(                                    \
        #section "." #key, [](Config& c) -> std::string& { return c.member; }, validate)

// The four keys of one management level: "<level>_hours_per_month", "_checkin", "_call",
// "_max_gap_days" in [levels].
std::vector<Key> levelKeys(const std::string& level,
                           const std::function<Config::LevelRule&(Config&)>& rule) {
    const std::string p = "levels." + level + "_";
    return {
        doubleKey(
            p + "hours_per_month", [rule](Config& c) -> double& { return rule(c).hoursPerMonth; },
            0.0, 744.0),
        stringKey(
            p + "checkin", [rule](Config& c) -> std::string& { return rule(c).checkin; },
            validateFrequency),
        stringKey(
            p + "call", [rule](Config& c) -> std::string& { return rule(c).call; },
            validateFrequency),
        intKey(
            p + "max_gap_days", [rule](Config& c) -> int& { return rule(c).maxGapDays; }, 1, 366),
    };
}

std::vector<Key> allKeys();

const std::vector<Key>& keys() {
    static const std::vector<Key> table = allKeys();
    return table;
}

std::vector<Key> allKeys() {
    std::vector<Key> table{
        VIGIL_STR(server, listen, server.listen, validateNotEmpty),
        VIGIL_INT(server, port, server.port, 1, 65535),
        VIGIL_STR(server, web_root, server.webRoot, validateNotEmpty),
        VIGIL_STR(server, vendor_root, server.vendorRoot, validateNotEmpty),
        VIGIL_STR(server, node_id, server.nodeId, anyString),
        VIGIL_STR(server, roles, server.roles, validateRoles),
        VIGIL_INT(server, max_connections_per_address, server.maxConnectionsPerAddress, 0, 1000000),
        VIGIL_INT(server, header_timeout_seconds, server.headerTimeoutSeconds, 1, 600),
        VIGIL_INT(server, body_timeout_seconds, server.bodyTimeoutSeconds, 1, 3600),
        VIGIL_STR(server, tls_cert, server.tlsCert, anyString),
        VIGIL_STR(server, tls_key, server.tlsKey, anyString),
        VIGIL_STR(redis, url, redis.url, validateRedisUrl),
        VIGIL_STR(redis, username, redis.username, anyString),
        VIGIL_STR(redis, password, redis.password, anyString),
        VIGIL_INT(redis, connect_timeout_ms, redis.connectTimeoutMs, 50, 60000),
        VIGIL_INT(redis, command_timeout_ms, redis.commandTimeoutMs, 50, 120000),
        VIGIL_INT(auth, session_idle_minutes, auth.sessionIdleMinutes, 1, 24L * 60),
        VIGIL_INT(auth, session_max_hours, auth.sessionMaxHours, 1, 24L * 30),
        VIGIL_INT(auth, throttle_account_failures, auth.throttleAccountFailures, 1, 1000),
        VIGIL_INT(auth, throttle_address_failures, auth.throttleAddressFailures, 1, 10000),
        VIGIL_INT(auth, throttle_base_seconds, auth.throttleBaseSeconds, 1, 3600),
        VIGIL_INT(auth, throttle_max_seconds, auth.throttleMaxSeconds, 1, 24L * 3600),
        VIGIL_INT(auth, throttle_window_minutes, auth.throttleWindowMinutes, 1, 24L * 60),
        VIGIL_INT(auth, hash_queue_limit, auth.hashQueueLimit, 1, 100000),
        VIGIL_INT(auth, ws_auth_timeout_seconds, auth.wsAuthTimeoutSeconds, 1, 300),
        VIGIL_INT(auth, password_min_length, auth.passwordMinLength, 6, 128),
        VIGIL_INT(protocol, max_message_bytes, protocol.maxMessageBytes, 1024, 1 << 20),
        VIGIL_INT(protocol, rate_limit_per_second, protocol.rateLimitPerSecond, 1, 10000),
        VIGIL_INT(protocol, abuse_strikes, protocol.abuseStrikes, 1, 1000),
        VIGIL_INT(attendance, heartbeat_timeout_seconds, attendance.heartbeatTimeoutSeconds, 5,
                  3600),
        VIGIL_INT(attendance, join_early_minutes, attendance.joinEarlyMinutes, 0, 240),
        doubleKey(
            "attendance.required_hours_per_month",
            [](Config& c) -> double& { return c.attendance.requiredHoursPerMonth; }, 0.0, 744.0),
        VIGIL_STR(attendance, utc_offset, attendance.utcOffset, validateOffset),
        VIGIL_INT(attendance, spot_check_seconds, attendance.spotCheckSeconds, 5, 3600),
        VIGIL_INT(media, jitter_ms, media.jitterMs, 0, 2000),
        VIGIL_INT(media, keyframe_min_interval_ms, media.keyframeMinIntervalMs, 100, 60000),
        VIGIL_INT(media, camera_width, media.cameraWidth, 80, 1920),
        VIGIL_INT(media, camera_height, media.cameraHeight, 60, 1080),
        VIGIL_INT(media, camera_fps, media.cameraFps, 1, 30),
        VIGIL_INT(media, camera_kbps, media.cameraKbps, 20, 4000),
        VIGIL_INT(media, sample_seconds, media.sampleSeconds, 1, 3600),
        VIGIL_INT(media, port_min, media.portMin, 0, 65535),
        VIGIL_INT(media, port_max, media.portMax, 0, 65535),
        stringListKey(
            "media.ice_addresses",
            [](Config& c) -> std::vector<std::string>& { return c.media.iceAddresses; },
            validateIpAddress),
        boolKey("media.allow_loopback_candidates",
                [](Config& c) -> bool& { return c.media.allowLoopbackCandidates; }),
        VIGIL_STR(ice, stun_urls, ice.stunUrls, validateIceUrls),
        VIGIL_STR(ice, turn_urls, ice.turnUrls, validateIceUrls),
        VIGIL_STR(ice, turn_secret, ice.turnSecret, anyString),
        VIGIL_INT(ice, turn_ttl_seconds, ice.turnTtlSeconds, 60, 604800),
        VIGIL_INT(calls, ring_seconds, calls.ringSeconds, 5, 600),
        boolKey("recording.enabled", [](Config& c) -> bool& { return c.recording.enabled; }),
        VIGIL_STR(recording, dir, recording.dir, validateNotEmpty),
        VIGIL_INT(recording, chunk_seconds, recording.chunkSeconds, 2, 3600),
        VIGIL_INT(recording, play_token_seconds, recording.playTokenSeconds, 30, 86400),
        boolKey("vision.enabled", [](Config& c) -> bool& { return c.vision.enabled; }),
        VIGIL_STR(vision, models_dir, vision.modelsDir, validateNotEmpty),
        VIGIL_STR(vision, detector, vision.detector, validateDetector),
        VIGIL_STR(vision, detector_model, vision.detectorModel, anyString),
        VIGIL_STR(vision, landmark_model, vision.landmarkModel, validateNotEmpty),
        VIGIL_STR(vision, recognizer, vision.recognizer, validateRecognizer),
        VIGIL_STR(vision, recognizer_model, vision.recognizerModel, anyString),
        boolKey("vision.haar_fallback", [](Config& c) -> bool& { return c.vision.haarFallback; }),
        doubleKey(
            "vision.detect_threshold",
            [](Config& c) -> double& { return c.vision.detectThreshold; }, 0.05, 0.99),
        doubleKey(
            "vision.match_threshold", [](Config& c) -> double& { return c.vision.matchThreshold; },
            0.0, 0.99),
        VIGIL_INT(vision, min_face_px, vision.minFacePx, 16, 1000),
        VIGIL_INT(vision, enrol_live_min_face_px, vision.enrolLiveMinFacePx, 16, 1000),
        VIGIL_INT(vision, workers, vision.workers, 1, 64),
        VIGIL_INT(vision, queue_frames, vision.queueFrames, 1, 100000),
        boolKey("vision.store_reference_images",
                [](Config& c) -> bool& { return c.vision.storeReferenceImages; }),
        VIGIL_STR(vision, reference_key_file, vision.referenceKeyFile, anyString),
        VIGIL_INT(vision, max_photo_pixels, vision.maxPhotoPixels, 64L * 64, 16384L * 16384),
        VIGIL_INT(presence, absent_after_seconds, presence.absentAfterSeconds, 5, 3600),
        VIGIL_INT(presence, absent_alert_seconds, presence.absentAlertSeconds, 5, 3600),
        VIGIL_INT(presence, not_matched_alert_after, presence.notMatchedAlertAfter, 1, 100),
        VIGIL_INT(presence, no_frame_seconds, presence.noFrameSeconds, 5, 3600),
        VIGIL_INT(presence, frozen_seconds, presence.frozenSeconds, 5, 3600),
        VIGIL_STR(presence, credit_policy, presence.creditPolicy, validateCreditPolicy),
        doubleKey(
            "presence.credit_min_verified_share",
            [](Config& c) -> double& { return c.presence.creditMinVerifiedShare; }, 0.0, 1.0),
        boolKey("presence.credit_unenrolled",
                [](Config& c) -> bool& { return c.presence.creditUnenrolled; }),
        VIGIL_INT(presence, liveness_seconds, presence.livenessSeconds, 5, 600),
        VIGIL_INT(presence, burst_fps, presence.burstFps, 1, 30),
        VIGIL_INT(presence, blink_burst_fps, presence.blinkBurstFps, 1, 30),
        VIGIL_STR(levels, default_level, levels.defaultLevel, validateManagementLevel),
        stringListKey(
            "supervision.tags",
            [](Config& c) -> std::vector<std::string>& { return c.supervision.tags; }, validateTag),
        VIGIL_INT(checkin, attempts_per_window, checkin.attemptsPerWindow, 1, 20),
        VIGIL_INT(checkin, order_minutes, checkin.orderMinutes, 1, 24L * 60),
        VIGIL_INT(checkin, report_max_chars, checkin.reportMaxChars, 0, 20000),
        VIGIL_INT(checkin, evidence_frames, checkin.evidenceFrames, 1, 10),
        stringListKey(
            "checkin.challenges",
            [](Config& c) -> std::vector<std::string>& { return c.checkin.challenges; },
            validateChallenge),
        VIGIL_INT(alerts, escalate_after_minutes, alerts.escalateAfterMinutes, 1, 30L * 24 * 60),
        VIGIL_STR(notify, webhook_url, notify.webhookUrl, validateWebhookUrl),
        VIGIL_INT(notify, attempts, notify.attempts, 1, 20),
        VIGIL_INT(notify, backoff_ms, notify.backoffMs, 10, 600000),
        VIGIL_INT(notify, timeout_ms, notify.timeoutMs, 100, 60000),
        VIGIL_STR(log, level, log.level, validateLevel),
        VIGIL_STR(metrics, token, metrics.token, anyString),
        VIGIL_STR(audit, anchor_file, audit.anchorFile, anyString),
        VIGIL_STR(audit, anchor_key_file, audit.anchorKeyFile, validateNotEmpty),
        VIGIL_INT(audit, anchor_interval_ms, audit.anchorIntervalMs, 0, 3600000),
    };
    for (auto [name, rule] : {
             std::pair{"strict", +[](Config& c) -> Config::LevelRule& { return c.levels.strict; }},
             std::pair{"ordinary",
                       +[](Config& c) -> Config::LevelRule& { return c.levels.ordinary; }},
             std::pair{"lenient",
                       +[](Config& c) -> Config::LevelRule& { return c.levels.lenient; }},
         }) {
        for (auto& key : levelKeys(name, rule)) table.push_back(std::move(key));
    }
    return table;
}

#undef VIGIL_INT
#undef VIGIL_STR

const Key* findKey(const std::string& name) {
    for (const auto& k : keys()) {
        if (k.name == name) return &k;
    }
    return nullptr;
}

std::string envName(const std::string& key) {
    std::string out = "VIGIL_";
    for (char ch : key)
        out += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return out;
}

}  // namespace

int parseUtcOffset(const std::string& s) {
    // [+-]HH:MM
    if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' || !std::isdigit(s[1]) ||
        !std::isdigit(s[2]) || !std::isdigit(s[4]) || !std::isdigit(s[5])) {
        throw std::invalid_argument("must look like +08:00");
    }
    int hours = (s[1] - '0') * 10 + (s[2] - '0');
    int minutes = (s[4] - '0') * 10 + (s[5] - '0');
    if (hours > 14 || minutes > 59)
        throw std::invalid_argument("must be between -14:00 and +14:00");
    int total = hours * 60 + minutes;
    return s[0] == '-' ? -total : total;
}

int Config::utcOffsetMinutes() const {
    return parseUtcOffset(attendance.utcOffset);
}

Config Config::parse(const std::string& text, const std::string& origin, bool applyEnvironment) {
    Config config;
    toml::table root;
    try {
        root = toml::parse(text, origin);
    } catch (const toml::parse_error& e) {
        std::ostringstream msg;
        msg << origin << ":" << e.source().begin.line << ": " << e.description();
        throw ConfigError(msg.str());
    }
    for (auto&& [sectionName, sectionNode] : root) {
        std::string section(sectionName.str());
        auto* table = sectionNode.as_table();
        if (table == nullptr) throw ConfigError(origin + ": unknown key '" + section + "'");
        for (auto&& [keyName, node] : *table) {
            std::string name = section + "." + std::string(keyName.str());
            const Key* key = findKey(name);
            if (key == nullptr) throw ConfigError(origin + ": unknown key '" + name + "'");
            try {
                key->fromToml(config, node);
            } catch (const std::invalid_argument& e) {
                throw ConfigError(origin + ": bad value for '" + name + "': " + e.what());
            }
        }
    }
    if (applyEnvironment) {
        for (const auto& key : keys()) {
            const char* value = std::getenv(envName(key.name).c_str());
            if (value == nullptr) continue;
            try {
                key.fromText(config, value);
            } catch (const std::invalid_argument& e) {
                throw ConfigError("environment: bad value for '" + key.name + "' (" +
                                  envName(key.name) + "): " + e.what());
            }
        }
    }
    return config;
}

Config Config::load(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw ConfigError(path + ": cannot read the configuration file");
    std::stringstream buffer;
    buffer << in.rdbuf();
    return parse(buffer.str(), path, true);
}

}  // namespace vigil::common
