#pragma once
// 脱管 prevention: for every subject inside a supervision term, the last verified contact (a
// verified check-in, verified class presence or an accepted supervision call) and the day by
// which the next one is due under the level in force; a subject past that day is overdue.
// A periodic sweep raises `overdue` alerts and `missed_call` alerts for call periods that
// ended without an accepted call (missed check-ins are raised by the check-in service).
//
// Each alert is raised once: the sweep claims "vigil:progalert:<kind>:<subject>:<key>" with
// SET NX (kept 400 days) before raising, so neither a second node's sweep nor a resolved
// alert brings it back.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vigil/common/Clock.hpp"
#include "vigil/common/Config.hpp"
#include "vigil/common/RedisClient.hpp"
#include "vigil/common/Task.hpp"
#include "vigil/signaling/AlertBook.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/LevelPolicy.hpp"
#include "vigil/signaling/SupervisionStore.hpp"
#include "vigil/signaling/UnitTree.hpp"

namespace vigil::signaling {

// Where one active subject stands with contact.
struct ContactStatus {
    Level level{Level::Ordinary};
    std::optional<Contact> lastContact;
    Day dueBy{0};     // the last day the next verified contact is due on
    int daysLate{0};  // today - dueBy: > 0 late by that many days; <= 0 not yet due
    bool overdue{false};
};

// nullopt unless the subject is inside the term on `today`. The next contact is due the
// level's longest gap (on `today`) after the later of the last contact's day and the term's
// first day.
std::optional<ContactStatus> contactStatus(const Supervision& supervision,
                                           const std::optional<Contact>& lastContact,
                                           const LevelPolicy& policy, Day today,
                                           int utcOffsetMinutes);

// One line of the overdue list.
struct OverdueRow {
    User subject;
    Supervision supervision;
    ContactStatus status;
};

// Latest first: most days late first, then name, then id.
void sortByLateness(std::vector<OverdueRow>& rows);

// Those of `periods` in which none of `days` falls.
std::vector<DuePeriod> periodsWithout(const std::vector<DuePeriod>& periods,
                                      const std::vector<Day>& days);

// A subject's supervision record and last contact, as the monitor and reports read them.
struct SubjectProgramme {
    User subject;
    Supervision supervision;
    std::optional<Contact> lastContact;
};

// A subject's check-ins started in a time range: verified and missed, and the days of the
// verified ones.
struct CheckinCounts {
    int verified{0};
    int missed{0};
    std::vector<Day> verifiedDays;
};

class ProgrammeMonitor {
public:
    struct Deps {
        common::RedisClient& redis;
        Directory& directory;
        SupervisionStore& supervision;
        const LevelPolicy& policy;
        AlertBook& alerts;
        const common::Config& config;
    };

    explicit ProgrammeMonitor(const Deps& deps) : deps_(deps) {}

    // The subjects (role subject, not disabled) of `unit` and below, with their records.
    common::Task<std::vector<SubjectProgramme>> programmes(const UnitTree& tree, std::string unit);
    // The overdue list of `unit` and below: every subject inside a term, sorted by lateness.
    common::Task<std::vector<OverdueRow>> overdue(const UnitTree& tree, std::string unit,
                                                  common::Millis now);
    // The days on which each subject accepted a supervision call created in [from, to).
    common::Task<std::map<std::string, std::vector<Day>>> acceptedCallDays(common::Millis from,
                                                                           common::Millis to);

    // Check-ins (CheckinService's records) of `subject` started in [from, to).
    common::Task<CheckinCounts> checkins(std::string subject, common::Millis from,
                                         common::Millis to);

    // Raises the alerts due at `now`; does nothing when the last sweep of this process ran
    // less than a minute ago. Returns the number of alerts raised.
    common::Task<int> sweep(common::Millis now);

private:
    // Claims the alert key and raises the alert; false when it was raised before.
    common::Task<bool> raiseOnce(Alert alert, const std::string& key);

    Deps deps_;
    common::Millis lastSweep_{0};
};

}  // namespace vigil::signaling
