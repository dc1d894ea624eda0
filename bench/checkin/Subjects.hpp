#pragma once
// The subjects of a run, prepared through the REST API as an agency would: each account
// created by the administrator, a face reference enrolled from a photo, an active
// supervision term and the strict level (a check-in every day, so one is due now), then
// signed in once (a login costs an argon2id hash; the token serves its sockets).

#include <map>
#include <string>
#include <vector>

namespace checkin {

struct Subject {
    std::string id;
    std::string username;
    std::string token;
};

// Returns the subjects that are ready; `failures` counts the others by step and reason.
std::vector<Subject> prepareSubjects(int port, const std::string& adminToken, int count,
                                     const std::string& photoPath,
                                     std::map<std::string, int>* failures);

}  // namespace checkin
