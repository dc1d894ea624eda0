#pragma once
// Every Redis key the signaling role uses, in one place. Durable records live under
// "vigil:" with AOF on; live state has TTLs.

#include <string>

namespace vigil::signaling::keys {

inline std::string seq(const std::string& kind) {
    return "vigil:seq:" + kind;
}

inline std::string unit(const std::string& id) {
    return "vigil:unit:" + id;
}
inline const std::string kUnitParents = "vigil:unit_parents";  // hash: unit id -> parent id

inline std::string user(const std::string& id) {
    return "vigil:user:" + id;
}
inline const std::string kUsers = "vigil:users";  // set of user ids
inline std::string username(const std::string& name) {
    return "vigil:username:" + name;
}
inline std::string caseload(const std::string& officer) {
    return "vigil:caseload:" + officer;
}

inline std::string classInfo(const std::string& id) {
    return "vigil:class:" + id;
}
inline const std::string kClasses = "vigil:classes";  // zset: class id by start ms
inline std::string enrolled(const std::string& classId) {
    return "vigil:class:" + classId + ":enrolled";
}

// A session, by its token's SHA-256: {"user","until"} while live (idle expiry as the key's
// TTL, absolute end in "until"), {"ended": reason} for a while after it was ended.
inline std::string session(const std::string& tokenHash) {
    return "vigil:session:" + tokenHash;
}
// Every session of an account: zset token hash -> absolute end ms (to end them all at once).
inline std::string userSessions(const std::string& userId) {
    return "vigil:user_sessions:" + userId;
}
// Login throttling (LoginThrottle). `who` is "name:<SHA-256 of the username>" (known or
// not) or "addr:<source address>". Failed logins in the window: counter with a TTL.
inline std::string loginFailures(const std::string& who) {
    return "vigil:loginfail:" + who;
}
// Present (with a millisecond TTL) while `who` must wait before trying again.
inline std::string loginWait(const std::string& who) {
    return "vigil:loginwait:" + who;
}
// Addresses an account signed in from: zset address -> last success ms, capped, with a TTL.
// They are not held back by the account's own count (an outsider cannot shut the owner out).
inline std::string trustedAddresses(const std::string& userId) {
    return "vigil:logintrusted:" + userId;
}
// Failed logins for usernames that do not exist, per hour (UTC, "YYYYMMDDHH"): hash source
// address -> count, capped in fields, with a TTL. Not in the audit log, which such a flood
// would grow without limit.
inline std::string unknownLogins(const std::string& hour) {
    return "vigil:loginunknown:" + hour;
}

inline std::string attendance(const std::string& classId) {
    return "vigil:att:" + classId;
}
// Open attendance intervals: hash subject -> {"conn","node","since","hb"} JSON.
inline std::string openIntervals(const std::string& classId) {
    return "vigil:open:" + classId;
}
inline const std::string kOpenClasses =
    "vigil:open_classes";  // set of class ids with open intervals
inline std::string hands(const std::string& classId) {
    return "vigil:hands:" + classId;
}
inline std::string chat(const std::string& classId) {
    return "vigil:chat:" + classId;
}
inline std::string spotCheck(const std::string& id) {
    return "vigil:spot:" + id;
}
inline const std::string kSpotPending = "vigil:spot_pending";  // zset: check id by deadline ms
// A subject's face references: hash reference id -> JSON (embedding, model, quality, who);
// the photo of each, sealed with the reference key, in its own key.
inline std::string references(const std::string& subject) {
    return "vigil:refs:" + subject;
}
inline std::string referenceImage(const std::string& subject, const std::string& ref) {
    return "vigil:refimg:" + subject + ":" + ref;
}
// Presence in a class: hash subject -> JSON of the latest judged sample (state, outcome).
inline std::string presence(const std::string& classId) {
    return "vigil:presence:" + classId;
}
// Every alert, newest last: a stream with class, subject, unit, kind, message.
inline const std::string kAlerts = "vigil:alerts";
// Camera samples taken in a class: hashes subject -> last sample ms, subject -> count.
inline std::string lastSample(const std::string& classId) {
    return "vigil:sample:" + classId;
}
inline std::string sampleCount(const std::string& classId) {
    return "vigil:samples:" + classId;
}
// Supervision calls: hash officer, subject, unit, state, created, accepted, ended, by.
inline std::string call(const std::string& id) {
    return "vigil:call:" + id;
}
inline const std::string kCalls = "vigil:calls";  // zset: call id by created ms

inline std::string node(const std::string& nodeId) {
    return "vigil:node:" + nodeId;
}

// Recordings: hash of metadata; hash "<segment>:<index>" -> chunk JSON; set of participants'
// user ids; set of "<segment>:<index>" whose audit entry is written.
inline std::string recording(const std::string& id) {
    return "vigil:rec:" + id;
}
inline std::string recordingChunks(const std::string& id) {
    return "vigil:rec:" + id + ":chunks";
}
inline std::string recordingParticipants(const std::string& id) {
    return "vigil:rec:" + id + ":participants";
}
inline std::string recordingAudited(const std::string& id) {
    return "vigil:rec:" + id + ":audited";
}
// A recording's segments: hash "<segment>:<field>" (start, end, chunks, last, state, node).
inline std::string recordingSegments(const std::string& id) {
    return "vigil:rec:" + id + ":segments";
}
inline const std::string kOpenRecordings = "vigil:recs:open";  // set: ids with an open segment
inline const std::string kRecordings = "vigil:recs";           // zset: recording id by start ms
// zset: recording id by start ms, per class or call ("class" | "call", its id).
inline std::string recordingsOf(const std::string& kind, const std::string& id) {
    return "vigil:recs:" + kind + ":" + id;
}
// A play token, by its SHA-256 (PlayTokens): hash recording, session (the session token's
// SHA-256); TTL [recording] play_token_seconds, renewed by use.
inline std::string playToken(const std::string& tokenHash) {
    return "vigil:playtoken:" + tokenHash;
}

inline const std::string kAudit = "vigil:audit";
inline const std::string kAuditHead = "vigil:audit:head";
// Writers waiting for their turn to extend the chain: list of "token|deadline ms".
inline const std::string kAuditQueue = "vigil:audit:queue";

// Supervision programme (SupervisionStore): record hash, level history list, tag sets,
// last verified contact.
inline std::string supervision(const std::string& subject) {
    return "vigil:sup:" + subject;
}
inline std::string levelHistory(const std::string& subject) {
    return "vigil:levels:" + subject;
}
inline std::string tagged(const std::string& tag) {
    return "vigil:tag:" + tag;
}
inline std::string contact(const std::string& subject) {
    return "vigil:contact:" + subject;
}
// Self-service check-ins (CheckinService): hash per check-in (subject, unit, kind, window,
// outcome, reason, challenge, score, attempts, location, report, frames, times); zset of a
// subject's check-ins by start ms; zset of all by start ms; the sealed evidence frames.
inline std::string checkin(const std::string& id) {
    return "vigil:checkin:" + id;
}
inline std::string checkinsOf(const std::string& subject) {
    return "vigil:checkins:" + subject;
}
inline const std::string kCheckins = "vigil:checkins";
inline std::string checkinFrame(const std::string& id, int index) {
    return "vigil:checkinimg:" + id + ":" + std::to_string(index);
}
// Alerts with a life cycle (AlertBook).
inline std::string alert(const std::string& id) {
    return "vigil:alert:" + id;
}
inline const std::string kOpenAlerts = "vigil:alerts:open";  // zset: id by raised ms
inline std::string alertsOfUnit(const std::string& unit) {
    return "vigil:alerts:unit:" + unit;  // zset: id by raised ms
}
// A deduplication key -> the id of the unresolved alert raised with it.
inline std::string alertDedupe(const std::string& key) {
    return "vigil:alert_key:" + key;
}

// The webhook notifier's delivery log (Notifier): a stream capped by MAXLEN, one entry per
// attempt, give-up and drop.
inline const std::string kNotifyLog = "vigil:notify:log";

inline const std::string kBusChannel = "vigil:bus";
inline const std::string kDemoSeeded = "vigil:demo:seeded";
// Set before `vigil demo seed` writes its first account: users beside this marker are the
// demo's (a seed cut short may finish); users without it are real, and no demo is added.
inline const std::string kDemoSeeding = "vigil:demo:seeding";

}  // namespace vigil::signaling::keys
