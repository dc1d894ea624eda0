#include "vigil/common/Log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>

namespace vigil::common {

namespace {
std::mutex gMutex;
spdlog::level::level_enum gLevel = spdlog::level::info;

spdlog::sink_ptr sharedSink() {
    static auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    return sink;
}
}  // namespace

std::shared_ptr<spdlog::logger> log(const std::string& category) {
    std::lock_guard lock(gMutex);
    if (auto existing = spdlog::get(category)) return existing;
    auto logger = std::make_shared<spdlog::logger>(category, sharedSink());
    logger->set_level(gLevel);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%n] %v");
    spdlog::register_logger(logger);
    return logger;
}

void setLogLevel(const std::string& level) {
    std::lock_guard lock(gMutex);
    gLevel = spdlog::level::from_str(level);
    spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->set_level(gLevel); });
}

}  // namespace vigil::common
