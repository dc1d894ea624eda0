// Presence and spot checks as an officer and a subject meet them, for a subject who has no
// face reference yet: the subject is seen, never accused (the roster says "no photo
// enrolled", the subject is told kindly, the dashboard lists him); one click on the roster
// tile enrols him from his live camera, and he is verified from then on. Then a spot check
// that the subject's still clip cannot follow: the dialog guides him while it runs, closes
// when the server decides, and leaves the result with its reason on the page.
// Two Chromium processes: the officer (cap13.y4m) and subject01 (cap12.y4m).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as h from './harness.mjs';

const env = h.useStack('presence', ['cap13.y4m', 'cap12.y4m'], { before, after, assert });

const attr = (page, selector, name) =>
    page.locator(selector).first().getAttribute(name, { timeout: 1000 }).catch(() => null);
const isOpen = (page, selector) => page.evaluate((sel) => !!document.querySelector(sel)?.open, selector);
const visible = (page, selector) => page.locator(selector).first().isVisible().catch(() => false);

test('an unenrolled subject is seen, enrolled from the roster, and told a spot check\'s result', { timeout: 240000 }, async (t) => {
    const { stack } = env;
    const [officerBrowser, subjectBrowser] = env.browsers;
    const log = (line) => t.diagnostic(line);
    const adminToken = await h.apiLogin(stack, 'admin');
    const subject = (await h.apiGet(stack, adminToken, '/api/users?role=subject')).users
        .find((u) => u.username === 'subject01');
    const officerUser = (await h.apiGet(stack, adminToken, '/api/users?role=officer')).users
        .find((u) => u.username === 'officer.wang');
    const classId = (await h.apiGet(stack, adminToken, '/api/classes')).classes
        .filter((c) => c.officer === officerUser.id && c.enrol_unit === 'zj-hz-xh-zt')
        .sort((a, b) => a.start.localeCompare(b.start))[0].id;
    const officerToken = await h.apiLogin(stack, 'officer.wang');
    const refs = await h.apiGet(stack, officerToken, `/api/subjects/${subject.id}/references`);
    assert.equal(refs.references.length, 0, 'subject01 starts without a face reference');

    const officer = await h.newPage(officerBrowser, 'officer', { stack });
    const subjectPage = await h.newPage(subjectBrowser, 'subject', { stack });
    const tile = `#roster .roster-tile[data-subject="${subject.id}"]`;

    await h.step('the dashboard lists subject01 among the subjects without a photo', async () => {
        await h.signIn(officer, stack, 'officer.wang', '#/officer');
        await officer.locator(`#unenrolled-list li[data-subject="${subject.id}"]`).waitFor({ state: 'visible', timeout: 15000 });
        const text = await officer.locator(`#unenrolled-list li[data-subject="${subject.id}"]`).textContent();
        assert.ok(text.includes(subject.name), `the list names the subject: "${text}"`);
    }, log);

    await h.step('the officer starts the class and subject01 joins', async () => {
        await officer.goto(`${stack.baseUrl}/#/officer/class/${classId}`);
        await officer.locator('#start-class').waitFor({ state: 'visible' });
        await officer.click('#start-class');
        await h.expectPlaying(officer, 'video#console-preview', { timeout: 30000, what: 'the console preview' });
        await h.signIn(subjectPage, stack, 'subject01', '#/subject');
        await subjectPage.goto(`${stack.baseUrl}/#/subject/class/${classId}`);
        await h.expectPlaying(subjectPage, 'video#self-preview', { timeout: 30000, what: 'the subject\'s own camera' });
    }, log);

    await h.step('the roster says "no photo enrolled", never a mismatch, and offers enrolment', async () => {
        await officer.locator(tile).waitFor({ state: 'attached', timeout: 15000 });
        await h.waitUntil(async () => {
            const outcome = await attr(officer, tile, 'data-outcome');
            return outcome === 'unenrolled' ? true : null;
        }, { timeout: 30000, interval: 500, message: `${tile} data-outcome=unenrolled` });
        assert.equal(await attr(officer, tile, 'data-presence'), 'present');
        assert.ok(await visible(officer, `${tile} button.enrol-face`), 'the enrol button shows on the tile');
        const outcomeText = (await officer.locator(`${tile} .outcome`).textContent()).trim();
        assert.ok(outcomeText.includes('未登记'), `the tile reads "${outcomeText}"`);
        assert.equal(await officer.locator('#console-alerts li[data-kind="not_matched"]').count(), 0,
            'no not_matched alert for a subject without a reference');
        await h.waitUntil(async () => (await attr(subjectPage, '#presence-indicator', 'data-state')) === 'unenrolled',
            { timeout: 15000, message: 'the subject\'s #presence-indicator data-state=unenrolled' });
        const told = (await subjectPage.locator('#presence-indicator').textContent()).trim();
        assert.ok(!told.includes('其他人'), `the subject is not told someone else is there: "${told}"`);
        await h.screenshotBoth(officer, 'officer-console-unenrolled');
        await h.screenshotBoth(subjectPage, 'subject-classroom-unenrolled');
    }, log);

    await h.step('one click enrols subject01 from his live camera and he is verified', async () => {
        // The tile's thumbnail must show the camera before a frame can be taken from it.
        await h.expectPlaying(officer, `${tile} video.thumb`, { timeout: 30000, what: 'the roster thumbnail' });
        await officer.click(`${tile} button.enrol-face`);
        await h.waitUntil(async () => (await h.apiGet(stack, officerToken, `/api/subjects/${subject.id}/references`)).references.length === 1,
            { timeout: 20000, message: 'the reference stored' });
        const stored = await h.apiGet(stack, officerToken, `/api/subjects/${subject.id}/references`);
        assert.equal(stored.references[0].source, 'class');
        await h.waitUntil(async () => (await attr(officer, tile, 'data-outcome')) === 'verified',
            { timeout: 30000, interval: 500, message: `${tile} data-outcome=verified after enrolment` });
        assert.ok(!(await visible(officer, `${tile} button.enrol-face`)), 'the enrol button is gone once verified');
        const missing = await h.apiGet(stack, officerToken, '/api/references/missing');
        assert.ok(!missing.subjects.some((s) => s.id === subject.id), 'no longer listed as missing');
    }, log);

    await h.step('a spot check guides the subject, closes on the decision and shows its reason', async () => {
        await officer.locator(`${tile} button.spot-check`).click();
        await h.waitUntil(() => isOpen(officer, 'dialog#spot-check-order'), { timeout: 5000, message: 'the order dialog' });
        // The subject's clip shows a man sitting still: a turn is never seen.
        await officer.selectOption('select#spot-check-challenge', 'turn_left');
        await officer.click('#spot-check-send');
        await h.waitUntil(() => isOpen(subjectPage, 'dialog#spot-check-dialog'), { timeout: 10000, message: 'the subject\'s dialog' });
        const openedAt = Date.now();
        // A challenge is answered by the camera: no button that seems to do something.
        assert.ok(!(await visible(subjectPage, '#spot-check-ok')), 'no answer button during a challenge');
        await h.waitUntil(async () => {
            const hint = ((await subjectPage.locator('#spot-check-guidance').textContent()) || '').trim();
            return hint && hint !== '正在等待摄像头画面…' ? hint : null;
        }, { timeout: 10000, message: 'live guidance from the server in #spot-check-guidance' })
            .then((hint) => log(`guidance: ${hint}`));
        await h.screenshot(subjectPage, 'subject-spot-check-guidance.zh-CN');
        // liveness_seconds is 8 in the test stack: decided at the deadline, then the dialog closes.
        await h.waitUntil(async () => !(await isOpen(subjectPage, 'dialog#spot-check-dialog')),
            { timeout: 20000, message: 'the dialog to close on the decision' });
        log(`dialog closed ${((Date.now() - openedAt) / 1000).toFixed(1)} s after it opened`);
        await subjectPage.locator('#spot-check-result[data-outcome="failed"]').waitFor({ state: 'visible', timeout: 5000 });
        const result = (await subjectPage.locator('#spot-check-result').textContent()).trim();
        assert.ok(result.includes('未通过') && result.includes('原因'), `the result gives the reason: "${result}"`);
        await officer.locator('#console-alerts li[data-kind="spot_check_failed"]').first().waitFor({ state: 'attached', timeout: 10000 });
        await h.screenshotBoth(subjectPage, 'subject-spot-check-result');
    }, log);

    h.assertNoPageErrors(officer);
    h.assertNoPageErrors(subjectPage);
});
