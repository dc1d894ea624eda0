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

// Declares `fn()`, this source file's logger of category `name`, in an anonymous namespace:
// namespace { VIGIL_LOG_CATEGORY(webServerLog, "web") }
// The name is the file's own so that sources compiled together (a unity build) do not clash.
#define VIGIL_LOG_CATEGORY(fn, name)                                                 \
    const std::shared_ptr<spdlog::logger>& fn() {                                    \
        static const std::shared_ptr<spdlog::logger> l = ::vigil::common::log(name); \
        return l;                                                                    \
    }
