// Face references of subjects (enrolment for presence verification).
// Only officers and administrators who can see the subject enrol, list or remove
// references; the photo is served only to them, and every action is audited.

#include "vigil/common/Error.hpp"
#include "vigil/signaling/Access.hpp"
#include "vigil/signaling/HttpApi.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::ApiError;
using common::Task;
using nlohmann::json;

namespace {

constexpr size_t kMaxPhotoBytes = size_t{8} << 20;

json referenceJson(const FaceReference& r, int offset) {
    return json{{"id", r.id},
                {"subject", r.subject},
                {"model", r.model},
                {"source", r.source},
                {"by", r.by},
                {"created", common::formatIso8601(r.created, offset)},
                {"face_px", r.faceWidth},
                {"sharpness", r.sharpness},
                {"brightness", r.brightness},
                {"image", r.hasImage}};
}

// JPEG, PNG: what a browser or a phone uploads. Checked before any decoder sees the bytes.
std::string imageType(const std::string& bytes) {
    if (bytes.size() > 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
        static_cast<unsigned char>(bytes[1]) == 0xD8 &&
        static_cast<unsigned char>(bytes[2]) == 0xFF)
        return "image/jpeg";
    if (bytes.size() > 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0) return "image/png";
    return "";
}

}  // namespace

Task<User> HttpApi::enrollableSubject(const User& user, const std::string& subjectId) {
    if (!access::isStaff(user))
        throw ApiError("forbidden", "references are managed by officers and administrators");
    if (!Directory::validId(subjectId)) throw ApiError("bad_request", "not a subject id");
    auto subject = co_await deps_.directory.findUser(subjectId);
    auto tree = co_await deps_.directory.unitTree();
    co_return access::visibleSubject(user, subject, tree, subjectId);
}

Task<HttpResponse> HttpApi::references(const User& user, const std::vector<std::string>& parts,
                                       const HttpRequest& request) {
    // parts: the subject, then the reference when the path names one.
    User subject = co_await enrollableSubject(user, parts[0]);
    const std::string& m = request.method;
    const int offset = deps_.config.utcOffsetMinutes();
    if (parts.size() == 1 && m == "POST") co_return co_await enrolReference(user, subject, request);
    if (parts.size() == 1 && m == "GET") {
        json list = json::array();
        for (const auto& r : co_await deps_.references.list(subject.id))
            list.push_back(referenceJson(r, offset));
        const std::string detail = json{{"count", list.size()}}.dump();
        co_await deps_.audit.append(user.id, "reference_list", subject.id, detail);
        co_return jsonResponse(200, json{{"subject", subject.id}, {"references", list}});
    }
    if (parts.size() == 2 && m == "DELETE") {
        bool removed = co_await deps_.references.remove(subject.id, parts[1], user.id);
        if (!removed) throw ApiError("not_found", "no such reference");
        if (presence_ != nullptr) presence_->referencesChanged(subject.id);
        co_return jsonResponse(200, json{{"removed", parts[1]}});
    }
    if (parts.size() == 2 && m == "GET") {
        auto image = co_await deps_.references.image(subject.id, parts[1]);
        if (!image) throw ApiError("not_found", "no photo is kept for this reference");
        json detail{{"reference", parts[1]}};
        co_await deps_.audit.append(user.id, "reference_view", subject.id, detail.dump());
        HttpResponse response;
        response.contentType =
            imageType(*image).empty() ? "application/octet-stream" : imageType(*image);
        response.body = std::move(*image);
        response.headers.emplace_back("Cache-Control", "no-store");
        co_return response;
    }
    throw ApiError("not_found", "no such resource");
}

Task<HttpResponse> HttpApi::enrolReference(const User& user, const User& subject,
                                           const HttpRequest& request) {
    if (presence_ == nullptr)
        throw ApiError("not_available", "presence verification does not run on this node");
    if (request.body.size() > kMaxPhotoBytes)
        throw ApiError("too_large", "the photo is over 8 MiB");
    if (imageType(request.body).empty())
        throw ApiError("bad_image", "send the photo as the body, JPEG or PNG");
    std::string source = queryValue(request, "source");
    if (source.empty()) source = "upload";
    if (source != "upload" && source != "call" && source != "class")
        throw ApiError("bad_request", "source must be upload, call or class");
    if (source == "class") {
        // A frame the officer took from the subject's live camera in the class he teaches:
        // only while the subject is in that class.
        std::string classId = queryValue(request, "class");
        if (!Directory::validId(classId)) throw ApiError("bad_request", "name the class");
        auto cls = co_await deps_.directory.findClass(classId);
        auto tree = co_await deps_.directory.unitTree();
        if (!cls || !access::canTeach(user, *cls, tree))
            throw ApiError("forbidden", "you do not teach this class");
        auto open = co_await deps_.attendance.openIntervals(classId);
        if (open.find(subject.id) == open.end())
            throw ApiError("forbidden", "this subject is not in the class now");
    }
    if (source == "call") {
        // A frame the officer took from a supervision call: only from an active call between
        // this officer and this subject.
        std::string callId = queryValue(request, "call");
        if (!Directory::validId(callId)) throw ApiError("bad_request", "name the call");
        auto call =
            co_await deps_.redis.cmd("HMGET", keys::call(callId), "officer", "subject", "state");
        auto fields = call.asStrings();
        if (fields.size() != 3 || fields[0] != user.id || fields[1] != subject.id ||
            fields[2] != "active") {
            throw ApiError("forbidden", "that is not your active call with this subject");
        }
    }
    auto check = co_await presence_->checkReference(request.body, source != "upload");
    if (!check.ok()) {
        json detail{{"code", check.code}, {"reason", check.reason}, {"source", source}};
        co_await deps_.audit.append(user.id, "reference_refused", subject.id, detail.dump());
        throw ApiError(check.code, check.reason);
    }
    auto reference =
        co_await deps_.references.add(subject.id, check, request.body, source, user.id);
    presence_->referencesChanged(subject.id);
    co_return jsonResponse(
        201, json{{"reference", referenceJson(reference, deps_.config.utcOffsetMinutes())}});
}

Task<HttpResponse> HttpApi::missingReferences(const User& user) {
    if (!access::isStaff(user))
        throw ApiError("forbidden", "references are managed by officers and administrators");
    auto tree = co_await deps_.directory.unitTree();
    const std::string& model = deps_.config.vision.recognizer;
    json out = json::array();
    for (const auto& u : co_await deps_.directory.listUsers()) {
        if (u.role != Role::Subject || u.disabled || !access::canSeeSubject(user, u, tree))
            continue;
        bool usable = false;
        for (const auto& r : co_await deps_.references.list(u.id))
            usable = usable || r.model == model;
        if (!usable) out.push_back({{"id", u.id}, {"name", u.name}, {"unit", u.unit}});
    }
    co_return jsonResponse(200, json{{"model", model}, {"subjects", out}});
}

}  // namespace vigil::signaling
