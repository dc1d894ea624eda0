#pragma once
// Subjects' supervision records in Redis: term, level history, tags, registered area; and
// each subject's last verified contact. Validates what it is given (bad_request with a
// message a person can act on); the REST routes (SupervisionRoutes) check who may call.
//
// Keys: vigil:sup:<subject> hash (term_start, term_end, decision, tags JSON, area JSON);
// vigil:levels:<subject> list of level-change JSON, oldest first; vigil:tag:<tag> set of
// subject ids; vigil:contact:<subject> hash (ts, kind, ref) of the last verified contact.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "vigil/common/RedisClient.hpp"
#include "vigil/common/Task.hpp"
#include "vigil/signaling/Supervision.hpp"

namespace vigil::signaling {

// A verified contact: kind is checkin | class | call, ref the check-in, class or call id.
struct Contact {
    common::Millis ts{0};
    std::string kind;
    std::string ref;
};

class SupervisionStore {
public:
    explicit SupervisionStore(common::RedisClient& redis) : redis_(redis) {}

    // The record (an empty one, with only `subject` set, when none was written).
    common::Task<Supervision> get(std::string subject);
    // Term, decision, tags and area (levels are changed only by changeLevel). Tags must be
    // in `allowedTags`.
    common::Task<void> setTerm(std::string subject, std::optional<Day> start,
                               std::optional<Day> end, std::string decision);
    common::Task<void> setTags(std::string subject, std::vector<std::string> tags,
                               const std::vector<std::string>& allowedTags);
    common::Task<void> setArea(std::string subject, std::optional<Area> area);
    // Appends a dated level change; a change with the same `from` day replaces the level from
    // that day on (both stay in the history).
    common::Task<void> changeLevel(std::string subject, LevelChange change);
    // Subjects tagged with `tag`.
    common::Task<std::set<std::string>> tagged(std::string tag);

    // Records a verified contact if it is newer than the one kept.
    common::Task<void> noteContact(std::string subject, Contact contact);
    common::Task<std::optional<Contact>> lastContact(std::string subject);

    // The checks the setters make, for a caller that changes several parts at once and must
    // refuse the whole change before writing any of it. Each throws bad_request.
    static void validateTerm(std::optional<Day> start, std::optional<Day> end,
                             const std::string& decision);
    static void validateTags(const std::vector<std::string>& tags,
                             const std::vector<std::string>& allowedTags);
    static void validateArea(const Area& area);
    static void validateLevelChange(const LevelChange& change);

private:
    common::RedisClient& redis_;  // Passed by argument.
};

}  // namespace vigil::signaling
