#pragma once
// The viewers of one publisher, all in this process. The first `decoders` decode the picture
// and read its time stamp (glass-to-glass latency); the others only count the frames that
// arrive, since one CPU cannot decode hundreds of 720p streams.

#include <map>
#include <string>
#include <vector>

#include "Participant.hpp"

namespace fanout {

class Audience {
public:
    // Viewers sign in with `tokens` in turn, join `classId` and subscribe to `source`.
    Audience(int port, std::string classId, std::string source, std::vector<std::string> tokens,
             int decoders);
    ~Audience();
    Audience(const Audience&) = delete;
    Audience& operator=(const Audience&) = delete;

    // Adds viewers until there are `count`, then waits for each new one to receive a frame.
    // Returns the failures by reason; a viewer that failed still counts in size().
    std::map<std::string, int> growTo(int count);
    int size() const { return static_cast<int>(viewers_.size()); }
    // Per viewer: frames decoded if it decodes, otherwise frames received.
    std::vector<int> frames() const;
    // Latency samples of every decoding viewer since the previous call.
    std::vector<double> takeLatencySamples();
    int unreadableStamps() const;
    // Closes every viewer's socket without stop_media: the server must clean up after it.
    void clear();

private:
    bool decodes(size_t index) const { return index < static_cast<size_t>(decoders_); }

    int port_;
    std::string classId_;
    std::string source_;
    std::vector<std::string> tokens_;
    int decoders_;
    std::vector<Participant> viewers_;
};

}  // namespace fanout
