#include "vigil/signaling/CheckinRecords.hpp"

#include "vigil/common/Crypto.hpp"
#include "vigil/common/RedisValue.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::Millis;
using common::Task;
using nlohmann::json;

namespace {

std::string windowKeyOf(const std::string& subject, const std::string& window) {
    return "vigil:checkinwin:" + subject + ":" + window;
}
std::string orderKey(const std::string& id) {
    return "vigil:checkinorder:" + id;
}
std::string ordersOf(const std::string& subject) {
    return "vigil:checkinorders:" + subject;
}
const std::string kOpenOrders = "vigil:checkinorders:open";
std::string runKey(const std::string& subject) {
    return "vigil:checkinrun:" + subject;
}

long long number(const std::map<std::string, std::string>& h, const std::string& name) {
    try {
        return std::stoll(common::fieldOf(h, name));
    } catch (const std::exception&) {
        return 0;
    }
}

std::optional<Checkin> checkinFromHash(const std::map<std::string, std::string>& h) {
    if (h.empty()) return std::nullopt;
    Checkin c;
    c.id = common::fieldOf(h, "id");
    c.subject = common::fieldOf(h, "subject");
    c.unit = common::fieldOf(h, "unit");
    c.kind = common::fieldOf(h, "kind");
    c.window = common::fieldOf(h, "window");
    c.order = common::fieldOf(h, "order");
    c.outcome = common::fieldOf(h, "outcome");
    c.reason = common::fieldOf(h, "reason");
    c.message = common::fieldOf(h, "message");
    c.challenge = common::fieldOf(h, "challenge");
    try {
        c.score = std::stod(common::fieldOf(h, "score"));
    } catch (const std::exception&) {
        c.score = -1;
    }
    c.startedAt = number(h, "started_at");
    c.decidedAt = number(h, "decided_at");
    c.attempt = static_cast<int>(number(h, "attempt"));
    auto location = json::parse(common::fieldOf(h, "location"), nullptr, false);
    if (auto parsed = parseCheckinLocation(location)) c.location = parsed;
    c.locationRefused = common::fieldOf(h, "location_refused") == "1";
    c.outOfArea = common::fieldOf(h, "out_of_area") == "1";
    c.report = common::fieldOf(h, "report");
    auto frames = json::parse(common::fieldOf(h, "frames"), nullptr, false);
    if (frames.is_array()) {
        for (const auto& f : frames)
            if (f.is_string()) c.frames.push_back(f.get<std::string>());
    }
    return c;
}

std::optional<CheckinOrder> orderFromHash(const std::map<std::string, std::string>& h) {
    if (h.empty()) return std::nullopt;
    CheckinOrder o;
    o.id = common::fieldOf(h, "id");
    o.subject = common::fieldOf(h, "subject");
    o.unit = common::fieldOf(h, "unit");
    o.deadline = number(h, "deadline");
    o.orderedBy = common::fieldOf(h, "ordered_by");
    o.orderedAt = number(h, "ordered_at");
    o.state = common::fieldOf(h, "state");
    return o;
}

}  // namespace

json Checkin::toJson(int utcOffsetMinutes, const std::string& subjectName) const {
    auto time = [&](Millis t) -> json {
        return t > 0 ? json(common::formatIso8601(t, utcOffsetMinutes)) : json(nullptr);
    };
    json frameList = json::array();
    for (size_t i = 0; i < frames.size(); ++i)
        frameList.push_back({{"index", i}, {"sha256", frames[i]}});
    return json{{"id", id},
                {"subject", subject},
                {"subject_name", subjectName},
                {"unit", unit},
                {"kind", kind},
                {"window", window.empty() ? json(nullptr) : json(window)},
                {"order", order.empty() ? json(nullptr) : json(order)},
                {"outcome", outcome},
                {"reason", reason},
                {"message", message},
                {"challenge", challenge},
                {"score", score},
                {"started_at", time(startedAt)},
                {"decided_at", time(decidedAt)},
                {"attempt", attempt},
                {"location", location ? signaling::toJson(*location) : json(nullptr)},
                {"location_refused", locationRefused},
                {"out_of_area", outOfArea},
                {"report", report},
                {"frames", frameList}};
}

Task<void> CheckinRecords::write(const Checkin& c) {
    json frames = c.frames;
    std::vector<std::string> args{"HSET",
                                  keys::checkin(c.id),
                                  "id",
                                  c.id,
                                  "subject",
                                  c.subject,
                                  "unit",
                                  c.unit,
                                  "kind",
                                  c.kind,
                                  "window",
                                  c.window,
                                  "order",
                                  c.order,
                                  "outcome",
                                  c.outcome,
                                  "reason",
                                  c.reason,
                                  "message",
                                  c.message,
                                  "challenge",
                                  c.challenge,
                                  "score",
                                  std::to_string(c.score),
                                  "started_at",
                                  std::to_string(c.startedAt),
                                  "decided_at",
                                  std::to_string(c.decidedAt),
                                  "attempt",
                                  std::to_string(c.attempt),
                                  "location",
                                  c.location ? signaling::toJson(*c.location).dump() : "",
                                  "location_refused",
                                  c.locationRefused ? "1" : "0",
                                  "out_of_area",
                                  c.outOfArea ? "1" : "0",
                                  "report",
                                  c.report,
                                  "frames",
                                  frames.dump()};
    co_await redis_.command(std::move(args));
    std::string score = std::to_string(c.startedAt);
    co_await redis_.cmd("ZADD", keys::checkinsOf(c.subject), score, c.id);
    co_await redis_.cmd("ZADD", keys::kCheckins, score, c.id);
}

Task<std::optional<Checkin>> CheckinRecords::find(std::string id) {
    auto reply = co_await redis_.cmd("HGETALL", keys::checkin(id));
    co_return checkinFromHash(reply.asMap());
}

Task<std::vector<Checkin>> CheckinRecords::list(std::string subject, Millis from, Millis to,
                                                int limit) {
    std::string key = subject.empty() ? keys::kCheckins : keys::checkinsOf(subject);
    auto ids = (co_await redis_.cmd("ZREVRANGEBYSCORE", key, std::to_string(to),
                                    std::to_string(from), "LIMIT", "0", std::to_string(limit)))
                   .asStrings();
    std::vector<Checkin> out;
    for (const auto& id : ids) {
        if (auto c = co_await find(id)) out.push_back(std::move(*c));
    }
    co_return out;
}

Task<std::vector<std::string>> CheckinRecords::storeFrames(std::string id,
                                                           std::vector<std::string> jpegs) {
    std::vector<std::string> digests;
    for (size_t i = 0; i < jpegs.size(); ++i) {
        digests.push_back(common::sha256Hex(jpegs[i]));
        if (imageKey_.empty()) continue;
        co_await redis_.cmd("SET", keys::checkinFrame(id, static_cast<int>(i)),
                            common::sealSecret(jpegs[i], imageKey_));
    }
    co_return digests;
}

Task<std::optional<std::string>> CheckinRecords::frame(std::string id, int index) {
    if (imageKey_.empty()) co_return std::nullopt;
    auto reply = co_await redis_.cmd("GET", keys::checkinFrame(id, index));
    if (reply.isNil()) co_return std::nullopt;
    co_return common::openSecret(reply.str, imageKey_);
}

Task<WindowState> CheckinRecords::window(std::string subject, std::string windowKey) {
    auto h = (co_await redis_.cmd("HGETALL", windowKeyOf(subject, windowKey))).asMap();
    co_return WindowState{static_cast<int>(number(h, "attempts")), common::fieldOf(h, "verified")};
}

Task<int> CheckinRecords::countAttempt(std::string subject, std::string windowKey) {
    auto n = co_await redis_.cmd("HINCRBY", windowKeyOf(subject, windowKey), "attempts", "1");
    co_return static_cast<int>(n.asInteger());
}

Task<void> CheckinRecords::markVerified(std::string subject, std::string windowKey,
                                        std::string id) {
    co_await redis_.cmd("HSETNX", windowKeyOf(subject, windowKey), "verified", id);
}

Task<bool> CheckinRecords::flagOnce(std::string subject, std::string windowKey, std::string flag) {
    auto n = co_await redis_.cmd("HSETNX", windowKeyOf(subject, windowKey), flag, "1");
    co_return n.asInteger() == 1;
}

Task<bool> CheckinRecords::claimRun(std::string subject, std::string id, Millis ttlMs) {
    auto reply = co_await redis_.cmd("SET", runKey(subject), id, "NX", "PX", std::to_string(ttlMs));
    co_return !reply.isNil();
}

Task<void> CheckinRecords::releaseRun(std::string subject, std::string id) {
    // Only our own claim: a later check-in's must stay.
    static const std::string kScript =
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
        "return 0";
    co_await redis_.cmd("EVAL", kScript, "1", runKey(subject), id);
}

Task<void> CheckinRecords::writeOrder(const CheckinOrder& o) {
    co_await redis_.cmd("HSET", orderKey(o.id), "id", o.id, "subject", o.subject, "unit", o.unit,
                        "deadline", std::to_string(o.deadline), "ordered_by", o.orderedBy,
                        "ordered_at", std::to_string(o.orderedAt), "state", o.state);
    std::string deadline = std::to_string(o.deadline);
    co_await redis_.cmd("ZADD", ordersOf(o.subject), deadline, o.id);
    if (o.state == "open") co_await redis_.cmd("ZADD", kOpenOrders, deadline, o.id);
}

Task<std::optional<CheckinOrder>> CheckinRecords::findOrder(std::string id) {
    auto reply = co_await redis_.cmd("HGETALL", orderKey(id));
    co_return orderFromHash(reply.asMap());
}

Task<std::vector<CheckinOrder>> CheckinRecords::openOrders(std::string subject, Millis now) {
    auto ids =
        (co_await redis_.cmd("ZRANGEBYSCORE", ordersOf(subject), "(" + std::to_string(now), "+inf"))
            .asStrings();
    std::vector<CheckinOrder> out;
    for (const auto& id : ids) {
        auto o = co_await findOrder(id);
        if (o && o->state == "open") out.push_back(std::move(*o));
    }
    co_return out;
}

Task<std::vector<CheckinOrder>> CheckinRecords::expiredOrders(Millis now) {
    auto ids = (co_await redis_.cmd("ZRANGEBYSCORE", kOpenOrders, "-inf", std::to_string(now),
                                    "LIMIT", "0", "500"))
                   .asStrings();
    std::vector<CheckinOrder> out;
    for (const auto& id : ids) {
        auto o = co_await findOrder(id);
        if (o)
            out.push_back(std::move(*o));
        else
            co_await redis_.cmd("ZREM", kOpenOrders, id);
    }
    co_return out;
}

Task<void> CheckinRecords::closeOrder(const CheckinOrder& order, std::string state) {
    co_await redis_.cmd("HSET", orderKey(order.id), "state", state);
    co_await redis_.cmd("ZREM", kOpenOrders, order.id);
}

}  // namespace vigil::signaling
