#pragma once
// Which ICE candidates from a client may reach the media server. A candidate names an
// address and port that the server's ICE agent will then send connectivity checks to (and,
// for TCP candidates, connect to): without a filter a client could steer the server at its
// own loopback services, link-local metadata endpoints, multicast groups or the server's
// own service ports. Such candidates are dropped here, before the media layer sees them.
//
// Dropped: loopback (127.0.0.0/8, ::1; unless allowLoopback, for test stacks where every
// peer is on 127.0.0.1), unspecified (0.0.0.0/8, ::), link-local (169.254.0.0/16,
// fe80::/10), multicast and broadcast (224.0.0.0/4 and above, ff00::/8), IPv4-mapped forms
// of these, a host name instead of an address (mDNS ".local" or any other: the server would
// have to resolve it), and any candidate whose port is one of `servicePorts`.

#include <string>
#include <vector>

#include "vigil/common/Config.hpp"

namespace vigil::signaling {

class CandidateFilter {
public:
    struct Options {
        bool allowLoopback{false};
        std::vector<int> servicePorts;
    };

    explicit CandidateFilter(Options options) : options_(std::move(options)) {}
    // [media] allow_loopback_candidates, and the server's HTTP and Redis ports.
    static CandidateFilter fromConfig(const common::Config& config);

    // Why `candidate` (an SDP candidate attribute, with or without "a=" / "candidate:") must
    // not reach the media server, or "" when it may. An empty candidate (end of candidates)
    // may.
    std::string rejectReason(const std::string& candidate) const;

private:
    Options options_;
};

}  // namespace vigil::signaling
