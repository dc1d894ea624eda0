#pragma once
// Seeds a load-test organisation straight into Redis with the server's own key layout
// (vigil/signaling/Keys.hpp, the records of signaling/src/Directory.cpp), because an
// argon2id login per subject would take minutes. Session tokens are made the way
// Sessions::issue makes them.

#include <hiredis/hiredis.h>

#include <string>
#include <vector>

namespace ws_load {

// A synchronous hiredis connection. Throws std::runtime_error on any failure.
class RedisSync {
public:
    explicit RedisSync(const std::string& url);
    ~RedisSync();
    RedisSync(const RedisSync&) = delete;
    RedisSync& operator=(const RedisSync&) = delete;

    long long integer(const std::vector<std::string>& args);
    // Pipelining: append() queues, flush() sends everything queued and checks each reply.
    void append(const std::vector<std::string>& args);
    void flush();

private:
    redisReply* run(const std::vector<std::string>& args);
    void check(redisReply* reply, const std::string& what);

    redisContext* ctx_ = nullptr;
    size_t queued_ = 0;
};

struct SeedPlan {
    int subjects = 0;
    int classSize = 100;
    bool teachers = true;
    int sessionSeconds = 1800;  // [auth] session_idle_minutes of the default configuration
};

struct SeededClient {
    std::string userId;
    std::string token;
    std::string classId;
    bool teacher = false;
};

struct SeedResult {
    std::string tag;       // prefix of every id and username this run made
    std::string rootUnit;  // parent of one unit per class
    std::vector<std::string> classIds;
    std::vector<SeededClient> clients;  // teachers first, then subjects
    double seconds = 0;
};

// One unit, officer and class (starting now, for two hours, enrolling its unit) per
// `classSize` subjects.
SeedResult seedDirectory(RedisSync& redis, const SeedPlan& plan);

// Attendance intervals still open, and attendance events recorded, in `classIds`.
long long openIntervals(RedisSync& redis, const std::vector<std::string>& classIds);
long long attendanceEvents(RedisSync& redis, const std::vector<std::string>& classIds);

}  // namespace ws_load
