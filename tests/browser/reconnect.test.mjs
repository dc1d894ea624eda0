// Network drops: a subject's and the officer's WebSocket are cut in the middle of a live
// class (window.vigilDebug.dropConnection closes it as a failing network would). Each page
// must reconnect by itself with backoff, join the class again, and get its media back: the
// subject sees the teacher's video decode again on a new connection, the officer sees the
// subject back on the roster, and the record counts the reconnect.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as h from './harness.mjs';

const env = h.useStack('reconnect', ['cap13.y4m', 'cap12.y4m'], { before, after, assert });

const connState = (page) => page.evaluate(() => window.vigilDebug?.signalState?.());

const teacherFrames = h.teacherFrames;

async function expectTeacherVideoBack(page, previousSession, what) {
    const first = await h.waitUntil(async () => {
        const f = await teacherFrames(page);
        return f && f.session !== previousSession && f.frames > 0 ? f : null;
    }, { timeout: 30000, message: `${what}: the teacher's video decoding on a new session` });
    await h.sleep(2000);
    const later = await teacherFrames(page);
    assert.ok(later && later.session === first.session && later.frames > first.frames,
        `${what}: the teacher's video keeps decoding (${JSON.stringify(first)} then ${JSON.stringify(later)})`);
    return later;
}

test('the WebSocket reconnects with backoff and the class media recovers after drops', { timeout: 240000 }, async (t) => {
    const { stack } = env;
    const [officerBrowser, subjectBrowser] = env.browsers;
    const log = (line) => t.diagnostic(line);
    const adminToken = await h.apiLogin(stack, 'admin');
    const classes = (await h.apiGet(stack, adminToken, '/api/classes')).classes;
    const demoClass = classes.filter((c) => c.enrol_unit === 'zj-hz-xh-zt').sort((a, b) => a.start.localeCompare(b.start))[0];
    assert.ok(demoClass, 'the demo seed has a class for zj-hz-xh-zt');
    const subjectId = (await h.apiGet(stack, adminToken, '/api/users?role=subject')).users
        .find((u) => u.username === 'subject01').id;

    const officer = await h.newPage(officerBrowser, 'officer', { stack });
    const subject = await h.newPage(subjectBrowser, 'subject', { stack });

    await h.step('officer starts the class with a camera', async () => {
        await h.signIn(officer, stack, 'officer.wang', '#/officer');
        await officer.goto(`${stack.baseUrl}/#/officer/class/${demoClass.id}`);
        await officer.click('#start-class:not([disabled])');
        await officer.waitForSelector('#class-state[data-i18n="class.state_live"]', { timeout: 20000 });
    }, log);

    let before;
    await h.step('subject joins and the teacher video plays', async () => {
        await h.signIn(subject, stack, 'subject01', '#/subject');
        await subject.click(`.class-card[data-class="${demoClass.id}"] button.join-class:not([disabled])`);
        before = await expectTeacherVideoBack(subject, null, 'after joining');
        await officer.waitForSelector(`#roster .roster-tile[data-subject="${subjectId}"]`, { timeout: 15000 });
    }, log);

    await h.step('the subject\'s connection drops; it reconnects, rejoins and the video resumes', async () => {
        const droppedAt = Date.now();
        await subject.evaluate(() => window.vigilDebug.dropConnection());
        await h.waitUntil(async () => (await connState(subject)) === 'reconnecting',
            { timeout: 5000, interval: 50, message: 'the subject page to show it is reconnecting' });
        assert.equal(await subject.getAttribute('#conn-status', 'data-state'), 'reconnecting');
        await h.waitUntil(async () => (await connState(subject)) === 'connected',
            { timeout: 20000, message: 'the subject page to reconnect' });
        log(`subject reconnected after ${Date.now() - droppedAt} ms`);
        before = await expectTeacherVideoBack(subject, before.session, 'after the subject\'s drop');
        log(`teacher video back ${Date.now() - droppedAt} ms after the drop`);
        await officer.waitForSelector(`#roster .roster-tile[data-subject="${subjectId}"]`, { timeout: 15000 });
    }, log);

    await h.step('the officer\'s connection drops; the officer republishes and the subject\'s video resumes', async () => {
        await officer.evaluate(() => window.vigilDebug.dropConnection());
        await h.waitUntil(async () => (await connState(officer)) === 'connected',
            { timeout: 20000, message: 'the officer page to reconnect' });
        await expectTeacherVideoBack(subject, before.session, 'after the officer\'s drop');
        await officer.waitForSelector(`#roster .roster-tile[data-subject="${subjectId}"]`, { timeout: 15000 });
    }, log);

    await h.step('the record counts the subject\'s reconnect', async () => {
        const token = await h.apiLogin(stack, 'officer.wang');
        const att = await h.apiGet(stack, token, `/api/classes/${demoClass.id}/attendance`);
        const row = att.attendance.find((r) => r.subject === subjectId);
        assert.ok(row && row.reconnects >= 1 && row.intervals.length >= 2, `attendance row: ${JSON.stringify(row)}`);
    }, log);

    h.assertNoPageErrors(officer);
    h.assertNoPageErrors(subject);
});
