#pragma once
// Shared set-up for the integration tests: the demo organisation, classes at chosen times
// through the admin CLI, signed-in WebSocket clients, and small readers for the REST API and
// the attendance records in Redis.

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "TestProcesses.hpp"
#include "WsClient.hpp"

namespace vigil::testing {

inline const std::string kDemoPassword = "Demo!2026";

// Ids that `vigil demo seed` gives on an empty database.
namespace demo {
inline const std::string kAdmin = "u1";          // administrator, zj
inline const std::string kOfficerLi = "u2";      // officer, zj-hz-xh
inline const std::string kOfficerWang = "u3";    // officer, zj-hz-xh-zt
inline const std::string kSubject01 = "u4";      // 张伟, zj-hz-xh-zt
inline const std::string kSubject02 = "u5";      // 王芳, zj-hz-xh-zt
inline const std::string kSubject03 = "u6";      // 刘洋, zj-hz-xh-zt
inline const std::string kSubject04 = "u7";      // 陈静, zj-hz-xh
inline const std::string kSubject05 = "u8";      // 赵磊, zj-hz-xh
inline const std::string kClassToday = "c1";     // opens now, enrol unit zj-hz-xh-zt, teacher u3
inline const std::string kClassTomorrow = "c2";  // tomorrow, unit zj-hz-xh, u7 u8 u4, teacher u2
}  // namespace demo

long long nowMs();
// "2026-11-29T15:04:05+08:00": written here, not with the server's formatter.
std::string isoAt(long long ms, int offsetMinutes = 480);

// Runs the vigil CLI against `redis` (logging off, so standard output holds only results).
CommandResult vigilCli(const RedisServer& redis, const std::vector<std::string>& args,
                       std::map<std::string, std::string> extraEnv = {});
// The same; throws with the output unless it exits 0. Returns the last line of output.
std::string vigilOk(const RedisServer& redis, const std::vector<std::string>& args);
void seedDemo(const RedisServer& redis);
// Schedules a class with `vigil class add`; returns its id.
std::string addClass(const RedisServer& redis, const std::string& title, const std::string& unit,
                     const std::string& officer, long long startMs, long long endMs,
                     const std::string& enrolUnit = "", bool optional = false);

// Logs in over HTTP and authenticates a new WebSocket with the token; throws on failure.
std::unique_ptr<WsClient> connectAs(int port, const std::string& username,
                                    nlohmann::json* authReply = nullptr,
                                    const std::string& password = kDemoPassword);

struct JsonResult {
    int status{0};
    nlohmann::json body;  // null when the body is not JSON
    std::string raw;
    std::map<std::string, std::string> headers;
};
JsonResult getJson(int port, const std::string& path, const std::string& token);

// Attendance records in Redis.
std::vector<StreamEntry> attendanceEvents(const RedisServer& redis, const std::string& classId);
// Writes a closed attendance interval (a join and a leave event) straight into the class's
// stream, as a node would have.
void addInterval(const RedisServer& redis, const std::string& classId, const std::string& subject,
                 const std::string& conn, long long join, long long leave,
                 const std::string& reason);
std::vector<StreamEntry> eventsOf(const std::vector<StreamEntry>& events, const std::string& kind,
                                  const std::string& subject = "");
// The open interval {"conn","node","since","hb"} of a subject, or null.
nlohmann::json openInterval(const RedisServer& redis, const std::string& classId,
                            const std::string& subject);

// Every queued or arriving message that satisfies `pred`, until none has come for `quiet`.
std::vector<nlohmann::json> collect(WsClient& ws,
                                    const std::function<bool(const nlohmann::json&)>& pred,
                                    std::chrono::milliseconds quiet);
// Takes roster pushes in arrival order until one whose participants satisfy `pred`.
std::optional<nlohmann::json> waitForRoster(
    WsClient& ws, const std::function<bool(const nlohmann::json& participants)>& pred,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));
bool hasParticipant(const nlohmann::json& participants, const std::string& subject);

// A private Redis holding the demo organisation and one `vigil serve` on it.
class DemoOrgTest : public ::testing::Test {
protected:
    void SetUp() override {
        seedDemo(redis);
        server = std::make_unique<VigilServer>(redis.url(), serverEnv());
    }
    // Extra environment for the server (short timeouts and the like).
    virtual std::map<std::string, std::string> serverEnv() const { return {}; }
    int port() const { return server->port(); }

    RedisServer redis;
    std::unique_ptr<VigilServer> server;
};

// Unix milliseconds of a wall-clock time at +08:00 (the demo organisation's offset).
inline long long at(int year, int month, int day, int hour, int minute) {
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    return (static_cast<long long>(timegm(&tm)) - 8 * 3600) * 1000;
}

}  // namespace vigil::testing
