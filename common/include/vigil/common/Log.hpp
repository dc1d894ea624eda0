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
