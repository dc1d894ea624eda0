#include "vigil/signaling/RestRouter.hpp"

#include "vigil/common/Error.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Task;

namespace {

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

// The "{}" segments of `path` when it matches `pattern`, else nullopt.
std::optional<std::vector<std::string>> match(const std::vector<std::string>& pattern,
                                              const std::vector<std::string>& path) {
    if (pattern.size() != path.size()) return std::nullopt;
    std::vector<std::string> params;
    for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == "{}") {
            params.push_back(path[i]);
        } else if (pattern[i] != path[i]) {
            return std::nullopt;
        }
    }
    return params;
}

std::string allowedMethods(const std::vector<const Route*>& routes) {
    std::string out;
    for (const Route* r : routes) {
        if (out.find(r->method) != std::string::npos) continue;
        out += out.empty() ? r->method : " or " + r->method;
    }
    return out;
}

// A GET handler whose `forbidden` (a scope check) is reported to `hook` before it goes out.
RouteHandler reportingRefusals(RouteHandler inner, std::shared_ptr<RestRouter::ReadRefused> hook) {
    return [inner = std::move(inner),
            hook = std::move(hook)](const RouteContext& c) -> Task<HttpResponse> {
        std::optional<ApiError> refused;
        try {
            HttpResponse response = co_await inner(c);
            co_return response;
        } catch (const ApiError& e) {
            if (e.code() != "forbidden" || !*hook || c.user == nullptr) throw;
            refused = e;  // Reported below: no co_await inside a handler block.
        }
        co_await (*hook)(*c.user, c.request, c.params, refused->what());
        throw *refused;
    };
}

}  // namespace

bool callerAllowed(Caller rule, const User& user) {
    switch (rule) {
        case Caller::Public:
        case Caller::Anyone:
            return true;
        case Caller::Subject:
            return user.role == Role::Subject;
        case Caller::Staff:
            return user.role == Role::Officer || user.role == Role::Administrator;
        case Caller::Administrator:
            return user.role == Role::Administrator;
    }
    return false;
}

void RestRouter::add(Route route) {
    if (route.method == "GET" && route.caller != Caller::Public)
        route.handler = reportingRefusals(std::move(route.handler), readRefused_);
    routes_.push_back(std::move(route));
}

Task<Admission> RestRouter::admit(const HttpRequest& request) const {
    const auto path = splitPath(request.path);
    std::vector<const Route*> onPath;
    Admission admission;
    for (const auto& route : routes_) {
        auto found = match(splitPath(route.pattern), path);
        if (!found) continue;
        onPath.push_back(&route);
        if (route.method == request.method && admission.route == nullptr) {
            admission.route = &route;
            admission.params = std::move(*found);
        }
    }
    if (onPath.empty()) {
        // An unknown path says nothing to a caller without a token.
        (void)co_await authenticate_(request, false);
        throw ApiError("not_found", "no such resource");
    }
    if (admission.route == nullptr) {
        std::string methods = allowedMethods(onPath);
        throw ApiError("bad_request", methods == "GET" ? std::string("this resource is read-only")
                                                       : "use " + methods);
    }
    if (admission.route->caller != Caller::Public) {
        // Named, not a temporary inside co_await: GCC 12 destroys such temporaries twice.
        User user = co_await authenticate_(request, admission.route->queryToken);
        if (!callerAllowed(admission.route->caller, user)) {
            const std::string reason = "your role may not use this resource";
            if (*readRefused_ && request.method == "GET")
                co_await (*readRefused_)(user, request, admission.params, reason);
            throw ApiError("forbidden", reason);
        }
        admission.user = std::move(user);
    }
    co_return admission;
}

Task<HttpResponse> RestRouter::run(const Admission& admission, const HttpRequest& request) {
    const RouteContext context{admission.user ? &*admission.user : nullptr, request,
                               admission.params};
    HttpResponse response = co_await admission.route->handler(context);
    co_return response;
}

Task<HttpResponse> RestRouter::dispatch(const HttpRequest& request) const {
    Admission admission = co_await admit(request);
    HttpResponse response = co_await run(admission, request);
    co_return response;
}

}  // namespace vigil::signaling
