#pragma once
// What fanout prints: one row per step as soon as it is measured, per-viewer figures taken
// over the publisher-only baseline, then the cameras and a summary.

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "Measure.hpp"

namespace fanout {

class Report {
public:
    explicit Report(std::ostream& out) : out_(out) {}

    // The publisher alone: the baseline of every later row. `label` says when it was taken.
    void baseline(const Window& w, const std::string& label);
    // N viewers, against the first baseline.
    void viewers(const Window& w);
    // `requested` subjects' cameras, of which w.cameras publish, against `base` (the
    // publisher alone after the viewers left).
    void cameras(const Window& w, const Window& base, int requested, int sampleSeconds);
    void note(const std::string& line);

private:
    void viewerHeader();
    void failures(const std::map<std::string, int>& byReason);
    void contention(const Window& w);

    std::ostream& out_;
    bool viewerHeaderDone_ = false;
    Window first_;
    bool haveFirst_ = false;
};

// Nearest-rank percentile (0 < p <= 100); 0 for none.
double percentile(std::vector<double> values, double p);

}  // namespace fanout
