#include "vigil/signaling/SignalingNode.hpp"

#include <unistd.h>

#include <algorithm>

#include "vigil/common/Crypto.hpp"
#include "vigil/common/Log.hpp"
#include "vigil/signaling/AlertRoutes.hpp"
#include "vigil/signaling/CheckinRoutes.hpp"
#include "vigil/signaling/HealthRoutes.hpp"
#include "vigil/signaling/Keys.hpp"
#include "vigil/signaling/ProgrammeRoutes.hpp"
#include "vigil/signaling/RefusalAudit.hpp"
#include "vigil/signaling/SupervisionRoutes.hpp"

namespace vigil::signaling {

namespace {
VIGIL_LOG_CATEGORY(signalingNodeLog, "node")

common::RedisClient::Options redisOptions(const common::Config& config, const std::string& name) {
    common::RedisClient::Options o;
    o.endpoint = common::RedisEndpoint::fromConfig(config.redis.url, config.redis.username,
                                                   config.redis.password);
    o.connectTimeout = std::chrono::milliseconds(config.redis.connectTimeoutMs);
    o.commandTimeout = std::chrono::milliseconds(config.redis.commandTimeoutMs);
    o.name = name;
    return o;
}
}  // namespace

std::string referenceImageKey(const common::Config& config) {
    if (!config.vision.storeReferenceImages) return {};
    return common::loadOrCreateSecretKey(config.vision.referenceKeyFile);
}

std::string referenceDataKey(const common::Config& config) {
    return common::loadOrCreateSecretKey(config.vision.referenceKeyFile);
}

namespace {
std::unique_ptr<AuditAnchor> makeAuditAnchor(common::EventLoop& loop,
                                             const common::Config& config) {
    if (config.audit.anchorFile.empty()) return nullptr;
    return std::make_unique<AuditAnchor>(loop, config.audit.anchorFile,
                                         common::loadOrCreateSecretKey(config.audit.anchorKeyFile),
                                         std::chrono::milliseconds(config.audit.anchorIntervalMs));
}
}  // namespace

std::string defaultNodeId(int port) {
    char host[256] = {0};
    if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "node");
    return std::string(host) + ":" + std::to_string(port);
}

SignalingNode::SignalingNode(common::EventLoop& loop, const common::Config& config,
                             media::MediaService* media)
    : loop_(loop),
      media_(media),
      config_(config),
      nodeId_(config.server.nodeId.empty() ? defaultNodeId(config.server.port)
                                           : config.server.nodeId),
      redis_(std::make_unique<common::RedisClient>(loop, redisOptions(config, "redis"))),
      subscriber_(std::make_unique<common::RedisClient>(loop, redisOptions(config, "redis-bus"))),
      directory_(*redis_),
      auditAnchor_(makeAuditAnchor(loop, config)),
      audit_(*redis_, auditAnchor_.get()),
      attendance_(*redis_),
      sessions_(loop, *redis_, hashing_, directory_, audit_, config.auth),
      recordings_(*redis_, directory_, audit_),
      recordingRecovery_(
          RecordingRecovery::Deps{*redis_, directory_, recordings_, config, nodeId_}),
      references_(*redis_, audit_, referenceDataKey(config), config.vision.storeReferenceImages),
      hub_(ClassHub::Deps{loop, *redis_, directory_, sessions_, attendance_, config, nodeId_,
                          media}),
      api_(HttpApi::Deps{*redis_, directory_, sessions_, attendance_, audit_, config, references_}),
      supervision_(*redis_),
      alerts_(*redis_, directory_, audit_, config),
      alertPusher_(hub_, directory_, config),
      notifier_(loop, *redis_, Notifier::Options::from(config.notify)),
      checkins_(CheckinService::Deps{loop, *redis_, directory_, audit_, hub_, supervision_, alerts_,
                                     references_, config, media, referenceImageKey(config)}),
      policy_(config),
      programme_(
          ProgrammeMonitor::Deps{*redis_, directory_, supervision_, policy_, alerts_, config}),
      programmeReport_(
          ProgrammeReport::Deps{directory_, attendance_, policy_, programme_, config}) {
    if (media != nullptr) media->setListener(&hub_);
    // Every WebSocket request judged on the account as it is now; ended sessions close sockets.
    hub_.setAccountGate(&accounts_);
    accounts_.setListener(&hub_);
    // Self-service check-ins: their messages, media rooms and REST routes.
    hub_.setCheckinRooms(&checkins_);
    checkins_.registerMessages();
    // Ordered check-ins reach an agency's SMS gateway through the webhook, if one is set.
    checkins_.setNotifier([this](nlohmann::json event) { notifier_.notify(std::move(event)); });
    addCheckinRoutes(api_.router(), CheckinRoutesDeps{checkins_, config, audit_});
    // 脱管 prevention: verified contacts noted by the hub, the overdue list and programme report.
    hub_.setSupervision(&supervision_);
    addProgrammeRoutes(api_.router(), ProgrammeRoutesDeps{directory_, audit_, alerts_, policy_,
                                                          programme_, programmeReport_, config});
    addSupervisionRoutes(api_.router(),
                         SupervisionRoutesDeps{directory_, audit_, supervision_, policy_, config});
    // Alerts: raised by the hub and the programme, pushed live, handled over REST.
    alerts_.setListener(&alertPusher_);
    hub_.setAlerts(&alerts_);
    addAlertRoutes(api_.router(), AlertRoutesDeps{alerts_, directory_, audit_, config});
    hub_.onRecordingChunks([this](const media::RecordingChunk& chunk) { storeChunk(chunk); });
    // Liveness, readiness and the metrics scrape.
    addHealthRoutes(api_.router(), HealthRoutesDeps{readiness_, config});
    // Reads of others' live records (rosters, cameras) and refused reads are audited.
    hub_.setAudit(&audit_);
    api_.router().onReadRefused([audit = &audit_](const User& user, const HttpRequest& request,
                                                  const std::vector<std::string>& params,
                                                  std::string reason) -> common::Task<void> {
        RefusalAudit refusals(*audit);
        co_await refusals.restRead(user, request, params, std::move(reason));
    });
}

void SignalingNode::storeChunk(media::RecordingChunk chunk) {
    metrics::recordingBytes().inc(static_cast<double>(chunk.bytes));
    // The chunk is on disk already; its record must not be lost to a passing Redis fault.
    auto task = [](SignalingNode* self, media::RecordingChunk c) -> common::Task<void> {
        for (int attempt = 1;; ++attempt) {
            try {
                co_await self->recordings_.addChunk(c, "", self->nodeId_);
                co_return;
            } catch (const common::RedisError& e) {
                if (attempt >= 10) throw;
                signalingNodeLog()->warn("recording {} chunk {}: store failed ({}); retrying",
                                         c.recording, c.index, e.what());
            }
            co_await self->loop_.sleep(std::chrono::milliseconds(500 * attempt));
        }
    };
    std::string what =
        chunk.recording + " chunk " + std::to_string(chunk.index) + " (" + chunk.path + ")";
    common::spawn(task(this, std::move(chunk)), [what](const std::exception_ptr& e) {
        try {
            if (e) std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            signalingNodeLog()->error("recording {}: NOT STORED: {}", what, ex.what());
        }
    });
}

SignalingNode::~SignalingNode() {
    sweepTimer_.cancel();
    if (media_ != nullptr) media_->setListener(nullptr);
    // Close every connection first, then the Redis clients: their pending commands fail and
    // resume coroutines that may still touch the hub and stores, which are alive until after.
    web_.reset();
    hub_.attach(nullptr);
    api_.attach(nullptr);
    subscriber_.reset();
    redis_.reset();
}

common::Task<void> SignalingNode::shutdown() {
    sweepTimer_.cancel();
    co_await hub_.shutdown();
    signalingNodeLog()->info("node {} stopped", nodeId_);
}

common::Task<void> SignalingNode::start() {
    redis_->start();
    readiness_.start();
    co_await redis_->waitConnected(std::chrono::milliseconds(config_.redis.connectTimeoutMs) * 3);
    co_await hub_.recoverOnStartup();
    // Before serving: a segment left open by this node's previous process is closed before
    // the new one starts recording.
    co_await recordingRecovery_.run(true);
    co_await hub_.sweep();

    subscriber_->subscribe(
        {keys::kBusChannel},
        [this](const std::string&, const std::string& message) { hub_.onBusMessage(message); });
    subscriber_->start();
    co_await subscriber_->waitConnected(std::chrono::milliseconds(config_.redis.connectTimeoutMs) *
                                        3);

    WebServer::Options options;
    options.listen = config_.server.listen;
    options.port = config_.server.port;
    options.webRoot = config_.server.webRoot;
    options.vendorRoot = config_.server.vendorRoot;
    options.maxMessageBytes = static_cast<size_t>(config_.protocol.maxMessageBytes);
    // No request may declare a body larger than the largest a route takes.
    options.maxBodyBytes = 0;
    for (const auto& route : api_.router().routes())
        options.maxBodyBytes = std::max(options.maxBodyBytes, route.maxBodyBytes);
    options.maxConnectionsPerAddress = static_cast<size_t>(config_.server.maxConnectionsPerAddress);
    options.headerTimeoutSeconds = config_.server.headerTimeoutSeconds;
    options.bodyTimeoutSeconds = config_.server.bodyTimeoutSeconds;
    options.tlsCert = config_.server.tlsCert;
    options.tlsKey = config_.server.tlsKey;
    web_ = std::make_unique<WebServer>(loop_, options, api_, hub_);
    hub_.attach(web_.get());
    api_.attach(web_.get());
    web_->start();

    // Often enough to date a heartbeat timeout within a third of it; at most every 5 s, as
    // each sweep reads every open interval.
    auto sweepEvery = std::chrono::milliseconds(
        std::clamp(config_.attendance.heartbeatTimeoutSeconds * 1000 / 3, 1000, 5000));
    sweepTimer_ = loop_.every(sweepEvery, [this]() {
        runSweep();
        return true;
    });
    signalingNodeLog()->info("node {} ready on port {}", nodeId_, web_->port());
}

void SignalingNode::runSweep() {
    if (sweeping_) return;
    sweeping_ = true;
    auto task = [](SignalingNode* self) -> common::Task<void> {
        co_await self->hub_.sweep();
        co_await self->recordingRecovery_.run(false);
        co_await self->checkins_.sweep(common::nowMillis());
        co_await self->programme_.sweep(common::nowMillis());
        co_await self->alerts_.escalateOverdue(common::nowMillis());
        self->sweeping_ = false;
    };
    common::spawn(task(this), [this](const std::exception_ptr& e) {
        sweeping_ = false;
        try {
            if (e) std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            signalingNodeLog()->warn("sweep failed: {}", ex.what());
        }
    });
}

}  // namespace vigil::signaling
