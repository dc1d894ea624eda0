// RecordingRecovery against a real Redis: which open segments it closes as interrupted (those
// of this node's previous process at start-up, of a node gone, of a class that ended, those
// gone quiet) and which it leaves alone (a live node's segment of a live class).

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>

#include "RedisFixture.hpp"
#include "vigil/common/Config.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/RecordingRecovery.hpp"
#include "vigil/signaling/RecordingStore.hpp"

namespace vigil::testing {
namespace {

using common::Millis;
using common::Task;
using media::RecordingChunk;
using media::RoomKind;
using signaling::RecordingState;

class RecordingRecoveryTest : public RedisFixture {
protected:
    void SetUp() override {
        RedisFixture::SetUp();
        dir = makeTempDir("vigil-recrecovery");
        config.recording.chunkSeconds = 10;
        directory = std::make_unique<signaling::Directory>(*redis);
        audit = std::make_unique<signaling::AuditLog>(*redis);
        store = std::make_unique<signaling::RecordingStore>(*redis, *directory, *audit);
        recovery = std::make_unique<signaling::RecordingRecovery>(
            signaling::RecordingRecovery::Deps{*redis, *directory, *store, config, "node-a"});
        const Millis now = common::nowMillis();
        loop.runUntilDone([&]() -> Task<void> {
            co_await directory->addUnit("prov", "Province", "");
            signaling::NewUser officer;
            officer.username = "officer1";
            officer.name = "officer1";
            officer.role = signaling::Role::Officer;
            officer.unit = "prov";
            officer.passwordHash = "$argon2id$not-a-usable-hash";
            signaling::ClassSession c;
            c.title = "Law and life";
            c.unit = "prov";
            c.officer = (co_await directory->addUser(officer)).id;
            c.start = now - 3600000;
            c.end = now + 3600000;
            liveClass = (co_await directory->addClass(c)).id;
            endedClass = (co_await directory->addClass(c)).id;
            co_await directory->setClassState(endedClass, signaling::ClassState::Ended,
                                              now - 120000);
            // node-b is alive: its heartbeat key is there.
            co_await redis->cmd("SET", "vigil:node:node-b", "1", "EX", "60");
        }());
    }
    void TearDown() override {
        recovery.reset();
        store.reset();
        audit.reset();
        directory.reset();
        RedisFixture::TearDown();
        std::string cmd = "rm -rf '" + dir + "'";
        if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << cmd;
    }

    // An open segment of `recording` in `classId`, its one chunk ending `ageMs` ago.
    void openSegment(const std::string& recording, const std::string& classId,
                     const std::string& node, Millis ageMs = 1000) {
        RecordingChunk c;
        c.recording = recording;
        c.room = "class:" + classId;
        c.kind = RoomKind::Class;
        c.source = "u1";
        c.segment = common::nowMillis() - ageMs - 5000;
        c.index = 0;
        c.path = dir + "/" + recording + ".webm";
        std::ofstream(c.path) << recording;
        c.sha256 = common::sha256Hex(recording);
        c.bytes = recording.size();
        c.startMs = c.segment;
        c.endMs = common::nowMillis() - ageMs;
        loop.runUntilDone([&]() -> Task<void> { co_await store->addChunk(c, "prov", node); }());
    }

    RecordingState stateOf(const std::string& id) {
        std::optional<signaling::Recording> r;
        loop.runUntilDone([&]() -> Task<void> { r = co_await store->find(id); }());
        EXPECT_TRUE(r) << id;
        return r ? r->state : RecordingState::Recording;
    }

    int run(bool startup) {
        int closed = 0;
        loop.runUntilDone([&]() -> Task<void> { closed = co_await recovery->run(startup); }());
        return closed;
    }

    std::string dir;
    std::string liveClass, endedClass;
    common::Config config;
    std::unique_ptr<signaling::Directory> directory;
    std::unique_ptr<signaling::AuditLog> audit;
    std::unique_ptr<signaling::RecordingStore> store;
    std::unique_ptr<signaling::RecordingRecovery> recovery;
};

TEST_F(RecordingRecoveryTest, ClosesWhatNobodyWillEndAndLeavesLiveRecordingsAlone) {
    openSegment("mine", liveClass, "node-a");
    openSegment("live", liveClass, "node-b");
    openSegment("gone", liveClass, "node-c");
    openSegment("ended", endedClass, "node-b");
    openSegment("quiet", liveClass, "node-b", 2 * 10000 + 61000);

    // While running: this node's own segments are its live recorders'.
    EXPECT_EQ(run(false), 3);
    EXPECT_EQ(stateOf("mine"), RecordingState::Recording);
    EXPECT_EQ(stateOf("live"), RecordingState::Recording);
    EXPECT_EQ(stateOf("gone"), RecordingState::Interrupted);
    EXPECT_EQ(stateOf("ended"), RecordingState::Interrupted);
    EXPECT_EQ(stateOf("quiet"), RecordingState::Interrupted);

    // At start-up, this node's segments were its previous process's.
    EXPECT_EQ(run(true), 1);
    EXPECT_EQ(stateOf("mine"), RecordingState::Interrupted);
    EXPECT_EQ(stateOf("live"), RecordingState::Recording);
    EXPECT_EQ(run(true), 0);

    std::vector<signaling::AuditEntry> entries;
    loop.runUntilDone([&]() -> Task<void> { entries = co_await audit->read("-", 100); }());
    std::map<std::string, std::string> reasons;
    for (const auto& e : entries) {
        std::string action, target, detail;
        for (const auto& [k, v] : e.fields) {
            if (k == "action") action = v;
            if (k == "target") target = v;
            if (k == "detail") detail = v;
        }
        if (action == "recording_interrupted")
            reasons[target] = nlohmann::json::parse(detail).value("reason", "");
    }
    EXPECT_EQ(reasons, (std::map<std::string, std::string>{{"mine", "server_restart"},
                                                           {"gone", "node_gone"},
                                                           {"ended", "room_ended"},
                                                           {"quiet", "stale"}}));
}

}  // namespace
}  // namespace vigil::testing
