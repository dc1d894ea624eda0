// The route table's order of checks: unknown paths say nothing without a token, a wrong
// method is refused before the token is looked at, the caller rule before the handler.

#include <gtest/gtest.h>

#include <optional>

#include "vigil/common/Error.hpp"
#include "vigil/signaling/RestRouter.hpp"

namespace vigil::signaling {
namespace {

using common::ApiError;
using common::Task;

User account(Role role) {
    User u;
    u.id = "u1";
    u.role = role;
    return u;
}

// Tokens: "subject", "officer", "admin"; anything else is refused.
Task<User> authenticate(const HttpRequest& request, bool allowQueryToken) {
    std::string token =
        request.authorization.rfind("Bearer ", 0) == 0
            ? request.authorization.substr(7)
            : (allowQueryToken && request.query.count("token") != 0 ? request.query.at("token")
                                                                    : std::string());
    if (token == "subject") co_return account(Role::Subject);
    if (token == "officer") co_return account(Role::Officer);
    if (token == "admin") co_return account(Role::Administrator);
    throw ApiError("unauthenticated", "sign in");
}

struct Outcome {
    std::optional<HttpResponse> response;
    std::string code;  // the error code when it threw
};

Outcome run(RestRouter& router, const std::string& method, const std::string& path,
            const std::string& token = "", std::map<std::string, std::string> query = {}) {
    HttpRequest request;
    request.method = method;
    request.path = path;
    request.query = std::move(query);
    if (!token.empty()) request.authorization = "Bearer " + token;
    Outcome out;
    common::spawn(
        [](RestRouter& r, HttpRequest req, Outcome& o) -> Task<void> {
            o.response = co_await r.dispatch(req);
        }(router, request, out),
        [&out](const std::exception_ptr& e) {
            try {
                std::rethrow_exception(e);
            } catch (const ApiError& error) {
                out.code = error.code();
            }
        });
    return out;
}

RouteHandler echo(std::string name) {
    return [name](const RouteContext& c) -> Task<HttpResponse> {
        HttpResponse r;
        r.body = name;
        for (const auto& p : c.params) r.body += "|" + p;
        if (c.user != nullptr) r.body += "|" + toString(c.user->role);
        co_return r;
    };
}

class RestRouterTest : public ::testing::Test {
protected:
    RestRouterTest() : router(authenticate) {
        router.add({"GET", "/healthz", Caller::Public, echo("health")});
        router.add({"GET", "/api/checkins/{}", Caller::Anyone, echo("checkin")});
        router.add({"GET", "/api/checkins/{}/frames/{}", Caller::Staff, echo("frame")});
        router.add({"POST", "/api/checkins/orders", Caller::Staff, echo("order")});
        router.add({"POST", "/api/units", Caller::Administrator, echo("unit")});
        router.add({"GET", "/api/due", Caller::Subject, echo("due")});
        router.add({"GET", "/api/chunk/{}", Caller::Staff, echo("chunk"), true});
    }
    RestRouter router;
};

TEST_F(RestRouterTest, PublicRoutesNeedNoToken) {
    auto out = run(router, "GET", "/healthz");
    ASSERT_TRUE(out.response);
    EXPECT_EQ(out.response->body, "health");
}

TEST_F(RestRouterTest, ParametersAreTheBraceSegmentsInOrder) {
    auto out = run(router, "GET", "/api/checkins/ci7/frames/2", "officer");
    ASSERT_TRUE(out.response) << out.code;
    EXPECT_EQ(out.response->body, "frame|ci7|2|officer");
    // A literal segment wins over a parameter only by its own route: "orders" is a GET
    // parameter here, since no GET route names it.
    out = run(router, "GET", "/api/checkins/orders", "subject");
    ASSERT_TRUE(out.response) << out.code;
    EXPECT_EQ(out.response->body, "checkin|orders|subject");
}

TEST_F(RestRouterTest, UnknownPathIsUnauthenticatedWithoutTokenAndNotFoundWithOne) {
    EXPECT_EQ(run(router, "GET", "/api/nothing").code, "unauthenticated");
    EXPECT_EQ(run(router, "GET", "/api/nothing", "admin").code, "not_found");
    EXPECT_EQ(run(router, "GET", "/api/checkins/a/b", "admin").code, "not_found");
}

TEST_F(RestRouterTest, WrongMethodIsRefusedBeforeTheToken) {
    EXPECT_EQ(run(router, "DELETE", "/api/checkins/ci7").code, "bad_request");
    EXPECT_EQ(run(router, "GET", "/api/checkins/orders/x").code, "unauthenticated");
    EXPECT_EQ(run(router, "PUT", "/api/units", "admin").code, "bad_request");
}

TEST_F(RestRouterTest, CallerRulesFollowTheRole) {
    EXPECT_EQ(run(router, "POST", "/api/checkins/orders", "subject").code, "forbidden");
    EXPECT_TRUE(run(router, "POST", "/api/checkins/orders", "officer").response);
    EXPECT_EQ(run(router, "POST", "/api/units", "officer").code, "forbidden");
    EXPECT_TRUE(run(router, "POST", "/api/units", "admin").response);
    EXPECT_EQ(run(router, "GET", "/api/due", "officer").code, "forbidden");
    EXPECT_TRUE(run(router, "GET", "/api/due", "subject").response);
    EXPECT_EQ(run(router, "GET", "/api/due", "nobody").code, "unauthenticated");
}

TEST_F(RestRouterTest, QueryTokenOnlyWhereTheRouteAllowsIt) {
    EXPECT_TRUE(run(router, "GET", "/api/chunk/3", "", {{"token", "officer"}}).response);
    EXPECT_EQ(run(router, "GET", "/api/checkins/3", "", {{"token", "officer"}}).code,
              "unauthenticated");
}

TEST(CallerRuleTest, StaffAreOfficersAndAdministrators) {
    EXPECT_FALSE(callerAllowed(Caller::Staff, account(Role::Subject)));
    EXPECT_TRUE(callerAllowed(Caller::Staff, account(Role::Officer)));
    EXPECT_TRUE(callerAllowed(Caller::Staff, account(Role::Administrator)));
    EXPECT_FALSE(callerAllowed(Caller::Administrator, account(Role::Officer)));
    EXPECT_TRUE(callerAllowed(Caller::Anyone, account(Role::Subject)));
}

}  // namespace
}  // namespace vigil::signaling
