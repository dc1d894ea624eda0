#include "Seed.hpp"

#include <chrono>
#include <stdexcept>

#include "vigil/common/Clock.hpp"
#include "vigil/common/Crypto.hpp"
#include "vigil/common/RedisClient.hpp"
#include "vigil/signaling/Keys.hpp"

namespace ws_load {

namespace keys = vigil::signaling::keys;

namespace {

// Flush the pipeline every so many commands: bounded memory, few round trips.
constexpr size_t kPipelineDepth = 2000;
constexpr long long kClassMillis = 2LL * 3600 * 1000;

long long nowMillis() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string now() {
    return std::to_string(nowMillis());
}

void addUnit(RedisSync& r, const std::string& id, const std::string& name,
             const std::string& parent) {
    r.append({"HSETNX", keys::kUnitParents, id, parent});
    r.append(
        {"HSET", keys::unit(id), "id", id, "name", name, "parent", parent, "created_at", now()});
}

struct NewUser {
    std::string id, username, name, role, unit, officer;
};

void addUser(RedisSync& r, const NewUser& u, const std::string& pwhash) {
    r.append({"SET", keys::username(u.username), u.id});
    r.append({"HSET",   keys::user(u.id), "id",       u.id,   "username",   u.username, "name",
              u.name,   "role",           u.role,     "unit", u.unit,       "officer",  u.officer,
              "pwhash", pwhash,           "disabled", "0",    "created_at", now()});
    r.append({"SADD", keys::kUsers, u.id});
    if (!u.officer.empty()) r.append({"SADD", keys::caseload(u.officer), u.id});
}

void addClass(RedisSync& r, const std::string& id, const std::string& unit,
              const std::string& officer, long long start) {
    r.append({"HSET",       keys::classInfo(id),
              "id",         id,
              "title",      "Load test class " + id,
              "unit",       unit,
              "officer",    officer,
              "start",      std::to_string(start),
              "end",        std::to_string(start + kClassMillis),
              "required",   "1",
              "enrol_unit", unit,
              "state",      "scheduled"});
    r.append({"ZADD", keys::kClasses, std::to_string(start), id});
}

// As SessionIndex::add: the client holds 64 hex digits, Redis only their SHA-256, with the
// session's absolute end.
std::string issueSession(RedisSync& r, const std::string& userId, int ttlSeconds) {
    std::string token = vigil::common::randomHex(32);
    const long long until = vigil::common::nowMillis() + ttlSeconds * 1000LL;
    const std::string record =
        "{\"user\":\"" + userId + "\",\"until\":" + std::to_string(until) + "}";
    r.append({"SET", keys::session(vigil::common::sha256Hex(token)), record, "EX",
              std::to_string(ttlSeconds)});
    return token;
}

}  // namespace

RedisSync::RedisSync(const std::string& url) {
    auto endpoint = vigil::common::RedisEndpoint::parseUrl(url);
    timeval timeout{5, 0};
    ctx_ = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, timeout);
    if (ctx_ == nullptr || ctx_->err != 0) {
        std::string why = ctx_ != nullptr ? ctx_->errstr : "out of memory";
        throw std::runtime_error("cannot connect to " + url + ": " + why);
    }
    redisSetTimeout(ctx_, timeval{30, 0});
    if (!endpoint.password.empty()) {
        std::vector<std::string> auth{"AUTH", endpoint.password};
        if (!endpoint.username.empty()) auth.insert(auth.begin() + 1, endpoint.username);
        freeReplyObject(run(auth));
    }
    if (endpoint.db != 0) freeReplyObject(run({"SELECT", std::to_string(endpoint.db)}));
}

RedisSync::~RedisSync() {
    if (ctx_ != nullptr) redisFree(ctx_);
}

void RedisSync::check(redisReply* reply, const std::string& what) {
    if (reply == nullptr) throw std::runtime_error("redis: " + what + ": " + ctx_->errstr);
    if (reply->type == REDIS_REPLY_ERROR) {
        std::string text = reply->str;
        freeReplyObject(reply);
        throw std::runtime_error("redis: " + what + ": " + text);
    }
}

redisReply* RedisSync::run(const std::vector<std::string>& args) {
    flush();
    append(args);
    queued_ = 0;
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK) raw = nullptr;
    auto* reply = static_cast<redisReply*>(raw);
    check(reply, args.front());
    return reply;
}

long long RedisSync::integer(const std::vector<std::string>& args) {
    redisReply* reply = run(args);
    long long value = reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0;
    freeReplyObject(reply);
    return value;
}

void RedisSync::append(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), argv.data(), lengths.data()) !=
        REDIS_OK) {
        throw std::runtime_error(std::string("redis: append: ") + ctx_->errstr);
    }
    if (++queued_ >= kPipelineDepth) flush();
}

void RedisSync::flush() {
    for (; queued_ > 0; --queued_) {
        void* raw = nullptr;
        if (redisGetReply(ctx_, &raw) != REDIS_OK) raw = nullptr;
        auto* reply = static_cast<redisReply*>(raw);
        check(reply, "pipelined command");
        freeReplyObject(reply);
    }
}

SeedResult seedDirectory(RedisSync& r, const SeedPlan& plan) {
    auto started = std::chrono::steady_clock::now();
    SeedResult out;
    // Hex keeps ids and usernames valid (Directory::validId, validUsername) and unique per run.
    out.tag = "ld" + vigil::common::randomHex(3);
    out.rootUnit = out.tag + "-root";
    // One real argon2id hash shared by every seeded account, so they could sign in too.
    const std::string pwhash = vigil::common::hashPassword("Load!" + out.tag);
    addUnit(r, out.rootUnit, "Load test " + out.tag, "");

    const int classes = (plan.subjects + plan.classSize - 1) / plan.classSize;
    const long long start = nowMillis();
    std::vector<SeededClient> subjects;
    for (int k = 0; k < classes; ++k) {
        const std::string n = std::to_string(k + 1);
        const std::string unit = out.tag + "-u" + n;
        const std::string officer = out.tag + "-o" + n;
        const std::string classId = out.tag + "-c" + n;
        addUnit(r, unit, "Load test office " + n, out.rootUnit);
        addUser(r, {officer, out.tag + ".o" + n, "Officer " + n, "officer", unit, ""}, pwhash);
        addClass(r, classId, unit, officer, start);
        out.classIds.push_back(classId);
        if (plan.teachers) {
            out.clients.push_back(
                {officer, issueSession(r, officer, plan.sessionSeconds), classId, true});
        }
        const int first = k * plan.classSize;
        const int last = std::min(plan.subjects, first + plan.classSize);
        for (int i = first; i < last; ++i) {
            const std::string s = std::to_string(i + 1);
            const std::string id = out.tag + "-s" + s;
            addUser(r, {id, out.tag + ".s" + s, "Subject " + s, "subject", unit, officer}, pwhash);
            subjects.push_back({id, issueSession(r, id, plan.sessionSeconds), classId, false});
        }
    }
    r.flush();
    out.clients.insert(out.clients.end(), subjects.begin(), subjects.end());
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return out;
}

long long openIntervals(RedisSync& r, const std::vector<std::string>& classIds) {
    long long total = 0;
    for (const auto& id : classIds) total += r.integer({"HLEN", keys::openIntervals(id)});
    return total;
}

long long attendanceEvents(RedisSync& r, const std::vector<std::string>& classIds) {
    long long total = 0;
    for (const auto& id : classIds) total += r.integer({"XLEN", keys::attendance(id)});
    return total;
}

}  // namespace ws_load
