#pragma once
// Subjects in the class, each publishing its presence camera at the size, rate and bitrate
// the server asks for in the join reply, as a browser does.

#include <map>
#include <string>
#include <vector>

#include "Participant.hpp"

namespace fanout {

class Cameras {
public:
    Cameras(int port, std::string classId);
    ~Cameras();
    Cameras(const Cameras&) = delete;
    Cameras& operator=(const Cameras&) = delete;

    // One subject per token joins and publishes `camera`; returns the failures by reason.
    std::map<std::string, int> start(const std::vector<std::string>& tokens);
    int publishing() const;
    // Every subject's heartbeat: without one for 30 s a subject leaves the class.
    void heartbeat();
    void clear();

private:
    int port_;
    std::string classId_;
    std::vector<Participant> subjects_;
    int nextId_ = 0;
};

}  // namespace fanout
