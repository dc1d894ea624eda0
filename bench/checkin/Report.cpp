#include "Report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace checkin {

namespace {

std::string format(const char* fmt, double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, value);
    return buf;
}

// Nearest rank.
double rank(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    auto index = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    return sorted[std::clamp<size_t>(index, 1, sorted.size()) - 1];
}

std::string spread(std::vector<double> ms) {
    if (ms.empty()) return "-";
    std::sort(ms.begin(), ms.end());
    return "p50 " + format("%.0f", rank(ms, 50)) + "  p95 " + format("%.0f", rank(ms, 95)) +
           "  p99 " + format("%.0f", rank(ms, 99)) + "  max " + format("%.0f", ms.back()) +
           " ms (n=" + std::to_string(ms.size()) + ")";
}

void line(std::ostream& out, const std::string& label, const std::string& value) {
    out << "  " << label << std::string(label.size() < 34 ? 34 - label.size() : 1, ' ') << value
        << "\n";
}

std::string byReason(const std::map<std::string, int>& counts) {
    if (counts.empty()) return "none";
    std::string s;
    for (const auto& [reason, n] : counts)
        s += (s.empty() ? "" : ", ") + reason + " x" + std::to_string(n);
    return s;
}

}  // namespace

void printReport(std::ostream& out, const RunFigures& f) {
    const Options& o = f.options;
    int verified = 0;
    int decided = 0;
    int decidedInWindow = 0;
    std::map<std::string, int> failed;
    std::map<std::string, int> undecided;
    std::vector<double> shown;
    std::vector<double> movement;
    std::vector<double> verifiedMovement;  // a failed challenge waits out its seconds
    for (const auto& c : f.outcomes) {
        if (c.outcome.empty()) {
            ++undecided[c.error];
            continue;
        }
        ++decided;
        if (c.decidedSeconds <= o.windowSeconds) ++decidedInWindow;
        if (c.outcome == "verified") {
            ++verified;
            verifiedMovement.push_back(c.movementToDecisionMs);
        } else
            ++failed[c.reason];
        shown.push_back(c.shownToDecisionMs);
        movement.push_back(c.movementToDecisionMs);
    }
    out << "\ncheckin_bench\n";
    line(out, "subjects (prepared / asked)",
         std::to_string(f.prepared) + " / " + std::to_string(o.subjects));
    line(out, "set-up failures", byReason(f.setupFailures));
    line(out, "set-up time", format("%.0f s", f.setupSeconds));
    line(out, "window",
         std::to_string(o.windowSeconds) + " s (arrivals over the first " +
             std::to_string(o.windowSeconds - o.tailSeconds) + " s, at most " +
             std::to_string(o.concurrency) + " at once)");
    line(out, "camera",
         o.clip + " frames " + std::to_string(o.firstFrame) + "-" + std::to_string(o.lastFrame) +
             " looped, challenge " + o.challenge);
    line(out, "decided",
         std::to_string(decided) + " (" + std::to_string(decidedInWindow) + " within the window)");
    line(out, "verified", std::to_string(verified));
    line(out, "failed", byReason(failed));
    line(out, "no decision", byReason(undecided));
    line(out, "decisions per minute (window)",
         format("%.1f", decidedInWindow * 60.0 / o.windowSeconds));
    line(out, "decisions per minute (to last)",
         f.elapsedSeconds > 0 ? format("%.1f", decided * 60.0 / f.elapsedSeconds) : "-");
    line(out, "checkin_shown -> decision", spread(shown));
    line(out, "movement start -> decision", spread(movement));
    line(out, "  the verified ones", spread(verifiedMovement));
    if (f.serverBefore && f.serverAfter) {
        const double cpu = f.serverAfter->cpuSeconds - f.serverBefore->cpuSeconds;
        line(out, "server CPU",
             format("%.1f s", cpu) + " (" +
                 format("%.0f", 100.0 * cpu / std::max(f.elapsedSeconds, 1.0)) +
                 " % of one core on average)");
        line(out, "server RSS (before / peak / after)",
             format("%.0f", f.serverBefore->rssKiB / 1024.0) + " / " +
                 format("%.0f", f.serverPeakRssKiB / 1024.0) + " / " +
                 format("%.0f MiB", f.serverAfter->rssKiB / 1024.0));
        line(out, "server threads (before / after)",
             std::to_string(f.serverBefore->threads) + " / " +
                 std::to_string(f.serverAfter->threads));
    }
    line(out, "load average (start / end)", f.loadBefore + " / " + f.loadAfter);
}

}  // namespace checkin
