#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "RedisFixture.hpp"
#include "vigil/common/Config.hpp"
#include "vigil/common/Error.hpp"
#include "vigil/signaling/AlertBook.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/Keys.hpp"

namespace vigil::testing {
namespace {

using common::ApiError;
using common::Millis;
using common::Task;
using signaling::Alert;
using signaling::AlertBook;
using signaling::AlertState;
using signaling::NewUser;
using signaling::Role;
using signaling::User;
namespace keys = signaling::keys;

constexpr Millis kMinute = 60'000;
constexpr Millis kRaised = 1'795'950'000'000;

struct Told {
    std::string id;
    bool escalated;
    std::string escalatedTo;
};

class RecordingListener : public signaling::AlertListener {
public:
    void onAlert(const Alert& alert, bool escalated) override {
        told.push_back({alert.id, escalated, alert.escalatedTo});
    }
    std::vector<Told> told;
};

// A county with two townships; an officer in each township, an administrator of the county.
class AlertBookTest : public RedisFixture {
protected:
    void SetUp() override {
        RedisFixture::SetUp();
        config.alerts.escalateAfterMinutes = 60;
        directory = std::make_unique<signaling::Directory>(*redis);
        audit = std::make_unique<signaling::AuditLog>(*redis);
        book = std::make_unique<AlertBook>(*redis, *directory, *audit, config);
        book->setListener(&listener);
        run([&]() -> Task<void> {
            co_await directory->addUnit("county", "County", "");
            co_await directory->addUnit("town1", "Town 1", "county");
            co_await directory->addUnit("town2", "Town 2", "county");
            officer1 = co_await directory->addUser(newUser("officer1", Role::Officer, "town1"));
            officer2 = co_await directory->addUser(newUser("officer2", Role::Officer, "town2"));
            admin = co_await directory->addUser(newUser("admin", Role::Administrator, "county"));
            subject = co_await directory->addUser(newUser("subject1", Role::Subject, "town1"));
        }());
    }
    void TearDown() override {
        book.reset();
        audit.reset();
        directory.reset();
        RedisFixture::TearDown();
    }

    static NewUser newUser(const std::string& username, Role role, const std::string& unit) {
        NewUser u;
        u.username = username;
        u.name = username;
        u.role = role;
        u.unit = unit;
        u.passwordHash = "$argon2id$not-a-usable-hash";
        return u;
    }

    void run(Task<void> task) { loop.runUntilDone(std::move(task)); }

    std::optional<Alert> raise(const std::string& kind, const std::string& dedupe = "",
                               Millis at = kRaised) {
        Alert a;
        a.kind = kind;
        a.subject = subject.id;
        a.classId = "c1";
        a.message = kind + " in class c1";
        a.raisedAt = at;
        std::optional<Alert> out;
        run([&]() -> Task<void> { out = co_await book->raise(a, dedupe); }());
        return out;
    }

    std::vector<Alert> list(const User& viewer, const std::string& state = "",
                            bool escalated = false) {
        std::vector<Alert> out;
        run([&]() -> Task<void> {
            out = co_await book->list(viewer, state, escalated, "", 100);
        }());
        return out;
    }

    // The code of the ApiError `body` throws, or "" when it does not.
    std::string errorOf(const std::function<Task<void>()>& body) {
        std::string code;
        run([&]() -> Task<void> {
            try {
                co_await body();
            } catch (const ApiError& e) {
                code = e.code();
            }
        }());
        return code;
    }

    std::vector<signaling::AuditEntry> auditOf(const std::string& action) {
        std::vector<signaling::AuditEntry> all;
        run([&]() -> Task<void> { all = co_await audit->read("-", 1000); }());
        std::vector<signaling::AuditEntry> out;
        for (const auto& e : all) {
            for (const auto& [name, value] : e.fields) {
                if (name == "action" && value == action) out.push_back(e);
            }
        }
        return out;
    }

    static std::string fieldOf(const signaling::AuditEntry& e, const std::string& name) {
        for (const auto& [n, v] : e.fields) {
            if (n == name) return v;
        }
        return "";
    }

    int escalate(Millis now) {
        int n = 0;
        run([&]() -> Task<void> { n = co_await book->escalateOverdue(now); }());
        return n;
    }

    std::optional<Alert> find(const std::string& id) {
        std::optional<Alert> out;
        run([&]() -> Task<void> { out = co_await book->find(id); }());
        return out;
    }

    long long streamLength() {
        long long n = 0;
        run([&]() -> Task<void> {
            n = (co_await redis->cmd("XLEN", keys::kAlerts)).asInteger();
        }());
        return n;
    }

    common::Config config;
    std::unique_ptr<signaling::Directory> directory;
    std::unique_ptr<signaling::AuditLog> audit;
    std::unique_ptr<AlertBook> book;
    RecordingListener listener;
    User officer1, officer2, admin, subject;
};

TEST_F(AlertBookTest, RaisedAlertIsStoredOpenInTheSubjectsUnitAndTold) {
    auto alert = raise("absent");
    ASSERT_TRUE(alert);
    EXPECT_EQ(alert->unit, "town1");
    auto stored = find(alert->id);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->state, AlertState::Open);
    EXPECT_EQ(stored->kind, "absent");
    EXPECT_EQ(stored->classId, "c1");
    EXPECT_EQ(stored->raisedAt, kRaised);
    ASSERT_EQ(listener.told.size(), 1U);
    EXPECT_EQ(listener.told[0].id, alert->id);
    EXPECT_FALSE(listener.told[0].escalated);
    EXPECT_EQ(streamLength(), 1);  // Readers of the raw stream still see it.
}

TEST_F(AlertBookTest, AcknowledgeThenResolveWithANote) {
    auto alert = raise("missed_call");
    ASSERT_TRUE(alert);
    Alert acked, resolved;
    run([&]() -> Task<void> { acked = co_await book->acknowledge(officer1, alert->id); }());
    EXPECT_EQ(acked.state, AlertState::Acknowledged);
    EXPECT_EQ(acked.acknowledgedBy, officer1.id);
    EXPECT_GT(acked.acknowledgedAt, 0);
    run([&]() -> Task<void> {
        resolved = co_await book->resolve(officer1, alert->id, "called back; was in hospital");
    }());
    EXPECT_EQ(resolved.state, AlertState::Resolved);
    auto stored = find(alert->id);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->state, AlertState::Resolved);
    EXPECT_EQ(stored->acknowledgedBy, officer1.id);
    EXPECT_EQ(stored->resolvedBy, officer1.id);
    EXPECT_EQ(stored->note, "called back; was in hospital");

    auto acks = auditOf("alert_acknowledge");
    ASSERT_EQ(acks.size(), 1U);
    EXPECT_EQ(fieldOf(acks[0], "actor"), officer1.id);
    EXPECT_EQ(fieldOf(acks[0], "target"), alert->id);
    auto resolves = auditOf("alert_resolve");
    ASSERT_EQ(resolves.size(), 1U);
    EXPECT_NE(fieldOf(resolves[0], "detail").find("was in hospital"), std::string::npos);
}

TEST_F(AlertBookTest, TransitionsTheStateDoesNotAllowAreConflicts) {
    auto alert = raise("absent");
    ASSERT_TRUE(alert);
    std::string id = alert->id;
    EXPECT_EQ(errorOf([&]() -> Task<void> { co_await book->acknowledge(officer1, id); }), "");
    EXPECT_EQ(errorOf([&]() -> Task<void> { co_await book->acknowledge(officer1, id); }),
              "conflict");
    EXPECT_EQ(errorOf([&]() -> Task<void> { co_await book->resolve(officer1, id, "done"); }), "");
    EXPECT_EQ(errorOf([&]() -> Task<void> { co_await book->resolve(officer1, id, "again"); }),
              "conflict");
    EXPECT_EQ(errorOf([&]() -> Task<void> { co_await book->acknowledge(officer1, id); }),
              "conflict");
    EXPECT_EQ(auditOf("alert_resolve").size(), 1U);
    // An open alert may be resolved at once.
    auto other = raise("camera_off");
    ASSERT_TRUE(other);
    EXPECT_EQ(errorOf([&]() -> Task<void> { co_await book->resolve(admin, other->id, "ok"); }), "");
}

TEST_F(AlertBookTest, ResolvingNeedsANoteOfAtMost2000Characters) {
    auto alert = raise("absent");
    ASSERT_TRUE(alert);
    std::string id = alert->id;
    EXPECT_EQ(errorOf([&]() -> Task<void> { co_await book->resolve(officer1, id, ""); }),
              "bad_request");
    EXPECT_EQ(errorOf([&]() -> Task<void> { co_await book->resolve(officer1, id, " \n\t"); }),
              "bad_request");
    std::string tooLong(2001, 'x');
    EXPECT_EQ(errorOf([&]() -> Task<void> { co_await book->resolve(officer1, id, tooLong); }),
              "bad_request");
    EXPECT_EQ(find(id)->state, AlertState::Open);
    // 2000 Chinese characters are 6000 bytes and still a valid note.
    std::string chinese;
    for (int i = 0; i < 2000; ++i) chinese += "处";
    EXPECT_EQ(errorOf([&]() -> Task<void> { co_await book->resolve(officer1, id, chinese); }), "");
    EXPECT_EQ(find(id)->note, chinese);
}

TEST_F(AlertBookTest, UnknownAlertsAreNotFoundAndOutOfScopeOnesForbidden) {
    auto alert = raise("absent");
    ASSERT_TRUE(alert);
    std::string id = alert->id;
    EXPECT_EQ(errorOf([&]() -> Task<void> { co_await book->acknowledge(officer2, id); }),
              "forbidden");
    EXPECT_EQ(errorOf([&]() -> Task<void> { co_await book->resolve(officer2, id, "x"); }),
              "forbidden");
    EXPECT_EQ(errorOf([&]() -> Task<void> { co_await book->acknowledge(subject, id); }),
              "forbidden");
    EXPECT_EQ(errorOf([&]() -> Task<void> { co_await book->acknowledge(officer1, "al999"); }),
              "not_found");
    EXPECT_EQ(find(id)->state, AlertState::Open);
}

TEST_F(AlertBookTest, ADedupeKeyRaisesOnceUntilResolved) {
    auto first = raise("absent", "class:c1:absent:" + subject.id);
    ASSERT_TRUE(first);
    EXPECT_FALSE(raise("absent", "class:c1:absent:" + subject.id));
    run([&]() -> Task<void> { co_await book->acknowledge(officer1, first->id); }());
    EXPECT_FALSE(raise("absent", "class:c1:absent:" + subject.id));
    EXPECT_TRUE(raise("absent", "class:c2:absent:" + subject.id));
    EXPECT_EQ(list(officer1).size(), 2U);
    EXPECT_EQ(streamLength(), 4);  // Every occurrence is in the raw stream.

    run([&]() -> Task<void> { co_await book->resolve(officer1, first->id, "spoke to him"); }());
    auto again = raise("absent", "class:c1:absent:" + subject.id);
    ASSERT_TRUE(again);
    EXPECT_NE(again->id, first->id);
    EXPECT_EQ(listener.told.size(), 3U);
}

TEST_F(AlertBookTest, ListIsScopedByUnit) {
    auto alert = raise("absent");
    ASSERT_TRUE(alert);
    auto mine = list(officer1);
    ASSERT_EQ(mine.size(), 1U);
    EXPECT_EQ(mine[0].id, alert->id);
    EXPECT_TRUE(list(officer2).empty());
    EXPECT_EQ(list(admin).size(), 1U);
    EXPECT_TRUE(list(subject).empty());
}

TEST_F(AlertBookTest, ListFiltersByStateAndSubjectNewestFirst) {
    auto a = raise("absent", "", kRaised);
    auto b = raise("not_matched", "", kRaised + 1000);
    auto c = raise("camera_off", "", kRaised + 2000);
    ASSERT_TRUE(a && b && c);
    run([&]() -> Task<void> { co_await book->acknowledge(officer1, b->id); }());
    run([&]() -> Task<void> { co_await book->resolve(officer1, c->id, "camera repaired"); }());
    auto all = list(officer1);
    ASSERT_EQ(all.size(), 3U);
    EXPECT_EQ(all[0].id, c->id);
    EXPECT_EQ(all[2].id, a->id);
    auto open = list(officer1, "open");
    ASSERT_EQ(open.size(), 1U);
    EXPECT_EQ(open[0].id, a->id);
    auto acked = list(officer1, "acknowledged");
    ASSERT_EQ(acked.size(), 1U);
    EXPECT_EQ(acked[0].id, b->id);
    auto resolved = list(officer1, "resolved");
    ASSERT_EQ(resolved.size(), 1U);
    EXPECT_EQ(resolved[0].id, c->id);

    std::vector<Alert> one, none;
    run([&]() -> Task<void> {
        one = co_await book->list(officer1, "", false, subject.id, 1);
        none = co_await book->list(officer1, "", false, officer2.id, 100);
    }());
    ASSERT_EQ(one.size(), 1U);
    EXPECT_EQ(one[0].id, c->id);
    EXPECT_TRUE(none.empty());
    EXPECT_EQ(
        errorOf([&]() -> Task<void> { co_await book->list(officer1, "closed", false, "", 10); }),
        "bad_request");
}

TEST_F(AlertBookTest, AnAlertLeftOpenEscalatesToTheParentOncePerPeriod) {
    auto alert = raise("missed_checkin");
    ASSERT_TRUE(alert);
    listener.told.clear();
    EXPECT_EQ(escalate(kRaised + 59 * kMinute), 0);
    EXPECT_EQ(escalate(kRaised + 60 * kMinute), 1);
    auto stored = find(alert->id);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->escalatedTo, "county");
    EXPECT_EQ(stored->escalatedAt, kRaised + 60 * kMinute);
    EXPECT_EQ(stored->state, AlertState::Open);
    ASSERT_EQ(listener.told.size(), 1U);
    EXPECT_TRUE(listener.told[0].escalated);
    EXPECT_EQ(listener.told[0].escalatedTo, "county");
    // The county has no parent: later sweeps leave it there and audit nothing more.
    EXPECT_EQ(escalate(kRaised + 61 * kMinute), 0);
    EXPECT_EQ(escalate(kRaised + 200 * kMinute), 0);
    auto audited = auditOf("alert_escalated");
    ASSERT_EQ(audited.size(), 1U);
    EXPECT_EQ(fieldOf(audited[0], "target"), alert->id);
    EXPECT_NE(fieldOf(audited[0], "detail").find("\"to\":\"county\""), std::string::npos);

    auto escalated = list(admin, "", true);
    ASSERT_EQ(escalated.size(), 1U);
    EXPECT_EQ(escalated[0].id, alert->id);
    EXPECT_TRUE(list(officer1, "", true).size() == 1U);
    EXPECT_TRUE(list(officer2).empty());
}

TEST_F(AlertBookTest, EscalationClimbsOneUnitPerPeriod) {
    run([&]() -> Task<void> {
        co_await directory->addUnit("village", "Village office", "town1");
        subject = co_await directory->addUser(newUser("subject2", Role::Subject, "village"));
    }());
    auto alert = raise("overdue");
    ASSERT_TRUE(alert);
    EXPECT_EQ(escalate(kRaised + 60 * kMinute), 1);
    EXPECT_EQ(find(alert->id)->escalatedTo, "town1");
    EXPECT_EQ(escalate(kRaised + 90 * kMinute), 0);  // Not a period since the last step.
    EXPECT_EQ(escalate(kRaised + 120 * kMinute), 1);
    EXPECT_EQ(find(alert->id)->escalatedTo, "county");
    EXPECT_EQ(auditOf("alert_escalated").size(), 2U);
}

TEST_F(AlertBookTest, AcknowledgedOrResolvedAlertsDoNotEscalate) {
    auto acked = raise("absent");
    auto resolved = raise("camera_off");
    ASSERT_TRUE(acked && resolved);
    run([&]() -> Task<void> {
        co_await book->acknowledge(officer1, acked->id);
        co_await book->resolve(officer1, resolved->id, "handled");
    }());
    EXPECT_EQ(escalate(kRaised + 600 * kMinute), 0);
    EXPECT_TRUE(find(acked->id)->escalatedTo.empty());
    EXPECT_TRUE(auditOf("alert_escalated").empty());
}

TEST_F(AlertBookTest, TwoNodesSweepingAtOnceEscalateOnce) {
    auto alert = raise("absent");
    ASSERT_TRUE(alert);
    auto other = connect("node2");
    signaling::Directory directory2(*other);
    signaling::AuditLog audit2(*other);
    AlertBook book2(*other, directory2, audit2, config);
    int a = 0, b = -1;
    run([&]() -> Task<void> {
        // Both read the alert as due before either writes.
        auto second = [&]() -> Task<void> {
            b = co_await book2.escalateOverdue(kRaised + 60 * kMinute);
        };
        common::spawn(second(), [&](const std::exception_ptr&) { b = 99; });
        a = co_await book->escalateOverdue(kRaised + 60 * kMinute);
        while (b < 0) co_await loop.sleep(std::chrono::milliseconds(5));
    }());
    EXPECT_EQ(a + b, 1);
    EXPECT_EQ(auditOf("alert_escalated").size(), 1U);
}

}  // namespace
}  // namespace vigil::testing
