#include "Report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace fanout {

namespace {

constexpr const char* kViewerHeader =
    "viewers  receiving  server CPU %  CPU/viewer %  viewers/core  RSS MiB  RSS/viewer MiB  "
    "threads  threads/viewer  frames lost %  g2g p50/p95/max ms  bench CPU %  others %";
constexpr const char* kViewerRow =
    "%7s  %9s  %12.1f  %12s  %12s  %7.1f  %14s  %7d  %14s  %13s  %18s  %11.0f  %8s";
constexpr const char* kCameraHeader =
    "cameras  publishing  server CPU %  CPU/camera %  cameras/core  RSS/camera MiB  "
    "threads/camera  samples taken  expected  others %";
constexpr const char* kCameraRow = "%7d  %10d  %12.1f  %12s  %12s  %14s  %14s  %13lld  %8.0f  %8s";

constexpr double kBenchSaturated = 90;  // % of one core
constexpr double kBusyHost = 10;        // other processes' % of a pinned CPU

std::string number(double value, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return buf;
}

double mib(double kib) {
    return kib / 1024.0;
}

// Other processes on the server's / the bench's CPU, in % of each.
std::string others(const Window& w) {
    if (w.othersOnServerCore < 0) return "-";
    return number(w.othersOnServerCore, 0) + "/" + number(w.othersOnBenchCore, 0);
}

std::string line(const char* format, auto... args) {
    char buf[512];
    std::snprintf(buf, sizeof buf, format, args...);
    return buf;
}

}  // namespace

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
    return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

void Report::viewerHeader() {
    if (viewerHeaderDone_) return;
    viewerHeaderDone_ = true;
    out_ << kViewerHeader << "\n";
}

void Report::contention(const Window& w) {
    if (w.othersOnServerCore >= kBusyHost || w.othersOnBenchCore >= kBusyHost) {
        out_ << "         other processes took " << number(w.othersOnServerCore, 0)
             << " % of the server's CPU and " << number(w.othersOnBenchCore, 0)
             << " % of the bench's: this row is not clean\n";
    }
}

void Report::failures(const std::map<std::string, int>& byReason) {
    for (const auto& [reason, count] : byReason) {
        out_ << "         set-up failures: " << count << " x " << reason << "\n";
    }
}

void Report::baseline(const Window& w, const std::string& label) {
    if (!haveFirst_) {
        first_ = w;
        haveFirst_ = true;
    }
    viewerHeader();
    out_ << line(kViewerRow, "0", "-", w.serverCpuPercent, "-", "-", mib(w.serverEnd.rssKiB), "-",
                 w.serverEnd.threads, "-", "-", "-", w.benchCpuPercent, others(w).c_str())
         << "  " << label << "\n";
    contention(w);
    out_ << std::flush;
}

void Report::viewers(const Window& w) {
    viewerHeader();
    const double n = std::max(1, w.viewers);
    const double cpu = (w.serverCpuPercent - first_.serverCpuPercent) / n;
    const double rss = mib(static_cast<double>(w.serverEnd.rssKiB - first_.serverEnd.rssKiB)) / n;
    const double threads = static_cast<double>(w.serverEnd.threads - first_.serverEnd.threads) / n;
    std::string lost = "-";
    if (w.framesExpected > 0) {
        lost = number(100.0 * static_cast<double>(w.framesExpected - w.framesGot) /
                          static_cast<double>(w.framesExpected),
                      2);
    }
    std::string g2g = "-";
    if (!w.latencyMs.empty()) {
        g2g = number(percentile(w.latencyMs, 50), 0) + "/" +
              number(percentile(w.latencyMs, 95), 0) + "/" +
              number(percentile(w.latencyMs, 100), 0);
    }
    out_ << line(kViewerRow, std::to_string(w.viewers).c_str(), std::to_string(w.receiving).c_str(),
                 w.serverCpuPercent, number(cpu, 3).c_str(),
                 cpu > 0 ? number(100.0 / cpu, 0).c_str() : "-", mib(w.serverEnd.rssKiB),
                 number(rss, 2).c_str(), w.serverEnd.threads, number(threads, 1).c_str(),
                 lost.c_str(), g2g.c_str(), w.benchCpuPercent, others(w).c_str())
         << "\n";
    if (w.benchCpuPercent >= kBenchSaturated) {
        out_ << "         the bench used " << number(w.benchCpuPercent, 0)
             << " % of its core: frames lost and latency are partly its own\n";
    }
    if (w.unreadableStamps > 0) {
        out_ << "         unreadable time stamps: " << w.unreadableStamps << " of "
             << w.unreadableStamps + static_cast<int>(w.latencyMs.size()) << "\n";
    }
    contention(w);
    failures(w.failures);
    out_ << std::flush;
}

void Report::cameras(const Window& w, const Window& base, int requested, int sampleSeconds) {
    const double n = std::max(1, w.cameras);
    const double cpu = (w.serverCpuPercent - base.serverCpuPercent) / n;
    const double rss = mib(static_cast<double>(w.serverEnd.rssKiB - base.serverEnd.rssKiB)) / n;
    const double threads = static_cast<double>(w.serverEnd.threads - base.serverEnd.threads) / n;
    const double expected = w.cameras * w.seconds / sampleSeconds;
    out_ << "\n"
         << kCameraHeader << "\n"
         << line(kCameraRow, requested, w.cameras, w.serverCpuPercent, number(cpu, 3).c_str(),
                 cpu > 0 ? number(100.0 / cpu, 0).c_str() : "-", number(rss, 2).c_str(),
                 number(threads, 1).c_str(), w.camerasSampled, expected, others(w).c_str())
         << "\n";
    contention(w);
    failures(w.failures);
    out_ << std::flush;
}

void Report::note(const std::string& text) {
    out_ << text << "\n" << std::flush;
}

}  // namespace fanout
