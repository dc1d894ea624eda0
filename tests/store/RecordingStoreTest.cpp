// RecordingStore against a real Redis and real files: chunks stored once however often they
// are reported, the recording's span and state, its segments (one per publisher start) and
// segments closed as interrupted, its source (the publisher it holds), lists by class, call,
// source and time, the org unit looked up when media does not give one, the audit entries,
// and verify() finding a changed byte, a deleted file and a chunk that was never reported.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "RedisFixture.hpp"
#include "vigil/common/Crypto.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/common/WorkerPool.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/RecordingStore.hpp"

namespace vigil::testing {
namespace {

using common::ApiError;
using common::Millis;
using common::Task;
using media::RecordingChunk;
using media::RoomKind;
using signaling::AuditEntry;
using signaling::ChunkCheck;
using signaling::Recording;
using signaling::RecordingState;

constexpr Millis kT0 = 1'795'950'000'000;
constexpr Millis kChunkMs = 300'000;

std::string fieldOf(const AuditEntry& e, const std::string& name) {
    for (const auto& [k, v] : e.fields) {
        if (k == name) return v;
    }
    return {};
}

class RecordingStoreTest : public RedisFixture {
protected:
    void SetUp() override {
        RedisFixture::SetUp();
        dir = makeTempDir("vigil-recstore");
        directory = std::make_unique<signaling::Directory>(*redis);
        audit = std::make_unique<signaling::AuditLog>(*redis);
        store = std::make_unique<signaling::RecordingStore>(*redis, *directory, *audit);
        loop.runUntilDone([&]() -> Task<void> {
            co_await directory->addUnit("prov", "Province", "");
            co_await directory->addUnit("city1", "City 1", "prov");
            co_await directory->addUnit("county1", "County 1", "city1");
            officer =
                (co_await directory->addUser(user("officer1", signaling::Role::Officer, "city1")))
                    .id;
            subject = (co_await directory->addUser(
                           user("subject01", signaling::Role::Subject, "county1")))
                          .id;
            signaling::ClassSession c;
            c.title = "Law and life";
            c.unit = "city1";
            c.officer = officer;
            c.start = kT0;
            c.end = kT0 + 3600000;
            classId = (co_await directory->addClass(c)).id;
        }());
    }
    void TearDown() override {
        store.reset();
        audit.reset();
        directory.reset();
        RedisFixture::TearDown();
        std::string cmd = "rm -rf '" + dir + "'";
        if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << cmd;
    }

    static signaling::NewUser user(const std::string& username, signaling::Role role,
                                   const std::string& unit) {
        signaling::NewUser u;
        u.username = username;
        u.name = username;
        u.role = role;
        u.unit = unit;
        u.passwordHash = "$argon2id$not-a-usable-hash";
        return u;
    }

    // Writes a chunk file of `bytes` bytes and describes it as media would.
    RecordingChunk chunk(const std::string& recording, const std::string& room, RoomKind kind,
                         int index, size_t bytes, bool last) {
        std::string content(bytes, '\0');
        for (size_t i = 0; i < bytes; ++i)
            content[i] = static_cast<char>((i * 31 + static_cast<size_t>(index) * 7) & 0xff);
        RecordingChunk c;
        c.recording = recording;
        c.room = room;
        c.kind = kind;
        c.participants = {officer, subject};
        c.index = index;
        c.path = dir + "/" + recording + "-" + std::to_string(index) + ".webm";
        std::ofstream(c.path, std::ios::binary) << content;
        c.sha256 = common::sha256Hex(content);
        c.bytes = bytes;
        c.startMs = kT0 + index * kChunkMs;
        c.endMs = c.startMs + kChunkMs - 1;
        c.last = last;
        return c;
    }

    // chunk() of `recording` in the class, in segment `segment`.
    RecordingChunk inSegment(const std::string& recording, Millis segment, int index, bool last) {
        auto c = chunk(recording, "class:" + classId, RoomKind::Class, index, 100, last);
        c.segment = segment;
        return c;
    }

    void add(const RecordingChunk& c, const std::string& unit = "", const std::string& node = "") {
        loop.runUntilDone([&]() -> Task<void> { co_await store->addChunk(c, unit, node); }());
    }

    std::optional<Recording> find(const std::string& id) {
        std::optional<Recording> r;
        loop.runUntilDone([&]() -> Task<void> { r = co_await store->find(id); }());
        return r;
    }

    std::vector<ChunkCheck> verify(const std::string& id, common::WorkerPool* pool = nullptr) {
        std::vector<ChunkCheck> checks;
        loop.runUntilDone([&]() -> Task<void> { checks = co_await store->verify(id, pool); }());
        return checks;
    }

    std::vector<std::string> listIds(signaling::RecordingQuery query) {
        std::vector<std::string> ids;
        loop.runUntilDone([&]() -> Task<void> {
            for (const auto& r : co_await store->list(query)) ids.push_back(r.id);
        }());
        return ids;
    }

    std::vector<AuditEntry> auditEntries(const std::string& action) {
        std::vector<AuditEntry> all;
        loop.runUntilDone([&]() -> Task<void> { all = co_await audit->read("-", 1000); }());
        std::vector<AuditEntry> out;
        for (const auto& e : all) {
            if (fieldOf(e, "action") == action) out.push_back(e);
        }
        return out;
    }

    std::string dir;
    std::string officer, subject, classId;
    std::unique_ptr<signaling::Directory> directory;
    std::unique_ptr<signaling::AuditLog> audit;
    std::unique_ptr<signaling::RecordingStore> store;
};

TEST_F(RecordingStoreTest, ChunksAreStoredOnceAndAuditedOnce) {
    const std::string room = "class:" + classId;
    auto c0 = chunk("r1", room, RoomKind::Class, 0, 1000, false);
    auto c1 = chunk("r1", room, RoomKind::Class, 1, 600, true);
    add(c0);
    add(c0);  // A retry.
    auto r = find("r1");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->state, RecordingState::Recording);
    EXPECT_EQ(r->chunkCount, 1);
    add(c1);
    add(c0);
    add(c1);

    r = find("r1");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->room, room);
    EXPECT_EQ(r->kind, RoomKind::Class);
    EXPECT_EQ(r->classId, classId);
    EXPECT_TRUE(r->callId.empty());
    EXPECT_EQ(r->unit, "city1") << "the class's unit, looked up";
    EXPECT_EQ(r->participants, (std::vector<std::string>{officer, subject}));
    EXPECT_EQ(r->chunkCount, 2);
    EXPECT_EQ(r->bytes, 1600u);
    EXPECT_EQ(r->start, c0.startMs);
    EXPECT_EQ(r->end, c1.endMs);
    EXPECT_EQ(r->state, RecordingState::Complete);
    ASSERT_EQ(r->segments.size(), 1u);
    EXPECT_EQ(r->segments[0].lastIndex, 1);
    EXPECT_TRUE(r->complete());

    std::vector<signaling::RecordedChunk> chunks;
    loop.runUntilDone([&]() -> Task<void> { chunks = co_await store->chunks("r1"); }());
    ASSERT_EQ(chunks.size(), 2u);
    EXPECT_EQ(chunks[0].index, 0);
    EXPECT_EQ(chunks[0].sha256, c0.sha256);
    EXPECT_EQ(chunks[0].path, c0.path);
    EXPECT_EQ(chunks[1].bytes, 600u);

    auto audited = auditEntries("recording_chunk");
    ASSERT_EQ(audited.size(), 2u);
    EXPECT_EQ(fieldOf(audited[0], "target"), "r1");
    EXPECT_NE(fieldOf(audited[0], "detail").find(c0.sha256), std::string::npos);
    EXPECT_NE(fieldOf(audited[1], "detail").find(c1.sha256), std::string::npos);
}

TEST_F(RecordingStoreTest, RetryAuditsAChunkWhoseAuditEntryWasLost) {
    auto c0 = chunk("r2", "class:" + classId, RoomKind::Class, 0, 100, false);
    add(c0);
    // The first attempt stored the chunk but did not get to mark its audit entry.
    loop.runUntilDone(
        [&]() -> Task<void> { co_await redis->cmd("DEL", "vigil:rec:r2:audited"); }());
    add(c0);
    add(c0);
    EXPECT_EQ(auditEntries("recording_chunk").size(), 2u);
    EXPECT_EQ(find("r2")->chunkCount, 1);
}

TEST_F(RecordingStoreTest, SameIndexWithOtherContentIsRefusedAndAudited) {
    auto c0 = chunk("r3", "class:" + classId, RoomKind::Class, 0, 100, false);
    add(c0);
    auto forged = c0;
    forged.sha256 = std::string(64, 'a');
    try {
        add(forged);
        ADD_FAILURE() << "a different chunk 0 was accepted";
    } catch (const ApiError& e) {
        EXPECT_EQ(e.code(), "conflict");
    }
    std::vector<signaling::RecordedChunk> chunks;
    loop.runUntilDone([&]() -> Task<void> { chunks = co_await store->chunks("r3"); }());
    ASSERT_EQ(chunks.size(), 1u);
    EXPECT_EQ(chunks[0].sha256, c0.sha256);
    auto conflicts = auditEntries("recording_chunk_conflict");
    ASSERT_EQ(conflicts.size(), 1u);
    EXPECT_NE(fieldOf(conflicts[0], "detail").find(std::string(64, 'a')), std::string::npos);
}

TEST_F(RecordingStoreTest, MalformedChunksAreRefused) {
    auto good = chunk("r4", "class:" + classId, RoomKind::Class, 0, 10, false);
    std::vector<RecordingChunk> bad(7, good);
    bad[0].recording = "../etc";
    bad[1].sha256 = "xyz";
    bad[2].path = "relative/path.webm";
    bad[3].index = -1;
    bad[4].endMs = bad[4].startMs - 1;
    bad[5].room = "";
    bad[6].source = "../u1";
    for (size_t i = 0; i < bad.size(); ++i) {
        try {
            add(bad[i]);
            ADD_FAILURE() << "chunk " << i << " was accepted";
        } catch (const ApiError& e) {
            EXPECT_EQ(e.code(), "bad_request") << i;
        }
    }
    EXPECT_FALSE(find("r4"));
}

TEST_F(RecordingStoreTest, UnitOfACallIsItsSubjects) {
    add(chunk("k1", "call:k1", RoomKind::Call, 0, 50, true));
    auto r = find("k1");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, RoomKind::Call);
    EXPECT_EQ(r->callId, "k1");
    EXPECT_TRUE(r->classId.empty());
    EXPECT_EQ(r->unit, "county1");
    // A unit given by the caller wins.
    add(chunk("k2", "call:k2", RoomKind::Call, 0, 50, true), "prov");
    EXPECT_EQ(find("k2")->unit, "prov");
}

TEST_F(RecordingStoreTest, ListsByClassCallAndTime) {
    add(chunk("r5", "class:" + classId, RoomKind::Class, 0, 10, true));
    auto later = chunk("r6", "class:other", RoomKind::Class, 0, 10, true);
    later.startMs += 86400000;
    later.endMs += 86400000;
    add(later);
    add(chunk("k3", "call:k3", RoomKind::Call, 0, 10, true));

    signaling::RecordingQuery all;
    auto ids = listIds(all);
    ASSERT_EQ(ids.size(), 3u);
    EXPECT_EQ(ids.front(), "r6") << "newest first";

    signaling::RecordingQuery byClass;
    byClass.classId = classId;
    EXPECT_EQ(listIds(byClass), std::vector<std::string>{"r5"});
    signaling::RecordingQuery byCall;
    byCall.callId = "k3";
    EXPECT_EQ(listIds(byCall), std::vector<std::string>{"k3"});
    signaling::RecordingQuery nothing;
    nothing.classId = "c999";
    EXPECT_TRUE(listIds(nothing).empty());

    signaling::RecordingQuery window;
    window.from = kT0 + 3600000;
    window.to = kT0 + 2LL * 86400000;
    EXPECT_EQ(listIds(window), std::vector<std::string>{"r6"});
    window.from = kT0;
    window.to = kT0 + 1;
    auto first = listIds(window);
    std::sort(first.begin(), first.end());
    EXPECT_EQ(first, (std::vector<std::string>{"k3", "r5"}));
}

TEST_F(RecordingStoreTest, SourceOfEachPartyOfACallRoundTrips) {
    // A call has one recording per party, both under the call.
    auto officerChunk = chunk("k5o", "call:k5", RoomKind::Call, 0, 40, false);
    officerChunk.source = officer;
    auto subjectChunk = chunk("k5s", "call:k5", RoomKind::Call, 0, 40, true);
    subjectChunk.source = subject;
    add(officerChunk);
    add(subjectChunk);
    auto laterChunk = chunk("k5o", "call:k5", RoomKind::Call, 1, 40, true);
    laterChunk.source = officer;
    add(laterChunk);

    auto o = find("k5o");
    ASSERT_TRUE(o);
    EXPECT_EQ(o->source, officer);
    EXPECT_EQ(o->chunkCount, 2);
    EXPECT_EQ(o->toJson(0)["source"], officer);
    auto s = find("k5s");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->source, subject);
    EXPECT_EQ(s->toJson(0)["source"], subject);

    signaling::RecordingQuery byCall;
    byCall.callId = "k5";
    auto both = listIds(byCall);
    std::sort(both.begin(), both.end());
    EXPECT_EQ(both, (std::vector<std::string>{"k5o", "k5s"}));
    signaling::RecordingQuery bySource = byCall;
    bySource.source = subject;
    EXPECT_EQ(listIds(bySource), std::vector<std::string>{"k5s"});
    signaling::RecordingQuery anyCall;
    anyCall.source = officer;
    EXPECT_EQ(listIds(anyCall), std::vector<std::string>{"k5o"});
    bySource.source = "u999";
    EXPECT_TRUE(listIds(bySource).empty());
}

TEST_F(RecordingStoreTest, RecordStoredWithoutASourceReadsAsEmpty) {
    // A recording's hash as it was stored before sources were recorded.
    loop.runUntilDone([&]() -> Task<void> {
        std::vector<std::string> hash{"HSET",       "vigil:rec:old1",
                                      "id",         "old1",
                                      "room",       "class:" + classId,
                                      "kind",       "class",
                                      "class",      classId,
                                      "call",       "",
                                      "unit",       "city1",
                                      "start",      std::to_string(kT0),
                                      "end",        std::to_string(kT0 + kChunkMs - 1),
                                      "state",      "finished",
                                      "chunks",     "1",
                                      "bytes",      "10",
                                      "last_index", "0",
                                      "created_at", std::to_string(kT0)};
        co_await redis->command(std::move(hash));
        const std::string score = std::to_string(kT0);
        co_await redis->cmd("SADD", "vigil:rec:old1:participants", officer);
        co_await redis->cmd("ZADD", "vigil:recs", score, "old1");
    }());
    auto r = find("old1");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->source, "");
    EXPECT_TRUE(r->complete());
    EXPECT_EQ(r->toJson(0)["source"], "");
    signaling::RecordingQuery all;
    EXPECT_EQ(listIds(all), std::vector<std::string>{"old1"});
    signaling::RecordingQuery bySource;
    bySource.source = officer;
    EXPECT_TRUE(listIds(bySource).empty());

    // A chunk reported without a source stores none; a later one that names it fills it in.
    auto c0 = chunk("r7", "class:" + classId, RoomKind::Class, 0, 10, false);
    add(c0);
    long long present = -1;
    loop.runUntilDone([&]() -> Task<void> {
        present = (co_await redis->cmd("HEXISTS", "vigil:rec:r7", "source")).asInteger();
    }());
    EXPECT_EQ(present, 0);
    EXPECT_EQ(find("r7")->source, "");
    auto c1 = chunk("r7", "class:" + classId, RoomKind::Class, 1, 10, true);
    c1.source = officer;
    add(c1);
    EXPECT_EQ(find("r7")->source, officer);
    // The first source named stays.
    auto c2 = chunk("r7", "class:" + classId, RoomKind::Class, 2, 10, false);
    c2.source = subject;
    add(c2);
    EXPECT_EQ(find("r7")->source, officer);
}

TEST_F(RecordingStoreTest, VerifyFindsAChangedByteAMissingFileAndAGap) {
    const std::string room = "class:" + classId;
    std::vector<RecordingChunk> chunks;
    chunks.reserve(3);
    for (int i = 0; i < 3; ++i)
        chunks.push_back(chunk("r7", room, RoomKind::Class, i, 4096, false));
    for (const auto& c : chunks) add(c);
    auto checks = verify("r7");
    ASSERT_EQ(checks.size(), 3u);
    for (const auto& c : checks) {
        EXPECT_EQ(c.status, ChunkCheck::Status::Ok) << c.index;
        EXPECT_EQ(c.actual, c.expected);
    }

    // One byte changed in chunk 1; chunk 2's file deleted.
    {
        std::fstream f(chunks[1].path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(2000);
        char b = 0;
        f.seekg(2000);
        f.read(&b, 1);
        b = static_cast<char>(b ^ 0x01);
        f.seekp(2000);
        f.write(&b, 1);
    }
    ASSERT_EQ(std::remove(chunks[2].path.c_str()), 0);
    common::WorkerPool pool(1);
    checks = verify("r7", &pool);
    ASSERT_EQ(checks.size(), 3u);
    EXPECT_EQ(checks[0].status, ChunkCheck::Status::Ok);
    EXPECT_EQ(checks[1].status, ChunkCheck::Status::Mismatch);
    EXPECT_EQ(checks[1].expected, chunks[1].sha256);
    EXPECT_NE(checks[1].actual, chunks[1].sha256);
    EXPECT_EQ(checks[2].status, ChunkCheck::Status::Missing);
    EXPECT_EQ(checks[2].path, chunks[2].path);

    // Chunk 4 ends the recording; chunk 3 never arrived.
    add(chunk("r7", room, RoomKind::Class, 4, 10, true));
    checks = verify("r7");
    ASSERT_EQ(checks.size(), 5u);
    EXPECT_EQ(checks[3].index, 3);
    EXPECT_EQ(checks[3].status, ChunkCheck::Status::Missing);
    EXPECT_TRUE(checks[3].path.empty());
    EXPECT_EQ(checks[4].status, ChunkCheck::Status::Ok);
    EXPECT_FALSE(find("r7")->complete());

    try {
        verify("nope");
        ADD_FAILURE() << "verify of an unknown recording succeeded";
    } catch (const ApiError& e) {
        EXPECT_EQ(e.code(), "not_found");
    }
}

TEST_F(RecordingStoreTest, APublisherRestartIsANewSegmentOfTheSameRecording) {
    const std::string room = "class:" + classId;
    // Segment A: the teacher publishes, then leaves (its last chunk says so).
    auto a0 = inSegment("rs1", kT0, 0, false);
    auto a1 = inSegment("rs1", kT0, 1, true);
    add(a0, "", "node-a");
    EXPECT_EQ(find("rs1")->state, RecordingState::Recording);
    add(a1, "", "node-a");
    EXPECT_EQ(find("rs1")->state, RecordingState::Complete) << "the publisher left";

    // Segment B: the teacher comes back in the same class; its chunks count from 0 again and
    // live in their own folder.
    const Millis b = kT0 + 3 * kChunkMs;
    auto b0 = chunk("rs1-b", room, RoomKind::Class, 0, 200, false);  // its own file
    b0.recording = "rs1";
    b0.segment = b;
    b0.startMs = b;
    b0.endMs = b + kChunkMs - 1;
    add(b0, "", "node-a");
    auto r = find("rs1");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->state, RecordingState::Recording) << "recording again while the teacher is live";
    ASSERT_EQ(r->segments.size(), 2u);
    EXPECT_EQ(r->segments[0].state, RecordingState::Complete);
    EXPECT_EQ(r->segments[1].state, RecordingState::Recording);
    EXPECT_EQ(r->segments[1].node, "node-a");
    std::vector<Recording> open;
    loop.runUntilDone([&]() -> Task<void> { open = co_await store->open(); }());
    ASSERT_EQ(open.size(), 1u);
    EXPECT_EQ(open[0].id, "rs1");

    auto b1 = b0;
    b1.index = 1;
    b1.startMs = b0.endMs + 1;
    b1.endMs = b1.startMs + 1000;
    b1.last = true;
    add(b1, "", "node-a");
    r = find("rs1");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->state, RecordingState::Complete);
    EXPECT_TRUE(r->complete());
    EXPECT_EQ(r->chunkCount, 4);
    EXPECT_EQ(r->start, a0.startMs);
    EXPECT_EQ(r->end, b1.endMs);
    ASSERT_EQ(r->segments.size(), 2u);
    EXPECT_EQ(r->segments[0].number, 1);
    EXPECT_EQ(r->segments[0].chunkCount, 2);
    EXPECT_EQ(r->segments[1].number, 2);
    EXPECT_EQ(r->segments[1].start, b0.startMs);
    EXPECT_EQ(r->segments[1].end, b1.endMs);
    EXPECT_EQ(r->toJson(0)["segments"].size(), 2u);
    EXPECT_EQ(r->toJson(0)["state"], "complete");
    loop.runUntilDone([&]() -> Task<void> { open = co_await store->open(); }());
    EXPECT_TRUE(open.empty());

    // Playing order: segment by segment, each from its chunk 0.
    std::vector<signaling::RecordedChunk> chunks;
    loop.runUntilDone([&]() -> Task<void> { chunks = co_await store->chunks("rs1"); }());
    ASSERT_EQ(chunks.size(), 4u);
    EXPECT_EQ(chunks[0].path, a0.path);
    EXPECT_EQ(chunks[1].path, a1.path);
    EXPECT_EQ(chunks[2].path, b0.path);
    EXPECT_EQ(chunks[2].segmentNumber, 2);
    EXPECT_EQ(chunks[2].index, 0);
    auto checks = verify("rs1");
    ASSERT_EQ(checks.size(), 4u);
    for (const auto& c : checks) EXPECT_EQ(c.status, ChunkCheck::Status::Ok) << c.path;
    EXPECT_EQ(checks[3].segment, 2);
    EXPECT_EQ(checks[3].index, 1);
    EXPECT_EQ(auditEntries("recording_chunk").size(), 4u);

    // The same index in another segment is another chunk; the same one again a retry.
    add(b0, "", "node-a");
    EXPECT_EQ(find("rs1")->chunkCount, 4);
}

TEST_F(RecordingStoreTest, AnOpenSegmentIsClosedAsInterruptedAtItsLastChunk) {
    auto c0 = inSegment("rs2", kT0, 0, false);
    auto c1 = inSegment("rs2", kT0, 1, false);
    add(c0, "", "node-a");
    add(c1, "", "node-a");
    bool closed = false;
    loop.runUntilDone([&]() -> Task<void> {
        closed = co_await store->interruptSegment("rs2", kT0, "server_restart");
    }());
    EXPECT_TRUE(closed);
    auto r = find("rs2");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->state, RecordingState::Interrupted);
    EXPECT_FALSE(r->complete());
    EXPECT_EQ(r->end, c1.endMs) << "it ends at its last chunk";
    ASSERT_EQ(r->segments.size(), 1u);
    EXPECT_EQ(r->segments[0].state, RecordingState::Interrupted);
    EXPECT_EQ(r->segments[0].lastIndex, 1);
    EXPECT_TRUE(r->segments[0].whole()) << "nothing stored is missing";
    EXPECT_EQ(r->toJson(0)["state"], "interrupted");
    auto audited = auditEntries("recording_interrupted");
    ASSERT_EQ(audited.size(), 1u);
    EXPECT_EQ(fieldOf(audited[0], "target"), "rs2");
    EXPECT_NE(fieldOf(audited[0], "detail").find("server_restart"), std::string::npos);

    // Once only; a late chunk of the closed segment does not reopen it.
    loop.runUntilDone([&]() -> Task<void> {
        closed = co_await store->interruptSegment("rs2", kT0, "server_restart");
    }());
    EXPECT_FALSE(closed);
    auto late = inSegment("rs2", kT0, 2, true);
    add(late, "", "node-a");
    EXPECT_EQ(find("rs2")->state, RecordingState::Interrupted);
    std::vector<Recording> open;
    loop.runUntilDone([&]() -> Task<void> { open = co_await store->open(); }());
    EXPECT_TRUE(open.empty());

    // The publisher comes back in the same class: recording again, and the recording stays
    // marked interrupted once that segment ends.
    auto back = inSegment("rs2-back", kT0 + 10 * kChunkMs, 0, false);  // its own file
    back.recording = "rs2";
    add(back, "", "node-b");
    EXPECT_EQ(find("rs2")->state, RecordingState::Recording);
    loop.runUntilDone([&]() -> Task<void> {
        closed = co_await store->interruptSegment("rs2", back.segment, "stale");
    }());
    EXPECT_TRUE(closed);
    EXPECT_EQ(find("rs2")->state, RecordingState::Interrupted);

    // A segment that fails in media ends as interrupted through its own last chunk.
    auto failed = inSegment("rs3", kT0, 0, false);
    failed.interrupted = true;
    add(failed);
    EXPECT_EQ(find("rs3")->state, RecordingState::Interrupted);
    EXPECT_EQ(find("rs3")->segments[0].lastIndex, 0);
}

TEST(Sha256FileTest, MatchesTheDigestOfTheContentAndFailsOnAMissingFile) {
    common::initCrypto();
    const std::string dir = makeTempDir("vigil-sha");
    const std::string path = dir + "/f.bin";
    std::string content(200000, 'x');  // more than one read
    content[123456] = 'y';
    std::ofstream(path, std::ios::binary) << content;
    EXPECT_EQ(common::sha256File(path), common::sha256Hex(content));
    EXPECT_FALSE(common::sha256File(dir + "/absent"));
    EXPECT_FALSE(common::sha256File(dir)) << "a folder is not a file";
    std::remove(path.c_str());
    ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace vigil::testing
