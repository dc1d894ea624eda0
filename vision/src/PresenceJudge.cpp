#include "vigil/vision/PresenceJudge.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

namespace vigil::vision {

namespace {

// Times come from the caller's clock and samples' capture times: compare spans without
// overflow whatever they hold.
bool atLeast(std::int64_t from, std::int64_t to, std::int64_t span) {
    if (to <= from) return span <= 0;
    const std::uint64_t diff = static_cast<std::uint64_t>(to) - static_cast<std::uint64_t>(from);
    return span <= 0 || diff >= static_cast<std::uint64_t>(span);
}

// A face that counts as the subject's: recognised, or the only face there while no reference
// exists to recognise it by (unenrolled never accuses, and never makes a subject absent).
bool seen(std::optional<Outcome> outcome) {
    return outcome == Outcome::Verified || outcome == Outcome::Unenrolled;
}

}  // namespace

std::string_view toString(PresenceState state) {
    switch (state) {
        case PresenceState::Present:
            return "present";
        case PresenceState::Uncertain:
            return "uncertain";
        case PresenceState::Absent:
            return "absent";
    }
    return "uncertain";
}

std::string_view toString(AlertKind kind) {
    switch (kind) {
        case AlertKind::Absent:
            return "absent";
        case AlertKind::NotMatched:
            return "not_matched";
        case AlertKind::SeveralFaces:
            return "several_faces";
        case AlertKind::CameraOff:
            return "camera_off";
    }
    return "absent";
}

PresenceJudge::PresenceJudge(std::int64_t startMs, JudgeOptions options)
    : options_(options), nowMs_(startMs), lastSampleMs_(startMs), lastVerifiedMs_(startMs) {}

void PresenceJudge::raise(JudgeUpdate& update, AlertKind kind, bool& alerted) {
    if (alerted) return;
    alerted = true;
    update.alerts.push_back(kind);
}

void PresenceJudge::applyTime(JudgeUpdate& update) {
    const bool lastVerified = seen(last_);
    if (state_ != PresenceState::Absent && !lastVerified &&
        atLeast(lastVerifiedMs_, nowMs_, options_.absentAfterMs)) {
        state_ = PresenceState::Absent;
        absentSinceMs_ = nowMs_;
    }
    if ((state_ == PresenceState::Absent || !everVerified_) &&
        atLeast(lastVerifiedMs_, nowMs_, options_.absentAlertMs)) {
        raise(update, AlertKind::Absent, absentAlerted_);
    }
}

JudgeUpdate PresenceJudge::onSample(Outcome outcome, std::int64_t ms) {
    const PresenceState before = state_;
    JudgeUpdate update;
    nowMs_ = std::max(nowMs_, ms);
    lastSampleMs_ = nowMs_;
    last_ = outcome;

    if (seen(outcome)) {
        ++verifiedRun_;
        failRun_ = 0;
        notMatchedRun_ = 0;
        everVerified_ = true;
        lastVerifiedMs_ = std::max(lastVerifiedMs_, std::min(ms, nowMs_));
        // The episode of every alert ends: the subject is seen and recognised again.
        absentAlerted_ = notMatchedAlerted_ = severalAlerted_ = cameraOffAlerted_ = false;
        if (verifiedRun_ >= options_.presentAfter) {
            state_ = PresenceState::Present;
        } else if (state_ == PresenceState::Absent) {
            state_ = PresenceState::Uncertain;
        }
    } else {
        verifiedRun_ = 0;
        const int weight = outcome == Outcome::PoorImage ? 1 : 2;
        failRun_ = std::min(failRun_ + weight, std::numeric_limits<int>::max() / 2);
        notMatchedRun_ = outcome == Outcome::NotMatched ? notMatchedRun_ + 1 : 0;
        if (state_ == PresenceState::Present && failRun_ >= 2 * options_.uncertainAfter) {
            state_ = PresenceState::Uncertain;
        }
        if (outcome == Outcome::NotMatched && notMatchedRun_ >= options_.notMatchedAlertAfter) {
            raise(update, AlertKind::NotMatched, notMatchedAlerted_);
        }
        if (outcome == Outcome::SeveralFaces) {
            raise(update, AlertKind::SeveralFaces, severalAlerted_);
        }
        if (outcome == Outcome::CameraOff) raise(update, AlertKind::CameraOff, cameraOffAlerted_);
    }
    if (state_ != PresenceState::Absent) absentSinceMs_ = -1;

    applyTime(update);
    update.state = state_;
    update.changed = state_ != before;
    return update;
}

JudgeUpdate PresenceJudge::onTick(std::int64_t nowMs) {
    if (atLeast(lastSampleMs_, std::max(nowMs_, nowMs), options_.noFrameMs)) {
        // Silence is a camera that shows nothing: judged as such, at the time it is noticed.
        return onSample(Outcome::CameraOff, std::max(nowMs_, nowMs));
    }
    const PresenceState before = state_;
    JudgeUpdate update;
    nowMs_ = std::max(nowMs_, nowMs);
    applyTime(update);
    update.state = state_;
    update.changed = state_ != before;
    return update;
}

}  // namespace vigil::vision
