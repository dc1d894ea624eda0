#include "vigil/signaling/Notifier.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <utility>

#include "vigil/common/Clock.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::signaling {

namespace {
VIGIL_LOG_CATEGORY(notifierLog, "notify")

// The longest response body kept for the log: a gateway's error text, not a page.
constexpr size_t kMaxErrorBody = 200;

std::string stringField(const nlohmann::json& event, const char* name) {
    auto it = event.find(name);
    if (it == event.end()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_integer()) return std::to_string(it->get<long long>());
    return {};
}

size_t keepBody(char* data, size_t size, size_t count, void* user) {
    auto* body = static_cast<std::string*>(user);
    size_t n = size * count;
    if (body->size() < kMaxErrorBody) {
        body->append(data, std::min(n, kMaxErrorBody - body->size()));
    }
    return n;
}

int abortWhenStopping(void* user, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/,
                      curl_off_t /*ultotal*/, curl_off_t /*ulnow*/) {
    return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

void initCurlOnce() {
    static std::once_flag once;
    std::call_once(once, []() { curl_global_init(CURL_GLOBAL_DEFAULT); });
}
}  // namespace

struct Notifier::Shared {
    // Set by the destructor: a worker's transfer aborts and its result is not delivered.
    std::atomic<bool> stopping{false};
};

namespace {
struct WebhookRequest {
    std::string url;
    std::string body;
    std::string deliveryId;
    int attempt{0};
    long timeoutMs{0};
};

// One POST, blocking: runs on a worker thread.
std::pair<long, std::string> post(const WebhookRequest& request,
                                  const std::atomic<bool>& stopping) {
    CURL* curl = curl_easy_init();
    if (curl == nullptr) return {0, "curl_easy_init failed"};
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Content-Type: application/json");
    // The receiver can drop a repeated delivery: the id stays the same across attempts.
    headers = curl_slist_append(headers, ("X-Vigil-Delivery: " + request.deliveryId).c_str());
    headers =
        curl_slist_append(headers, ("X-Vigil-Attempt: " + std::to_string(request.attempt)).c_str());
    std::string responseBody;
    char errorText[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, request.timeoutMs);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, request.timeoutMs);
    // Worker threads: no signals for timeouts (the resolver would use SIGALRM otherwise).
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keepBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &responseBody);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, abortWhenStopping);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &stopping);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errorText);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "vigil-notifier");

    CURLcode code = curl_easy_perform(curl);
    long status = 0;
    std::string error;
    if (code == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        if (status < 200 || status >= 300) error = "HTTP " + std::to_string(status);
        if (!error.empty() && !responseBody.empty()) error += ": " + responseBody;
    } else {
        error = errorText[0] != '\0' ? errorText : curl_easy_strerror(code);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return {status, error};
}
}  // namespace

Notifier::Options Notifier::Options::from(const common::Config::Notify& notify) {
    Options o;
    o.webhookUrl = notify.webhookUrl;
    o.attempts = notify.attempts;
    o.backoff = std::chrono::milliseconds(notify.backoffMs);
    o.timeout = std::chrono::milliseconds(notify.timeoutMs);
    return o;
}

Notifier::Notifier(common::EventLoop& loop, common::RedisClient& redis, Options options)
    : loop_(loop),
      redis_(redis),
      options_(std::move(options)),
      shared_(std::make_shared<Shared>()),
      pool_(options_.threads) {
    initCurlOnce();
    options_.attempts = std::max(options_.attempts, 1);
}

Notifier::~Notifier() {
    shared_->stopping = true;
    if (!deliveries_.empty()) {
        notifierLog()->warn("stopping with {} event(s) not delivered", deliveries_.size());
    }
    // pool_ is destroyed first: it finishes (quickly, the transfers abort) the jobs it holds.
}

// By value: the hook hands over its event (std::function<void(json)>), moved all the way.
void Notifier::notify(nlohmann::json event) {  // NOLINT(performance-unnecessary-value-param)
    loop_.assertInLoop();
    auto delivery = std::make_unique<Delivery>();
    delivery->id = std::to_string(common::nowMillis()) + "-" + std::to_string(++nextId_);
    delivery->name = stringField(event, "event");
    delivery->subject = stringField(event, "subject");
    if (options_.webhookUrl.empty()) {
        notifierLog()->debug("no webhook_url: {} for {} not sent", delivery->name,
                             delivery->subject);
        return;
    }
    if (deliveries_.size() >= options_.maxInFlight) {
        ++dropped_;
        notifierLog()->error(
            "notify_dropped: {} events in flight (the limit); {} for {} (delivery {}) is NOT "
            "sent; {} dropped since start",
            deliveries_.size(), delivery->name, delivery->subject, delivery->id, dropped_);
        record(*delivery, "notify_dropped", 0, "too many events in flight");
        return;
    }
    delivery->body = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    auto& d = *delivery;
    deliveries_.emplace(d.id, std::move(delivery));
    startAttempt(d);
}

void Notifier::startAttempt(Delivery& delivery) {
    ++delivery.attempt;
    WebhookRequest request{options_.webhookUrl, delivery.body, delivery.id, delivery.attempt,
                           static_cast<long>(options_.timeout.count())};
    pool_.submit([this, shared = shared_, request = std::move(request), id = delivery.id]() {
        if (shared->stopping) return;
        auto [status, error] = post(request, shared->stopping);
        loop_.post([this, shared, id, status = status, error = std::move(error)]() mutable {
            // The notifier is destroyed on the loop thread: this check cannot race it.
            if (shared->stopping) return;
            onAttemptDone(id, AttemptResult{status, std::move(error)});
        });
    });
}

void Notifier::onAttemptDone(const std::string& id, AttemptResult result) {
    auto it = deliveries_.find(id);
    if (it == deliveries_.end()) return;
    Delivery& d = *it->second;
    if (result.error.empty()) {
        notifierLog()->info("{} for {} delivered (delivery {}, attempt {}, HTTP {})", d.name,
                            d.subject, d.id, d.attempt, result.status);
        record(d, "delivered", result.status, "");
        deliveries_.erase(it);
        return;
    }
    if (d.attempt >= options_.attempts) {
        notifierLog()->error("{} for {} given up after {} attempts (delivery {}): {}", d.name,
                             d.subject, d.attempt, d.id, result.error);
        record(d, "gave_up", result.status, result.error);
        deliveries_.erase(it);
        return;
    }
    // attempt 1 failed: wait backoff; attempt 2 failed: 2 * backoff; ...
    auto delay = options_.backoff * (1LL << std::min(d.attempt - 1, 20));
    notifierLog()->warn("{} for {} attempt {} failed (delivery {}): {}; retry in {} ms", d.name,
                        d.subject, d.attempt, d.id, result.error, delay.count());
    record(d, "retry", result.status, result.error);
    d.retry = loop_.after(delay, [this, id = d.id]() {
        auto found = deliveries_.find(id);
        if (found != deliveries_.end()) startAttempt(*found->second);
    });
}

void Notifier::record(const Delivery& delivery, const std::string& outcome, long status,
                      const std::string& error) {
    redis_.send({"XADD",
                 keys::kNotifyLog,
                 "MAXLEN",
                 "~",
                 std::to_string(options_.logMaxLen),
                 "*",
                 "ts",
                 std::to_string(common::nowMillis()),
                 "delivery",
                 delivery.id,
                 "event",
                 delivery.name,
                 "subject",
                 delivery.subject,
                 "attempt",
                 std::to_string(delivery.attempt),
                 "outcome",
                 outcome,
                 "status",
                 std::to_string(status),
                 "error",
                 error});
}

}  // namespace vigil::signaling
