#pragma once
// The REST API under /api (JSON; a Bearer session token; scoped by role and org unit), and
// the router that also serves the probe routes (HealthRoutes). Every read of attendance
// records, every export and every access to a recording is audited.

#include <functional>
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
#include "vigil/signaling/RestRouter.hpp"
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
        : deps_(deps),
          recordings_(deps.redis, deps.directory, deps.audit),
          router_([this](const HttpRequest& request, bool allowQueryToken) {
              return authenticate(request, allowQueryToken);
          }) {
        addRoutes();
    }
    // The route table: components with REST routes of their own add them here.
    RestRouter& router() { return router_; }
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
    // each. Throws forbidden unless `viewer` may see that subject, not_found when there is none.
    common::Task<std::vector<SubjectSession>> subjectSessions(const User& viewer,
                                                              const std::string& subjectId,
                                                              common::Millis from,
                                                              common::Millis to);

    // The class, if `user` may see it; forbidden otherwise, not_found when there is none.
    common::Task<std::optional<ClassSession>> visibleClass(const User& user,
                                                           const std::string& classId);

    // Admits the request on its headers, reads its body if it has one, then runs the route.
    common::Task<void> serve(std::uint64_t requestId, HttpRequest request);
    common::Task<Admission> admit(const HttpRequest& request);
    common::Task<void> run(std::uint64_t requestId, Admission admission, HttpRequest request);
    // The answer to the exception being handled.
    static HttpResponse failure(const HttpRequest& request);
    // The routes this class serves itself.
    void addRoutes();
    // The Bearer token of the Authorization header; with `allowQueryToken`, failing that the
    // `token` query parameter (for URLs a browser fetches without headers, as <video src>).
    common::Task<User> authenticate(const HttpRequest& request, bool allowQueryToken);

    common::Task<HttpResponse> login(const HttpRequest& request);
    common::Task<HttpResponse> logout(const RouteContext& context);
    // The agency's UTC offset (attendance.utc_offset) and the server's time, without a token.
    HttpResponse clock() const;
    common::Task<HttpResponse> me(const User& user);
    common::Task<HttpResponse> units(const User& user);
    common::Task<HttpResponse> users(const User& user, const HttpRequest& request);
    common::Task<HttpResponse> classes(const User& user, const HttpRequest& request);
    common::Task<HttpResponse> classDetail(const User& user, const std::string& classId);
    // The class object; for officers and administrators with `enrolled`, the subjects
    // enrolled now.
    common::Task<nlohmann::json> classJson(const User& user, const ClassSession& cls);
    common::Task<HttpResponse> classAttendance(const User& user, const std::string& classId);
    common::Task<HttpResponse> subjectAttendance(const User& user, const std::string& subjectId,
                                                 const HttpRequest& request);
    common::Task<HttpResponse> subjectHours(const User& user, const std::string& subjectId,
                                            const HttpRequest& request);
    common::Task<HttpResponse> attendanceCsv(const User& user, const HttpRequest& request);

    // One subject in one class, as the CSV export and GET /api/attendance list them.
    struct AttendanceRow {
        ClassSession cls;
        User subject;
        SubjectSummary summary;  // Empty (but for `subject`) when the subject never joined.
    };
    // Every subject enrolled in (or recorded in) each class whose unit is `unit` or below and
    // whose scheduled start is in [from, to), in class start order. Non-empty `classId` or
    // `subjectId` keep one class or one subject.
    common::Task<std::vector<AttendanceRow>> unitAttendance(const UnitTree& tree,
                                                            const std::string& unit,
                                                            common::Millis from, common::Millis to,
                                                            const std::string& classId,
                                                            const std::string& subjectId);
    // The `unit` query parameter (default: the caller's unit): not_found when unknown,
    // forbidden when outside the caller's scope; forbidden for subjects.
    std::string scopedUnit(const User& user, const HttpRequest& request, const UnitTree& tree,
                           const char* what) const;

    // HttpSchedule.cpp: scheduling, enrolment and the presence timeline of a class.
    common::Task<HttpResponse> scheduleClass(const User& user, const HttpRequest& request);
    common::Task<HttpResponse> enrolSubjects(const User& user, const std::string& classId,
                                             const HttpRequest& request);
    common::Task<HttpResponse> classTimeline(const User& user, const std::string& classId,
                                             const HttpRequest& request);
    // The ids of `list` (a JSON array of subject ids) after checking each is a subject the
    // caller sees (forbidden otherwise, not_found for an unknown id); duplicates removed, order
    // kept.
    common::Task<std::vector<std::string>> scopedSubjects(const User& user,
                                                          const nlohmann::json& list,
                                                          const UnitTree& tree);

    // HttpReports.cpp: the attendance table and the compliance report.
    common::Task<HttpResponse> attendanceTable(const User& user, const HttpRequest& request);
    common::Task<HttpResponse> complianceReport(const User& user, const HttpRequest& request);

    // HttpUsers.cpp: accounts and org units.
    common::Task<HttpResponse> createUser(const User& user, const HttpRequest& request);
    common::Task<HttpResponse> setUserDisabled(const User& user, const std::string& userId,
                                               const HttpRequest& request);
    common::Task<HttpResponse> createUnit(const User& user, const HttpRequest& request);
    common::Task<HttpResponse> auditLog(const User& user, const HttpRequest& request);
    common::Task<HttpResponse> auditVerify(const User& user);

    // HttpRecordings.cpp
    common::Task<Recording> visibleRecording(const User& user, const std::string& id);
    common::Task<HttpResponse> recordingList(const User& user, const HttpRequest& request);
    // The chunks' URLs carry a play token for this recording (PlayTokens), issued to the
    // session of `request`.
    common::Task<HttpResponse> recordingDetail(const User& user, const std::string& id,
                                               const HttpRequest& request);
    // Admitted by the `play` token in the URL or a bearer session token, never a session
    // token in the URL. The play is audited once the bytes went out.
    common::Task<HttpResponse> recordingChunk(const std::string& id, const std::string& index,
                                              const HttpRequest& request);

    // HttpReferences.cpp: /api/subjects/<id>/references[/<ref>[/image]].
    common::Task<HttpResponse> references(const User& user, const std::vector<std::string>& parts,
                                          const HttpRequest& request);
    common::Task<User> enrollableSubject(const User& user, const std::string& subjectId);
    common::Task<HttpResponse> enrolReference(const User& user, const User& subject,
                                              const HttpRequest& request);
    // The subjects in the caller's scope who have no reference that the recognizer in use can
    // compare: their presence can only be `unenrolled` until one is enrolled.
    common::Task<HttpResponse> missingReferences(const User& user);

    Deps deps_;
    PresenceService* presence_{nullptr};  // Passed by argument (setPresence).
    RecordingStore recordings_;
    RestRouter router_;
    WebServer* server_{nullptr};  // Passed by argument (attach).
};

// The largest body the REST API takes: a reference photo upload (JPEG or PNG).
inline constexpr size_t kMaxReferencePhotoBytes = size_t{8} << 20;

HttpResponse jsonResponse(int status, const nlohmann::json& body);
HttpResponse errorResponse(const std::string& code, const std::string& message);
// A time in a query parameter: ISO 8601, or a date at `utcOffsetMinutes`.
std::optional<common::Millis> parseQueryTime(std::string text, int utcOffsetMinutes);
// A query parameter's value, or "" when absent.
std::string queryValue(const HttpRequest& request, const char* name);
// An attendance summary as the records endpoints show it ("subject", "intervals", minutes...).
nlohmann::json summaryJson(const SubjectSummary& summary, int utcOffsetMinutes);
// What the monthly roll-up needs of one subject's session: finished once the class has
// ended or its scheduled end has passed at `now`.
SessionCredit sessionCredit(const ClassSession& cls, const SubjectSummary& summary,
                            common::Millis now);
// A request body that must be a JSON object: bad_json / bad_request otherwise.
nlohmann::json jsonBody(const HttpRequest& request);
// An integer query parameter clamped to [lo, hi], or `fallback` when absent; bad_request
// when it is not a number.
long long intParam(const HttpRequest& request, const char* name, long long fallback, long long lo,
                   long long hi);

// Accounts, shared by the REST API and the admin CLI.
// bad_request unless `password` is at least [auth] password_min_length long (and at most
// 1024 bytes): code "weak_password".
void checkPasswordStrength(const std::string& password, const common::Config& config);
// Hashes a new password; the REST API passes Sessions::hashPassword (the hashing workers),
// the admin CLI nothing (hashed in place: it serves no one else meanwhile).
using PasswordHasher = std::function<common::Task<std::string>(std::string password)>;
// Checks the password, hashes it and adds the account; "username_taken" when the username is
// in use.
common::Task<User> createAccount(Directory& directory, NewUser user, std::string password,
                                 const common::Config& config,
                                 const PasswordHasher& hasher = nullptr);

// A time parameter (parseQueryTime), or `fallback` when absent; bad_request when it does not
// parse. A plain date given as "to" includes that whole day.
common::Millis timeParam(const HttpRequest& request, const char* name, int utcOffsetMinutes,
                         common::Millis fallback);

}  // namespace vigil::signaling
