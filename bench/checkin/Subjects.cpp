#include "Subjects.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "HttpProbe.hpp"

namespace checkin {

namespace {

using nlohmann::json;
constexpr auto kHttpTimeout = std::chrono::seconds(30);
const char* kPassword = "Checkin!2026";
const char* kUnit = "zj-hz-xh-zt";  // a township of `vigil demo seed`

// "YYYY-MM-DD", `days` from today (UTC; a day either way does not matter here).
std::string dayFromToday(int days) {
    std::time_t t = std::time(nullptr) + static_cast<std::time_t>(days) * 86400;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The request's JSON reply; throws "<step>: HTTP <status> <code>" unless 2xx.
json call(int port, const std::string& step, const std::string& method, const std::string& path,
          const std::string& body, const std::string& token,
          const std::string& type = "application/json") {
    auto r = ws_load::httpRequest("127.0.0.1", port, method, path, body, kHttpTimeout, token, type);
    auto reply = json::parse(r.body, nullptr, false);
    if (r.status < 200 || r.status >= 300) {
        std::string code = r.error;
        if (reply.is_object() && reply.contains("error") && reply["error"].is_object())
            code = reply["error"].value("code", "");
        throw std::runtime_error(step + ": HTTP " + std::to_string(r.status) + " " + code);
    }
    return reply;
}

}  // namespace

std::vector<Subject> prepareSubjects(int port, const std::string& adminToken, int count,
                                     const std::string& photoPath,
                                     std::map<std::string, int>* failures) {
    const std::string photo = readFile(photoPath);
    const json term = {{"term_start", dayFromToday(-30)},
                       {"term_end", dayFromToday(365)},
                       {"decision", "checkin bench"}};
    // Strict since the term began: a level is in force for a period from the period's first
    // day, so one set only today would leave this week on the default level.
    const json level = {
        {"level", "strict"}, {"from", dayFromToday(-30)}, {"reason", "checkin bench"}};
    std::vector<Subject> ready;
    for (int i = 1; i <= count; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "checkin%04d", i);
        Subject s;
        s.username = name;
        try {
            auto user = call(port, "create", "POST", "/api/users",
                             json{{"username", name},
                                  {"name", name},
                                  {"role", "subject"},
                                  {"unit", kUnit},
                                  {"password", kPassword}}
                                 .dump(),
                             adminToken);
            s.id = user.value("id", "");
            const std::string base = "/api/subjects/" + s.id;
            call(port, "enrol", "POST", base + "/references", photo, adminToken, "image/jpeg");
            call(port, "term", "PUT", base + "/supervision", term.dump(), adminToken);
            call(port, "level", "POST", base + "/level", level.dump(), adminToken);
            auto login = call(port, "login", "POST", "/api/login",
                              json{{"username", name}, {"password", kPassword}}.dump(), "");
            s.token = login.value("token", "");
            ready.push_back(std::move(s));
        } catch (const std::exception& e) {
            ++(*failures)[e.what()];
        }
    }
    return ready;
}

}  // namespace checkin
