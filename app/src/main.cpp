// vigil: one binary for every role and the administration command line.

#include <CLI/CLI.hpp>
#include <iostream>

#include "Commands.hpp"
#include "VisionCommands.hpp"
#include "vigil/common/Crypto.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/common/Log.hpp"

namespace vigil::app {

common::Config loadConfigOrExit(const GlobalOptions& options) {
    try {
        auto config = common::Config::load(options.configPath);
        common::setLogLevel(config.log.level);
        return config;
    } catch (const common::ConfigError& e) {
        std::cerr << "vigil: configuration error: " << e.what() << "\n";
        std::exit(2);
    }
}

void runWithRedis(const GlobalOptions& options,
                  std::function<common::Task<void>(common::EventLoop&, common::RedisClient&,
                                                   const common::Config&)>
                      body) {
    auto config = loadConfigOrExit(options);
    common::EventLoop loop;
    common::RedisClient::Options redisOptions;
    try {
        redisOptions.endpoint = common::RedisEndpoint::fromConfig(
            config.redis.url, config.redis.username, config.redis.password);
    } catch (const std::exception& e) {
        std::cerr << "vigil: configuration error: " << options.configPath
                  << ": bad value for 'redis.url': " << e.what() << "\n";
        std::exit(2);
    }
    redisOptions.connectTimeout = std::chrono::milliseconds(config.redis.connectTimeoutMs);
    redisOptions.commandTimeout = std::chrono::milliseconds(config.redis.commandTimeoutMs);
    common::RedisClient redis(loop, redisOptions);
    auto task = [&]() -> common::Task<void> {
        redis.start();
        co_await redis.waitConnected(redisOptions.connectTimeout);
        co_await body(loop, redis, config);
    };
    try {
        loop.runUntilDone(task());
    } catch (const common::ApiError& e) {
        std::cerr << "vigil: " << e.code() << ": " << e.what() << "\n";
        std::exit(1);
    } catch (const std::exception& e) {
        std::cerr << "vigil: " << e.what() << "\n";
        std::exit(1);
    }
}

}  // namespace vigil::app

int main(int argc, char** argv) {
    vigil::common::initCrypto();
    CLI::App app{
        "Vigil: live classes, supervision calls and attendance records for community corrections"};
    app.require_subcommand(1);
    app.fallthrough();  // --config may follow the subcommand.
    vigil::app::GlobalOptions options;
    app.add_option("-c,--config", options.configPath, "configuration file")->capture_default_str();
    vigil::app::addServeCommand(app, options);
    vigil::app::addAdminCommands(app, options);
    vigil::app::addDemoCommands(app, options);
    vigil::app::addRecordingCommands(app, options);
    vigil::app::addVisionEnrolCommand(vigil::app::addVisionCommands(app, options), options);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // Help prints and exits 0; a usage error exits 2, like a bad configuration.
        return app.exit(e) == 0 ? 0 : 2;
    }
    return 0;
}
