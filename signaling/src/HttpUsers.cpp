// Accounts and org units over the REST API. Administrators create accounts of any role and
// org units within their scope, and disable or enable accounts; officers create subjects in
// their scope. The account rules (password strength, hashing, unique usernames) are shared
// with the admin CLI through createAccount(). Every change is audited.

#include "vigil/common/Crypto.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/signaling/Access.hpp"
#include "vigil/signaling/HttpApi.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Task;
using nlohmann::json;

namespace {

constexpr size_t kMaxPasswordBytes = 1024;

std::string stringField(const json& body, const char* name) {
    if (!body.contains(name) || body[name].is_null()) return "";
    if (!body[name].is_string())
        throw ApiError("bad_request", std::string("'") + name + "' must be a string");
    return body[name].get<std::string>();
}

}  // namespace

void checkPasswordStrength(const std::string& password, const common::Config& config) {
    const auto minLength = static_cast<size_t>(config.auth.passwordMinLength);
    if (password.size() < minLength) {
        throw ApiError("weak_password",
                       "a password needs at least " + std::to_string(minLength) + " characters");
    }
    if (password.size() > kMaxPasswordBytes)
        throw ApiError("weak_password", "a password has at most 1024 bytes");
}

Task<User> createAccount(Directory& directory, NewUser user, std::string password,
                         const common::Config& config, const PasswordHasher& hasher) {
    checkPasswordStrength(password, config);
    if (!password.empty() && password == user.username)
        throw ApiError("weak_password", "a password must not be the username");
    auto existing = co_await directory.findUserByUsername(user.username);
    if (existing) throw ApiError("username_taken", "username '" + user.username + "' is taken");
    // The hash costs tens of milliseconds of CPU: on the workers when serving requests.
    if (hasher) {
        user.passwordHash = co_await hasher(password);
    } else {
        user.passwordHash = common::hashPassword(password);
    }
    const std::string username = user.username;
    bool taken = false;
    User created;
    try {
        created = co_await directory.addUser(std::move(user));
    } catch (const ApiError& e) {
        // Claimed by someone else since the check above.
        if (e.code() != "bad_request" ||
            std::string(e.what()).find("is taken") == std::string::npos)
            throw;
        taken = true;
    }
    if (taken) throw ApiError("username_taken", "username '" + username + "' is taken");
    co_return created;
}

Task<HttpResponse> HttpApi::createUser(const User& user, const HttpRequest& request) {
    if (!access::isStaff(user))
        throw ApiError("forbidden", "only officers and administrators create accounts");
    const json body = jsonBody(request);
    NewUser nu;
    nu.username = stringField(body, "username");
    nu.name = stringField(body, "name");
    std::string role = stringField(body, "role");
    if (role.empty()) role = "subject";
    auto parsedRole = parseRole(role);
    if (!parsedRole)
        throw ApiError("bad_request", "'role' must be subject, officer or administrator");
    nu.role = *parsedRole;
    nu.unit = stringField(body, "unit");
    if (nu.unit.empty()) nu.unit = user.unit;
    nu.officer = stringField(body, "officer");
    if (!body.contains("password") || !body["password"].is_string())
        throw ApiError("bad_request", "'password' is required");
    const std::string password = body["password"].get<std::string>();

    auto tree = co_await deps_.directory.unitTree();
    if (!tree.contains(nu.unit)) throw ApiError("not_found", "no unit '" + nu.unit + "'");
    if (user.role == Role::Officer) {
        if (nu.role != Role::Subject)
            throw ApiError("forbidden", "officers create only subjects' accounts");
        if (!access::canSeeUnit(user, nu.unit, tree))
            throw ApiError("forbidden", "'unit' is outside your scope");
        // A subject an officer adds is on that officer's caseload unless another is named.
        if (nu.officer.empty()) nu.officer = user.id;
    } else if (!access::canAdminister(user, nu.unit, tree)) {
        throw ApiError("forbidden", "'unit' is outside your scope");
    }
    if (!nu.officer.empty()) {
        if (nu.role != Role::Subject)
            throw ApiError("bad_request", "only a subject has a supervising officer");
        auto officer = co_await deps_.directory.findUser(nu.officer);
        if (!officer || officer->role != Role::Officer || officer->disabled)
            throw ApiError("not_found", "no officer '" + nu.officer + "'");
        if (!tree.isWithin(officer->unit, user.unit)) access::refuseOutOfScope(user, "officer");
    }
    // Named: GCC 12 destroys a temporary inside a co_await expression twice.
    const PasswordHasher onWorkers = [this](std::string pw) {
        return deps_.sessions.hashPassword(std::move(pw));
    };
    auto created = co_await createAccount(deps_.directory, nu, password, deps_.config, onWorkers);
    const std::string detail = json{
        {"username", nu.username},
        {"role", role},
        {"unit", nu.unit},
        {"officer", nu.officer}}.dump();
    co_await deps_.audit.append(user.id, "user_added", created.id, detail);
    co_return jsonResponse(201, created.publicJson());
}

Task<HttpResponse> HttpApi::setUserDisabled(const User& user, const std::string& userId,
                                            const HttpRequest& request) {
    auto tree = co_await deps_.directory.unitTree();
    if (!access::canAdminister(user, user.unit, tree))
        throw ApiError("forbidden", "only administrators disable or enable accounts");
    const json body = jsonBody(request);
    if (!body.contains("disabled") || !body["disabled"].is_boolean())
        throw ApiError("bad_request", "send {\"disabled\": true} or {\"disabled\": false}");
    const bool disabled = body["disabled"].get<bool>();
    std::optional<User> target;
    if (Directory::validId(userId)) target = co_await deps_.directory.findUser(userId);
    if (!target) throw ApiError("not_found", "no user '" + userId + "'");
    if (!access::canAdminister(user, target->unit, tree)) access::refuseOutOfScope(user, "user");
    if (target->id == user.id && disabled)
        throw ApiError("bad_request", "you cannot disable your own account");
    co_await deps_.directory.setDisabled(target->id, disabled);
    target->disabled = disabled;
    // Its sessions end at once, its WebSockets too: enabling it again does not revive them.
    if (disabled) co_await deps_.sessions.endAll(target->id, session_end::kAccountDisabled);
    const std::string detail = json{{"disabled", disabled}}.dump();
    const std::string action = disabled ? "user_disabled" : "user_enabled";
    co_await deps_.audit.append(user.id, action, target->id, detail);
    co_return jsonResponse(200, target->publicJson());
}

Task<HttpResponse> HttpApi::createUnit(const User& user, const HttpRequest& request) {
    auto tree = co_await deps_.directory.unitTree();
    if (!access::canAdminister(user, user.unit, tree))
        throw ApiError("forbidden", "only administrators create org units");
    const json body = jsonBody(request);
    const std::string id = stringField(body, "id");
    const std::string name = stringField(body, "name");
    const std::string parent = stringField(body, "parent");
    if (parent.empty())
        throw ApiError("bad_request", "'parent' is required: a unit within your scope");
    if (!tree.contains(parent)) throw ApiError("not_found", "no unit '" + parent + "'");
    if (!access::canAdminister(user, parent, tree))
        throw ApiError("forbidden", "'parent' is outside your scope");
    if (!id.empty() && tree.contains(id))
        throw ApiError("unit_exists", "unit '" + id + "' exists already");
    bool exists = false;
    OrgUnit created;
    try {
        created = co_await deps_.directory.addUnit(id, name, parent);
    } catch (const ApiError& e) {
        // Added by someone else since the check above.
        if (e.code() != "bad_request" ||
            std::string(e.what()).find("exists already") == std::string::npos)
            throw;
        exists = true;
    }
    if (exists) throw ApiError("unit_exists", "unit '" + id + "' exists already");
    const std::string detail = json{{"name", name}, {"parent", parent}}.dump();
    co_await deps_.audit.append(user.id, "unit_added", created.id, detail);
    co_return jsonResponse(
        201, json{{"id", created.id}, {"name", created.name}, {"parent", created.parent}});
}

}  // namespace vigil::signaling
