#pragma once
// The `vigil` command line: each family of subcommands registers itself on the CLI11 app.
// Commands that touch Redis run their coroutine on a private event loop until it is done.

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "vigil/common/Config.hpp"
#include "vigil/common/EventLoop.hpp"
#include "vigil/common/RedisClient.hpp"
#include "vigil/common/Task.hpp"

namespace vigil::app {

// Exit statuses of every command: 1 refused (the check said no, or the request failed),
// 2 a usage or configuration error.
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;
// The actor the command line writes into the audit log.
inline const std::string kCliActor = "cli";

struct GlobalOptions {
    std::string configPath{"config/vigil.toml"};
};

// Loads the configuration or exits with status 2 naming the file and key.
common::Config loadConfigOrExit(const GlobalOptions& options);

// Connects to the configured Redis and runs `body` to completion; exits 1 with the error's
// message if it throws.
void runWithRedis(const GlobalOptions& options,
                  std::function<common::Task<void>(common::EventLoop&, common::RedisClient&,
                                                   const common::Config&)>
                      body);

void addAdminCommands(CLI::App& app, GlobalOptions& options);
void addDemoCommands(CLI::App& app, GlobalOptions& options);
void addRecordingCommands(CLI::App& app, GlobalOptions& options);
void addServeCommand(CLI::App& app, GlobalOptions& options);
// `vigil vision enrol`, under the `vision` subcommand.
void addVisionEnrolCommand(CLI::App& vision, GlobalOptions& options);

}  // namespace vigil::app
