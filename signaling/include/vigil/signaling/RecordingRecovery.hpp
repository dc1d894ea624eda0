#pragma once
// Makes sure no recording stays "recording" forever. A segment ends when media reports its
// last chunk; when that report never comes (the process crashed or was restarted, its node
// died, the recorder failed), this closes the segment as interrupted at its last stored
// chunk. Runs once at start-up, before the node serves, and then with every sweep.

#include <string>

#include "vigil/common/Config.hpp"
#include "vigil/common/RedisClient.hpp"
#include "vigil/common/Task.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/RecordingStore.hpp"

namespace vigil::signaling {

class RecordingRecovery {
public:
    struct Deps {
        common::RedisClient& redis;
        Directory& directory;
        RecordingStore& recordings;
        const common::Config& config;
        std::string nodeId;
    };

    explicit RecordingRecovery(Deps deps) : deps_(std::move(deps)) {}

    // Closes the open segments that nobody will end, each with its reason:
    //   server_restart  written by this node, at start-up (its previous process is gone)
    //   node_gone       written by a node whose heartbeat key has expired
    //   room_ended      its class or call ended more than kEndGrace ago
    //   stale           no chunk for two chunk lengths plus kEndGrace
    // Returns the number of segments closed.
    common::Task<int> run(bool startup);

private:
    common::Task<bool> roomEnded(const Recording& recording, common::Millis now);

    Deps deps_;
};

}  // namespace vigil::signaling
