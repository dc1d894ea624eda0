// Every page of every role, as people meet them: times in the agency's time zone whatever the
// browser's, controls shown only when they can act, the raised hand's icon, a phone's
// 390×844 screen (one-row header, 44 px touch targets, wide tables scroll) and axe-core with
// no serious or critical violation, in zh-CN and in English.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as h from './harness.mjs';

// The officer's browser has the officer's camera, the subject's the subject's.
const env = h.useStack('pages', ['cap13.y4m', 'cap12.y4m'], { before, after, assert });
const officerBrowser = () => env.browsers[0];
const subjectBrowser = () => env.browsers[1];

const PHONE = { width: 390, height: 844 };
const AGENCY_OFFSET_MS = 8 * 3600000; // config/vigil.toml: attendance.utc_offset = "+08:00"
const ELSEWHERE = 'America/Los_Angeles';
const dayMs = 86400000;

// The agency's calendar date (YYYY-MM-DD) of a time in ms.
const agencyDate = (ms) => new Date(ms + AGENCY_OFFSET_MS).toISOString().slice(0, 10);
// ms of the agency's wall-clock `hh:00` on the day `days` after today there.
function agencyTime(days, hh) {
    const today = Date.parse(`${agencyDate(Date.now())}T00:00:00Z`) - AGENCY_OFFSET_MS;
    return today + days * dayMs + hh * 3600000;
}

let ids = null; // demo users and classes, by name
async function demo() {
    if (ids) return ids;
    const stack = env.stack;
    const admin = await h.apiLogin(stack, 'admin');
    const users = new Map((await h.apiGet(stack, admin, '/api/users')).users.map((u) => [u.username, u]));
    const classes = (await h.apiGet(stack, admin, '/api/classes')).classes.sort((a, b) => a.start.localeCompare(b.start));
    const officer = users.get('officer.wang');
    const today = classes.find((c) => c.officer === officer.id);
    assert.ok(today, 'the demo seed has a class of officer.wang');
    ids = { admin, users, today, subject: users.get('subject01'), officer };
    return ids;
}

// Waits until the page has rendered its heading and finished loading what it shows.
async function settled(page, hash) {
    await page.goto(`${env.stack.baseUrl}/${hash}`);
    await h.waitUntil(() => page.evaluate(() => {
        const heading = document.querySelector('#view h1');
        const loading = [...document.querySelectorAll('#view *')].some((el) => el.children.length === 0 &&
            el.getClientRects().length > 0 && /^(正在加载…|Loading…)$/.test(el.textContent.trim()));
        return !!heading && !loading;
    }), { timeout: 20000, message: `${hash} to render and load` });
}

// The phone checks of the page as it is; returns a list of problems (empty when fine).
function phoneProblems(page) {
    return page.evaluate(() => {
        const problems = [];
        const visible = (el) => {
            const r = el.getBoundingClientRect();
            return el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden' && r.right > 0 && r.bottom > 0;
        };
        const header = document.querySelector('.app-header');
        const tools = [...header.querySelectorAll('.brand, a, button, #conn-status')].filter(visible)
            .filter((el) => !el.closest('#menu') || !header.classList.contains('compact'));
        const hr = header.getBoundingClientRect();
        if (hr.height > 60) problems.push(`header is ${Math.round(hr.height)} px high (more than one row)`);
        for (const el of tools) {
            const r = el.getBoundingClientRect();
            if (r.top >= hr.top + 44) problems.push(`header item ${el.id || el.textContent.trim()} on a second row`);
        }
        for (const el of document.querySelectorAll('button, a[href], summary, select')) {
            if (!visible(el) || el.closest('dialog:not([open])')) continue;
            const r = el.getBoundingClientRect();
            if (r.height < 44 - 0.5) problems.push(`touch target ${Math.round(r.width)}×${Math.round(r.height)}: ${el.outerHTML.slice(0, 90)}`);
        }
        const width = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth > width) {
            problems.push(`the page is ${document.documentElement.scrollWidth} px wide on a ${width} px screen`);
        }
        for (const table of document.querySelectorAll('table')) {
            if (!visible(table)) continue;
            let box = table.parentElement;
            while (box && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
            if (!box || box === document.documentElement || box === document.body) {
                problems.push(`table #${table.id} is not in a scroll container`);
            } else if (box.getBoundingClientRect().right > width + 0.5) {
                problems.push(`table #${table.id}'s scroll container ends past the screen`);
            }
        }
        return problems;
    });
}

async function assertPhoneLayout(page, what) {
    const problems = await phoneProblems(page);
    assert.deepEqual(problems, [], `${what} at 390×844`);
}

test('the sign-in page shows no sign-out and no menu', { timeout: 60000 }, async () => {
    const page = await h.newPage(subjectBrowser(), 'pages-signin', { stack: env.stack });
    await page.goto(`${env.stack.baseUrl}/#/login`);
    await page.locator('#login-username').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#logout').isVisible(), false, '#logout is visible on the sign-in page');
    assert.equal(await page.locator('#menu-toggle').isVisible(), false, '#menu-toggle is visible on the sign-in page');
    await h.signIn(page, env.stack, 'subject01', '#/subject');
    await page.locator('#logout').or(page.locator('#menu-toggle')).first().waitFor({ state: 'visible' });
    await page.click('#logout');
    await h.waitForHash(page, '#/login');
    assert.equal(await page.locator('#logout').isVisible(), false, '#logout is visible after signing out');
    await page.context().close();
});

test(`times in the agency's zone (+08:00) with the browser in ${ELSEWHERE}`, { timeout: 90000 }, async () => {
    const { stack } = env;
    const { subject, today } = await demo();
    const officerToken = await h.apiLogin(stack, 'officer.wang');
    // 09:00 to 10:00 tomorrow in the agency's zone: in Los Angeles that is the afternoon or
    // evening of the day before, often "today" there.
    const start = agencyTime(1, 9);
    const created = await fetch(`${stack.baseUrl}/api/classes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${officerToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: '明早九点的课', start: new Date(start).toISOString(), end: new Date(start + 3600000).toISOString(), required: true, subjects: [subject.id] }),
    }).then((r) => r.json());
    assert.ok(created.id, `the class was scheduled: ${JSON.stringify(created)}`);

    const subjectPage = await h.newPage(subjectBrowser(), 'pages-tz-subject', { stack, timezoneId: ELSEWHERE });
    await h.step('the browser really is elsewhere', async () => {
        await subjectPage.goto(`${stack.baseUrl}/#/login`);
        const offset = await subjectPage.evaluate(() => new Date().getTimezoneOffset());
        assert.ok(offset >= 420, `the browser's offset is ${-offset} minutes, not Los Angeles'`);
    });
    await h.step('the subject\'s home shows the class from 09:00 to 10:00', async () => {
        await h.signIn(subjectPage, stack, 'subject01', '#/subject');
        const card = subjectPage.locator(`.class-card[data-class="${created.id}"]`);
        await card.waitFor({ state: 'visible' });
        const times = await card.locator('time').allTextContents();
        assert.match(times[0] ?? '', /\b09:00\b/, `the start reads ${times[0]}`);
        assert.match(times[1] ?? '', /\b10:00\b/, `the end reads ${times[1]}`);
        for (const lang of ['zh-CN', 'en']) {
            await h.setLanguage(subjectPage, lang);
            const text = await card.locator('time').first().textContent();
            assert.match(text, /\b09:00\b/, `in ${lang} the start reads ${text}`);
        }
        await h.setLanguage(subjectPage, 'zh-CN');
    });

    const officerPage = await h.newPage(officerBrowser(), 'pages-tz-officer', { stack, timezoneId: ELSEWHERE });
    await h.step('"today\'s classes" are today in the agency\'s zone', async () => {
        await h.signIn(officerPage, stack, 'officer.wang', '#/officer');
        await officerPage.locator('#today-classes li').first().waitFor({ state: 'visible' });
        const listed = await officerPage.$$eval('#today-classes .class-card', (cards) => cards.map((c) => c.dataset.class));
        assert.ok(!listed.includes(created.id), `tomorrow's class ${created.id} is listed under today: ${listed}`);
        const seededToday = agencyDate(Date.parse(today.start)) === agencyDate(Date.now());
        assert.equal(listed.includes(today.id), seededToday,
            `the class at ${today.start} is ${seededToday ? '' : 'not '}today in the agency's zone; listed: ${listed}`);
        if (seededToday) {
            const shown = await officerPage.locator(`#today-classes .class-card[data-class="${today.id}"] time`).first().textContent();
            const expected = new Date(Date.parse(today.start) + AGENCY_OFFSET_MS).toISOString().slice(11, 16);
            assert.equal(shown.trim(), expected, 'the class starts at its agency time');
        }
    });
    await h.step('the schedule form reads and writes the agency\'s wall clock', async () => {
        await officerPage.goto(`${stack.baseUrl}/#/officer/schedule`);
        await officerPage.locator('#schedule-start').waitFor({ state: 'visible' });
        const value = await officerPage.inputValue('#schedule-start');
        const next = Math.ceil((Date.now() + AGENCY_OFFSET_MS) / 3600000) * 3600000;
        assert.equal(value, new Date(next).toISOString().slice(0, 16), 'the default start is the next whole hour there');
        await officerPage.fill('#schedule-title', 'Zone check');
        await officerPage.fill('#schedule-start', `${agencyDate(agencyTime(2, 0))}T09:00`);
        await officerPage.fill('#schedule-end', `${agencyDate(agencyTime(2, 0))}T10:00`);
        const [response] = await Promise.all([
            officerPage.waitForResponse((r) => r.url().endsWith('/api/classes') && r.request().method() === 'POST'),
            officerPage.click('#schedule-submit'),
        ]);
        const cls = await response.json();
        assert.equal(Date.parse(cls.start), agencyTime(2, 9), `09:00 in the form is 09:00 +08:00 on the server (${cls.start})`);
    });
    await h.step('alerts name their subject', async () => {
        const alerts = (await h.apiGet(stack, officerToken, '/api/alerts')).alerts;
        for (const a of alerts.filter((x) => x.subject)) assert.ok(a.subject_name, `alert ${a.id} has no subject_name`);
    });
    h.assertNoPageErrors(subjectPage);
    h.assertNoPageErrors(officerPage);
    await subjectPage.context().close();
    await officerPage.context().close();
});

// Every page each role can reach (the live pages with media have their own test below).
function pagesOf(role, d) {
    const subject = ['#/subject', '#/subject/checkin', '#/subject/history'];
    const staff = ['#/officer', '#/officer/schedule', `#/officer/references/${d.subject.id}`, `#/officer/subject/${d.subject.id}`,
        '#/admin/supervision', '#/admin/attendance',
        `#/admin/session/${d.today.id}`, '#/admin/reports', '#/admin/compliance', '#/admin/recordings', '#/admin/users'];
    return { subject, officer: staff, administrator: [...staff, '#/admin/audit'] }[role];
}

const accounts = [['subject', 'subject01', '#/subject'], ['officer', 'officer.li', '#/officer'],
    ['administrator', 'admin', '#/admin/attendance']];

test('every page in zh-CN and en: axe-core, and the phone layout at 390×844', { timeout: 400000 }, async () => {
    const d = await demo();
    const signin = await h.newPage(subjectBrowser(), 'pages-signin-phone', { stack: env.stack, viewport: PHONE });
    await h.step('the sign-in page', async () => {
        await signin.goto(`${env.stack.baseUrl}/#/login`);
        await signin.locator('#login-username').waitFor({ state: 'visible' });
        for (const lang of ['zh-CN', 'en']) {
            await h.setLanguage(signin, lang);
            await assertPhoneLayout(signin, `sign-in (${lang})`);
            await h.screenshot(signin, `phone-signin.${lang}`);
        }
        h.assertNoPageErrors(signin);
    });
    for (const [role, username, home] of accounts) {
        const desk = await h.newPage(subjectBrowser(), `pages-${role}`, { stack: env.stack });
        const phone = await h.newPage(subjectBrowser(), `pages-${role}-phone`, { stack: env.stack, viewport: PHONE });
        await h.signIn(desk, env.stack, username, home);
        await h.signIn(phone, env.stack, username, home);
        for (const hash of pagesOf(role, d)) {
            const name = hash.replace(/^#\//, '').replace(/\/[a-z0-9_-]*\d[a-z0-9_-]*$/i, '').replace(/\//g, '-');
            await h.step(`${role} ${hash}`, async () => {
                await settled(desk, hash);
                await h.screenshotBoth(desk, `${role}-${name}`);
                await settled(phone, hash);
                for (const lang of ['zh-CN', 'en']) {
                    await h.setLanguage(phone, lang);
                    await settled(phone, hash);
                    await assertPhoneLayout(phone, `${role} ${hash} (${lang})`);
                    await h.screenshot(phone, `phone-${role}-${name}.${lang}`);
                }
                await h.setLanguage(phone, 'zh-CN');
                h.assertNoPageErrors(desk);
                h.assertNoPageErrors(phone);
            });
        }
        await h.step(`${role}: the phone's menu opens with every page in it`, async () => {
            await phone.click('#menu-toggle');
            await phone.locator('#nav a').first().waitFor({ state: 'visible' });
            assert.equal(await phone.getAttribute('#menu-toggle', 'aria-expanded'), 'true');
            await assertPhoneLayout(phone, `${role}'s open menu`);
            await h.screenshot(phone, `phone-${role}-menu.zh-CN`);
            h.assertNoPageErrors(phone);
            await phone.keyboard.press('Escape');
            assert.equal(await phone.locator('#nav a').first().isVisible(), false, 'Escape closes the menu');
        });
        await h.step(`${role}: the desktop header is one row at 1280 px in English`, async () => {
            await h.setLanguage(desk, 'en');
            const box = await desk.locator('.app-header').boundingBox();
            assert.ok(box.height <= 60, `the header is ${box.height} px high`);
            assert.equal(await desk.locator('#menu-toggle').isVisible(), false, 'the menu is folded at 1280 px');
            await h.setLanguage(desk, 'zh-CN');
        });
        await desk.context().close();
        await phone.context().close();
    }
});

test('the live class: the sound button only while muted, the raised hand\'s icon', { timeout: 180000 }, async () => {
    const { stack } = env;
    const d = await demo();
    const officer = await h.newPage(officerBrowser(), 'pages-console', { stack });
    const subject = await h.newPage(subjectBrowser(), 'pages-classroom', { stack, viewport: PHONE });
    const tile = `#roster .roster-tile[data-subject="${d.subject.id}"]`;
    await h.step('the officer starts the class', async () => {
        await h.signIn(officer, stack, 'officer.wang', '#/officer');
        await officer.goto(`${stack.baseUrl}/#/officer/class/${d.today.id}`);
        await officer.locator('#start-class').waitFor({ state: 'visible' });
        await officer.click('#start-class');
        await h.expectPlaying(officer, 'video#console-preview', { timeout: 30000, what: 'the officer\'s preview' });
    });
    await h.step('the subject joins; the sound button shows exactly while the sound is off', async () => {
        await h.signIn(subject, stack, 'subject01', '#/subject');
        await subject.goto(`${stack.baseUrl}/#/subject/class/${d.today.id}`);
        await h.expectDecoding(subject, 'video#teacher-video', { timeout: 40000, what: 'the teacher\'s video' });
        const state = () => subject.evaluate(() => ({
            muted: document.querySelector('#teacher-video').muted,
            button: document.querySelector('#unmute').getClientRects().length > 0,
        }));
        const first = await state();
        assert.equal(first.button, first.muted, `#unmute visible=${first.button} while muted=${first.muted}`);
        if (first.muted) {
            await subject.click('#unmute');
            const second = await h.waitUntil(async () => { const s = await state(); return s.muted ? null : s; },
                { timeout: 5000, message: 'the sound to play after #unmute' });
            assert.equal(second.button, false, '#unmute still visible while the sound plays');
        }
        for (const lang of ['zh-CN', 'en']) {
            await h.setLanguage(subject, lang);
            await assertPhoneLayout(subject, `the classroom (${lang})`);
            await h.screenshot(subject, `phone-subject-class.${lang}`);
        }
        await h.setLanguage(subject, 'zh-CN');
    });
    await h.step('the raised hand shows as an icon that renders', async () => {
        await officer.locator(tile).waitFor({ state: 'attached', timeout: 15000 });
        await subject.click('#raise-hand');
        const hand = officer.locator(`${tile} .hand`);
        await hand.waitFor({ state: 'visible', timeout: 10000 });
        const size = await hand.locator('svg').evaluate((svg) => {
            const r = svg.getBoundingClientRect();
            return { width: r.width, height: r.height, paths: svg.querySelectorAll('path').length };
        });
        assert.ok(size.width >= 12 && size.height >= 12 && size.paths > 0, `the hand icon: ${JSON.stringify(size)}`);
        assert.doesNotMatch(await hand.textContent(), /\u270B/, 'the hand is an emoji, which needs an emoji font');
        await h.screenshotBoth(officer, 'officer-console-hand');
    });
    await h.step('the officer ends the class', async () => {
        await h.clickAndConfirm(officer, '#end-class');
        await h.waitUntil(async () => (await h.apiGet(stack, d.admin, `/api/classes/${d.today.id}`)).state === 'ended',
            { timeout: 15000, message: 'the class to end' });
    });
    h.assertNoPageErrors(officer);
    h.assertNoPageErrors(subject);
});
