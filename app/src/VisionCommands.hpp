#pragma once
// `vigil vision detect | verify | liveness`: the presence checks run on files, without a server,
// to try a camera's pictures or a model and to explain a decision. One JSON object per line.

#include <CLI/CLI.hpp>

#include "Commands.hpp"

namespace vigil::app {

// Adds the `vision` subcommand with detect, verify and liveness, and returns it so that other
// families (enrol) can add theirs beside them.
CLI::App& addVisionCommands(CLI::App& app, GlobalOptions& options);

}  // namespace vigil::app
