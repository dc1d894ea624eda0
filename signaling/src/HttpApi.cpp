#include "vigil/signaling/HttpApi.hpp"

#include <algorithm>

#include "vigil/common/Clock.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/common/Log.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Millis;
using common::Task;
using nlohmann::json;

namespace {
VIGIL_LOG_CATEGORY("http")

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
        code == "no_recognizer") {
        return 422;
    }
    if (code == "account_locked") return 423;
    if (code == "rate_limited") return 429;
    if (code == "unavailable" || code == "not_available") return 503;
    return 500;
}

std::vector<std::string> splitPath(const std::string& path) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= path.size()) {
        size_t slash = path.find('/', start);
        if (slash == std::string::npos) slash = path.size();
        if (slash > start) parts.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    return parts;
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
    HttpResponse response;
    try {
        response = co_await route(request);
    } catch (const ApiError& e) {
        response = errorResponse(e.code(), e.what());
    } catch (const common::RedisError& e) {
        logger()->error("{} {}: {}", request.method, request.path, e.what());
        response = errorResponse("unavailable", "the record store is unavailable; try again");
    } catch (const std::exception& e) {
        logger()->error("{} {}: {}", request.method, request.path, e.what());
        response = errorResponse("internal", "internal error");
    }
    if (server_ != nullptr) server_->respond(requestId, std::move(response));
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

namespace {
// The methods a path under /api takes: "GET", "POST" or "GET or POST". The method is checked
// before the token, the path after it: an unknown path is 401 without a token and 404 with
// one.
std::string methodsOf(const std::vector<std::string>& parts) {
    const size_t n = parts.size();
    auto is = [&parts](size_t i, const char* name) { return parts[i] == name; };
    if (n == 2 && (is(1, "classes") || is(1, "users") || is(1, "units"))) return "GET or POST";
    if (n == 4 && is(1, "classes") && is(3, "enrolments")) return "POST";
    if (n == 4 && is(1, "users") && is(3, "disabled")) return "POST";
    return "GET";
}
}  // namespace

Task<HttpResponse> HttpApi::route(const HttpRequest& request) {
    auto parts = splitPath(request.path);
    const std::string& m = request.method;
    if (parts.size() == 1 && parts[0] == "healthz") co_return co_await health();
    if (parts.empty() || parts[0] != "api") throw ApiError("not_found", "no such resource");
    if (parts.size() == 2 && parts[1] == "login") {
        if (m != "POST") throw ApiError("bad_request", "use POST");
        co_return co_await login(request);
    }
    if (parts.size() == 2 && parts[1] == "clock") {
        // Before sign-in too: every page shows dates and times in the agency's time zone.
        if (m != "GET") throw ApiError("bad_request", "this resource is read-only");
        co_return clock();
    }
    if (parts.size() == 2 && parts[1] == "logout") {
        if (m != "POST") throw ApiError("bad_request", "use POST");
        co_return co_await logout(request);
    }
    if (parts.size() >= 4 && parts[1] == "subjects" && parts[3] == "references") {
        User user = co_await authenticate(request, false);
        co_return co_await references(user, parts, request);
    }
    const std::string methods = methodsOf(parts);
    if (m != "GET" && m != "POST") throw ApiError("bad_request", "use " + methods);
    if (methods.find(m) == std::string::npos) {
        throw ApiError("bad_request", methods == "GET" ? std::string("this resource is read-only")
                                                       : "use " + methods);
    }
    const bool chunkUrl =
        m == "GET" && parts.size() == 5 && parts[1] == "recordings" && parts[3] == "chunks";
    User user = co_await authenticate(request, chunkUrl);
    if (m == "POST") co_return co_await routePost(user, parts, request);
    co_return co_await routeGet(user, parts, request);
}

Task<HttpResponse> HttpApi::routeGet(const User& user, const std::vector<std::string>& parts,
                                     const HttpRequest& request) {
    const size_t n = parts.size();
    const std::string& what = n >= 2 ? parts[1] : parts[0];
    if (n == 2 && what == "me") co_return co_await me(user);
    if (n == 2 && what == "units") co_return co_await units(user);
    if (n == 2 && what == "users") co_return co_await users(user, request);
    if (n == 2 && what == "classes") co_return co_await classes(user, request);
    if (n == 3 && what == "classes") co_return co_await classDetail(user, parts[2]);
    if (n == 4 && what == "classes" && parts[3] == "attendance") {
        co_return co_await classAttendance(user, parts[2]);
    }
    if (n == 4 && what == "classes" && parts[3] == "timeline") {
        co_return co_await classTimeline(user, parts[2], request);
    }
    if (n == 2 && what == "attendance") co_return co_await attendanceTable(user, request);
    if (n == 4 && what == "subjects" && parts[3] == "attendance") {
        co_return co_await subjectAttendance(user, parts[2], request);
    }
    if (n == 4 && what == "subjects" && parts[3] == "hours") {
        co_return co_await subjectHours(user, parts[2], request);
    }
    if (n == 3 && what == "reports" && parts[2] == "attendance.csv") {
        co_return co_await attendanceCsv(user, request);
    }
    if (n == 3 && what == "reports" && parts[2] == "compliance") {
        co_return co_await complianceReport(user, request);
    }
    if (n == 2 && what == "audit") co_return co_await auditLog(user, request);
    if (n == 3 && what == "audit" && parts[2] == "verify") co_return co_await auditVerify(user);
    if (n == 2 && what == "alerts") co_return co_await alerts(user, request);
    if (n == 3 && what == "references" && parts[2] == "missing") {
        co_return co_await missingReferences(user);
    }
    if (n == 2 && what == "recordings") co_return co_await recordingList(user, request);
    if (n == 3 && what == "recordings") co_return co_await recordingDetail(user, parts[2]);
    if (n == 5 && what == "recordings" && parts[3] == "chunks") {
        co_return co_await recordingChunk(user, parts[2], parts[4], request);
    }
    throw ApiError("not_found", "no such resource");
}

Task<HttpResponse> HttpApi::routePost(const User& user, const std::vector<std::string>& parts,
                                      const HttpRequest& request) {
    const size_t n = parts.size();
    if (n == 2 && parts[1] == "classes") co_return co_await scheduleClass(user, request);
    if (n == 4 && parts[1] == "classes") co_return co_await enrolSubjects(user, parts[2], request);
    if (n == 2 && parts[1] == "users") co_return co_await createUser(user, request);
    if (n == 4 && parts[1] == "users") co_return co_await setUserDisabled(user, parts[2], request);
    if (n == 2 && parts[1] == "units") co_return co_await createUnit(user, request);
    throw ApiError("not_found", "no such resource");
}

Task<HttpResponse> HttpApi::health() {
    bool redisUp = false;
    try {
        auto pong = co_await deps_.redis.cmd("PING");
        redisUp = pong.kind == common::RedisValue::Kind::Status;
    } catch (const std::exception&) {
    }
    co_return jsonResponse(redisUp ? 200 : 503,
                           json{{"status", redisUp ? "ok" : "degraded"}, {"redis", redisUp}});
}

Task<HttpResponse> HttpApi::login(const HttpRequest& request) {
    auto body = json::parse(request.body, nullptr, false);
    if (body.is_discarded()) throw ApiError("bad_json", "the body must be JSON");
    if (!body.is_object() || !body.contains("username") || !body["username"].is_string() ||
        !body.contains("password") || !body["password"].is_string()) {
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

Task<HttpResponse> HttpApi::logout(const HttpRequest& request) {
    User user = co_await authenticate(request, false);
    co_await deps_.sessions.logout(request.authorization.substr(7));
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
    constexpr Millis kDayMs = 86400000;
    const std::string text = queryValue(request, name);
    if (text.empty()) return fallback;
    auto t = parseQueryTime(text, offset);
    if (!t)
        throw ApiError("bad_request",
                       std::string("'") + name + "' must be an ISO 8601 date or time");
    // A date as the end of a range includes that whole day.
    if (std::string(name) == "to" && text.size() == 10) return *t + kDayMs;
    return *t;
}

}  // namespace vigil::signaling
