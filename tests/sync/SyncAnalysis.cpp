#include "SyncAnalysis.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <set>
#include <sstream>

#include "SyncPublisher.hpp"

namespace vigil::testing {

namespace {

// The publisher's frame period: a flash seen this long after the frame before it lost nothing.
constexpr double kFramePeriodSeconds = 1.0 / SyncPublisher::kFps;

// Index of the value in sorted `values` nearest to `t`, or -1 if there is none.
int nearest(const std::vector<double>& values, double t) {
    if (values.empty()) return -1;
    auto it = std::lower_bound(values.begin(), values.end(), t);
    if (it == values.end()) return static_cast<int>(values.size()) - 1;
    if (it == values.begin()) return 0;
    auto before = std::prev(it);
    return static_cast<int>((t - *before <= *it - t ? before : it) - values.begin());
}

double mean(const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return v.empty() ? 0.0 : sum / static_cast<double>(v.size());
}

}  // namespace

std::vector<int> alignToSchedule(const std::vector<double>& onsets, const std::vector<double>& sent,
                                 double toleranceSeconds) {
    std::vector<int> index(onsets.size(), -1);
    if (onsets.empty() || sent.empty()) return index;
    // The origin that lines up the most onsets with sent events, tried from each of the first
    // few onsets (one of them may be spurious).
    double bestShift = 0;
    int bestScore = -1;
    const size_t anchors = std::min<size_t>(5, onsets.size());
    for (size_t a = 0; a < anchors; ++a) {
        for (double s : sent) {
            const double shift = onsets[a] - s;
            int score = 0;
            for (double t : onsets) {
                int k = nearest(sent, t - shift);
                if (std::fabs(t - shift - sent[k]) <= toleranceSeconds) ++score;
            }
            if (score > bestScore) {
                bestScore = score;
                bestShift = shift;
            }
        }
    }
    // Then in order, following the timeline as it wanders.
    double shift = bestShift;
    int last = -1;
    for (size_t i = 0; i < onsets.size(); ++i) {
        int k = nearest(sent, onsets[i] - shift);
        if (k > last && std::fabs(onsets[i] - shift - sent[k]) <= toleranceSeconds) {
            index[i] = k;
            last = k;
            shift = onsets[i] - sent[k];
        }
    }
    return index;
}

SyncReport analyseSync(const std::vector<double>& flashes, const std::vector<double>& beeps,
                       const SyncSchedule& schedule, int flashesSent,
                       const std::vector<double>& flashLeads,
                       const std::vector<double>& beepLeads) {
    SyncReport r;
    r.flashesSent = flashesSent;
    r.flashesFound = static_cast<int>(flashes.size());
    r.beepsFound = static_cast<int>(beeps.size());

    std::vector<double> sent;
    for (auto ns : schedule.events) sent.push_back(static_cast<double>(ns) / 1e9);
    const std::vector<int> events = alignToSchedule(flashes, sent);
    std::vector<double> residuals;
    for (size_t i = 0; i < flashes.size(); ++i) {
        if (events[i] < 0) continue;
        ++r.flashesMatched;
        residuals.push_back(flashes[i] - sent[events[i]]);
    }
    if (!residuals.empty()) {
        auto [lo, hi] = std::minmax_element(residuals.begin(), residuals.end());
        r.timelineSpreadMs = (*hi - *lo) * 1000.0;
    }

    std::set<int> paired;
    std::vector<double> offsets;
    for (size_t i = 0; i < flashes.size(); ++i) {
        const int k = nearest(beeps, flashes[i]);
        if (k < 0 || std::fabs(beeps[k] - flashes[i]) > kPairWindowSeconds) continue;
        const double lost = i < flashLeads.size() ? flashLeads[i] - kFramePeriodSeconds : 0.0;
        const double silent = static_cast<size_t>(k) < beepLeads.size() ? beepLeads[k] : 0.0;
        r.pairs.push_back({flashes[i], beeps[k], events[i], std::max(0.0, lost), silent});
        offsets.push_back(r.pairs.back().offsetMs());
        if (events[i] >= 0) paired.insert(events[i]);
    }
    r.eventsPaired = static_cast<int>(paired.size());
    if (offsets.empty()) return r;

    r.meanMs = mean(offsets);
    auto [lo, hi] = std::minmax_element(offsets.begin(), offsets.end());
    r.minMs = *lo;
    r.maxMs = *hi;
    r.maxAbsMs = std::max(std::fabs(*lo), std::fabs(*hi));
    double var = 0;
    for (double o : offsets) var += (o - r.meanMs) * (o - r.meanMs);
    r.stddevMs = std::sqrt(var / static_cast<double>(offsets.size()));

    // Least squares: offset = a + b * time.
    std::vector<double> times;
    for (const auto& p : r.pairs) times.push_back(p.video);
    const double tMean = mean(times);
    double sxy = 0;
    double sxx = 0;
    for (size_t i = 0; i < times.size(); ++i) {
        sxy += (times[i] - tMean) * (offsets[i] - r.meanMs);
        sxx += (times[i] - tMean) * (times[i] - tMean);
    }
    if (sxx > 0) r.driftMs = sxy / sxx * (times.back() - times.front());
    const size_t tenth = std::max<size_t>(1, offsets.size() / 10);
    r.firstMeanMs = mean({offsets.begin(), offsets.begin() + static_cast<long>(tenth)});
    r.lastMeanMs = mean({offsets.end() - static_cast<long>(tenth), offsets.end()});
    return r;
}

std::string SyncReport::summary() const {
    std::ostringstream s;
    s << std::fixed << std::setprecision(1);
    s << "flashes sent " << flashesSent << ", found " << flashesFound << " (" << flashesMatched
      << " matched to sent events), beeps found " << beepsFound << "\n";
    s << "pairs " << pairs.size() << ", sent events paired " << eventsPaired << " ("
      << pairedShare() * 100.0 << "%)\n";
    s << "audio - video (ms): mean " << meanMs << ", min " << minMs << ", max " << maxMs
      << ", max |offset| " << maxAbsMs << ", stddev " << stddevMs << "\n";
    s << "drift (ms, fitted over the recording) " << driftMs << "; mean of first tenth "
      << firstMeanMs << ", last tenth " << lastMeanMs << "\n";
    s << "recording timeline vs sender clock: spread " << timelineSpreadMs << " ms";
    return s.str();
}

}  // namespace vigil::testing
