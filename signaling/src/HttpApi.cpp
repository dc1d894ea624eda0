#include "vigil/signaling/HttpApi.hpp"

#include <algorithm>

#include "vigil/common/Clock.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/common/LogText.hpp"
#include "vigil/signaling/HealthRoutes.hpp"
#include "vigil/signaling/Protocol.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Millis;
using common::Task;
using nlohmann::json;

namespace {
VIGIL_LOG_CATEGORY(httpApiLog, "http")

int statusFor(const std::string& code) {
    if (code == "bad_json" || code == "bad_request" || code == "weak_password") return 400;
    if (code == "unauthenticated") return 401;
    if (code == "forbidden" || code == "not_enrolled") return 403;
    if (code == "not_found" || code == "file_missing") return 404;
    if (code == "conflict" || code == "class_ended" || code == "username_taken" ||
        code == "unit_exists")
        return 409;
    if (code == "too_large") return 413;
    if (code == "range_not_satisfiable") return 416;
    // The enrolment quality gate refused the photo.
    if (code == "bad_image" || code == "no_face" || code == "several_faces" ||
        code == "face_too_small" || code == "too_dark" || code == "blurred" ||
        code == "no_recognizer" || code == "image_too_large") {
        return 422;
    }
    if (code == "rate_limited") return 429;
    if (code == "unavailable" || code == "not_available" || code == "busy") return 503;
    return 500;
}

}  // namespace

HttpResponse jsonResponse(int status, const json& body) {
    HttpResponse r;
    r.status = status;
    r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    return r;
}

HttpResponse errorResponse(const std::string& code, const std::string& message) {
    return jsonResponse(statusFor(code), json{{"error", {{"code", code}, {"message", message}}}});
}

void HttpApi::OnHttpRequest(std::uint64_t requestId, HttpRequest request) {
    common::spawn(serve(requestId, std::move(request)), [](const std::exception_ptr&) {});
}

Task<void> HttpApi::serve(std::uint64_t requestId, HttpRequest request) {
    Admission admission;
    std::optional<HttpResponse> refusal;
    try {
        admission = co_await admit(request);
    } catch (...) {
        refusal = failure(request);
    }
    if (refusal) {
        if (server_ != nullptr) server_->respond(requestId, std::move(*refusal));
        co_return;
    }
    if (request.bodyLength > 0 && server_ != nullptr) {
        // The caller passed every check the headers allow: now the body, up to the route's
        // size (a larger one is answered too_large unread).
        server_->readBody(requestId, admission.route->maxBodyBytes,
                          [this, requestId, admission](HttpRequest withBody) {
                              common::spawn(run(requestId, admission, std::move(withBody)),
                                            [](const std::exception_ptr&) {});
                          });
        co_return;
    }
    co_await run(requestId, std::move(admission), std::move(request));
}

Task<void> HttpApi::run(std::uint64_t requestId, Admission admission, HttpRequest request) {
    HttpResponse response;
    try {
        response = co_await RestRouter::run(admission, request);
    } catch (...) {
        response = failure(request);
    }
    if (server_ != nullptr) server_->respond(requestId, std::move(response));
}

HttpResponse HttpApi::failure(const HttpRequest& request) {
    HttpResponse response;
    try {
        throw;
    } catch (const ApiError& e) {
        response = errorResponse(e.code(), e.what());
        if (e.retryAfterSeconds() > 0)
            response.headers.emplace_back("retry-after", std::to_string(e.retryAfterSeconds()));
    } catch (const common::RedisError& e) {
        httpApiLog()->error("{} {}: {}", request.method, common::logText(request.path, 200),
                            e.what());
        response = errorResponse("unavailable", "the record store is unavailable; try again");
    } catch (const std::exception& e) {
        httpApiLog()->error("{} {}: {}", request.method, common::logText(request.path, 200),
                            e.what());
        response = errorResponse("internal", "internal error");
    } catch (...) {
        httpApiLog()->error("{} {}: unknown exception", request.method,
                            common::logText(request.path, 200));
        response = errorResponse("internal", "internal error");
    }
    return response;
}

Task<User> HttpApi::authenticate(const HttpRequest& request, bool allowQueryToken) {
    const std::string prefix = "Bearer ";
    std::string token;
    if (request.authorization.rfind(prefix, 0) == 0) {
        token = request.authorization.substr(prefix.size());
    } else if (auto it = request.query.find("token");
               allowQueryToken && request.authorization.empty() && it != request.query.end()) {
        token = it->second;
    } else {
        throw ApiError("unauthenticated",
                       "send your session token as 'Authorization: Bearer TOKEN'");
    }
    auto user = co_await deps_.sessions.resolve(token);
    if (!user)
        throw ApiError("unauthenticated",
                       "the session token is invalid or has expired; sign in again");
    co_return *user;
}

void HttpApi::addRoutes() {
    using P = const RouteContext&;
    auto add = [this](const char* method, const char* pattern, Caller caller,
                      std::function<Task<HttpResponse>(HttpApi*, P)> handler,
                      bool queryToken = false, size_t maxBodyBytes = Route::kDefaultMaxBodyBytes) {
        router_.add(Route{method, pattern, caller,
                          [this, handler = std::move(handler)](P c) { return handler(this, c); },
                          queryToken, maxBodyBytes});
    };
    // Before sign-in: health, login, and the clock (every page shows dates and times in the
    // agency's time zone).
    add("POST", "/api/login", Caller::Public, [](HttpApi* a, P c) { return a->login(c.request); });
    add("GET", "/api/clock", Caller::Public,
        [](HttpApi* a, P) -> Task<HttpResponse> { co_return a->clock(); });
    add("POST", "/api/logout", Caller::Anyone, [](HttpApi* a, P c) { return a->logout(c); });
    add("GET", "/api/me", Caller::Anyone, [](HttpApi* a, P c) { return a->me(c.caller()); });
    add("GET", "/api/units", Caller::Anyone, [](HttpApi* a, P c) { return a->units(c.caller()); });
    add("POST", "/api/units", Caller::Administrator,
        [](HttpApi* a, P c) { return a->createUnit(c.caller(), c.request); });
    add("GET", "/api/users", Caller::Staff,
        [](HttpApi* a, P c) { return a->users(c.caller(), c.request); });
    add("POST", "/api/users", Caller::Staff,
        [](HttpApi* a, P c) { return a->createUser(c.caller(), c.request); });
    add("POST", "/api/users/{}/disabled", Caller::Administrator,
        [](HttpApi* a, P c) { return a->setUserDisabled(c.caller(), c.params[0], c.request); });
    add("GET", "/api/classes", Caller::Anyone,
        [](HttpApi* a, P c) { return a->classes(c.caller(), c.request); });
    add("POST", "/api/classes", Caller::Staff,
        [](HttpApi* a, P c) { return a->scheduleClass(c.caller(), c.request); });
    add("GET", "/api/classes/{}", Caller::Anyone,
        [](HttpApi* a, P c) { return a->classDetail(c.caller(), c.params[0]); });
    add("POST", "/api/classes/{}/enrolments", Caller::Staff,
        [](HttpApi* a, P c) { return a->enrolSubjects(c.caller(), c.params[0], c.request); });
    add("GET", "/api/classes/{}/attendance", Caller::Anyone,
        [](HttpApi* a, P c) { return a->classAttendance(c.caller(), c.params[0]); });
    add("GET", "/api/classes/{}/timeline", Caller::Anyone,
        [](HttpApi* a, P c) { return a->classTimeline(c.caller(), c.params[0], c.request); });
    add("GET", "/api/attendance", Caller::Anyone,
        [](HttpApi* a, P c) { return a->attendanceTable(c.caller(), c.request); });
    add("GET", "/api/subjects/{}/attendance", Caller::Anyone,
        [](HttpApi* a, P c) { return a->subjectAttendance(c.caller(), c.params[0], c.request); });
    add("GET", "/api/subjects/{}/hours", Caller::Anyone,
        [](HttpApi* a, P c) { return a->subjectHours(c.caller(), c.params[0], c.request); });
    add("GET", "/api/reports/attendance.csv", Caller::Anyone,
        [](HttpApi* a, P c) { return a->attendanceCsv(c.caller(), c.request); });
    add("GET", "/api/reports/compliance", Caller::Anyone,
        [](HttpApi* a, P c) { return a->complianceReport(c.caller(), c.request); });
    add("GET", "/api/audit", Caller::Administrator,
        [](HttpApi* a, P c) { return a->auditLog(c.caller(), c.request); });
    add("GET", "/api/audit/verify", Caller::Administrator,
        [](HttpApi* a, P c) { return a->auditVerify(c.caller()); });
    add("GET", "/api/references/missing", Caller::Staff,
        [](HttpApi* a, P c) { return a->missingReferences(c.caller()); });
    // Face references: the handler checks that the caller may enrol for that subject.
    add("GET", "/api/subjects/{}/references", Caller::Staff,
        [](HttpApi* a, P c) { return a->references(c.caller(), c.params, c.request); });
    // The one route that takes a large body: a photo.
    add(
        "POST", "/api/subjects/{}/references", Caller::Staff,
        [](HttpApi* a, P c) { return a->references(c.caller(), c.params, c.request); }, false,
        kMaxReferencePhotoBytes);
    add("DELETE", "/api/subjects/{}/references/{}", Caller::Staff,
        [](HttpApi* a, P c) { return a->references(c.caller(), c.params, c.request); });
    add("GET", "/api/subjects/{}/references/{}/image", Caller::Staff,
        [](HttpApi* a, P c) { return a->references(c.caller(), c.params, c.request); });
    add("GET", "/api/recordings", Caller::Staff,
        [](HttpApi* a, P c) { return a->recordingList(c.caller(), c.request); });
    add("GET", "/api/recordings/{}", Caller::Staff,
        [](HttpApi* a, P c) { return a->recordingDetail(c.caller(), c.params[0], c.request); });
    // A <video> element fetches chunks itself: the URL carries a play token for this one
    // recording (or a script sends its bearer token); the handler admits either.
    add("GET", "/api/recordings/{}/chunks/{}", Caller::Public,
        [](HttpApi* a, P c) { return a->recordingChunk(c.params[0], c.params[1], c.request); });
}

Task<Admission> HttpApi::admit(const HttpRequest& request) {
    // Outside /api (a file the web root does not have) there is nothing to hide: 404 at once.
    if (!isProbePath(request.path) && request.path.rfind("/api/", 0) != 0)
        throw ApiError("not_found", "no such resource");
    Admission admission = co_await router_.admit(request);
    co_return admission;
}

Task<HttpResponse> HttpApi::login(const HttpRequest& request) {
    const json body = jsonBody(request);
    if (!body.contains("username") || !body["username"].is_string() || !body.contains("password") ||
        !body["password"].is_string()) {
        throw ApiError("bad_request", "send {\"username\": ..., \"password\": ...}");
    }
    std::string username = body["username"];
    std::string password = body["password"];
    if (username.size() > 64 || password.size() > 1024)
        throw ApiError("unauthenticated", "wrong username or password");
    auto result = co_await deps_.sessions.login(username, password, request.peer);
    co_return jsonResponse(200, json{{"token", result.token},
                                     {"user", result.user.publicJson()},
                                     {"expires_in", result.expiresInSeconds}});
}

HttpResponse HttpApi::clock() const {
    return jsonResponse(
        200,
        json{{"utc_offset", deps_.config.attendance.utcOffset},
             {"utc_offset_minutes", deps_.config.utcOffsetMinutes()},
             {"now", common::formatIso8601(common::nowMillis(), deps_.config.utcOffsetMinutes())}});
}

Task<HttpResponse> HttpApi::logout(const RouteContext& context) {
    const User& user = context.caller();
    co_await deps_.sessions.logout(context.request.authorization.substr(7));
    co_await deps_.audit.append(user.id, "logout", user.id, "{}");
    co_return jsonResponse(200, json{{"ok", true}});
}

Task<HttpResponse> HttpApi::me(const User& user) {
    auto unit = co_await deps_.directory.findUnit(user.unit);
    json j = user.publicJson();
    j["unit_name"] = unit ? unit->name : "";
    co_return jsonResponse(200, j);
}

json jsonBody(const HttpRequest& request) {
    // The WebSocket's nesting limit, checked before the parser sees the body.
    if (!jsonNestingWithin(request.body, kMaxNestingDepth))
        throw ApiError("bad_json", "the body is nested deeper than " +
                                       std::to_string(kMaxNestingDepth) + " levels");
    auto body = json::parse(request.body, nullptr, false);
    if (body.is_discarded()) throw ApiError("bad_json", "the body must be JSON");
    if (!body.is_object()) throw ApiError("bad_request", "the body must be a JSON object");
    return body;
}

long long intParam(const HttpRequest& request, const char* name, long long fallback, long long lo,
                   long long hi) {
    const std::string text = queryValue(request, name);
    if (text.empty()) return fallback;
    if (text.size() > 12 ||
        text.find_first_not_of("0123456789", text[0] == '-' ? 1 : 0) != std::string::npos ||
        text == "-") {
        throw ApiError("bad_request", std::string("'") + name + "' must be a whole number");
    }
    return std::clamp(std::stoll(text), lo, hi);
}

std::string queryValue(const HttpRequest& request, const char* name) {
    auto it = request.query.find(name);
    return it == request.query.end() ? std::string() : it->second;
}

Millis timeParam(const HttpRequest& request, const char* name, int offset, Millis fallback) {
    const std::string text = queryValue(request, name);
    if (text.empty()) return fallback;
    auto t = parseQueryTime(text, offset);
    if (!t)
        throw ApiError("bad_request",
                       std::string("'") + name + "' must be an ISO 8601 date or time");
    // A date as the end of a range includes that whole day.
    if (std::string(name) == "to" && text.size() == 10) return *t + common::kDayMs;
    return *t;
}

}  // namespace vigil::signaling
