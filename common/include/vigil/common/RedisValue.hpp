#pragma once
// An owned copy of a hiredis reply, so that it outlives the hiredis callback.

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

struct redisReply;

namespace vigil::common {

class RedisError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct RedisValue {
    enum class Kind { Nil, Integer, String, Status, Error, Array };

    Kind kind{Kind::Nil};
    long long integer{0};
    std::string str;
    std::vector<RedisValue> elements;

    static RedisValue fromReply(const redisReply* reply);
    static RedisValue ofString(std::string s) {
        RedisValue v;
        v.kind = Kind::String;
        v.str = std::move(s);
        return v;
    }

    bool isNil() const { return kind == Kind::Nil; }
    bool isArray() const { return kind == Kind::Array; }
    // A bulk string or status; throws RedisError for anything else.
    const std::string& asString() const;
    // An integer, or a string holding one.
    long long asInteger() const;
    // A flat [field, value, field, value, ...] array (HGETALL, stream entry fields).
    std::map<std::string, std::string> asMap() const;
    // An array of strings (SMEMBERS, ZRANGE, ...).
    std::vector<std::string> asStrings() const;
};

// The value of `name` in a hash read with HGETALL (asMap), empty when the field is absent.
inline std::string fieldOf(const std::map<std::string, std::string>& hash,
                           const std::string& name) {
    auto it = hash.find(name);
    return it == hash.end() ? std::string() : it->second;
}

}  // namespace vigil::common
