// Self-service video check-in (视频报到) and 脱管 prevention as subjects and officers meet them,
// in Chromium with fake cameras playing clips made here from the test media:
// - same.y4m: the enrolled man (reference: var/testdata/video/cap13/00010.jpg) in another clip,
//   cap12: 6 s facing the camera (frames 10-50, then back to 30), then his real turn to his
//   left (tests/data/face_clip_movements.csv: cap12 turn_left 207-218) and back (219-226), the
//   turn at half speed, as slowly as the instruction asks, so that the server's 5 fps burst sees
//   every frame of it (at full speed it saw every other one and missed the widest). Chromium
//   plays a fake camera's file from its start when the page opens the camera, so the page
//   shows the instruction (checkin_shown, about 3 s later) while he still faces the camera:
//   the challenge measures the turn from the pose he starts in -> `verified`;
// - other.y4m: another man (var/testdata/photos/franck_*.jpg) -> `failed`, `not_matched`;
// - still.y4m: the reference photo itself, repeated -> fails the challenge.
// [checkin] challenges is set to `turn_left` so that the challenge is the one the clip makes.
// The test also sets the browser's location (inside the registered area, then outside it:
// `out_of_area`), leaves an ordered check-in to run out (`missed`, an alert the officer
// acknowledges and resolves in the dashboard) and puts a subject far behind his level's
// longest gap (first in the officer's overdue list).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import * as h from './harness.mjs';

const video = path.join(h.testdata, 'video');
const photos = path.join(h.testdata, 'photos');
const reference = path.join(video, 'cap13', '00010.jpg');
// The registered area: 转塘 and 5 km around; the browser is put inside it or 150 km away.
const AREA = { name: '转塘街道', lat: 30.1486, lon: 120.0852, radius_m: 5000 };
const INSIDE = { latitude: 30.1502, longitude: 120.0871, accuracy: 20 };
const OUTSIDE = { latitude: 31.2304, longitude: 121.4737, accuracy: 30 };

// A .y4m clip for Chromium's fake camera (320x240 I420 at 15 fps, as scripts/assets makes them)
// from numbered JPEG frames `pattern` (printf style) start..stop at `fps`.
function makeClip(out, pattern, start, stop, fps) {
    const run = spawnSync('gst-launch-1.0', ['-q', 'multifilesrc', `location=${pattern}`, `start-index=${start}`,
        `stop-index=${stop}`, `caps=image/jpeg,framerate=${fps}/1`, '!', 'jpegdec', '!', 'videoconvert', '!',
        'videoscale', '!', 'videorate', '!', 'video/x-raw,format=I420,width=320,height=240,framerate=15/1', '!',
        'y4menc', '!', 'filesink', `location=${out}`], { encoding: 'utf8', timeout: 60000 });
    if (run.error || run.status !== 0 || !fs.existsSync(out) || fs.statSync(out).size < 100000) {
        throw new Error(`gst-launch-1.0 could not make ${out} (install gstreamer1.0-tools and -plugins-good: ` +
            `scripts/setup): ${run.error?.message ?? ''}${run.stderr ?? ''}`);
    }
    return out;
}

// The same, from a list of JPEG files in the order they play, at `fps`.
function clipOf(out, files, fps) {
    const dir = `${out}.frames`;
    fs.mkdirSync(dir);
    files.forEach((f, i) => fs.copyFileSync(f, path.join(dir, `${String(i).padStart(5, '0')}.jpg`)));
    return makeClip(out, path.join(dir, '%05d.jpg'), 0, files.length - 1, fps);
}

const range = (from, to) => Array.from({ length: Math.abs(to - from) + 1 }, (_, i) => (from <= to ? from + i : from - i));

function makeClips(dir) {
    const cap12 = (n) => path.join(video, 'cap12', `${String(n).padStart(5, '0')}.jpg`);
    const twice = (n) => [n, n];
    const same = clipOf(path.join(dir, 'same.y4m'),
        [...range(10, 50), ...range(50, 30), ...range(207, 226).flatMap(twice)].map(cap12), 10);
    // Another man: the franck photos in a row, two a second.
    const franck = fs.readdirSync(photos).filter((f) => /^franck_\d+\.jpg$/.test(f)).sort().map((f) => path.join(photos, f));
    assert.ok(franck.length >= 5, `the franck photos are in ${photos}`);
    const other = clipOf(path.join(dir, 'other.y4m'), franck, 2);
    // A still photo as a video: the reference itself, three seconds of the same picture.
    const still = clipOf(path.join(dir, 'still.y4m'), range(1, 30).map(() => reference), 10);
    return { same, other, still };
}

async function api(stack, token, method, pathAndQuery, body) {
    const headers = { authorization: `Bearer ${token}` };
    let payload;
    if (Buffer.isBuffer(body)) {
        headers['content-type'] = 'image/jpeg';
        payload = body;
    } else if (body !== undefined) {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(body);
    }
    const res = await fetch(`${stack.baseUrl}${pathAndQuery}`, { method, headers, body: payload });
    const text = await res.text();
    let parsed = text;
    try { parsed = JSON.parse(text); } catch { /* text */ }
    if (res.status !== 200 && res.status !== 201) throw new Error(`${method} ${pathAndQuery}: ${res.status} ${text.slice(0, 300)}`);
    return parsed;
}

const dayMs = 86400000;
const isoDate = (ms) => new Date(ms + 8 * 3600000).toISOString().slice(0, 10); // the agency's +08:00

const env = { stack: null, dir: null, clips: null };
before(async () => {
    env.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-checkin-clips-'));
    env.clips = makeClips(env.dir);
    env.stack = await h.startStack({ name: 'checkin', overrides: { 'checkin.challenges': ['turn_left'] } });
}, { timeout: 120000 });
after(async () => {
    await h.saveDiagnostics().catch(() => {});
    await h.closeBrowsers();
    if (env.stack) {
        const status = await env.stack.stop();
        assert.equal(status, 0, `vigil serve exited with status ${status} at shutdown (see checkin.vigil.log in ${h.artifactsDir})`);
    }
    if (env.dir && process.env.VIGIL_BROWSER_KEEP_TMP !== '1') fs.rmSync(env.dir, { recursive: true, force: true });
}, { timeout: 60000 });

// A subject's phone: a Chromium whose camera plays `clip`, signed in as `username`, with the
// location `where` (null: the location is not allowed).
async function subjectPhone(label, clip, username, where) {
    const browser = await h.launchBrowser({ camera: clip });
    const page = await h.newPage(browser, label, { stack: env.stack, viewport: { width: 390, height: 844 } });
    if (where) {
        await page.context().grantPermissions(['camera', 'geolocation'], { origin: env.stack.baseUrl });
        await page.context().setGeolocation(where);
    }
    await h.signIn(page, env.stack, username, '#/subject');
    // Connected: a push from now on reaches this page.
    await h.waitUntil(() => page.evaluate(() => window.vigilDebug?.signalState?.() === 'connected'),
        { timeout: 15000, message: 'the app\'s WebSocket to connect' });
    return { browser, page };
}

// Runs one check-in for `order` on the page and returns the result's {outcome, reason}.
async function checkIn(page, order, report) {
    await page.goto(`${env.stack.baseUrl}/#/subject/checkin/${encodeURIComponent(order)}`);
    await page.locator('#checkin-start').waitFor({ state: 'visible' });
    await h.waitUntil(async () => !(await page.locator('#checkin-due').getAttribute('data-i18n'))?.startsWith('common.'),
        { timeout: 10000, message: 'the due check-in to load' });
    if (report) await page.fill('#checkin-report', report);
    await page.click('#checkin-start');
    await page.locator('#checkin-stage').waitFor({ state: 'visible', timeout: 30000 });
    const instruction = await page.locator('#checkin-instruction').getAttribute('data-challenge');
    assert.equal(instruction, 'turn_left', 'the challenge is the configured one');
    await page.locator('#checkin-result').waitFor({ state: 'visible', timeout: 90000 });
    return {
        outcome: await page.locator('#checkin-result').getAttribute('data-outcome'),
        reason: await page.locator('#checkin-result').getAttribute('data-reason'),
        text: (await page.locator('#checkin-result').textContent()).trim(),
    };
}

test('video check-ins decide identity, liveness and area; a missed order raises an alert that is handled; the overdue list leads', { timeout: 600000 }, async (t) => {
    const { stack } = env;
    const log = (line) => t.diagnostic(line);
    const adminToken = await h.apiLogin(stack, 'admin');
    const users = (await h.apiGet(stack, adminToken, '/api/users')).users;
    const byName = (n) => users.find((u) => u.username === n);
    const subject = byName('subject01');
    const officerUser = byName('officer.wang');
    const officerToken = await h.apiLogin(stack, 'officer.wang');
    const late = users.filter((u) => u.role === 'subject' && u.officer === officerUser.id && u.id !== subject.id)[0];
    assert.ok(late, 'officer.wang has a second subject');
    const order = async (minutes) => (await api(stack, officerToken, 'POST', '/api/checkins/orders',
        { subjects: [subject.id], ...(minutes ? { minutes } : {}) })).orders[0];
    const checkinsOf = async () => (await api(stack, officerToken, 'GET', `/api/checkins?subject=${subject.id}&limit=50`)).checkins;

    await h.step('subject01 is enrolled from cap13/00010.jpg, in supervision at the strict level, with a registered area', async () => {
        const refs = await h.apiGet(stack, officerToken, `/api/subjects/${subject.id}/references`);
        for (const r of refs.references) await api(stack, officerToken, 'DELETE', `/api/subjects/${subject.id}/references/${r.id}`);
        await api(stack, officerToken, 'POST', `/api/subjects/${subject.id}/references`, fs.readFileSync(reference));
        await api(stack, officerToken, 'PUT', `/api/subjects/${subject.id}/supervision`,
            { term_start: isoDate(Date.now() - 30 * dayMs), term_end: isoDate(Date.now() + 300 * dayMs), decision: '(2026)浙0106刑初1号', area: AREA });
        const sv = await api(stack, officerToken, 'POST', `/api/subjects/${subject.id}/level`, { level: 'strict', reason: '新入矫' });
        assert.equal(sv.level, 'strict');
        assert.equal(sv.status, 'active');
        assert.equal(sv.area?.radius_m, AREA.radius_m);
    }, log);

    let verifiedId = null;
    await h.step('an ordered check-in reaches the subject at once; the same man in another clip is verified', async () => {
        const { page } = await subjectPhone('subject-same', env.clips.same, 'subject01', INSIDE);
        const first = await order();
        // Pushed to the open app: the banner shows without a reload, and the home lists the order.
        await page.locator('#checkin-ordered').waitFor({ state: 'visible', timeout: 10000 });
        assert.equal(await page.locator('#checkin-ordered').getAttribute('data-order'), String(first.order));
        await page.locator(`#checkins-due li[data-order="${first.order}"]`).waitFor({ state: 'visible', timeout: 10000 });
        await h.screenshotBoth(page, 'subject-home-checkin-ordered');
        await page.click('#checkin-ordered-go');
        await h.waitForHash(page, '#/subject/checkin');
        const result = await checkIn(page, first.order, '本周按时参加了学习，没有离开居住地。');
        log(`same man: ${JSON.stringify(result)}`);
        assert.equal(result.outcome, 'verified', `the result reads "${result.text}"`);
        await h.screenshotBoth(page, 'subject-checkin-verified');
        const record = (await checkinsOf()).find((c) => String(c.order) === String(first.order) && c.outcome === 'verified');
        assert.ok(record, 'the verified check-in is recorded for the order');
        assert.equal(record.challenge, 'turn_left');
        assert.equal(record.out_of_area, false);
        assert.ok(record.location && Math.abs(record.location.lat - INSIDE.latitude) < 1e-3, `location ${JSON.stringify(record.location)}`);
        assert.ok(record.frames.length > 0, 'the decision keeps its frames');
        verifiedId = record.id;
        h.assertNoPageErrors(page);
        await page.context().browser().close();
    }, log);

    await h.step('another person is failed/not_matched, and checking in outside the area raises out_of_area', async () => {
        const { page } = await subjectPhone('subject-other', env.clips.other, 'subject01', OUTSIDE);
        const second = await order();
        const result = await checkIn(page, second.order);
        log(`another man: ${JSON.stringify(result)}`);
        assert.equal(result.outcome, 'failed', `the result reads "${result.text}"`);
        assert.equal(result.reason, 'not_matched');
        assert.ok(await page.locator('#checkin-attempts').isVisible(), 'the attempts left are shown');
        await h.screenshotBoth(page, 'subject-checkin-not-matched');
        const record = (await checkinsOf()).find((c) => String(c.order) === String(second.order));
        assert.equal(record?.out_of_area, true, `out of the area: ${JSON.stringify(record)}`);
        await h.waitUntil(async () => (await api(stack, officerToken, 'GET', `/api/alerts?subject=${subject.id}`)).alerts
            .some((a) => a.kind === 'out_of_area'), { timeout: 10000, message: 'an out_of_area alert' });
        h.assertNoPageErrors(page);
        await page.context().browser().close();
    }, log);

    await h.step('a still photo made into a video fails the challenge; a refused location is recorded as refused', async () => {
        const { page } = await subjectPhone('subject-still', env.clips.still, 'subject01', null);
        const third = await order();
        const result = await checkIn(page, third.order);
        log(`still photo: ${JSON.stringify(result)}`);
        assert.equal(result.outcome, 'failed', `the result reads "${result.text}"`);
        assert.equal(result.reason, 'liveness_failed');
        const record = (await checkinsOf()).find((c) => String(c.order) === String(third.order));
        assert.equal(record?.location_refused, true, `the refusal is recorded: ${JSON.stringify(record)}`);
        h.assertNoPageErrors(page);
        await page.context().browser().close();
    }, log);

    const officerBrowser = await h.launchBrowser();
    const officer = await h.newPage(officerBrowser, 'officer-checkin', { stack });
    await h.signIn(officer, stack, 'officer.wang', '#/officer');

    await h.step('the officer opens the verified check-in with its frames and report', async () => {
        await officer.goto(`${stack.baseUrl}/#/officer/subject/${subject.id}`);
        await officer.locator(`#subject-checkins tr[data-checkin="${verifiedId}"]`).waitFor({ state: 'visible' });
        await h.screenshotBoth(officer, 'officer-subject-supervision');
        await officer.click(`#subject-checkins tr[data-checkin="${verifiedId}"] a.open-checkin`);
        await officer.locator('#checkin-frames img').first().waitFor({ state: 'visible' });
        await h.waitUntil(() => officer.evaluate(() => [...document.querySelectorAll('#checkin-frames img')]
            .every((img) => img.complete && img.naturalWidth > 0)), { timeout: 10000, message: 'the frames to load' });
        assert.ok((await officer.locator('#checkin-report-text').textContent()).includes('按时参加'));
        await h.screenshotBoth(officer, 'officer-checkin-record');
    }, log);

    await h.step('an order left to run out is missed and raises an alert the officer acknowledges and resolves', async () => {
        const orderedAt = Date.now();
        const missed = await order(1);
        const record = await h.waitUntil(async () => (await checkinsOf())
            .find((c) => String(c.order) === String(missed.order) && c.outcome === 'missed'),
        { timeout: 150000, interval: 2000, message: `the order ${missed.order} recorded as missed after its deadline ${missed.deadline}` });
        // The demo's scheduled windows before the term was set have missed alerts of their own:
        // this one names the missed check-in, or was raised after the order.
        const alert = await h.waitUntil(async () => (await api(stack, officerToken, 'GET', `/api/alerts?subject=${subject.id}&state=open`)).alerts
            .find((a) => a.kind === 'missed_checkin' && (a.checkin === record.id || Date.parse(a.raised_at) >= orderedAt)),
        { timeout: 15000, message: `a missed_checkin alert for ${record.id}` });
        log(`missed: ${JSON.stringify({ checkin: record.id, alert: alert.id, alert_checkin: alert.checkin })}`);
        await officer.goto(`${stack.baseUrl}/#/officer`);
        const item = `#alerts-list li[data-alert="${alert.id}"]`;
        await officer.locator(`${item}[data-state="open"]`).waitFor({ state: 'visible' });
        const acknowledged = officer.waitForResponse((r) => r.url().endsWith(`/api/alerts/${alert.id}/acknowledge`));
        await officer.click(`${item} button.alert-ack`);
        assert.equal((await acknowledged).status(), 200, 'the acknowledgement is accepted at the first click');
        await officer.locator(`${item}[data-state="acknowledged"]`).waitFor({ state: 'visible' });
        await officer.click(`${item} button.alert-resolve`);
        await officer.locator('dialog#alerts-list-resolve').waitFor({ state: 'visible' });
        await officer.fill('#alerts-list-note', '已电话联系，本人手机没电，已补报到。');
        await h.screenshot(officer, 'officer-alert-resolve.zh-CN');
        await officer.click('#alerts-list-resolve-confirm');
        await officer.locator(`${item}[data-state="resolved"]`).waitFor({ state: 'visible' });
        const stored = (await api(stack, officerToken, 'GET', `/api/alerts?subject=${subject.id}&state=resolved`)).alerts
            .find((a) => a.id === alert.id);
        assert.equal(stored?.note, '已电话联系，本人手机没电，已补报到。');
        assert.equal(stored?.resolved_by, officerUser.id);
    }, log);

    await h.step('a subject far past his level\'s longest gap is first in the officer\'s overdue list', async () => {
        await api(stack, officerToken, 'PUT', `/api/subjects/${late.id}/supervision`,
            { term_start: isoDate(Date.now() - 900 * dayMs), term_end: isoDate(Date.now() + 200 * dayMs) });
        await api(stack, officerToken, 'POST', `/api/subjects/${late.id}/level`,
            { level: 'strict', from: isoDate(Date.now() - 900 * dayMs), reason: '测试：长期未联系' });
        const listed = (await api(stack, officerToken, 'GET', '/api/supervision/overdue')).subjects;
        log(`overdue list: ${JSON.stringify(listed.map((s) => [s.name, s.days_late, s.overdue]))}`);
        // The dashboard is open already: load it again to read the list as it is now.
        await officer.goto(`${stack.baseUrl}/#/officer/schedule`);
        await officer.goto(`${stack.baseUrl}/#/officer`);
        const first = officer.locator('#overdue tbody tr').first();
        await first.waitFor({ state: 'visible' });
        assert.equal(await first.getAttribute('data-subject'), late.id, 'the latest subject leads the list');
        assert.equal(await first.getAttribute('data-overdue'), 'true');
        assert.match(await first.getAttribute('class'), /overdue/);
        await h.screenshotBoth(officer, 'officer-dashboard-overdue');
    }, log);

    h.assertNoPageErrors(officer);
});
