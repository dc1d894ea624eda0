#include "vigil/signaling/ReferenceStore.hpp"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "vigil/common/Crypto.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

using common::Task;
using nlohmann::json;

namespace {

VIGIL_LOG_CATEGORY(referenceStoreLog, "references")

// Embeddings are stored as base64 of little-endian float32, as every supported host is.
std::string encodeEmbedding(const std::vector<float>& embedding) {
    std::string bytes(embedding.size() * sizeof(float), '\0');
    std::memcpy(bytes.data(), embedding.data(), bytes.size());
    return common::base64Encode(bytes);
}

std::vector<float> decodeEmbedding(const std::string& text) {
    auto bytes = common::base64Decode(text);
    if (!bytes || bytes->size() % sizeof(float) != 0) return {};
    std::vector<float> out(bytes->size() / sizeof(float));
    std::memcpy(out.data(), bytes->data(), bytes->size());
    return out;
}

// Everything but the embedding, which encode() seals.
json metadataJson(const FaceReference& r) {
    return json{{"id", r.id},
                {"subject", r.subject},
                {"model", r.model},
                {"source", r.source},
                {"by", r.by},
                {"created", r.created},
                {"face_px", r.faceWidth},
                {"sharpness", r.sharpness},
                {"brightness", r.brightness},
                {"image", r.hasImage}};
}

}  // namespace

std::string ReferenceStore::encode(const FaceReference& r) const {
    json j = metadataJson(r);
    j["embedding_sealed"] =
        common::base64Encode(common::sealSecret(encodeEmbedding(r.embedding), dataKey_));
    return j.dump();
}

std::optional<FaceReference> ReferenceStore::decode(const std::string& subject,
                                                    const std::string& text) {
    auto j = json::parse(text, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    FaceReference r;
    r.id = j.value("id", "");
    r.subject = j.value("subject", "");
    r.model = j.value("model", "");
    r.source = j.value("source", "");
    r.by = j.value("by", "");
    r.created = j.value("created", common::Millis{0});
    r.faceWidth = j.value("face_px", 0);
    r.sharpness = j.value("sharpness", 0.0);
    r.brightness = j.value("brightness", 0.0);
    r.hasImage = j.value("image", false);
    if (j.contains("embedding_sealed")) {
        auto sealed = common::base64Decode(j.value("embedding_sealed", ""));
        auto opened = sealed ? common::openSecret(*sealed, dataKey_) : std::nullopt;
        if (!opened) {
            referenceStoreLog()->error(
                "subject {}: reference {} does not open with the reference key", subject, r.id);
            return std::nullopt;
        }
        r.embedding = decodeEmbedding(*opened);
    } else {
        // Written before embeddings were sealed: read it, and seal it now.
        r.embedding = decodeEmbedding(j.value("embedding", ""));
        if (!r.id.empty() && !r.embedding.empty())
            redis_.send({"HSET", keys::references(subject), r.id, encode(r)});
    }
    if (r.id.empty() || r.embedding.empty()) return std::nullopt;
    return r;
}

Task<FaceReference> ReferenceStore::add(std::string subject, ReferenceCheck check,
                                        std::string imageBytes, std::string source,
                                        std::string actor) {
    FaceReference r;
    r.id = common::randomHex(8);
    r.subject = subject;
    r.model = check.model;
    r.source = source;
    r.by = actor;
    r.created = common::nowMillis();
    r.embedding = std::move(check.embedding);
    r.faceWidth = check.faceWidth;
    r.sharpness = check.sharpness;
    r.brightness = check.brightness;
    r.hasImage = keepImages_ && !imageBytes.empty();
    // The photo first: a reference that claims a photo always has one.
    if (r.hasImage) {
        co_await redis_.cmd("SET", keys::referenceImage(subject, r.id),
                            common::sealSecret(imageBytes, dataKey_));
    }
    co_await redis_.cmd("HSET", keys::references(subject), r.id, encode(r));
    json detail{{"reference", r.id},
                {"source", source},
                {"model", r.model},
                {"face_px", r.faceWidth},
                {"image_kept", r.hasImage}};
    co_await audit_.append(actor, "reference_enrol", subject, detail.dump());
    referenceStoreLog()->info("subject {}: reference {} enrolled from {} by {}", subject, r.id,
                              source, actor);
    co_return r;
}

Task<std::vector<FaceReference>> ReferenceStore::list(std::string subject) {
    auto reply = co_await redis_.cmd("HVALS", keys::references(subject));
    std::vector<FaceReference> out;
    for (const auto& value : reply.asStrings()) {
        if (auto r = decode(subject, value)) out.push_back(std::move(*r));
    }
    std::sort(out.begin(), out.end(),
              [](const FaceReference& a, const FaceReference& b) { return a.created < b.created; });
    co_return out;
}

Task<bool> ReferenceStore::remove(std::string subject, std::string ref, std::string actor) {
    auto removed = co_await redis_.cmd("HDEL", keys::references(subject), ref);
    if (removed.integer == 0) co_return false;
    co_await redis_.cmd("DEL", keys::referenceImage(subject, ref));
    json detail{{"reference", ref}};
    co_await audit_.append(actor, "reference_remove", subject, detail.dump());
    co_return true;
}

Task<std::optional<std::string>> ReferenceStore::image(std::string subject, std::string ref) {
    if (!keepImages_) co_return std::nullopt;
    auto reply = co_await redis_.cmd("GET", keys::referenceImage(subject, ref));
    if (reply.isNil()) co_return std::nullopt;
    co_return common::openSecret(reply.str, dataKey_);
}

}  // namespace vigil::signaling
