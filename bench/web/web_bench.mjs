// Web app figures, measured in Debian's headless Chromium against a real `vigil serve`
// (tests/browser/harness.mjs starts it with a private Redis and the demo organisation):
//   - the bytes of the app a first visit downloads (HTML, CSS, JS modules, Chart.js);
//   - sign-in to the role's home page rendered, per role (p50 / max over N);
//   - a subject's "join" click to the first decoded frame of the teacher's video (p50 / max);
//   - a dropped WebSocket to the teacher's video decoding again on a new session (p50 / max);
//   - the JavaScript heap of a classroom and of the officer's console after a minute of class.
// Usage: VIGIL_BIN=build/release/app/vigil node bench/web/web_bench.mjs [--runs N]

import * as h from '../../tests/browser/harness.mjs';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const ms = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return `p50 ${sorted[Math.floor((sorted.length - 1) / 2)]} ms, max ${sorted[sorted.length - 1]} ms (n=${sorted.length})`;
};

const teacherFrames = h.teacherFrames;

async function heapMiB(page) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    return (usedSize / 1048576).toFixed(1);
}

const stack = await h.startStack({ name: 'bench' });
try {
    const officerBrowser = await h.launchBrowser({ camera: h.fakeCamera('cap13.y4m') });
    const subjectBrowser = await h.launchBrowser({ camera: h.fakeCamera('cap12.y4m') });
    const token = await h.apiLogin(stack, 'admin');
    const demoClass = (await h.apiGet(stack, token, '/api/classes')).classes
        .filter((c) => c.enrol_unit === 'zj-hz-xh-zt').sort((a, b) => a.start.localeCompare(b.start))[0];

    // First visit: every response body the sign-in page and a subject's home pull in.
    const probe = await h.newPage(subjectBrowser, 'bench-bytes', { stack });
    let bytes = 0;
    const counted = new Set();
    probe.on('response', async (res) => {
        const url = res.url();
        if (counted.has(url) || url.includes('/api/') || !res.ok()) return;
        counted.add(url);
        bytes += (await res.body().catch(() => Buffer.alloc(0))).length;
    });
    await h.signIn(probe, stack, 'subject03', '#/subject');
    await probe.goto(`${stack.baseUrl}/#/subject/history`);
    await h.sleep(1000);
    console.log(`first visit: ${counted.size} files, ${(bytes / 1024).toFixed(0)} KiB (uncompressed; Chart.js included)`);
    await probe.context().close();

    for (const [user, home, ready] of [['subject03', '#/subject', '.class-card'], ['officer.li', '#/officer', '#caseload tbody tr'], ['admin', '#/admin/attendance', '#attendance-table']]) {
        const times = [];
        for (let i = 0; i < runs; i++) {
            const page = await h.newPage(officerBrowser, `bench-${user}`, { stack });
            await page.goto(`${stack.baseUrl}/#/login`);
            await page.fill('#login-username', user);
            await page.fill('#login-password', h.DEMO_PASSWORD);
            const start = Date.now();
            await page.click('#login-submit');
            await h.waitForHash(page, home);
            await page.locator(ready).first().waitFor({ state: 'attached', timeout: 15000 });
            times.push(Date.now() - start);
            await page.context().close();
        }
        console.log(`sign-in to ${home} rendered (${user}): ${ms(times)}`);
    }

    const officer = await h.newPage(officerBrowser, 'bench-officer', { stack });
    await h.signIn(officer, stack, 'officer.wang', '#/officer');
    await officer.goto(`${stack.baseUrl}/#/officer/class/${demoClass.id}`);
    await officer.click('#start-class:not([disabled])');
    await officer.waitForSelector('#class-state[data-i18n="class.state_live"]', { timeout: 20000 });

    const subject = await h.newPage(subjectBrowser, 'bench-subject', { stack });
    await h.signIn(subject, stack, 'subject01', '#/subject');
    const joins = [];
    for (let i = 0; i < runs; i++) {
        await subject.goto(`${stack.baseUrl}/#/subject`);
        const join = subject.locator(`.class-card[data-class="${demoClass.id}"] button.join-class:not([disabled])`);
        await join.waitFor();
        const start = Date.now();
        await join.click();
        await h.waitUntil(async () => ((await teacherFrames(subject))?.frames ?? 0) > 0, { timeout: 30000, interval: 50, message: 'the teacher video' });
        joins.push(Date.now() - start);
    }
    console.log(`join click to the teacher's first decoded frame: ${ms(joins)}`);

    const recoveries = [];
    for (let i = 0; i < runs; i++) {
        const before = await teacherFrames(subject);
        const start = Date.now();
        await subject.evaluate(() => window.vigilDebug.dropConnection());
        await h.waitUntil(async () => {
            const f = await teacherFrames(subject);
            return f && f.session !== before.session && f.frames > 0;
        }, { timeout: 30000, interval: 50, message: 'the video after the drop' });
        recoveries.push(Date.now() - start);
        await h.sleep(1500);
    }
    console.log(`dropped WebSocket to the teacher's video decoding again: ${ms(recoveries)}`);

    await h.sleep(60000);
    console.log(`JS heap after a minute of class: classroom ${await heapMiB(subject)} MiB, console ${await heapMiB(officer)} MiB`);
} finally {
    await h.closeBrowsers();
    await stack.stop();
}
