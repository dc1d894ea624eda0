#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "RedisFixture.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/signaling/Keys.hpp"
#include "vigil/signaling/SupervisionStore.hpp"

namespace vigil::testing {
namespace {

using common::ApiError;
using common::Task;
using signaling::Area;
using signaling::Contact;
using signaling::Day;
using signaling::Level;
using signaling::LevelChange;
using signaling::Supervision;

const std::vector<std::string> kTags{"minor", "female", "fraud", "traffic"};

Day day(const std::string& text) {
    return signaling::parseDay(text).value();
}

class SupervisionStoreTest : public RedisFixture {
protected:
    void SetUp() override {
        RedisFixture::SetUp();
        store = std::make_unique<signaling::SupervisionStore>(*redis);
    }
    void TearDown() override {
        store.reset();
        RedisFixture::TearDown();
    }

    Supervision get(const std::string& subject) {
        Supervision out;
        loop.runUntilDone([&]() -> Task<void> { out = co_await store->get(subject); }());
        return out;
    }

    // Runs `task` and returns the ApiError code it threw ("" when it did not).
    std::string errorOf(Task<void> task) {
        std::string code;
        loop.runUntilDone([&](Task<void> t) -> Task<void> {
            try {
                co_await t;
            } catch (const ApiError& e) {
                code = e.code();
                message = e.what();
            }
        }(std::move(task)));
        return code;
    }

    std::unique_ptr<signaling::SupervisionStore> store;
    std::string message;
};

TEST_F(SupervisionStoreTest, EmptyRecordForAnUnknownSubject) {
    auto s = get("u404");
    EXPECT_EQ(s.subject, "u404");
    EXPECT_FALSE(s.termStart);
    EXPECT_FALSE(s.termEnd);
    EXPECT_TRUE(s.levels.empty());
    EXPECT_TRUE(s.tags.empty());
    EXPECT_FALSE(s.area);
}

TEST_F(SupervisionStoreTest, TermAndDecisionRoundTrip) {
    EXPECT_EQ(errorOf(store->setTerm("u1", day("2026-01-15"), day("2027-01-14"),
                                     "(2025)浙0102刑初123号")),
              "");
    auto s = get("u1");
    EXPECT_EQ(s.termStart, day("2026-01-15"));
    EXPECT_EQ(s.termEnd, day("2027-01-14"));
    EXPECT_EQ(s.decision, "(2025)浙0102刑初123号");
    // Clearing the end keeps the start.
    EXPECT_EQ(errorOf(store->setTerm("u1", day("2026-01-15"), std::nullopt, "")), "");
    s = get("u1");
    EXPECT_EQ(s.termStart, day("2026-01-15"));
    EXPECT_FALSE(s.termEnd);
}

TEST_F(SupervisionStoreTest, TermValidation) {
    EXPECT_EQ(errorOf(store->setTerm("u1", day("2026-02-01"), day("2026-01-31"), "")),
              "bad_request");
    EXPECT_NE(message.find("term_end"), std::string::npos);
    EXPECT_EQ(errorOf(store->setTerm("u1", std::nullopt, day("2026-01-31"), "")), "bad_request");
    // 500 characters of Chinese (1500 bytes) are fine, 501 are not.
    std::string ok;
    for (int i = 0; i < 500; ++i) ok += "判";
    EXPECT_EQ(errorOf(store->setTerm("u1", day("2026-01-01"), day("2026-01-01"), ok)), "");
    EXPECT_EQ(errorOf(store->setTerm("u1", day("2026-01-01"), day("2026-01-01"), ok + "x")),
              "bad_request");
    EXPECT_EQ(get("u1").decision, ok);  // the rejected write changed nothing
}

TEST_F(SupervisionStoreTest, LevelHistoryIsKeptAndSameDayChangeWins) {
    auto change = [](const std::string& from, Level level, const std::string& reason) {
        return LevelChange{day(from), level, reason, "o1", 0};
    };
    EXPECT_EQ(errorOf(store->changeLevel("u1", change("2026-01-15", Level::Strict, "initial"))),
              "");
    EXPECT_EQ(errorOf(store->changeLevel("u1", change("2026-03-01", Level::Ordinary, "review"))),
              "");
    EXPECT_EQ(errorOf(store->changeLevel("u1", change("2026-03-01", Level::Lenient, "corrected"))),
              "");
    // Backdated: recorded last, sorted by its day.
    EXPECT_EQ(
        errorOf(store->changeLevel("u1", change("2026-02-01", Level::Ordinary, "late entry"))), "");
    auto s = get("u1");
    ASSERT_EQ(s.levels.size(), 4u);
    EXPECT_EQ(s.levels[0].reason, "initial");
    EXPECT_EQ(s.levels[1].reason, "late entry");
    EXPECT_EQ(s.levels[2].reason, "review");
    EXPECT_EQ(s.levels[3].reason, "corrected");
    EXPECT_GT(s.levels[0].at, 0);
    EXPECT_EQ(s.levels[0].by, "o1");
    EXPECT_EQ(s.levelOn(day("2026-01-31")), Level::Strict);
    EXPECT_EQ(s.levelOn(day("2026-02-15")), Level::Ordinary);
    EXPECT_EQ(s.levelOn(day("2026-03-01")), Level::Lenient);

    EXPECT_EQ(errorOf(store->changeLevel("u1", change("2026-04-01", Level::Strict, ""))),
              "bad_request");
    EXPECT_EQ(get("u1").levels.size(), 4u);
}

TEST_F(SupervisionStoreTest, TagsKeepTheTagSetsInStep) {
    EXPECT_EQ(errorOf(store->setTags("u1", {"minor", "fraud", "minor"}, kTags)), "");
    EXPECT_EQ(errorOf(store->setTags("u2", {"fraud"}, kTags)), "");
    EXPECT_EQ(get("u1").tags, (std::vector<std::string>{"fraud", "minor"}));
    std::set<std::string> fraud, minor, traffic;
    loop.runUntilDone([&]() -> Task<void> {
        fraud = co_await store->tagged("fraud");
        minor = co_await store->tagged("minor");
    }());
    EXPECT_EQ(fraud, (std::set<std::string>{"u1", "u2"}));
    EXPECT_EQ(minor, (std::set<std::string>{"u1"}));

    EXPECT_EQ(errorOf(store->setTags("u1", {"traffic"}, kTags)), "");
    loop.runUntilDone([&]() -> Task<void> {
        fraud = co_await store->tagged("fraud");
        minor = co_await store->tagged("minor");
        traffic = co_await store->tagged("traffic");
    }());
    EXPECT_EQ(fraud, (std::set<std::string>{"u2"}));
    EXPECT_TRUE(minor.empty());
    EXPECT_EQ(traffic, (std::set<std::string>{"u1"}));

    EXPECT_EQ(errorOf(store->setTags("u1", {"traffic", "pirate"}, kTags)), "bad_request");
    EXPECT_NE(message.find("pirate"), std::string::npos);
    EXPECT_EQ(get("u1").tags, (std::vector<std::string>{"traffic"}));
    EXPECT_EQ(errorOf(store->setTags("u1", {}, kTags)), "");
    EXPECT_TRUE(get("u1").tags.empty());
}

TEST_F(SupervisionStoreTest, AreaValidationAndRoundTrip) {
    Area circle;
    circle.name = "城关镇";
    circle.lat = 30.25;
    circle.lon = 120.16;
    circle.radiusM = 3000;
    EXPECT_EQ(errorOf(store->setArea("u1", circle)), "");
    auto s = get("u1");
    ASSERT_TRUE(s.area);
    EXPECT_EQ(s.area->name, "城关镇");
    EXPECT_EQ(s.area->radiusM, 3000);

    auto bad = [&](Area a) { return errorOf(store->setArea("u1", a)); };
    Area a = circle;
    a.radiusM = 0;
    EXPECT_EQ(bad(a), "bad_request");
    a.radiusM = 200'001;
    EXPECT_EQ(bad(a), "bad_request");
    a = circle;
    a.lat = 91;
    EXPECT_EQ(bad(a), "bad_request");
    a = circle;
    a.lon = -180.5;
    EXPECT_EQ(bad(a), "bad_request");
    Area poly;
    poly.polygon = {{30, 120}, {30, 121}};
    EXPECT_EQ(bad(poly), "bad_request");
    poly.polygon.assign(201, {30, 120});
    EXPECT_EQ(bad(poly), "bad_request");
    poly.polygon = {{30, 120}, {30, 121}, {95, 121}};
    EXPECT_EQ(bad(poly), "bad_request");
    EXPECT_EQ(get("u1").area->radiusM, 3000);  // unchanged by the rejected writes

    poly.polygon = {{30, 120}, {30, 121}, {31, 121}};
    EXPECT_EQ(bad(poly), "");
    EXPECT_EQ(get("u1").area->polygon.size(), 3u);
    EXPECT_EQ(errorOf(store->setArea("u1", std::nullopt)), "");
    EXPECT_FALSE(get("u1").area);
}

TEST_F(SupervisionStoreTest, ContactOnlyMovesForward) {
    std::optional<Contact> c;
    loop.runUntilDone([&]() -> Task<void> { c = co_await store->lastContact("u1"); }());
    EXPECT_FALSE(c);
    auto other = connect("node2");
    signaling::SupervisionStore store2(*other);
    // (Named contacts: GCC 12 mishandles a braced temporary inside a co_await expression.)
    const Contact checkin{2000, "checkin", "c1"};
    const Contact olderClass{1000, "class", "k1"};
    const Contact call{3000, "call", "x9"};
    loop.runUntilDone([&]() -> Task<void> {
        co_await store->noteContact("u1", checkin);
        co_await store2.noteContact("u1", olderClass);  // older: ignored
        c = co_await store->lastContact("u1");
    }());
    ASSERT_TRUE(c);
    EXPECT_EQ(c->ts, 2000);
    EXPECT_EQ(c->kind, "checkin");
    EXPECT_EQ(c->ref, "c1");
    loop.runUntilDone([&]() -> Task<void> {
        co_await store2.noteContact("u1", call);
        c = co_await store->lastContact("u1");
    }());
    EXPECT_EQ(c->ts, 3000);
    EXPECT_EQ(c->kind, "call");
}

}  // namespace
}  // namespace vigil::testing
