#pragma once
// The REST route table: one entry per method and path, with who may call it and its handler.
// HttpApi and the components that own a concern (check-ins, supervision, alerts) each add
// their entries; the router matches, checks the caller's role, and runs the handler.
//
// Path patterns are literal segments and "{}" for one parameter, e.g.
// "/api/checkins/{}/frames/{}". Matching is on whole segments.
//
// Order of checks (unchanged from the first API): a path no route knows is 401 without a
// token and 404 with one; a known path with another method is bad_request ("use POST");
// then the token; then the caller rule (forbidden); then the handler.
//
// The checks up to the caller rule need only the request's headers: admit() runs them before
// a byte of the body is read, so a caller without rights cannot make the server buffer a
// body, and each route says how large a body it takes (maxBodyBytes).

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vigil/common/Task.hpp"
#include "vigil/signaling/Model.hpp"
#include "vigil/signaling/WebServer.hpp"

namespace vigil::signaling {

// Who may call a route. The handler still checks scope (unit, own records).
enum class Caller {
    Public,         // no token needed (login, clock, healthz)
    Anyone,         // any signed-in account
    Subject,        // subjects only
    Staff,          // officers and administrators
    Administrator,  // administrators only
};

struct RouteContext {
    const User* user{nullptr};  // Null for Public routes.
    const HttpRequest& request;
    std::vector<std::string> params;  // The "{}" segments, in order.

    const User& caller() const { return *user; }
};

using RouteHandler = std::function<common::Task<HttpResponse>(const RouteContext&)>;

struct Route {
    std::string method;   // GET, POST, PUT, DELETE
    std::string pattern;  // "/api/checkins/{}"
    Caller caller{Caller::Anyone};
    RouteHandler handler;
    // The token may come as the `token` query parameter (URLs a browser fetches itself).
    bool queryToken{false};
    // The largest request body the route takes; a larger one is too_large (413) before it
    // is read. Routes that take a photo raise it.
    std::size_t maxBodyBytes{kDefaultMaxBodyBytes};

    static constexpr std::size_t kDefaultMaxBodyBytes = std::size_t{64} * 1024;
};

// A request that passed every check that needs only its headers.
struct Admission {
    const Route* route{nullptr};  // Owned by the router.
    std::optional<User> user;     // Empty for Public routes.
    std::vector<std::string> params;
};

class RestRouter {
public:
    // Resolves a token to the account as it is now; throws unauthenticated.
    using Authenticator =
        std::function<common::Task<User>(const HttpRequest& request, bool allowQueryToken)>;

    explicit RestRouter(Authenticator authenticate) : authenticate_(std::move(authenticate)) {}

    // Told before a signed-in caller's GET goes out as `forbidden` (by the caller rule or by
    // the handler's scope check): refused reads are audited.
    using ReadRefused = std::function<common::Task<void>(
        const User& user, const HttpRequest& request, const std::vector<std::string>& params,
        std::string reason)>;
    void onReadRefused(ReadRefused hook) { *readRefused_ = std::move(hook); }

    void add(Route route);
    // The route, caller and parameters of `request`, judged on its headers alone; throws
    // the ApiError the caller gets (not_found, bad_request, unauthenticated, forbidden).
    common::Task<Admission> admit(const HttpRequest& request) const;
    // Runs the admitted route's handler on the request, body included.
    static common::Task<HttpResponse> run(const Admission& admission, const HttpRequest& request);
    // admit() then run(), for a request whose body is already in.
    common::Task<HttpResponse> dispatch(const HttpRequest& request) const;
    const std::vector<Route>& routes() const { return routes_; }

private:
    Authenticator authenticate_;
    // Admissions point into it: routes are added while the node is wired, before it serves.
    std::vector<Route> routes_;
    // Shared with the GET routes' handlers, which report their own refusals through it.
    std::shared_ptr<ReadRefused> readRefused_{std::make_shared<ReadRefused>()};
};

// Whether `user` satisfies `rule` (Public and Anyone: always).
bool callerAllowed(Caller rule, const User& user);

}  // namespace vigil::signaling
