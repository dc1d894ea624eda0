// Supervision calls during a live class. The officer teaches the demo class from the console
// and calls one subject from that subject's roster tile: the call opens over the console and
// over the subject's classroom, with two-way video, while the other subject keeps receiving
// the teacher's video and the console keeps publishing (without the officer's voice, which
// belongs to the call). After hang-up the called subject is still in the class: the teacher's
// video decodes, presence samples go on and the attendance record has one unbroken interval.
// A call answered on another page (the subject's home) brings the subject back to that page,
// and a call whose page the officer leaves comes back into view.
// Three Chromium processes: the officer (cap13.y4m) and two subjects (cap12.y4m).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as h from './harness.mjs';

const env = h.useStack('calls', ['cap13.y4m', 'cap12.y4m', 'cap12.y4m'], { before, after, assert });

const overlayOpen = (page) => page.evaluate(() => !!document.querySelector('dialog#call-overlay')?.open);
const hash = (page) => page.evaluate(() => location.hash);

// The console's class publish session (not a call's): frames encoded, the microphone's state.
const classPublish = (page) => h.classMainFrames(page, 'publish');

// Waits until `probe(page)` gives a number larger than `from` (frames of a stream).
async function expectGrowth(probe, from, what) {
    return h.waitUntil(async () => {
        const now = await probe();
        return now && now.frames > from.frames ? now : null;
    }, { timeout: 10000, interval: 500, message: `${what} to grow beyond ${JSON.stringify(from)}` });
}

async function teacherDecoding(page, what) {
    const first = await h.waitUntil(async () => {
        const f = await h.teacherFrames(page);
        return f && f.frames > 0 ? f : null;
    }, { timeout: 30000, message: `${what}: the teacher's video decoding` });
    return expectGrowth(() => h.teacherFrames(page), first, `${what}: the teacher's frames`);
}

async function attendanceRow(stack, token, classId, subjectId) {
    const att = await h.apiGet(stack, token, `/api/classes/${classId}/attendance`);
    return att.attendance.find((r) => r.subject === subjectId);
}

async function callIsActive(page, what) {
    await page.locator('#call-state[data-state="active"]').waitFor({ state: 'attached', timeout: 30000 })
        .catch(async () => {
            const state = await page.locator('#call-state').first().getAttribute('data-state', { timeout: 1000 }).catch(() => null);
            throw new Error(`${what}: #call-state is "${state}", not "active"`);
        });
    return h.expectDecoding(page, 'video#remote-video', { timeout: 30000, what: `${what}: #remote-video` });
}

test('a call from the console keeps the class going and the subject returns to it', { timeout: 300000 }, async (t) => {
    const { stack } = env;
    const [officerBrowser, browserA, browserB] = env.browsers;
    const log = (line) => t.diagnostic(line);
    const adminToken = await h.apiLogin(stack, 'admin');
    const officerToken = await h.apiLogin(stack, 'officer.wang');
    const subjects = (await h.apiGet(stack, adminToken, '/api/users?role=subject')).users;
    const a = subjects.find((u) => u.username === 'subject01');
    const b = subjects.find((u) => u.username === 'subject02');
    assert.ok(a && b, 'the demo seed has subject01 and subject02');
    const demoClass = (await h.apiGet(stack, adminToken, '/api/classes')).classes
        .filter((c) => c.enrol_unit === 'zj-hz-xh-zt').sort((x, y) => x.start.localeCompare(y.start))[0];
    assert.ok(demoClass, 'the demo seed has a class for zj-hz-xh-zt (officer.wang teaches it)');
    const classHash = `#/subject/class/${demoClass.id}`;
    const consoleHash = `#/officer/class/${demoClass.id}`;

    const officer = await h.newPage(officerBrowser, 'officer', { stack });
    const pageA = await h.newPage(browserA, 'subjectA', { stack });
    const pageB = await h.newPage(browserB, 'subjectB', { stack });

    await h.step('the officer starts the class in the console; both subjects join', async () => {
        await h.signIn(officer, stack, 'officer.wang', '#/officer');
        await officer.goto(`${stack.baseUrl}/${consoleHash}`);
        await officer.click('#start-class:not([disabled])');
        await officer.waitForSelector('#class-state[data-i18n="class.state_live"]', { timeout: 20000 });
        for (const [page, user] of [[pageA, 'subject01'], [pageB, 'subject02']]) {
            await h.signIn(page, stack, user, '#/subject');
            await page.click(`.class-card[data-class="${demoClass.id}"] button.join-class:not([disabled])`);
            await h.waitForHash(page, classHash);
            await teacherDecoding(page, user);
        }
        await officer.waitForSelector(`#roster .roster-tile[data-subject="${a.id}"]`, { timeout: 15000 });
    }, log);

    let callId;
    let aMutedBefore;
    let presenceBefore;
    await h.step('the officer calls subject01 from the roster tile; the call opens over both class pages', async () => {
        aMutedBefore = await pageA.evaluate(() => document.querySelector('#teacher-video').muted);
        await officer.click(`#roster .roster-tile[data-subject="${a.id}"] button.call-subject`);
        await h.waitUntil(() => overlayOpen(officer), { timeout: 10000, message: 'the officer\'s dialog#call-overlay to open' });
        await h.waitUntil(() => pageA.evaluate(() => !!document.querySelector('dialog#incoming-call')?.open),
            { timeout: 15000, message: 'subject01\'s dialog#incoming-call to open' });
        await pageA.click('#call-accept');
        await h.waitUntil(() => overlayOpen(pageA), { timeout: 10000, message: 'subject01\'s dialog#call-overlay to open' });
        callId = await h.waitUntil(() => pageA.evaluate(() => window.vigilDebug.peers().find((p) => p.call)?.call),
            { message: 'subject01\'s call media session' });
        log(`call ${callId}`);
        assert.equal(await hash(officer), consoleHash, 'the officer stays in the console');
        assert.equal(await hash(pageA), classHash, 'subject01 stays in the class');
        assert.ok(await pageA.locator('dialog#call-overlay #call-note').isVisible(), 'subject01 is told that the class goes on');
    }, log);

    await h.step('two-way video; subject02 still receives the teacher and the console still publishes', async () => {
        const [officerSide, subjectSide] = [await callIsActive(officer, 'officer'), await callIsActive(pageA, 'subject01')];
        log(`officer sees ${JSON.stringify(officerSide.second)}; subject01 sees ${JSON.stringify(subjectSide.second)}`);
        assert.ok(officerSide.viaStats && subjectSide.viaStats, 'both sides measured through getStats');
        const teacherB = await teacherDecoding(pageB, 'subject02 during the call');
        log(`subject02 teacher frames during the call: ${JSON.stringify(teacherB)}`);
        const publishing = await classPublish(officer);
        assert.ok(publishing, 'the console has its class publish session during the call');
        const later = await expectGrowth(() => classPublish(officer), publishing, 'the console\'s class frames during the call');
        assert.equal(later.session, publishing.session, 'the same class publish session throughout');
        assert.equal(later.mic, false, 'the class does not hear the officer during the call');
        assert.equal(await pageA.evaluate(() => document.querySelector('#teacher-video').muted), true,
            'subject01 does not hear the class during the call');
        const rowA = await attendanceRow(stack, officerToken, demoClass.id, a.id);
        assert.equal(rowA.intervals.length, 1, `subject01 has one interval during the call: ${JSON.stringify(rowA.intervals)}`);
        assert.ok(rowA.intervals[0].open, 'subject01\'s interval stays open during the call');
        presenceBefore = rowA.samples;
        await h.screenshotBoth(officer, 'officer-console-call');
        // The subject's call covers the class page (a modal dialog), the language switch too:
        // the screenshots switch languages from the page's script.
        for (const lang of ['zh-CN', 'en']) {
            await pageA.evaluate((want) => {
                if (document.documentElement.lang !== want) document.getElementById('lang-toggle').click();
            }, lang);
            await h.waitUntil(async () => (await h.htmlLang(pageA)) === lang, { message: `subject01's page in ${lang}` });
            await h.screenshot(pageA, `subject-class-call.${lang}`);
        }
        await pageA.evaluate(() => document.getElementById('lang-toggle').click());
    }, log);

    await h.step('after hang-up subject01 is back in the class: teacher video, presence, one interval', async () => {
        const before = await classPublish(officer);
        await officer.click('#call-hangup');
        await h.waitUntil(async () => !(await overlayOpen(officer)) && !(await overlayOpen(pageA)),
            { timeout: 15000, message: 'dialog#call-overlay to close on both sides' });
        assert.equal(await hash(pageA), classHash, 'subject01 is still on the class page');
        assert.equal(await hash(officer), consoleHash, 'the officer is still in the console');
        assert.equal(await pageA.locator('#call-state').count(), 0, 'no call view waits for video after the call');
        const teacherA = await teacherDecoding(pageA, 'subject01 after the call');
        log(`subject01 teacher frames after the call: ${JSON.stringify(teacherA)}`);
        assert.equal(await pageA.evaluate(() => document.querySelector('#teacher-video').muted), aMutedBefore,
            'subject01 hears the class as before the call');
        const after = await expectGrowth(() => classPublish(officer), before, 'the console\'s class frames after the call');
        assert.equal(after.mic, true, 'the class hears the officer again');
        const rowA = await h.waitUntil(async () => {
            const row = await attendanceRow(stack, officerToken, demoClass.id, a.id);
            return row && row.samples > presenceBefore ? row : null;
        }, { timeout: 30000, interval: 1000, message: `subject01's presence samples to grow beyond ${presenceBefore} after the call` });
        assert.equal(rowA.intervals.length, 1, `subject01's attendance is one unbroken interval: ${JSON.stringify(rowA.intervals)}`);
        assert.ok(rowA.intervals[0].open, 'subject01 is still in the class');
        const rowB = await attendanceRow(stack, officerToken, demoClass.id, b.id);
        assert.equal(rowB.intervals.length, 1, `subject02's attendance is one unbroken interval: ${JSON.stringify(rowB.intervals)}`);
        log(`subject01: ${rowA.samples} presence samples (${presenceBefore} at the call), intervals ${JSON.stringify(rowA.intervals)}`);
    }, log);

    await h.step('a call answered on the home page brings the subject back home; a call stays in view', async () => {
        await pageB.click('#leave-class');
        await h.waitUntil(async () => (await hash(pageB)) === '#/subject', { message: 'subject02 on #/subject after leaving' });
        // The officer places it from the dashboard in a second tab; the console goes on.
        const dashboard = await h.newPage(officerBrowser, 'officer-dashboard', { stack });
        await h.signIn(dashboard, stack, 'officer.wang', '#/officer');
        await dashboard.click(`#caseload tbody tr[data-subject="${b.id}"] button.call-subject`);
        await h.waitForHash(dashboard, '#/call');
        await h.waitUntil(() => pageB.evaluate(() => !!document.querySelector('dialog#incoming-call')?.open),
            { timeout: 15000, message: 'subject02\'s dialog#incoming-call to open' });
        await pageB.click('#call-accept');
        await h.waitForHash(pageB, '#/call');
        await callIsActive(pageB, 'subject02');
        // The officer opens another page mid-call: the call is not left running out of sight,
        // the call page comes back, and it ends on the page the officer went to.
        await dashboard.evaluate(() => {
            document.querySelector('#call-state').dataset.before = 'yes';
            location.hash = '#/officer/schedule';
        });
        await dashboard.locator('#call-state:not([data-before])').waitFor({ state: 'attached', timeout: 10000 });
        await dashboard.click('#call-hangup');
        await h.waitUntil(async () => (await hash(pageB)) === '#/subject' && (await hash(dashboard)) === '#/officer/schedule',
            { timeout: 15000, message: 'subject02 back on #/subject and the officer on #/officer/schedule' });
        await pageB.locator(`.class-card[data-class="${demoClass.id}"]`).waitFor({ state: 'visible' });
        h.assertNoPageErrors(dashboard);
        await teacherDecoding(pageA, 'subject01 while the class goes on');
    }, log);

    h.assertNoPageErrors(officer);
    h.assertNoPageErrors(pageA);
    h.assertNoPageErrors(pageB);
});
