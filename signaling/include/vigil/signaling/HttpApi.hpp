#pragma once
// The REST API under /api (JSON; a Bearer session token; scoped by role and org unit) and
// /healthz. Every read of attendance records, every export and every access to a recording
// is audited.

#include <nlohmann/json.hpp>

#include "vigil/common/Config.hpp"
#include "vigil/common/EventLoop.hpp"
#include "vigil/common/RedisClient.hpp"
#include "vigil/signaling/AttendanceStore.hpp"
#include "vigil/signaling/AttendanceSummary.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/PresenceService.hpp"
#include "vigil/signaling/RecordingStore.hpp"
#include "vigil/signaling/ReferenceStore.hpp"
#include "vigil/signaling/Sessions.hpp"
#include "vigil/signaling/WebServer.hpp"

namespace vigil::signaling {

class HttpApi : public HttpHandler {
public:
    struct Deps {
        common::RedisClient& redis;
        Directory& directory;
        Sessions& sessions;
        AttendanceStore& attendance;
        AuditLog& audit;
        const common::Config& config;
        ReferenceStore& references;
    };

    explicit HttpApi(const Deps& deps)
        : deps_(deps), recordings_(deps.redis, deps.directory, deps.audit) {}
    void attach(WebServer* server) { server_ = server; }
    // Presence verification for enrolment; null: references cannot be enrolled here.
    void setPresence(PresenceService* presence) { presence_ = presence; }

    void OnHttpRequest(std::uint64_t requestId, HttpRequest request) override;

    // Summaries of one class session, computed from its event stream.
    common::Task<std::map<std::string, SubjectSummary>> classSummaries(const ClassSession& cls);

private:
    struct SubjectSession {
        ClassSession cls;
        SubjectSummary summary;
        User subject;
    };
    // The classes in [from, to) a subject is enrolled in, with the subject's summary of
    // each. Throws forbidden / not_found unless `viewer` may see that subject.
    common::Task<std::vector<SubjectSession>> subjectSessions(const User& viewer,
                                                              const std::string& subjectId,
                                                              common::Millis from,
                                                              common::Millis to);

    // The class, if `user` may see it; not_found otherwise.
    common::Task<std::optional<ClassSession>> visibleClass(const User& user,
                                                           const std::string& classId);

    common::Task<void> serve(std::uint64_t requestId, HttpRequest request);
    common::Task<HttpResponse> route(const HttpRequest& request);
    // The Bearer token of the Authorization header; with `allowQueryToken`, failing that the
    // `token` query parameter (for URLs a browser fetches without headers, as <video src>).
    common::Task<User> authenticate(const HttpRequest& request, bool allowQueryToken);

    common::Task<HttpResponse> login(const HttpRequest& request);
    common::Task<HttpResponse> logout(const HttpRequest& request);
    common::Task<HttpResponse> me(const User& user);
    common::Task<HttpResponse> units(const User& user);
    common::Task<HttpResponse> users(const User& user, const HttpRequest& request);
    common::Task<HttpResponse> classes(const User& user, const HttpRequest& request);
    common::Task<HttpResponse> classDetail(const User& user, const std::string& classId);
    common::Task<HttpResponse> classAttendance(const User& user, const std::string& classId);
    common::Task<HttpResponse> subjectAttendance(const User& user, const std::string& subjectId,
                                                 const HttpRequest& request);
    common::Task<HttpResponse> subjectHours(const User& user, const std::string& subjectId,
                                            const HttpRequest& request);
    common::Task<HttpResponse> attendanceCsv(const User& user, const HttpRequest& request);
    common::Task<HttpResponse> auditLog(const User& user, const HttpRequest& request);
    common::Task<HttpResponse> auditVerify(const User& user);
    common::Task<HttpResponse> health();

    // HttpRecordings.cpp
    common::Task<Recording> visibleRecording(const User& user, const std::string& id);
    common::Task<HttpResponse> recordingList(const User& user, const HttpRequest& request);
    common::Task<HttpResponse> recordingDetail(const User& user, const std::string& id);
    common::Task<HttpResponse> recordingChunk(const User& user, const std::string& id,
                                              const std::string& index, const HttpRequest& request);

    // HttpReferences.cpp: /api/subjects/<id>/references[/<ref>[/image]] and /api/alerts.
    common::Task<HttpResponse> references(const User& user, const std::vector<std::string>& parts,
                                          const HttpRequest& request);
    common::Task<User> enrollableSubject(const User& user, const std::string& subjectId);
    common::Task<HttpResponse> enrolReference(const User& user, const User& subject,
                                              const HttpRequest& request);
    common::Task<HttpResponse> alerts(const User& user, const HttpRequest& request);

    Deps deps_;
    PresenceService* presence_{nullptr};  // Passed by argument (setPresence).
    RecordingStore recordings_;
    WebServer* server_{nullptr};  // Passed by argument (attach).
};

HttpResponse jsonResponse(int status, const nlohmann::json& body);
HttpResponse errorResponse(const std::string& code, const std::string& message);
// A time in a query parameter: ISO 8601, or a date at `utcOffsetMinutes`.
std::optional<common::Millis> parseQueryTime(std::string text, int utcOffsetMinutes);
// A query parameter's value, or "" when absent.
std::string queryValue(const HttpRequest& request, const char* name);
// A time parameter (parseQueryTime), or `fallback` when absent; bad_request when it does not
// parse. A plain date given as "to" includes that whole day.
common::Millis timeParam(const HttpRequest& request, const char* name, int utcOffsetMinutes,
                         common::Millis fallback);

}  // namespace vigil::signaling
