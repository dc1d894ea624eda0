#include "vigil/common/RedisValue.hpp"

#include <hiredis/hiredis.h>

namespace vigil::common {

RedisValue RedisValue::fromReply(const redisReply* reply) {
    RedisValue v;
    if (reply == nullptr) return v;
    switch (reply->type) {
        case REDIS_REPLY_INTEGER:
            v.kind = Kind::Integer;
            v.integer = reply->integer;
            break;
        case REDIS_REPLY_STRING:
            v.kind = Kind::String;
            v.str.assign(reply->str, reply->len);
            break;
        case REDIS_REPLY_STATUS:
            v.kind = Kind::Status;
            v.str.assign(reply->str, reply->len);
            break;
        case REDIS_REPLY_ERROR:
            v.kind = Kind::Error;
            v.str.assign(reply->str, reply->len);
            break;
        case REDIS_REPLY_ARRAY:
            v.kind = Kind::Array;
            v.elements.reserve(reply->elements);
            for (size_t i = 0; i < reply->elements; ++i) {
                v.elements.push_back(fromReply(reply->element[i]));
            }
            break;
        default:
            break;
    }
    return v;
}

const std::string& RedisValue::asString() const {
    if (kind != Kind::String && kind != Kind::Status) {
        throw RedisError("redis: expected a string reply");
    }
    return str;
}

long long RedisValue::asInteger() const {
    if (kind == Kind::Integer) return integer;
    if (kind == Kind::String) {
        try {
            return std::stoll(str);
        } catch (const std::exception&) {
        }
    }
    throw RedisError("redis: expected an integer reply");
}

std::map<std::string, std::string> RedisValue::asMap() const {
    std::map<std::string, std::string> out;
    if (kind == Kind::Nil) return out;
    if (kind != Kind::Array) throw RedisError("redis: expected an array reply");
    for (size_t i = 0; i + 1 < elements.size(); i += 2) {
        out[elements[i].str] = elements[i + 1].str;
    }
    return out;
}

std::vector<std::string> RedisValue::asStrings() const {
    std::vector<std::string> out;
    if (kind == Kind::Nil) return out;
    if (kind != Kind::Array) throw RedisError("redis: expected an array reply");
    out.reserve(elements.size());
    for (const auto& e : elements) out.push_back(e.str);
    return out;
}

}  // namespace vigil::common
