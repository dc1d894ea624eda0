#include "vigil/signaling/Directory.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "vigil/common/Error.hpp"
#include "vigil/common/RedisValue.hpp"
#include "vigil/signaling/Access.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Task;

namespace {
bool validText(const std::string& s, size_t maxBytes) {
    if (s.empty() || s.size() > maxBytes) return false;
    return std::none_of(s.begin(), s.end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

common::Millis millisField(const std::map<std::string, std::string>& h, const char* name) {
    try {
        return std::stoll(common::fieldOf(h, name));
    } catch (const std::exception&) {
        return 0;
    }
}

// The members of the tag sets KEYS, each with its unit, in one round trip (a join checks
// enrolment): [id, unit, id, unit, ...]. ARGV[1] is the user key prefix.
const char* const kTaggedUnitsScript = R"lua(
local out = {}
for _, id in ipairs(redis.call('SUNION', unpack(KEYS))) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', ARGV[1] .. id, 'unit') or ''
end
return out
)lua";

ClassState parseState(const std::string& s) {
    if (s == "live") return ClassState::Live;
    if (s == "ended") return ClassState::Ended;
    return ClassState::Scheduled;
}
}  // namespace

bool Directory::validId(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_';
    });
}

bool Directory::validUsername(const std::string& name) {
    if (name.size() < 3 || name.size() > 32) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    });
}

User userFromHash(const std::map<std::string, std::string>& h) {
    User u;
    u.id = common::fieldOf(h, "id");
    u.username = common::fieldOf(h, "username");
    u.name = common::fieldOf(h, "name");
    u.role = parseRole(common::fieldOf(h, "role")).value_or(Role::Subject);
    u.unit = common::fieldOf(h, "unit");
    u.officer = common::fieldOf(h, "officer");
    u.disabled = common::fieldOf(h, "disabled") == "1";
    return u;
}

ClassSession classFromHash(const std::map<std::string, std::string>& h) {
    ClassSession c;
    c.id = common::fieldOf(h, "id");
    c.title = common::fieldOf(h, "title");
    c.unit = common::fieldOf(h, "unit");
    c.officer = common::fieldOf(h, "officer");
    c.start = millisField(h, "start");
    c.end = millisField(h, "end");
    c.required = common::fieldOf(h, "required") != "0";
    c.enrolUnit = common::fieldOf(h, "enrol_unit");
    auto tags = nlohmann::json::parse(common::fieldOf(h, "enrol_tags"), nullptr, false);
    if (tags.is_array()) {
        for (const auto& t : tags) {
            if (t.is_string()) c.enrolTags.push_back(t.get<std::string>());
        }
    }
    c.state = parseState(common::fieldOf(h, "state"));
    c.startedAt = millisField(h, "started_at");
    c.endedAt = millisField(h, "ended_at");
    return c;
}

Task<std::string> Directory::nextId(std::string kind, std::string prefix) {
    auto n = co_await redis_.cmd("INCR", keys::seq(kind));
    co_return prefix + std::to_string(n.asInteger());
}

Task<OrgUnit> Directory::addUnit(std::string id, std::string name, std::string parent) {
    if (!validText(name, 128))
        throw ApiError("bad_request", "a unit needs a name of 1 to 128 bytes");
    if (!id.empty() && !validId(id))
        throw ApiError("bad_request", "unit id may use letters, digits, - and _");
    if (!parent.empty()) {
        auto p = co_await redis_.cmd("HEXISTS", keys::kUnitParents, parent);
        if (p.asInteger() == 0) throw ApiError("not_found", "no parent unit '" + parent + "'");
    }
    if (id.empty()) id = co_await nextId("unit", "ou");
    auto created = co_await redis_.cmd("HSETNX", keys::kUnitParents, id, parent);
    if (created.asInteger() == 0) throw ApiError("bad_request", "unit '" + id + "' exists already");
    co_await redis_.cmd("HSET", keys::unit(id), "id", id, "name", name, "parent", parent,
                        "created_at", std::to_string(common::nowMillis()));
    co_return OrgUnit{id, name, parent};
}

Task<std::optional<OrgUnit>> Directory::findUnit(std::string id) {
    auto h = (co_await redis_.cmd("HGETALL", keys::unit(id))).asMap();
    if (h.empty()) co_return std::nullopt;
    co_return OrgUnit{common::fieldOf(h, "id"), common::fieldOf(h, "name"),
                      common::fieldOf(h, "parent")};
}

Task<std::vector<OrgUnit>> Directory::listUnits() {
    auto parents = (co_await redis_.cmd("HGETALL", keys::kUnitParents)).asMap();
    std::vector<OrgUnit> out;
    for (const auto& [id, parent] : parents) {
        auto unit = co_await findUnit(id);
        out.push_back(unit.value_or(OrgUnit{id, id, parent}));
    }
    co_return out;
}

Task<UnitTree> Directory::unitTree() {
    auto parents = (co_await redis_.cmd("HGETALL", keys::kUnitParents)).asMap();
    cachedTree_ = UnitTree(std::move(parents));
    cachedTreeAt_ = common::nowMillis();
    co_return cachedTree_;
}

Task<UnitTree> Directory::recentUnitTree(std::vector<std::string> units) {
    constexpr common::Millis kTreeCacheMs = 3000;
    common::Millis now = common::nowMillis();
    bool fresh = cachedTreeAt_ != 0 && now >= cachedTreeAt_ && now - cachedTreeAt_ <= kTreeCacheMs;
    for (const auto& unit : units) {
        if (!unit.empty() && !cachedTree_.contains(unit)) fresh = false;
    }
    if (fresh) co_return cachedTree_;
    co_return co_await unitTree();
}

Task<User> Directory::addUser(NewUser u) {
    if (!validUsername(u.username)) {
        throw ApiError("bad_request", "username must be 3 to 32 of a-z, 0-9, '.', '-', '_'");
    }
    if (!validText(u.name, 128))
        throw ApiError("bad_request", "a user needs a display name of 1 to 128 bytes");
    auto unit = co_await redis_.cmd("HEXISTS", keys::kUnitParents, u.unit);
    if (unit.asInteger() == 0) throw ApiError("not_found", "no unit '" + u.unit + "'");
    if (!u.officer.empty()) {
        if (u.role != Role::Subject)
            throw ApiError("bad_request", "only a subject has a supervising officer");
        auto officer = co_await findUser(u.officer);
        if (!officer || officer->role != Role::Officer) {
            throw ApiError("not_found", "no officer '" + u.officer + "'");
        }
    }
    if (u.passwordHash.empty()) throw ApiError("bad_request", "a user needs a password");
    std::string id = co_await nextId("user", "u");
    auto claimed = co_await redis_.cmd("SET", keys::username(u.username), id, "NX");
    if (claimed.isNil()) throw ApiError("bad_request", "username '" + u.username + "' is taken");
    co_await redis_.cmd("HSET", keys::user(id), "id", id, "username", u.username, "name", u.name,
                        "role", toString(u.role), "unit", u.unit, "officer", u.officer, "pwhash",
                        u.passwordHash, "disabled", "0", "created_at",
                        std::to_string(common::nowMillis()));
    co_await redis_.cmd("SADD", keys::kUsers, id);
    if (!u.officer.empty()) co_await redis_.cmd("SADD", keys::caseload(u.officer), id);
    User out;
    out.id = id;
    out.username = u.username;
    out.name = u.name;
    out.role = u.role;
    out.unit = u.unit;
    out.officer = u.officer;
    co_return out;
}

Task<std::optional<User>> Directory::findUser(std::string id) {
    if (id.empty()) co_return std::nullopt;
    auto h = (co_await redis_.cmd("HGETALL", keys::user(id))).asMap();
    if (h.empty()) co_return std::nullopt;
    co_return userFromHash(h);
}

Task<std::optional<User>> Directory::findUserByUsername(std::string username) {
    if (!validUsername(username)) co_return std::nullopt;
    auto id = co_await redis_.cmd("GET", keys::username(username));
    if (id.isNil()) co_return std::nullopt;
    co_return co_await findUser(id.asString());
}

Task<std::vector<User>> Directory::listUsers() {
    auto ids = (co_await redis_.cmd("SMEMBERS", keys::kUsers)).asStrings();
    std::sort(ids.begin(), ids.end(), [](const std::string& a, const std::string& b) {
        return a.size() != b.size() ? a.size() < b.size() : a < b;
    });
    std::vector<User> out;
    for (const auto& id : ids) {
        auto u = co_await findUser(id);  // Not in the if: GCC 12 mis-compiles that.
        if (u) out.push_back(*u);
    }
    co_return out;
}

Task<User> Directory::requireUser(const std::string& id) {
    auto u = co_await findUser(id);
    if (!u) throw ApiError("not_found", "no user '" + id + "'");
    co_return *u;
}

Task<std::string> Directory::passwordHash(std::string userId) {
    auto h = co_await redis_.cmd("HGET", keys::user(userId), "pwhash");
    std::string hash = h.isNil() ? std::string() : h.asString();
    co_return hash;
}

Task<void> Directory::setPasswordHash(std::string userId, std::string hash) {
    co_await requireUser(userId);
    co_await redis_.cmd("HSET", keys::user(userId), "pwhash", hash);
}

Task<void> Directory::setDisabled(std::string userId, bool disabled) {
    co_await requireUser(userId);
    co_await redis_.cmd("HSET", keys::user(userId), "disabled", disabled ? "1" : "0");
}

Task<ClassSession> Directory::addClass(ClassSession c) {
    if (!validText(c.title, 256))
        throw ApiError("bad_request", "a class needs a title of 1 to 256 bytes");
    if (c.end <= c.start) throw ApiError("bad_request", "a class must end after it starts");
    if (c.end - c.start > 24LL * 3600 * 1000)
        throw ApiError("bad_request", "a class lasts at most 24 hours");
    auto tree = co_await unitTree();
    if (!tree.contains(c.unit)) throw ApiError("not_found", "no unit '" + c.unit + "'");
    if (!c.enrolUnit.empty() && !tree.contains(c.enrolUnit)) {
        throw ApiError("not_found", "no unit '" + c.enrolUnit + "'");
    }
    auto officer = co_await findUser(c.officer);
    if (!officer || officer->role != Role::Officer)
        throw ApiError("not_found", "no officer '" + c.officer + "'");
    c.id = co_await nextId("class", "c");
    c.state = ClassState::Scheduled;
    co_await redis_.cmd("HSET", keys::classInfo(c.id), "id", c.id, "title", c.title, "unit", c.unit,
                        "officer", c.officer, "start", std::to_string(c.start), "end",
                        std::to_string(c.end), "required", c.required ? "1" : "0", "enrol_unit",
                        c.enrolUnit, "enrol_tags", nlohmann::json(c.enrolTags).dump(), "state",
                        "scheduled");
    co_await redis_.cmd("ZADD", keys::kClasses, std::to_string(c.start), c.id);
    co_return c;
}

Task<std::optional<ClassSession>> Directory::findClass(std::string id) {
    if (!validId(id)) co_return std::nullopt;
    auto h = (co_await redis_.cmd("HGETALL", keys::classInfo(id))).asMap();
    if (h.empty()) co_return std::nullopt;
    co_return classFromHash(h);
}

Task<std::vector<ClassSession>> Directory::listClasses(common::Millis from, common::Millis to) {
    auto ids = (co_await redis_.cmd("ZRANGEBYSCORE", keys::kClasses, std::to_string(from),
                                    "(" + std::to_string(to)))
                   .asStrings();
    std::vector<ClassSession> out;
    for (const auto& id : ids) {
        auto c = co_await findClass(id);
        if (c) out.push_back(*c);
    }
    co_return out;
}

Task<void> Directory::setClassState(std::string classId, ClassState state, common::Millis at) {
    std::vector<std::string> args{"HSET", keys::classInfo(classId), "state", toString(state)};
    if (state == ClassState::Live) {
        args.insert(args.end(), {"started_at", std::to_string(at)});
    } else if (state == ClassState::Ended) {
        args.insert(args.end(), {"ended_at", std::to_string(at)});
    }
    co_await redis_.command(std::move(args));
}

Task<void> Directory::enrol(std::string classId, std::vector<std::string> subjectIds) {
    auto cls = co_await findClass(classId);
    if (!cls) throw ApiError("not_found", "no class '" + classId + "'");
    for (const auto& id : subjectIds) {
        auto u = co_await findUser(id);
        if (!u || u->role != Role::Subject) throw ApiError("not_found", "no subject '" + id + "'");
    }
    if (subjectIds.empty()) co_return;
    std::vector<std::string> args{"SADD", keys::enrolled(classId)};
    args.insert(args.end(), subjectIds.begin(), subjectIds.end());
    co_await redis_.command(std::move(args));
}

Task<std::set<std::string>> Directory::explicitlyEnrolled(std::string classId) {
    auto ids = (co_await redis_.cmd("SMEMBERS", keys::enrolled(classId))).asStrings();
    std::set<std::string> out(ids.begin(), ids.end());
    auto cls =
        (co_await redis_.cmd("HMGET", keys::classInfo(classId), "enrol_tags", "unit")).elements;
    if (cls.size() != 2 || cls[0].isNil() || cls[1].isNil()) co_return out;
    auto tags = nlohmann::json::parse(cls[0].str, nullptr, false);
    if (!tags.is_array() || tags.empty()) co_return out;
    const std::string classUnit = cls[1].str;
    std::vector<std::string> args{"EVAL", kTaggedUnitsScript, std::to_string(tags.size())};
    for (const auto& t : tags)
        args.push_back(keys::tagged(t.is_string() ? t.get<std::string>() : ""));
    args.push_back(keys::user(""));
    auto tagged = (co_await redis_.command(std::move(args))).asStrings();
    std::vector<std::string> units{classUnit};  // (GCC 12: no braced list in co_await.)
    auto tree = co_await recentUnitTree(std::move(units));
    for (size_t i = 0; i + 1 < tagged.size(); i += 2) {
        if (tree.isWithin(tagged[i + 1], classUnit)) out.insert(tagged[i]);
    }
    co_return out;
}

Task<std::vector<User>> Directory::enrolledSubjects(const ClassSession& cls) {
    auto tree = co_await unitTree();
    auto explicitIds = co_await explicitlyEnrolled(cls.id);
    std::vector<User> out;
    for (const auto& u : co_await listUsers()) {
        if (access::isEnrolled(u, cls, explicitIds, tree)) out.push_back(u);
    }
    co_return out;
}

}  // namespace vigil::signaling
