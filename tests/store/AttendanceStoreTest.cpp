#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "RedisFixture.hpp"
#include "vigil/signaling/AttendanceStore.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::testing {
namespace {

using common::Millis;
using common::Task;
using signaling::AttendanceEvent;
using signaling::AttendanceStore;
using signaling::JoinOutcome;
using signaling::OpenInterval;
namespace keys = signaling::keys;

constexpr Millis kT0 = 1'795'950'000'000;
const std::string kClass = "c7";

// "1732860000000-3" -> {1732860000000, 3}
std::pair<long long, long long> parseStreamId(const std::string& id) {
    auto dash = id.find('-');
    return {std::stoll(id.substr(0, dash)), std::stoll(id.substr(dash + 1))};
}

class AttendanceStoreTest : public RedisFixture {
protected:
    void SetUp() override {
        RedisFixture::SetUp();
        store = std::make_unique<AttendanceStore>(*redis);
    }
    void TearDown() override {
        store.reset();
        RedisFixture::TearDown();
    }

    JoinOutcome join(const std::string& subject, const std::string& conn, Millis ts,
                     const std::string& node = "n1") {
        JoinOutcome out;
        loop.runUntilDone(
            [&]() -> Task<void> { out = co_await store->join(kClass, subject, conn, node, ts); }());
        return out;
    }
    bool leave(const std::string& subject, const std::string& conn, Millis ts,
               const std::string& reason = "leave") {
        bool out = false;
        loop.runUntilDone([&]() -> Task<void> {
            out = co_await store->leave(kClass, subject, conn, ts, reason);
        }());
        return out;
    }
    bool heartbeat(const std::string& subject, const std::string& conn, Millis ts) {
        bool out = false;
        loop.runUntilDone(
            [&]() -> Task<void> { out = co_await store->heartbeat(kClass, subject, conn, ts); }());
        return out;
    }
    std::vector<AttendanceEvent> events(const std::string& classId = kClass) {
        std::vector<AttendanceEvent> out;
        loop.runUntilDone([&]() -> Task<void> { out = co_await store->events(classId); }());
        return out;
    }
    std::map<std::string, OpenInterval> open() {
        std::map<std::string, OpenInterval> out;
        loop.runUntilDone([&]() -> Task<void> { out = co_await store->openIntervals(kClass); }());
        return out;
    }
    std::vector<std::string> openClasses() {
        std::vector<std::string> out;
        loop.runUntilDone(
            [&]() -> Task<void> { out = co_await store->classesWithOpenIntervals(); }());
        return out;
    }

    std::unique_ptr<AttendanceStore> store;
};

TEST_F(AttendanceStoreTest, JoinWritesAnEventAndAnOpenInterval) {
    auto outcome = join("s1", "conn-a", kT0, "node-1");
    EXPECT_FALSE(outcome.eventId.empty());
    EXPECT_FALSE(outcome.alreadyJoined);
    EXPECT_FALSE(outcome.replaced.has_value());

    auto evs = events();
    ASSERT_EQ(evs.size(), 1u);
    EXPECT_EQ(evs[0].streamId, outcome.eventId);
    EXPECT_EQ(evs[0].kind, "join");
    EXPECT_EQ(evs[0].subject, "s1");
    EXPECT_EQ(evs[0].ts, kT0);
    EXPECT_EQ(evs[0].conn, "conn-a");

    auto intervals = open();
    ASSERT_EQ(intervals.count("s1"), 1u);
    const auto& o = intervals.at("s1");
    EXPECT_EQ(o.subject, "s1");
    EXPECT_EQ(o.conn, "conn-a");
    EXPECT_EQ(o.node, "node-1");
    EXPECT_EQ(o.since, kT0);
    EXPECT_EQ(o.lastHeartbeat, kT0);
    EXPECT_EQ(openClasses(), std::vector<std::string>{kClass});
    EXPECT_EQ(server.cli({"TYPE", keys::attendance(kClass)}), "stream");
}

TEST_F(AttendanceStoreTest, JoinFromAnotherConnectionReplacesTheFirst) {
    join("s1", "conn-a", kT0, "node-1");
    heartbeat("s1", "conn-a", kT0 + 20'000);
    auto second = join("s1", "conn-b", kT0 + 60'000, "node-2");
    EXPECT_FALSE(second.alreadyJoined);
    ASSERT_TRUE(second.replaced.has_value());
    EXPECT_EQ(second.replaced->conn, "conn-a");
    EXPECT_EQ(second.replaced->node, "node-1");
    EXPECT_EQ(second.replaced->since, kT0);
    EXPECT_EQ(second.replaced->subject, "s1");

    auto evs = events();
    ASSERT_EQ(evs.size(), 3u);
    EXPECT_EQ(evs[0].kind, "join");
    EXPECT_EQ(evs[1].kind, "leave");
    EXPECT_EQ(evs[1].reason, "replaced");
    EXPECT_EQ(evs[1].conn, "conn-a");
    // Dated at the old connection's last heartbeat, not at the new join: nothing proves
    // the old tab was there after it.
    EXPECT_EQ(evs[1].ts, kT0 + 20'000);
    EXPECT_EQ(evs[2].kind, "join");
    EXPECT_EQ(evs[2].conn, "conn-b");
    EXPECT_EQ(evs[2].streamId, second.eventId);

    auto intervals = open();
    ASSERT_EQ(intervals.size(), 1u);
    EXPECT_EQ(intervals.at("s1").conn, "conn-b");
    EXPECT_EQ(intervals.at("s1").since, kT0 + 60'000);
}

TEST_F(AttendanceStoreTest, SameConnectionJoiningTwiceIsIdempotent) {
    join("s1", "conn-a", kT0);
    auto again = join("s1", "conn-a", kT0 + 5'000);
    EXPECT_TRUE(again.alreadyJoined);
    EXPECT_FALSE(again.replaced.has_value());
    EXPECT_EQ(events().size(), 1u);
    EXPECT_EQ(open().at("s1").since, kT0);
}

TEST_F(AttendanceStoreTest, SubjectsAreIndependent) {
    join("s1", "conn-a", kT0);
    auto other = join("s2", "conn-b", kT0 + 1);
    EXPECT_FALSE(other.replaced.has_value());
    EXPECT_EQ(open().size(), 2u);
    EXPECT_TRUE(leave("s1", "conn-a", kT0 + 10));
    EXPECT_EQ(open().count("s2"), 1u);
    EXPECT_EQ(openClasses(), std::vector<std::string>{kClass});
}

TEST_F(AttendanceStoreTest, LeaveWithTheWrongConnectionDoesNothing) {
    join("s1", "conn-a", kT0);
    EXPECT_FALSE(leave("s1", "conn-other", kT0 + 1'000, "disconnect"));
    EXPECT_FALSE(leave("s2", "conn-a", kT0 + 1'000, "disconnect"));
    EXPECT_EQ(events().size(), 1u);
    EXPECT_EQ(open().count("s1"), 1u);
}

TEST_F(AttendanceStoreTest, LeaveClosesTheIntervalAndClearsTheOpenClass) {
    join("s1", "conn-a", kT0);
    server.cli({"SADD", keys::hands(kClass), "s1"});
    EXPECT_TRUE(leave("s1", "conn-a", kT0 + 90'000, "leave"));
    auto evs = events();
    ASSERT_EQ(evs.size(), 2u);
    EXPECT_EQ(evs[1].kind, "leave");
    EXPECT_EQ(evs[1].reason, "leave");
    EXPECT_EQ(evs[1].ts, kT0 + 90'000);
    EXPECT_EQ(evs[1].conn, "conn-a");
    EXPECT_TRUE(open().empty());
    EXPECT_TRUE(openClasses().empty());
    EXPECT_EQ(server.cli({"SISMEMBER", keys::hands(kClass), "s1"}), "0");
    // Already closed: nothing more happens.
    EXPECT_FALSE(leave("s1", "conn-a", kT0 + 95'000, "leave"));
    EXPECT_EQ(events().size(), 2u);
}

TEST_F(AttendanceStoreTest, LeaveWithAnyConnection) {
    join("s1", "conn-a", kT0);
    EXPECT_TRUE(leave("s1", "", kT0 + 1'000, "class_ended"));
    auto evs = events();
    ASSERT_EQ(evs.size(), 2u);
    EXPECT_EQ(evs[1].reason, "class_ended");
    EXPECT_EQ(evs[1].conn, "conn-a");
}

TEST_F(AttendanceStoreTest, LeaveWithoutTimeIsDatedAtTheLastHeartbeat) {
    join("s1", "conn-a", kT0);
    EXPECT_TRUE(heartbeat("s1", "conn-a", kT0 + 15'000));
    EXPECT_TRUE(heartbeat("s1", "conn-a", kT0 + 30'000));
    EXPECT_TRUE(leave("s1", "conn-a", 0, "heartbeat_timeout"));
    auto evs = events();
    ASSERT_EQ(evs.size(), 2u);
    EXPECT_EQ(evs[1].reason, "heartbeat_timeout");
    EXPECT_EQ(evs[1].ts, kT0 + 30'000);
}

TEST_F(AttendanceStoreTest, LeaveWithoutTimeAndNoHeartbeatIsDatedAtTheJoin) {
    join("s1", "conn-a", kT0);
    EXPECT_TRUE(leave("s1", "conn-a", 0, "server_restart"));
    auto evs = events();
    ASSERT_EQ(evs.size(), 2u);
    EXPECT_EQ(evs[1].ts, kT0);
}

TEST_F(AttendanceStoreTest, HeartbeatUpdatesOnlyItsOwnInterval) {
    join("s1", "conn-a", kT0);
    EXPECT_TRUE(heartbeat("s1", "conn-a", kT0 + 20'000));
    auto o = open().at("s1");
    EXPECT_EQ(o.lastHeartbeat, kT0 + 20'000);
    EXPECT_EQ(o.since, kT0);
    EXPECT_EQ(o.conn, "conn-a");

    EXPECT_FALSE(heartbeat("s1", "conn-b", kT0 + 40'000));
    EXPECT_EQ(open().at("s1").lastHeartbeat, kT0 + 20'000);
    EXPECT_FALSE(heartbeat("s9", "conn-a", kT0 + 40'000));
    EXPECT_TRUE(open().count("s9") == 0);
    EXPECT_EQ(events().size(), 1u) << "heartbeats are not events";
}

Task<void> leaveInto(AttendanceStore* store, std::string conn, std::string reason, int* closed,
                     int* left) {
    bool ok = co_await store->leave(kClass, "s1", std::move(conn), kT0 + 70'000, std::move(reason));
    if (ok) ++*closed;
    --*left;
}

TEST_F(AttendanceStoreTest, ConcurrentLeavesWriteOneLeaveEvent) {
    auto second = connect("node2");
    AttendanceStore other(*second);
    for (int round = 0; round < 10; ++round) {
        std::string conn = "conn-" + std::to_string(round);
        join("s1", conn, kT0 + round * 100'000);
        int closed = 0, left = 3;
        loop.runUntilDone([&]() -> Task<void> {
            common::spawn(leaveInto(store.get(), conn, "disconnect", &closed, &left), ignoreError);
            common::spawn(leaveInto(&other, conn, "heartbeat_timeout", &closed, &left),
                          ignoreError);
            common::spawn(leaveInto(&other, "", "class_ended", &closed, &left), ignoreError);
            for (int i = 0; i < 300 && left > 0; ++i)
                co_await loop.sleep(std::chrono::milliseconds(5));
        }());
        ASSERT_EQ(left, 0);
        EXPECT_EQ(closed, 1) << "round " << round;
    }
    auto evs = events();
    ASSERT_EQ(evs.size(), 20u);
    for (size_t i = 0; i < evs.size(); ++i) {
        EXPECT_EQ(evs[i].kind, i % 2 == 0 ? "join" : "leave") << i;
    }
    EXPECT_TRUE(open().empty());
}

Task<void> appendInto(AttendanceStore* store, std::string classId, int i, int* left) {
    std::vector<std::pair<std::string, std::string>> fields{
        {"kind", "presence"},
        {"subject", "s" + std::to_string(i % 7)},
        {"ts", std::to_string(kT0 + i)},
        {"conn", "c" + std::to_string(i)}};
    co_await store->appendEvent(std::move(classId), std::move(fields));
    --*left;
}

TEST_F(AttendanceStoreTest, EventsPagePastFiveThousandInOrder) {
    constexpr int kLong = 12'000;
    constexpr int kExact = 10'000;  // An exact multiple of the page size.
    int left = kLong + kExact;
    auto started = std::chrono::steady_clock::now();
    loop.runUntilDone([&]() -> Task<void> {
        // Spawned without awaiting: hiredis pipelines them in issue order.
        for (int i = 0; i < kLong; ++i)
            common::spawn(appendInto(store.get(), kClass, i, &left), ignoreError);
        for (int i = 0; i < kExact; ++i)
            common::spawn(appendInto(store.get(), "c8", i, &left), ignoreError);
        for (int i = 0; i < 2000 && left > 0; ++i)
            co_await loop.sleep(std::chrono::milliseconds(5));
    }());
    ASSERT_EQ(left, 0);
    EXPECT_EQ(server.cli({"XLEN", keys::attendance(kClass)}), std::to_string(kLong));

    auto evs = events();
    ASSERT_EQ(evs.size(), static_cast<size_t>(kLong));
    for (int i = 0; i < kLong; ++i) {
        ASSERT_EQ(evs[i].ts, kT0 + i) << "at " << i;
        ASSERT_EQ(evs[i].conn, "c" + std::to_string(i));
        if (i > 0) {
            ASSERT_LT(parseStreamId(evs[i - 1].streamId), parseStreamId(evs[i].streamId))
                << "at " << i;
        }
    }
    EXPECT_EQ(evs[4999].kind, "presence");
    EXPECT_EQ(evs[5000].subject, "s" + std::to_string(5000 % 7));

    auto exact = events("c8");
    ASSERT_EQ(exact.size(), static_cast<size_t>(kExact));
    EXPECT_EQ(exact.front().ts, kT0);
    EXPECT_EQ(exact.back().ts, kT0 + kExact - 1);
    EXPECT_LT(secondsSince(started), 20.0);
}

TEST_F(AttendanceStoreTest, EventsOfAnUnknownClassAreEmpty) {
    EXPECT_TRUE(events("nope").empty());
}

}  // namespace
}  // namespace vigil::testing
