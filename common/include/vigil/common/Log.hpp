#pragma once
// One named logger per source file ("category"), all writing to one stderr sink.

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace vigil::common {

// Returns the logger for `category`, creating it on first use. Thread-safe.
std::shared_ptr<spdlog::logger> log(const std::string& category);

// Sets the level of every logger, present and future ("trace" ... "off").
void setLogLevel(const std::string& level);

}  // namespace vigil::common

// Declares `logger()`, this source file's category, inside an anonymous namespace:
// namespace { VIGIL_LOG_CATEGORY("web") }
#define VIGIL_LOG_CATEGORY(name)                                                     \
    const std::shared_ptr<spdlog::logger>& logger() {                                \
        static const std::shared_ptr<spdlog::logger> l = ::vigil::common::log(name); \
        return l;                                                                    \
    }
