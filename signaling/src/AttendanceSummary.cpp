#include "vigil/signaling/AttendanceSummary.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <iterator>
#include <limits>
#include <tuple>

namespace vigil::signaling {

namespace {

using common::Millis;

constexpr Millis kMaxMillis = std::numeric_limits<Millis>::max();

// Timestamps come from clients' connections and recovery code: do the arithmetic without
// overflow whatever they hold.
Millis span(Millis from, Millis to) {
    if (to <= from) return 0;
    const std::uint64_t diff = static_cast<std::uint64_t>(to) - static_cast<std::uint64_t>(from);
    return diff > static_cast<std::uint64_t>(kMaxMillis) ? kMaxMillis : static_cast<Millis>(diff);
}

Millis addSaturating(Millis a, Millis b) {
    return b > kMaxMillis - a ? kMaxMillis : a + b;
}

int wholeMinutes(Millis ms) {
    const Millis minutes = ms / 60000;
    return minutes > INT_MAX ? INT_MAX : static_cast<int>(minutes);
}

// A Redis stream id "<ms>-<seq>" compared as numbers: as text "9-0" would sort after "10-0".
struct StreamIdKey {
    bool parsed{false};
    std::uint64_t ms{0};
    std::uint64_t seq{0};
};

bool parseNumber(const std::string& s, size_t from, size_t to, std::uint64_t& out) {
    if (from >= to || to - from > 19) return false;  // 19 digits always fit in 64 bits.
    out = 0;
    for (size_t i = from; i < to; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + static_cast<std::uint64_t>(s[i] - '0');
    }
    return true;
}

StreamIdKey parseStreamId(const std::string& id) {
    StreamIdKey key;
    const size_t dash = id.find('-');
    if (dash == std::string::npos) return key;
    key.parsed = parseNumber(id, 0, dash, key.ms) && parseNumber(id, dash + 1, id.size(), key.seq);
    return key;
}

// An event with the position it takes in the replay.
struct Ordered {
    const AttendanceEvent* event;
    Millis ts;  // Effective time: a leave dated before its own join is moved up to the join.
    int rank;   // 1 for such a leave, so that it follows its join at the same instant.
    StreamIdKey id;
};

bool before(const Ordered& a, const Ordered& b) {
    if (a.ts != b.ts) return a.ts < b.ts;
    if (a.rank != b.rank) return a.rank < b.rank;
    if (a.id.parsed != b.id.parsed) return a.id.parsed;  // Unparsable ids last.
    return std::tie(a.id.ms, a.id.seq, a.event->streamId) <
           std::tie(b.id.ms, b.id.seq, b.event->streamId);
}

std::vector<Ordered> replayOrder(const std::vector<AttendanceEvent>& events) {
    // Earliest join per (subject, connection), to find leaves dated before their join (a
    // client clock or a recovery writer can produce them). Such a leave still closes its
    // interval, at zero length, instead of being lost and leaving the join open forever.
    std::map<std::pair<std::string, std::string>, Millis> joins;
    for (const auto& e : events) {
        if (e.kind != "join" || e.conn.empty()) continue;
        auto [it, inserted] = joins.try_emplace({e.subject, e.conn}, e.ts);
        if (!inserted) it->second = std::min(it->second, e.ts);
    }
    std::vector<Ordered> out;
    out.reserve(events.size());
    for (const auto& e : events) {
        Ordered o{&e, e.ts, 0, parseStreamId(e.streamId)};
        if (e.kind == "leave" && !e.conn.empty()) {
            auto it = joins.find({e.subject, e.conn});
            if (it != joins.end() && e.ts <= it->second) {
                o.ts = it->second;
                o.rank = 1;
            }
        }
        out.push_back(o);
    }
    std::stable_sort(out.begin(), out.end(), before);
    return out;
}

using Ranges = std::vector<std::pair<Millis, Millis>>;

// The union of [a, b) ranges, each first clipped to [lo, hi), as sorted disjoint ranges.
Ranges merged(Ranges ranges, Millis lo, Millis hi) {
    for (auto& r : ranges) {
        r.first = std::max(r.first, lo);
        r.second = std::min(r.second, hi);
    }
    std::sort(ranges.begin(), ranges.end());
    Ranges out;
    for (const auto& [start, end] : ranges) {
        if (end <= start) continue;
        if (!out.empty() && start <= out.back().second) {
            out.back().second = std::max(out.back().second, end);
            continue;
        }
        out.emplace_back(start, end);
    }
    return out;
}

Millis totalLength(const Ranges& disjoint) {
    Millis total = 0;
    for (const auto& [start, end] : disjoint) total = addSaturating(total, span(start, end));
    return total;
}

// Whether `ts` falls in one of the sorted disjoint ranges.
bool covers(const Ranges& disjoint, Millis ts) {
    auto it = std::upper_bound(disjoint.begin(), disjoint.end(), ts,
                               [](Millis t, const auto& r) { return t < r.first; });
    return it != disjoint.begin() && ts < std::prev(it)->second;
}

// How much of the sorted disjoint ranges falls in [from, to).
Millis overlap(const Ranges& disjoint, Millis from, Millis to) {
    auto it = std::upper_bound(disjoint.begin(), disjoint.end(), from,
                               [](Millis t, const auto& r) { return t < r.second; });
    Millis total = 0;
    for (; it != disjoint.end() && it->first < to; ++it) {
        total = addSaturating(total, span(std::max(it->first, from), std::min(it->second, to)));
    }
    return total;
}

constexpr Millis kMinute = 60000;

// The clock minute [start, end) that holds `ts`: minutes start at whole multiples of 60000 ms
// since the epoch, also before it. Clamped at the ends of the representable range.
std::pair<Millis, Millis> minuteOf(Millis ts) {
    const Millis into = ((ts % kMinute) + kMinute) % kMinute;
    const Millis start = ts < std::numeric_limits<Millis>::min() + into
                             ? std::numeric_limits<Millis>::min()
                             : ts - into;
    const Millis toEnd = kMinute - into;
    const Millis end = ts > kMaxMillis - toEnd ? kMaxMillis : ts + toEnd;
    return {start, end};
}

// What a presence sample proves about identity.
enum class Identity { Verified, Unenrolled, Other };

struct Sample {
    Millis ts;
    Identity identity;
};

Identity identityOf(const std::string& outcome) {
    if (outcome == "verified") return Identity::Verified;
    if (outcome == "unenrolled") return Identity::Unenrolled;
    return Identity::Other;
}

// The Verified rule's credit: the connected time in the window, minute by minute, of the
// minutes whose samples taken while connected are verified in at least `share` of cases.
struct VerifiedCredit {
    Millis verified{0};    // Counting `verified` samples only.
    Millis unenrolled{0};  // The further minutes that qualify when `unenrolled` ones count.
};

// A NaN share compares false: nothing qualifies rather than everything.
bool meetsShare(long long good, long long all, double share) {
    return static_cast<double>(good) >= share * static_cast<double>(all);
}

VerifiedCredit verifiedCredit(const Ranges& connected, const Ranges& inWindow,
                              const std::vector<Sample>& samples, double share) {
    struct Count {
        Millis end{0};
        long long samples{0};
        long long verified{0};
        long long unenrolled{0};
    };
    std::map<Millis, Count> minutes;  // By start.
    for (const Sample& s : samples) {
        if (!covers(connected, s.ts)) continue;  // Not connected then: proves nothing.
        const auto [start, end] = minuteOf(s.ts);
        Count& c = minutes[start];
        c.end = end;
        ++c.samples;
        if (s.identity == Identity::Verified) ++c.verified;
        if (s.identity == Identity::Unenrolled) ++c.unenrolled;
    }
    VerifiedCredit credit;
    for (const auto& [start, c] : minutes) {
        if (meetsShare(c.verified, c.samples, share)) {
            credit.verified = addSaturating(credit.verified, overlap(inWindow, start, c.end));
        } else if (meetsShare(c.verified + c.unenrolled, c.samples, share)) {
            credit.unenrolled = addSaturating(credit.unenrolled, overlap(inWindow, start, c.end));
        }
    }
    return credit;
}

void bump(int& counter) {
    if (counter < INT_MAX) ++counter;
}

struct SubjectState {
    SubjectSummary summary;
    std::vector<Sample> samples;
    bool hasOpen{false};
    Interval open;
    std::string openConn;
    int joins{0};

    void close(Millis at, std::string reason) {
        open.leave = std::max(open.join, at);
        open.open = false;
        open.reason = std::move(reason);
        summary.intervals.push_back(std::move(open));
        open = {};
        hasOpen = false;
    }
};

void apply(SubjectState& st, const AttendanceEvent& e, Millis ts) {
    if (e.kind == "join") {
        // The same join written twice (a retried XADD) is not a reconnect.
        if (st.hasOpen && !e.conn.empty() && e.conn == st.openConn) return;
        // One connection per subject counts at a time: a second join (another tab, a phone
        // taking over) ends the first, so overlapping connections are never credited twice.
        if (st.hasOpen) st.close(ts, "replaced");
        st.hasOpen = true;
        st.open = Interval{ts, ts, true, {}};
        st.openConn = e.conn;
        ++st.joins;
    } else if (e.kind == "leave") {
        if (!st.hasOpen) return;  // No join to end, or it was already ended.
        // The leave of a connection that was already replaced must not end its successor.
        if (!e.conn.empty() && !st.openConn.empty() && e.conn != st.openConn) return;
        st.close(ts, e.reason);
    } else if (e.kind == "spot_check") {
        ++st.summary.spotChecks;
    } else if (e.kind == "spot_check_result") {
        SubjectSummary& s = st.summary;
        if (e.reason == "missed") bump(s.spotChecksMissed);
        if (e.reason == "answered") bump(s.spotChecksAnswered);
        if (e.reason == "passed") bump(s.spotChecksPassed);
        if (e.reason == "failed") bump(s.spotChecksFailed);
    } else if (e.kind == "presence") {
        SubjectSummary& s = st.summary;
        const Identity identity = identityOf(e.outcome);
        bump(s.samples);
        if (identity == Identity::Verified) bump(s.samplesVerified);
        if (identity == Identity::Unenrolled) bump(s.samplesUnenrolled);
        if (e.outcome == "not_matched") bump(s.samplesNotMatched);
        s.lastOutcome = e.outcome;  // Events are replayed in time order.
        st.samples.push_back(Sample{ts, identity});
    }
}

bool creates(const std::string& kind) {
    return kind == "join" || kind == "spot_check" || kind == "spot_check_result" ||
           kind == "presence";
}

}  // namespace

std::map<std::string, SubjectSummary> summarize(const std::vector<AttendanceEvent>& events,
                                                const ClassWindow& window, common::Millis now,
                                                const CreditPolicy& policy) {
    std::map<std::string, SubjectState> states;
    for (const auto& o : replayOrder(events)) {
        const AttendanceEvent& e = *o.event;
        if (e.subject.empty()) continue;  // Cannot be attributed to anyone.
        auto it = states.find(e.subject);
        if (it == states.end()) {
            if (!creates(e.kind)) continue;  // e.g. a leave of a subject never seen joining.
            it = states.emplace(e.subject, SubjectState{}).first;
            it->second.summary.subject = e.subject;
        }
        apply(it->second, e, o.ts);
    }

    std::map<std::string, SubjectSummary> out;
    for (auto& [subject, st] : states) {
        if (st.hasOpen) {
            st.open.leave = std::max(st.open.join, now);
            st.summary.intervals.push_back(st.open);
        }
        SubjectSummary& s = st.summary;
        std::vector<std::pair<Millis, Millis>> ranges;
        ranges.reserve(s.intervals.size());
        for (const auto& i : s.intervals) ranges.emplace_back(i.join, i.leave);
        const Ranges connected = merged(ranges, std::numeric_limits<Millis>::min(), kMaxMillis);
        const Ranges inWindow = merged(std::move(ranges), window.start, window.end);
        s.connectedMs = totalLength(connected);
        const VerifiedCredit seen =
            verifiedCredit(connected, inWindow, st.samples, policy.minVerifiedShare);
        s.verifiedMs = seen.verified;
        s.unenrolledMs = seen.unenrolled;
        if (policy.mode == CreditPolicy::Verified) {
            s.creditedMs = policy.creditUnenrolled ? addSaturating(seen.verified, seen.unenrolled)
                                                   : seen.verified;
        } else {
            s.creditedMs = totalLength(inWindow);
        }
        s.minutesConnected = wholeMinutes(s.connectedMs);
        s.minutesCredited = wholeMinutes(s.creditedMs);
        s.minutesVerified = wholeMinutes(s.verifiedMs);
        s.minutesUnenrolled = wholeMinutes(s.unenrolledMs);
        s.reconnects = st.joins > 0 ? st.joins - 1 : 0;
        out.emplace(subject, std::move(s));
    }
    return out;
}

MonthlyHours rollUpMonth(const std::string& month, const std::vector<SessionCredit>& sessions,
                         double requiredHours, int utcOffsetMinutes) {
    MonthlyHours out;
    out.month = month;
    out.requiredHours = requiredHours;
    Millis creditedMs = 0;
    Millis requiredCreditedMs = 0;
    if (auto range = common::monthRange(month, utcOffsetMinutes)) {
        for (const auto& s : sessions) {
            if (s.start < range->first || s.start >= range->second) continue;
            const Millis credited = std::max<Millis>(s.creditedMs, 0);
            ++out.sessions;
            creditedMs = addSaturating(creditedMs, credited);
            if (!s.required) continue;
            ++out.requiredSessions;
            requiredCreditedMs = addSaturating(requiredCreditedMs, credited);
            if (s.finished && s.connectedMs <= 0) ++out.missedRequiredSessions;
        }
    }
    // Whole hundredths of an hour (36 s each), rounded down; k / 100.0 is the same double as
    // the literal "k/100", so 800 hundredths compare equal to a configured 8.0.
    auto hours = [](Millis ms) {
        const Millis hundredths = ms / 36000;
        return static_cast<double>(hundredths) / 100.0;
    };
    out.creditedHours = hours(creditedMs);
    out.requiredCreditedHours = hours(requiredCreditedMs);
    out.met = out.requiredCreditedHours >= requiredHours;
    return out;
}

}  // namespace vigil::signaling
