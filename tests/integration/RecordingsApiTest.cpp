// Recordings over HTTP and the command line, against a real Redis and the real vigil binary:
// who may list and read which recording, the chunk download with byte ranges (as a browser's
// <video> asks for them), the play token scoped to one recording in such URLs, the audit
// trail of every access (a play once its bytes went out), and `vigil recording verify` after a byte
// changed or a file went missing. Recordings are stored through RecordingStore from this process,
// as media's listener would.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <thread>

#include "Fixtures.hpp"
#include "vigil/common/Crypto.hpp"
#include "vigil/common/EventLoop.hpp"
#include "vigil/common/RedisClient.hpp"
#include "vigil/signaling/AuditLog.hpp"
#include "vigil/signaling/Directory.hpp"
#include "vigil/signaling/RecordingStore.hpp"

using namespace vigil::testing;
using nlohmann::json;
using vigil::media::RecordingChunk;
using vigil::media::RoomKind;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// `bytes` bytes that differ from chunk to chunk and from offset to offset.
std::string content(size_t bytes, int seed) {
    std::string s(bytes, '\0');
    for (size_t i = 0; i < bytes; ++i)
        s[i] = static_cast<char>((i * 131 + i / 251 + static_cast<size_t>(seed) * 17) & 0xff);
    return s;
}

// Stores chunks as media's listener does: through RecordingStore on its own loop.
void storeChunks(const RedisServer& redis, const std::vector<RecordingChunk>& chunks) {
    vigil::common::EventLoop loop;
    vigil::common::RedisClient::Options options;
    options.endpoint = vigil::common::RedisEndpoint::parseUrl(redis.url());
    vigil::common::RedisClient client(loop, options);
    client.start();
    loop.runUntilDone(client.waitConnected(std::chrono::seconds(5)));
    vigil::signaling::Directory directory(client);
    vigil::signaling::AuditLog audit(client);
    vigil::signaling::RecordingStore store(client, directory, audit);
    for (const auto& c : chunks) {
        loop.runUntilDone([&]() -> vigil::common::Task<void> { co_await store.addChunk(c, ""); }());
    }
}

class RecordingsApiTest : public DemoOrgTest {
protected:
    void SetUp() override {
        DemoOrgTest::SetUp();
        vigil::common::initCrypto();
        // A branch beside zj-hz-xh, with its own officer.
        vigilOk(redis,
                {"orgunit", "add", "--id", "zj-hz-bj", "--name", "滨江区", "--parent", "zj-hz"});
        vigilOk(redis, {"user", "add", "--username", "officer.zhao", "--name", "赵警官", "--role",
                        "officer", "--unit", "zj-hz-bj", "--password", kDemoPassword});

        const long long t0 = nowMs() - 3 * 3600000LL;
        // The demo class today (unit zj-hz-xh-zt): two chunks, the first over a megabyte so
        // that it goes out in many pieces.
        classChunks.push_back(makeChunk("rc1", "class:" + demo::kClassToday, RoomKind::Class,
                                        {demo::kOfficerWang, demo::kSubject01}, 0, 1500 * 1000 + 7,
                                        t0, false));
        classChunks.push_back(makeChunk("rc1", "class:" + demo::kClassToday, RoomKind::Class,
                                        {demo::kOfficerWang, demo::kSubject01}, 1, 5000,
                                        t0 + 300000, true));
        // A call of officer.wang (zj-hz-xh-zt) with subject04 (zj-hz-xh): the call belongs to
        // the subject's unit, above the officer's own. This is the officer's side of it.
        callChunks.push_back(makeChunk("rk1", "call:k1", RoomKind::Call,
                                       {demo::kOfficerWang, demo::kSubject04}, 0, 2000,
                                       t0 + 3600000, true));
        // The teacher's audio and video, and the officer's in the call.
        for (auto& c : classChunks) c.source = demo::kOfficerWang;
        for (auto& c : callChunks) c.source = demo::kOfficerWang;
        std::vector<RecordingChunk> all = classChunks;
        all.insert(all.end(), callChunks.begin(), callChunks.end());
        storeChunks(redis, all);

        admin = login(port(), "admin", kDemoPassword);
        li = login(port(), "officer.li", kDemoPassword);
        wang = login(port(), "officer.wang", kDemoPassword);
        zhao = login(port(), "officer.zhao", kDemoPassword);
        s01 = login(port(), "subject01", kDemoPassword);
        ASSERT_FALSE(admin.empty() || li.empty() || wang.empty() || zhao.empty() || s01.empty());
    }

    void TearDown() override {
        std::string cmd = "rm -rf '" + recDir + "'";
        if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << cmd;
    }

    std::map<std::string, std::string> serverEnv() const override {
        return {{"VIGIL_RECORDING_DIR", recDir}};
    }

    RecordingChunk makeChunk(const std::string& recording, const std::string& room, RoomKind kind,
                             std::vector<std::string> participants, int index, size_t bytes,
                             long long start, bool last) {
        RecordingChunk c;
        c.recording = recording;
        c.room = room;
        c.kind = kind;
        c.participants = std::move(participants);
        c.index = index;
        c.path = recDir + "/" + recording + "-" + std::to_string(index) + ".webm";
        const std::string data = content(bytes, index + static_cast<int>(recording.size()));
        std::ofstream(c.path, std::ios::binary) << data;
        files[c.path] = data;
        c.sha256 = vigil::common::sha256Hex(data);
        c.bytes = bytes;
        c.startMs = start;
        c.endMs = start + 299999;
        c.last = last;
        return c;
    }

    static std::set<std::string> ids(const json& body) {
        std::set<std::string> out;
        for (const auto& r : body["recordings"]) out.insert(r.value("id", ""));
        return out;
    }

    // Audit entries of `action` on `target`, as the administrator reads them.
    std::vector<json> auditOf(const std::string& action, const std::string& target) {
        auto r = getJson(port(), "/api/audit?limit=1000", admin);
        std::vector<json> out;
        for (const auto& e : r.body["entries"]) {
            const auto& f = e["fields"];
            if (f.value("action", "") == action && f.value("target", "") == target)
                out.push_back(f);
        }
        return out;
    }

    // Entries as auditOf() reads them, polled until there are `n` (the play of a chunk is
    // audited once its last byte went out, just after the client has it).
    std::vector<json> auditOfAtLeast(const std::string& action, const std::string& target,
                                     size_t n) {
        std::vector<json> out;
        for (int i = 0; i < 100; ++i) {
            out = auditOf(action, target);
            if (out.size() >= n) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return out;
    }

    // The URL of chunk `index` as the recording's detail gives it to `token`'s session.
    std::string playUrl(const std::string& token, const std::string& recording, size_t index) {
        auto detail = getJson(port(), "/api/recordings/" + recording, token);
        if (detail.status != 200 || detail.body["chunks"].size() <= index) return "";
        return detail.body["chunks"][index].value("url", "");
    }

    HttpResult chunk(const std::string& path, const std::string& token,
                     const std::string& range = "") {
        std::map<std::string, std::string> headers;
        if (!range.empty()) headers["Range"] = range;
        return httpRequest(port(), "GET", path, "", token, headers);
    }

    std::string recDir = makeTempDir("vigil-rec-api");
    std::map<std::string, std::string> files;  // path -> content
    std::vector<RecordingChunk> classChunks, callChunks;
    std::string admin, li, wang, zhao, s01;
};

}  // namespace

TEST_F(RecordingsApiTest, ListIsScopedByUnitAndParticipation) {
    auto all = getJson(port(), "/api/recordings", admin);
    ASSERT_EQ(all.status, 200) << all.raw;
    EXPECT_EQ(ids(all.body), (std::set<std::string>{"rc1", "rk1"}));
    EXPECT_EQ(all.body["total"], 2);
    ASSERT_EQ(all.body["recordings"].size(), 2u);
    EXPECT_EQ(all.body["recordings"][0]["id"], "rk1") << "newest first";

    EXPECT_EQ(ids(getJson(port(), "/api/recordings", li).body),
              (std::set<std::string>{"rc1", "rk1"}));
    // officer.wang: the class by unit, the call (in a unit above his) because he took part.
    EXPECT_EQ(ids(getJson(port(), "/api/recordings", wang).body),
              (std::set<std::string>{"rc1", "rk1"}));
    // An officer of another branch sees neither.
    auto other = getJson(port(), "/api/recordings", zhao);
    ASSERT_EQ(other.status, 200) << other.raw;
    EXPECT_TRUE(other.body["recordings"].empty()) << other.raw;
    EXPECT_EQ(other.body["total"], 0);

    // Subjects review no recordings, their own included.
    auto subject = getJson(port(), "/api/recordings", s01);
    EXPECT_EQ(subject.status, 403) << subject.raw;
    EXPECT_EQ(subject.body["error"]["code"], "forbidden");
    EXPECT_EQ(getJson(port(), "/api/recordings", "").status, 401);

    // Filters and paging.
    auto byClass = getJson(port(), "/api/recordings?class=" + demo::kClassToday, admin);
    ASSERT_EQ(byClass.status, 200) << byClass.raw;
    EXPECT_EQ(ids(byClass.body), std::set<std::string>{"rc1"});
    EXPECT_EQ(ids(getJson(port(), "/api/recordings?call=k1", admin).body),
              std::set<std::string>{"rk1"});
    EXPECT_TRUE(getJson(port(), "/api/recordings?class=c999", admin).body["recordings"].empty());
    EXPECT_EQ(ids(getJson(port(), "/api/recordings?source=" + demo::kOfficerWang, admin).body),
              (std::set<std::string>{"rc1", "rk1"}));
    EXPECT_TRUE(getJson(port(), "/api/recordings?call=k1&source=" + demo::kSubject04, admin)
                    .body["recordings"]
                    .empty());
    auto page = getJson(port(), "/api/recordings?limit=1&offset=1", admin);
    ASSERT_EQ(page.body["recordings"].size(), 1u) << page.raw;
    EXPECT_EQ(page.body["recordings"][0]["id"], "rc1");
    EXPECT_EQ(page.body["total"], 2);
    EXPECT_TRUE(getJson(port(), "/api/recordings?from=2020-01-01&to=2020-02-01", admin)
                    .body["recordings"]
                    .empty());

    for (const char* bad : {"?class=../x", "?source=../x", "?limit=ten", "?from=yesterday",
                            "?class=c1&call=k1", "?from=2026-02-01&to=2026-01-01", "?offset=-1"}) {
        auto r = getJson(port(), std::string("/api/recordings") + bad, admin);
        EXPECT_EQ(r.status, 400) << bad << ": " << r.raw;
        EXPECT_EQ(r.body["error"]["code"], "bad_request") << bad;
    }
    EXPECT_FALSE(auditOf("list_recordings", "").empty());
}

TEST_F(RecordingsApiTest, MetadataWithChunkDigests) {
    auto r = getJson(port(), "/api/recordings/rc1", wang);
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body["id"], "rc1");
    EXPECT_EQ(r.body["kind"], "class");
    EXPECT_EQ(r.body["class"], demo::kClassToday);
    EXPECT_TRUE(r.body["call"].is_null());
    EXPECT_EQ(r.body["unit"], "zj-hz-xh-zt");
    EXPECT_EQ(r.body["room"], "class:" + demo::kClassToday);
    EXPECT_EQ(r.body["state"], "complete");
    ASSERT_EQ(r.body["segments"].size(), 1u) << r.raw;
    EXPECT_EQ(r.body["segments"][0]["number"], 1);
    EXPECT_EQ(r.body["segments"][0]["chunk_count"], 2);
    EXPECT_EQ(r.body["segments"][0]["state"], "complete");
    // The class session it belongs to, as the page names and links it.
    ASSERT_TRUE(r.body["class_session"].is_object()) << r.raw;
    EXPECT_EQ(r.body["class_session"]["id"], demo::kClassToday);
    EXPECT_FALSE(r.body["class_session"].value("title", "").empty()) << r.raw;
    EXPECT_FALSE(r.body["class_session"].value("start", "").empty()) << r.raw;
    EXPECT_EQ(r.body["complete"], true);
    EXPECT_EQ(r.body["chunk_count"], 2);
    EXPECT_EQ(r.body["bytes"], classChunks[0].bytes + classChunks[1].bytes);
    EXPECT_EQ(r.body["participants"], json({demo::kOfficerWang, demo::kSubject01}));
    EXPECT_EQ(r.body["source"], demo::kOfficerWang) << "the teacher's recording";
    EXPECT_EQ(r.body["start"], isoAt(classChunks[0].startMs - classChunks[0].startMs % 1000));
    ASSERT_EQ(r.body["chunks"].size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        const auto& c = r.body["chunks"][i];
        EXPECT_EQ(c["index"], i);
        EXPECT_EQ(c["sha256"], classChunks[i].sha256);
        EXPECT_EQ(c["bytes"], classChunks[i].bytes);
        // The URL carries a play token for this recording, never the session token.
        const std::string url = c["url"];
        EXPECT_EQ(url.rfind("/api/recordings/rc1/chunks/" + std::to_string(i) + "?play=", 0), 0u)
            << url;
        EXPECT_FALSE(contains(url, wang)) << url;
        EXPECT_FALSE(c.contains("path")) << "file paths stay on the server";
    }
    EXPECT_EQ(auditOf("view_recording", "rc1").size(), 1u);
    EXPECT_EQ(auditOf("view_recording", "rc1")[0]["actor"], demo::kOfficerWang);

    auto call = getJson(port(), "/api/recordings/rk1", li);
    ASSERT_EQ(call.status, 200) << call.raw;
    EXPECT_EQ(call.body["kind"], "call");
    EXPECT_EQ(call.body["call"], "k1");
    EXPECT_EQ(call.body["unit"], "zj-hz-xh");
    EXPECT_EQ(call.body["source"], demo::kOfficerWang) << "the officer's side of the call";
    EXPECT_TRUE(call.body["class_session"].is_null()) << call.raw;

    auto outside = getJson(port(), "/api/recordings/rc1", zhao);
    EXPECT_EQ(outside.status, 403) << outside.raw;
    EXPECT_EQ(outside.body["error"]["code"], "forbidden");
    EXPECT_EQ(getJson(port(), "/api/recordings/rc1", s01).status, 403);
    EXPECT_EQ(getJson(port(), "/api/recordings/nope", admin).status, 404);
    EXPECT_EQ(getJson(port(), "/api/recordings/..%2f..%2fetc", admin).status, 404);
    // The token in the query string is for chunk URLs only.
    EXPECT_EQ(getJson(port(), "/api/recordings/rc1?token=" + admin, "").status, 401);
}

TEST_F(RecordingsApiTest, ChunkDownloadWithRanges) {
    const std::string url = "/api/recordings/rc1/chunks/0";
    const std::string& data = files[classChunks[0].path];
    const std::string size = std::to_string(data.size());

    auto full = chunk(url, admin);
    ASSERT_EQ(full.status, 200) << full.body.substr(0, 200);
    EXPECT_EQ(full.headers["content-type"], "video/webm");
    EXPECT_EQ(full.headers["accept-ranges"], "bytes");
    EXPECT_EQ(full.headers["content-length"], size);
    EXPECT_EQ(full.headers["x-chunk-sha256"], classChunks[0].sha256);
    EXPECT_EQ(full.body.size(), data.size());
    EXPECT_TRUE(full.body == data) << "the downloaded bytes differ from the file";
    EXPECT_EQ(vigil::common::sha256Hex(full.body), classChunks[0].sha256);

    auto mid = chunk(url, admin, "bytes=100-199");
    ASSERT_EQ(mid.status, 206) << mid.body.substr(0, 200);
    EXPECT_EQ(mid.headers["content-range"], "bytes 100-199/" + size);
    EXPECT_EQ(mid.headers["content-length"], "100");
    EXPECT_TRUE(mid.body == data.substr(100, 100));

    auto suffix = chunk(url, admin, "bytes=-50");
    ASSERT_EQ(suffix.status, 206);
    EXPECT_EQ(suffix.headers["content-range"], "bytes " + std::to_string(data.size() - 50) + "-" +
                                                   std::to_string(data.size() - 1) + "/" + size);
    EXPECT_TRUE(suffix.body == data.substr(data.size() - 50));

    // An open range from the middle: what a <video> asks for when seeking.
    auto open = chunk(url, admin, "bytes=1000000-");
    ASSERT_EQ(open.status, 206);
    EXPECT_TRUE(open.body == data.substr(1000000));

    auto beyond = chunk(url, admin, "bytes=" + size + "-");
    EXPECT_EQ(beyond.status, 416) << beyond.body;
    EXPECT_EQ(beyond.headers["content-range"], "bytes */" + size);
    EXPECT_TRUE(contains(beyond.body, "range_not_satisfiable")) << beyond.body;

    // A Range header that is not one byte range is ignored: the whole file.
    auto several = chunk(url, admin, "bytes=0-1,5-6");
    EXPECT_EQ(several.status, 200);
    EXPECT_EQ(several.body.size(), data.size());

    // <video src> cannot send headers: the URL of the recording's detail carries a play token.
    auto byQuery = chunk(playUrl(wang, "rc1", 0), "", "bytes=0-9");
    ASSERT_EQ(byQuery.status, 206) << byQuery.body;
    EXPECT_TRUE(byQuery.body == data.substr(0, 10));
    // A session token in the URL is not taken, whoever's.
    EXPECT_EQ(chunk(url + "?token=" + wang, "").status, 401);
    EXPECT_EQ(chunk(url + "?play=not-a-token", "").status, 401);
    EXPECT_EQ(chunk(url, "").status, 401);
    EXPECT_EQ(chunk(url, zhao).status, 403);
    EXPECT_EQ(chunk(url, s01).status, 403);

    auto second = chunk("/api/recordings/rc1/chunks/1", li);
    ASSERT_EQ(second.status, 200);
    EXPECT_TRUE(second.body == files[classChunks[1].path]);
    EXPECT_EQ(chunk("/api/recordings/rc1/chunks/7", admin).status, 404);
    EXPECT_EQ(chunk("/api/recordings/rc1/chunks/x", admin).status, 400);
    EXPECT_EQ(chunk("/api/recordings/rc1/chunks/-1", admin).status, 400);

    // Every download is audited with its range, once its bytes went out.
    auto plays = auditOfAtLeast("play_recording", "rc1", 7);
    ASSERT_EQ(plays.size(), 7u);  // full, 3 ranges, several, by play token, chunk 1
    std::set<std::string> ranges;
    for (const auto& p : plays) {
        auto detail = json::parse(p.value("detail", "{}"));
        if (detail.contains("range")) ranges.insert(detail["range"].get<std::string>());
    }
    EXPECT_TRUE(ranges.count("bytes=100-199"));
    EXPECT_TRUE(ranges.count("bytes=-50"));
    EXPECT_TRUE(ranges.count("bytes=0-9"));
    bool byWang = false;
    for (const auto& p : plays) byWang = byWang || p.value("actor", "") == demo::kOfficerWang;
    EXPECT_TRUE(byWang);
}

TEST_F(RecordingsApiTest, MissingFileOrFileOutsideTheFolderIsNotServed) {
    ASSERT_EQ(std::remove(classChunks[1].path.c_str()), 0);
    auto gone = chunk("/api/recordings/rc1/chunks/1", admin);
    EXPECT_EQ(gone.status, 404) << gone.body;
    EXPECT_TRUE(contains(gone.body, "file_missing")) << gone.body;

    // A record that names a file outside the recording folder.
    const std::string elsewhere = makeTempDir("vigil-rec-outside");
    RecordingChunk stray;
    stray.recording = "rx1";
    stray.room = "call:k2";
    stray.kind = RoomKind::Call;
    stray.participants = {demo::kSubject01};
    stray.path = elsewhere + "/secret.webm";
    std::ofstream(stray.path) << "not for download";
    stray.sha256 = vigil::common::sha256Hex("not for download");
    stray.bytes = 16;
    stray.startMs = nowMs() - 60000;
    stray.endMs = nowMs();
    stray.last = true;
    storeChunks(redis, {stray});
    // Stored without a source, as media reported chunks before it named one.
    auto strayRecord = getJson(port(), "/api/recordings/rx1", admin);
    ASSERT_EQ(strayRecord.status, 200) << strayRecord.raw;
    EXPECT_EQ(strayRecord.body["source"], "") << strayRecord.raw;
    auto outside = chunk("/api/recordings/rx1/chunks/0", admin);
    EXPECT_EQ(outside.status, 404) << outside.body;
    EXPECT_TRUE(contains(outside.body, "file_missing")) << outside.body;
    std::remove(stray.path.c_str());
    ::rmdir(elsewhere.c_str());
}

TEST_F(RecordingsApiTest, CliListAndVerify) {
    auto list = vigilCli(redis, {"recording", "list"});
    ASSERT_EQ(list.exitCode, 0) << list.output;
    EXPECT_TRUE(contains(list.output, "rc1\t")) << list.output;
    EXPECT_TRUE(contains(list.output, "\tcomplete\t2\t")) << list.output;
    EXPECT_TRUE(contains(list.output, "rk1\t")) << list.output;
    auto byClass = vigilCli(redis, {"recording", "list", "--class", demo::kClassToday});
    ASSERT_EQ(byClass.exitCode, 0) << byClass.output;
    EXPECT_TRUE(contains(byClass.output, "rc1\t")) << byClass.output;
    EXPECT_FALSE(contains(byClass.output, "rk1")) << byClass.output;

    auto ok = vigilCli(redis, {"recording", "verify", "rc1"});
    EXPECT_EQ(ok.exitCode, 0) << ok.output;
    EXPECT_TRUE(contains(ok.output, "0\tok\t" + classChunks[0].path)) << ok.output;
    EXPECT_TRUE(contains(ok.output, "1\tok\t" + classChunks[1].path)) << ok.output;

    // One byte of chunk 0 changes.
    {
        std::fstream f(classChunks[0].path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(777777);
        f.put(static_cast<char>(files[classChunks[0].path][777777] ^ 0x20));
    }
    auto changed = vigilCli(redis, {"recording", "verify", "rc1"});
    EXPECT_EQ(changed.exitCode, 1) << changed.output;
    EXPECT_TRUE(contains(changed.output, "0\tMISMATCH\t")) << changed.output;
    EXPECT_TRUE(contains(changed.output, "1\tok\t")) << changed.output;

    ASSERT_EQ(std::remove(classChunks[1].path.c_str()), 0);
    auto missing = vigilCli(redis, {"recording", "verify", "rc1"});
    EXPECT_EQ(missing.exitCode, 1) << missing.output;
    EXPECT_TRUE(contains(missing.output, "1\tMISSING\t")) << missing.output;

    auto unknown = vigilCli(redis, {"recording", "verify", "nope"});
    EXPECT_EQ(unknown.exitCode, 2) << unknown.output;
    EXPECT_TRUE(contains(unknown.output, "nope")) << unknown.output;
    EXPECT_EQ(vigilCli(redis, {"recording", "verify"}).exitCode, 2);
    EXPECT_EQ(vigilCli(redis, {"recording", "verify", "../../etc"}).exitCode, 2);

    auto verified = auditOf("verify_recording", "rc1");
    ASSERT_EQ(verified.size(), 3u);
    for (const auto& v : verified) EXPECT_EQ(v["actor"], "cli");
    EXPECT_TRUE(contains(verified[0].value("detail", ""), "\"failed\":0"));
    EXPECT_TRUE(contains(verified[2].value("detail", ""), "\"failed\":2"));
}

TEST_F(RecordingsApiTest, ChunksAreNumberedAcrossSegmentsInPlayingOrder) {
    // The teacher's camera restarted: a second segment of rc1, its chunks numbered from 0.
    const long long t1 = classChunks[1].endMs + 60000;
    std::vector<RecordingChunk> later;
    for (int i = 0; i < 2; ++i) {
        auto c =
            makeChunk("rc1-s2", "class:" + demo::kClassToday, RoomKind::Class, {demo::kOfficerWang},
                      i, 3000 + static_cast<size_t>(i), t1 + i * 300000, i == 1);
        c.recording = "rc1";
        c.source = demo::kOfficerWang;
        c.segment = t1;
        later.push_back(c);
    }
    // The second segment's last chunk is reported first: the order is by time, not arrival.
    storeChunks(redis, {later[1], later[0]});

    auto r = getJson(port(), "/api/recordings/rc1", admin);
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body["state"], "complete");
    EXPECT_EQ(r.body["chunk_count"], 4);
    ASSERT_EQ(r.body["segments"].size(), 2u) << r.raw;
    EXPECT_EQ(r.body["segments"][1]["number"], 2);
    EXPECT_EQ(r.body["end"], isoAt(later[1].endMs - later[1].endMs % 1000));
    const json& chunks = r.body["chunks"];
    ASSERT_EQ(chunks.size(), 4u);
    const std::vector<RecordingChunk> order{classChunks[0], classChunks[1], later[0], later[1]};
    for (size_t i = 0; i < order.size(); ++i) {
        EXPECT_EQ(chunks[i]["index"], i);
        EXPECT_EQ(chunks[i]["segment"], i < 2 ? 1 : 2);
        EXPECT_EQ(chunks[i]["segment_index"], i % 2);
        EXPECT_EQ(chunks[i]["sha256"], order[i].sha256);
        auto file = chunk(chunks[i].value("url", ""), admin);
        ASSERT_EQ(file.status, 200) << chunks[i].dump();
        EXPECT_TRUE(file.body == files[order[i].path]) << "chunk " << i;
    }
    EXPECT_EQ(chunk("/api/recordings/rc1/chunks/4", admin).status, 404);
    // The audit names the segment and the chunk in it.
    bool named = false;
    for (const auto& p : auditOfAtLeast("play_recording", "rc1", 4)) {
        auto detail = json::parse(p.value("detail", "{}"));
        named = named || (detail.value("chunk", -1) == 3 && detail.value("segment", 0) == 2 &&
                          detail.value("segment_index", -1) == 1);
    }
    EXPECT_TRUE(named);

    auto verify = vigilCli(redis, {"recording", "verify", "rc1"});
    EXPECT_EQ(verify.exitCode, 0) << verify.output;
    EXPECT_TRUE(contains(verify.output, "2\t1\tok\t" + later[1].path)) << verify.output;
}

namespace {

// Sends a GET for `path` with `token`, reads `keep` bytes of the answer and closes the
// connection: a player that went away mid-chunk. Returns the bytes read.
size_t readPartly(int port, const std::string& path, const std::string& token, size_t keep) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (fd >= 0) ::close(fd);
        return 0;
    }
    // A small receive buffer, so that the server cannot have sent the whole file at once.
    int small = 4096;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                                "Authorization: Bearer " + token + "\r\n\r\n";
    (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    size_t got = 0;
    char buf[4096];
    while (got < keep) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        got += static_cast<size_t>(n);
    }
    ::close(fd);
    return got;
}

}  // namespace

TEST_F(RecordingsApiTest, PlayTokenIsScopedToOneRecordingAndThePlayIsAuditedWhenServed) {
    const std::string url = playUrl(wang, "rc1", 1);
    ASSERT_FALSE(url.empty());
    auto played = chunk(url, "");
    ASSERT_EQ(played.status, 200) << played.body.substr(0, 200);
    EXPECT_TRUE(played.body == files[classChunks[1].path]);
    // Audited once served: how much went out, and that it all did.
    auto plays = auditOfAtLeast("play_recording", "rc1", 1);
    ASSERT_EQ(plays.size(), 1u);
    auto detail = json::parse(plays[0].value("detail", "{}"));
    EXPECT_EQ(plays[0].value("actor", ""), demo::kOfficerWang);
    EXPECT_EQ(detail.value("sent", 0), classChunks[1].bytes) << detail.dump();
    EXPECT_EQ(detail.value("complete", false), true) << detail.dump();

    // The token admits that recording only, even to someone who may see the other one.
    const std::string token = url.substr(url.find("?play=") + 6);
    auto other = chunk("/api/recordings/rk1/chunks/0?play=" + token, "");
    EXPECT_EQ(other.status, 403) << other.body;
    EXPECT_TRUE(contains(other.body, "forbidden")) << other.body;

    // A player that goes away mid-chunk: the play is audited with what it actually got.
    const size_t total = classChunks[0].bytes;
    const size_t got = readPartly(port(), "/api/recordings/rc1/chunks/0", li, 64 * 1024);
    ASSERT_GT(got, 0u);
    std::vector<json> cut;
    for (int i = 0; i < 100 && cut.empty(); ++i) {
        for (const auto& p : auditOf("play_recording", "rc1")) {
            auto d = json::parse(p.value("detail", "{}"));
            if (p.value("actor", "") == demo::kOfficerLi && d.contains("complete"))
                cut.push_back(d);
        }
        if (cut.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(cut.size(), 1u);
    EXPECT_EQ(cut[0].value("complete", true), false) << cut[0].dump();
    EXPECT_LT(cut[0].value("sent", total), total) << cut[0].dump();

    // The token dies with the session that asked for it.
    ASSERT_EQ(httpRequest(port(), "POST", "/api/logout", "", wang).status, 200);
    EXPECT_EQ(chunk(url, "").status, 401);
}
