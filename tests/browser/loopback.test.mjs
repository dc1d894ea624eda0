// Test media stays on loopback: the stack's server gathers ICE only on 127.0.0.1
// (media.ice_addresses) and Chromium runs with --allow-loopback-in-peer-connection. In a live
// class, every candidate of the server that Chromium knows of is on 127.0.0.0/8, and every
// connection (the officer's publication, the subject's camera and view) carries its media
// over a pair of loopback addresses.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as h from './harness.mjs';

const env = h.useStack('loopback', ['cap13.y4m', 'cap12.y4m'], { before, after, assert });

const loopback = (address) => typeof address === 'string' && /^127\.\d+\.\d+\.\d+$/.test(address);

// Polls until each of the page's connections has selected a pair; returns the routes.
async function settledRoutes(page, what, expectedKinds) {
    return h.waitUntil(async () => {
        const routes = await h.iceRoutes(page);
        const kinds = new Set(routes.map((r) => r.kind));
        const settled = routes.length > 0 && routes.every((r) => r.selected) &&
            expectedKinds.every((k) => kinds.has(k));
        return settled ? routes : null;
    }, { timeout: 30000, interval: 500, message: `${what}: every connection (${expectedKinds}) to select a candidate pair` });
}

function assertLoopbackRoutes(routes, what) {
    for (const r of routes) {
        const label = `${what} ${r.kind} ${r.stream}: ${JSON.stringify(r)}`;
        assert.ok(r.remote.length > 0, `${label}: the server offered no candidate`);
        const outside = r.remote.filter((a) => !loopback(a));
        assert.deepEqual(outside, [], `${label}: server candidates outside 127.0.0.0/8`);
        assert.ok(loopback(r.selected.remote) && loopback(r.selected.local),
            `${label}: media flows over ${r.selected.local} -> ${r.selected.remote}, not loopback`);
    }
}

test('class media flows only between loopback candidates', { timeout: 180000 }, async (t) => {
    const { stack } = env;
    const [officerBrowser, subjectBrowser] = env.browsers;
    const log = (line) => t.diagnostic(line);
    const adminToken = await h.apiLogin(stack, 'admin');
    const demoClass = (await h.apiGet(stack, adminToken, '/api/classes')).classes
        .filter((c) => c.enrol_unit === 'zj-hz-xh-zt').sort((a, b) => a.start.localeCompare(b.start))[0];
    assert.ok(demoClass, 'the demo seed has a class for zj-hz-xh-zt');

    const officer = await h.newPage(officerBrowser, 'officer', { stack });
    const subject = await h.newPage(subjectBrowser, 'subject', { stack });

    await h.step('officer starts the class and the subject watches it', async () => {
        await h.signIn(officer, stack, 'officer.wang', '#/officer');
        await officer.goto(`${stack.baseUrl}/#/officer/class/${demoClass.id}`);
        await officer.click('#start-class:not([disabled])');
        await officer.waitForSelector('#class-state[data-i18n="class.state_live"]', { timeout: 20000 });
        await h.signIn(subject, stack, 'subject01', '#/subject');
        await subject.click(`.class-card[data-class="${demoClass.id}"] button.join-class:not([disabled])`);
        await h.waitUntil(async () => (await h.teacherFrames(subject))?.frames > 0,
            { timeout: 30000, message: 'the teacher video to decode at the subject' });
    }, log);

    await h.step('every connection uses loopback candidates only', async () => {
        const officerRoutes = await settledRoutes(officer, 'officer', ['publish']);
        const subjectRoutes = await settledRoutes(subject, 'subject', ['publish', 'view']);
        log(`officer: ${JSON.stringify(officerRoutes)}`);
        log(`subject: ${JSON.stringify(subjectRoutes)}`);
        assertLoopbackRoutes(officerRoutes, 'officer');
        assertLoopbackRoutes(subjectRoutes, 'subject');
    }, log);

    h.assertNoPageErrors(officer);
    h.assertNoPageErrors(subject);
});
