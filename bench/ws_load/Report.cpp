#include "Report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <thread>

#include "Run.hpp"

namespace ws_load {

void Table::section(std::string title) {
    lines_.push_back({true, std::move(title), ""});
}

void Table::row(std::string label, std::string value) {
    lines_.push_back({false, std::move(label), std::move(value)});
}

void Table::print(std::ostream& out) const {
    size_t labelWidth = 0;
    size_t valueWidth = 0;
    for (const auto& l : lines_) {
        if (l.heading) continue;
        labelWidth = std::max(labelWidth, l.label.size());
        valueWidth = std::max(valueWidth, l.value.size());
    }
    std::string rule = "+";
    rule.append(labelWidth + 2, '-').append("+").append(valueWidth + 2, '-').append("+");
    out << rule << "\n";
    for (const auto& l : lines_) {
        if (l.heading) {
            if (&l != &lines_.front()) out << rule << "\n";
            out << "| " << std::left << std::setw(static_cast<int>(labelWidth + valueWidth + 3))
                << l.label << " |\n"
                << rule << "\n";
            continue;
        }
        out << "| " << std::left << std::setw(static_cast<int>(labelWidth)) << l.label << " | "
            << std::setw(static_cast<int>(valueWidth)) << l.value << " |\n";
    }
    out << rule << "\n";
}

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
    return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

std::string fixed(double value, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return buf;
}

std::string latencySummary(const std::vector<double>& ms) {
    if (ms.empty()) return "-";
    auto f = [](double v) { return fixed(v, v < 10 ? 2 : 1); };
    return "p50 " + f(percentile(ms, 50)) + ", p90 " + f(percentile(ms, 90)) + ", p99 " +
           f(percentile(ms, 99)) + ", max " + f(percentile(ms, 100)) +
           " ms (n=" + std::to_string(ms.size()) + ")";
}

std::string mebibytes(long kib) {
    return fixed(static_cast<double>(kib) / 1024.0, 1) + " MiB";
}

std::string counts(const std::map<std::string, int>& byReason) {
    if (byReason.empty()) return "none";
    std::string out;
    for (const auto& [reason, n] : byReason) {
        if (!out.empty()) out += ", ";
        out += reason + " x" + std::to_string(n);
    }
    return out;
}

namespace {

std::string processRow(const std::optional<ProcSample>& s) {
    if (!s) return "n/a";
    return mebibytes(s->rssKiB) + " (" + std::to_string(s->threads) + " threads)";
}

void reportSetup(Table& t, const Run& r) {
    const int teachers = static_cast<int>(r.seed.classIds.size());
    t.section("setup");
    t.row("server", r.target.server ? "started: vigil serve on 127.0.0.1:" +
                                          std::to_string(r.target.http.port) + ", pid " +
                                          std::to_string(r.target.serverPid)
                                    : "given: " + r.opt.url);
    t.row("clients", std::to_string(r.opt.clients) + " subjects" +
                         (r.opt.teachers ? " + " + std::to_string(teachers) + " teachers" : ""));
    t.row("classes", std::to_string(r.seed.classIds.size()) + " of up to " +
                         std::to_string(r.opt.classSize) + " subjects");
    t.row("ramp pace", std::to_string(r.opt.rampBatch) + " connections / " +
                           std::to_string(r.opt.rampStepMs) + " ms");
    t.row("hold, heartbeat", std::to_string(r.opt.holdSeconds) + " s, every " +
                                 std::to_string(r.opt.heartbeatSeconds) + " s");
    t.row("open-file limit (bench, server)", std::to_string(r.openFiles));
    if (r.interrupted) t.row("interrupted", "yes: Ctrl-C cut the run short");
    t.row("seeding into Redis", fixed(r.seed.seconds, 2) + " s");
    t.row("host: cores, load average at start / end",
          std::to_string(std::thread::hardware_concurrency()) + ", " + r.loadAtStart + " / " +
              loadAverage());
}

void reportLogins(Table& t, const Run& r) {
    t.section("password login (POST /api/login, one after another)");
    if (!r.logins.note.empty()) {
        t.row("login", r.logins.note);
        return;
    }
    t.row("logins ok / failed",
          std::to_string(r.logins.ms.size()) + " / " + counts(r.logins.failures));
    t.row("login latency p50", fixed(percentile(r.logins.ms, 50), 1) + " ms");
    t.row("login latency p99", fixed(percentile(r.logins.ms, 99), 1) + " ms");
}

void reportConnections(Table& t, const Run& r, const FleetStats& s) {
    const int teachers = r.opt.teachers ? static_cast<int>(r.seed.classIds.size()) : 0;
    t.section("connections");
    t.row("attempted", std::to_string(s.attempted));
    t.row("established (WebSocket handshake)", std::to_string(s.established));
    t.row("authenticated", std::to_string(s.authenticated));
    t.row("joined: subjects, teachers",
          std::to_string(s.joined) + " of " + std::to_string(r.opt.clients) + ", " +
              std::to_string(s.teachersJoined) + " of " + std::to_string(teachers));
    t.row("held at the end (open, in class)",
          std::to_string(r.joinedAtHoldEnd) + " (" + std::to_string(r.openAtHoldEnd) + " open)");
    t.row("ramp took; open after it",
          fixed(r.rampSeconds, 1) + " s; " + std::to_string(r.openAfterRamp));
    t.section("failures");
    t.row("connect errors", counts(s.connectErrors));
    t.row("auth errors", counts(s.authErrors));
    t.row("join errors", counts(s.joinErrors));
    t.row("heartbeat errors", counts(s.heartbeatErrors));
    t.row("errors without a request id", counts(s.unsolicitedErrors));
    t.row("closed by the server", counts(s.serverCloses));
}

void reportLatency(Table& t, const FleetStats& s) {
    t.section("latency (ms, request written to its reply)");
    t.row("join p50", fixed(percentile(s.joinMs, 50), 2));
    t.row("join p90", fixed(percentile(s.joinMs, 90), 2));
    t.row("join p99", fixed(percentile(s.joinMs, 99), 2));
    t.row("join max", fixed(percentile(s.joinMs, 100), 2));
    t.row("connect (TCP + upgrade)", latencySummary(s.connectMs));
    t.row("auth", latencySummary(s.authMs));
    t.row("heartbeat", latencySummary(s.heartbeatMs));
}

void reportMessages(Table& t, const Run& r, const FleetStats& s) {
    t.section("messages");
    double secs = r.holdSeconds > 0 ? r.holdSeconds : 1;
    auto sent = static_cast<double>(r.holdEnd.sent - r.holdStart.sent);
    auto received = static_cast<double>(r.holdEnd.received - r.holdStart.received);
    t.row("sent per second (hold)", fixed(sent / secs, 1));
    t.row("received per second (hold)", fixed(received / secs, 1));
    t.row("sent, received (whole run)",
          std::to_string(s.total.sent) + ", " + std::to_string(s.total.received));
    t.row("server pushes", counts(s.pushes));
}

void reportServer(Table& t, const Run& r, const FleetStats& s) {
    const auto& m = r.samples;
    t.section("server process");
    t.row("RSS at start", processRow(m.serverStart));
    t.row("RSS idle (before clients)", processRow(m.serverIdle));
    t.row("RSS after the ramp", processRow(m.serverRamped));
    t.row("RSS all connected (end of hold)", processRow(m.serverHeld));
    t.row("RSS after every client closed", processRow(m.serverAfter));
    // An argon2id login (libsodium's interactive limits) takes 64 MiB while it runs.
    t.row(r.logins.ms.empty() ? "peak RSS (VmHWM)" : "peak RSS (VmHWM, incl. argon2id logins)",
          m.serverAfter ? mebibytes(m.serverAfter->peakRssKiB) : "n/a");
    if (m.serverIdle && m.serverHeld && r.openAtHoldEnd > 0) {
        double perConn =
            static_cast<double>(m.serverHeld->rssKiB - m.serverIdle->rssKiB) / r.openAtHoldEnd;
        // Memory of connections that failed earlier stays with the process: say so.
        int gone = s.established - r.openAtHoldEnd;
        t.row("RSS per connection", fixed(perConn, 1) + " KiB" +
                                        (gone > 0 ? " (inflated: " + std::to_string(gone) +
                                                        " connections closed before the sample)"
                                                  : ""));
    }
    if (m.serverIdle && m.serverRamped && m.serverHeld) {
        double ramp = m.serverRamped->cpuSeconds - m.serverIdle->cpuSeconds;
        double hold = m.serverHeld->cpuSeconds - m.serverRamped->cpuSeconds;
        t.row("CPU s: ramp + hold = total",
              fixed(ramp, 2) + " + " + fixed(hold, 2) + " = " + fixed(ramp + hold, 2) + " s");
        t.row("CPU during hold",
              fixed(100.0 * hold / (r.holdSeconds > 0 ? r.holdSeconds : 1), 1) + " % of one core");
    }
    t.row("threads", m.serverHeld ? std::to_string(m.serverHeld->threads) : "n/a");
    // The clients share the two cores: a saturated ws_load would distort every figure.
    t.row("ws_load's own CPU s (clients phase)", fixed(r.benchCpuSeconds, 2));
    if (m.redisIdle && m.redisHeld) {
        t.row("redis RSS idle -> held",
              mebibytes(m.redisIdle->rssKiB) + " -> " + mebibytes(m.redisHeld->rssKiB));
        t.row("redis CPU s (clients phase)",
              fixed(m.redisHeld->cpuSeconds - m.redisIdle->cpuSeconds, 2));
    }
}

void reportAfter(Table& t, const Run& r, const FleetStats& s) {
    const auto& a = r.afterClose;
    t.section("after the clients closed");
    t.row("connections that did not close", std::to_string(a.stillOpen));
    if (!a.error.empty()) t.row("attendance records", "not readable: " + a.error);
    t.row("attendance intervals still open", std::to_string(a.openIntervals) + " (checked for " +
                                                 fixed(a.intervalsSeconds, 1) + " s)");
    t.row("attendance events recorded", std::to_string(a.attendanceEvents) + " (expected " +
                                            std::to_string(2 * s.joined) +
                                            ": a join and a leave per subject)");
    if (r.target.server) {
        t.row("server died during", r.serverDied.empty() ? "-" : r.serverDied);
        t.row("server exit", r.serverExit);
        t.row("server log warnings and errors", std::to_string(r.serverProblems));
    }
}

}  // namespace

void printReport(const Run& r, const FleetStats& s) {
    Table t;
    reportSetup(t, r);
    reportLogins(t, r);
    reportConnections(t, r, s);
    reportLatency(t, s);
    reportMessages(t, r, s);
    reportServer(t, r, s);
    reportAfter(t, r, s);
    std::cout << "\n";
    t.print(std::cout);
    if (!r.serverDied.empty()) {
        std::cout << "\nthe server died during " << r.serverDied << "; the end of its log:\n";
        for (const auto& l : tailLog(r.target.serverLog, 15))
            std::cout << "  " << l.substr(0, 200) << "\n";
    }
    if (!r.serverProblemLines.empty()) {
        std::cout << "\nserver log (first " << r.serverProblemLines.size() << " of "
                  << r.serverProblems << " warnings and errors):\n";
        for (const auto& l : r.serverProblemLines) std::cout << "  " << l.substr(0, 200) << "\n";
    }
    std::cout.flush();
}

}  // namespace ws_load
