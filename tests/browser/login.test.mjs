// The sign-in page in a real browser: Chinese by default, the language switch, readable errors,
// the throttling of repeated wrong passwords, and each role's landing page.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as h from './harness.mjs';

const CJK = /[\u4e00-\u9fff]/;

// A long first wait, so that the throttled answer lasts through the steps that look at it.
const env = h.useStack('login', [null], { before, after, assert, overrides: { 'auth.throttle_base_seconds': 60 } });

// The text of the page a person sees (no scripts or styles).
async function visibleText(page) {
    return page.evaluate(() => document.body.innerText);
}

// Submits the form and returns the /api/login response it caused and the #login-error text
// once it has changed from `before`.
async function submitLogin(page, username, password, before = '') {
    await page.fill('#login-username', username);
    await page.fill('#login-password', password);
    const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/login') && r.request().method() === 'POST'),
        page.click('#login-submit'),
    ]);
    const error = page.locator('#login-error');
    await h.waitUntil(async () => {
        const text = ((await error.textContent().catch(() => '')) || '').trim();
        return text && (await error.isVisible()) && text !== before ? text : null;
    }, { timeout: 5000, message: `a visible #login-error after a ${response.status()} answer` });
    return { status: response.status(), text: ((await error.textContent()) || '').trim() };
}

function assertReadable(text, what) {
    assert.ok(text.length >= 2, `${what}: #login-error is empty`);
    assert.doesNotMatch(text, /^\s*[{[]/, `${what}: #login-error shows JSON: ${text}`);
    assert.doesNotMatch(text, /"error"|"code"|unauthenticated|rate_limited/, `${what}: #login-error shows the raw API error: ${text}`);
}

test('sign-in page: zh-CN by default, language switch, errors, throttling, each role lands home', { timeout: 180000 }, async () => {
    const page = await h.newPage(env.browsers[0], 'login', { stack: env.stack });

    await h.step('the sign-in page renders in zh-CN by default', async () => {
        await page.goto(`${env.stack.baseUrl}/`);
        await h.waitForHash(page, '#/login', 15000, 'the redirect of / to #/login');
        await page.locator('#login-username').waitFor({ state: 'visible' });
        await page.locator('#login-password').waitFor({ state: 'visible' });
        await page.locator('#login-submit').waitFor({ state: 'visible' });
        assert.equal(await h.htmlLang(page), 'zh-CN', 'html[lang] on first visit');
        assert.match(await visibleText(page), CJK, 'the sign-in page shows Chinese text');
        await h.screenshot(page, 'signin.zh-CN');
    });

    await h.step('#lang-toggle switches to English and back, and is remembered', async () => {
        const zhSubmit = (await page.locator('#login-submit').textContent()).trim();
        await h.setLanguage(page, 'en');
        const enSubmit = (await page.locator('#login-submit').textContent()).trim();
        assert.match(enSubmit, /[A-Za-z]/, `the sign-in button in English: "${enSubmit}"`);
        assert.doesNotMatch(enSubmit, CJK, `the sign-in button in English: "${enSubmit}"`);
        assert.notEqual(enSubmit, zhSubmit);
        assert.equal(await page.evaluate(() => localStorage.getItem('vigil.lang')), 'en', 'localStorage vigil.lang');
        await page.reload();
        await page.locator('#login-username').waitFor({ state: 'visible' });
        assert.equal(await h.htmlLang(page), 'en', 'the language after a reload');
        await h.screenshot(page, 'signin.en');
        await h.setLanguage(page, 'zh-CN');
        assert.equal((await page.locator('#login-submit').textContent()).trim(), zhSubmit);
        assert.match(await visibleText(page), CJK);
    });

    let wrongText;
    await h.step('a wrong password shows a readable error', async () => {
        const r = await submitLogin(page, 'subject03', 'not-the-password');
        assert.equal(r.status, 401);
        assertReadable(r.text, 'wrong password');
        assert.match(r.text, CJK, `the error is in Chinese: ${r.text}`);
        wrongText = r.text;
        assert.equal(await page.evaluate(() => sessionStorage.getItem('vigil.token')), null, 'no token after a failed login');
        await h.screenshot(page, 'signin-error.zh-CN');
    });

    await h.step('repeated wrong passwords make the name wait (429), with its own message; nothing is locked', async () => {
        // The first wrong try above counts: tries 2 to 6 answer 401; the 6th starts a wait
        // (60 s in this stack), so the 7th answers 429.
        let r;
        let previous = wrongText;
        for (let attempt = 2; attempt <= 7; attempt++) {
            // Clear the old message so that the next one is seen even if its text is the same.
            await page.evaluate(() => {
                const e = document.getElementById('login-error');
                if (e) e.textContent = '';
            });
            r = await submitLogin(page, 'subject03', `wrong-${attempt}`, '');
            const expected = attempt <= 6 ? 401 : 429;
            assert.equal(r.status, expected, `attempt ${attempt} answered ${r.status}`);
            assertReadable(r.text, `attempt ${attempt}`);
            previous = r.text;
        }
        assert.notEqual(previous, wrongText, `the throttled message differs from the wrong-password one: ${previous}`);
        assert.match(previous, /\d+ 秒后再试/, `the throttled message says how long to wait: ${previous}`);
        assert.doesNotMatch(previous, /锁/, `nothing is locked: ${previous}`);
        await h.screenshot(page, 'signin-throttled.zh-CN');
        // The right password waits too: no password is checked during the wait.
        await page.evaluate(() => {
            document.getElementById('login-error').textContent = '';
        });
        r = await submitLogin(page, 'subject03', h.DEMO_PASSWORD, '');
        assert.equal(r.status, 429, 'the right password during the wait');
        await h.setLanguage(page, 'en');
        await page.evaluate(() => {
            document.getElementById('login-error').textContent = '';
        });
        r = await submitLogin(page, 'subject03', h.DEMO_PASSWORD, '');
        assert.equal(r.status, 429);
        assertReadable(r.text, 'throttled, in English');
        assert.match(r.text, /try again in \d+ second/i, `the English throttled message: ${r.text}`);
        assert.doesNotMatch(r.text, CJK, `the English throttled message has no Chinese: ${r.text}`);
        await h.screenshot(page, 'signin-throttled.en');
        await h.setLanguage(page, 'zh-CN');
    });

    await h.step('keyboard only: Tab through the form, Enter signs in, the session expiring returns to sign-in', async () => {
        const p = await h.newPage(env.browsers[0], 'login-keyboard', { stack: env.stack });
        await p.goto(`${env.stack.baseUrl}/#/login`);
        await p.locator('#login-username').waitFor({ state: 'visible' });
        assert.equal(await p.evaluate(() => document.activeElement?.id), 'login-username', 'the username field has the focus');
        await p.keyboard.type('subject02');
        await p.keyboard.press('Tab');
        assert.equal(await p.evaluate(() => document.activeElement?.id), 'login-password', 'Tab moves to the password');
        await p.keyboard.type(h.DEMO_PASSWORD);
        await p.keyboard.press('Enter');
        await h.waitForHash(p, '#/subject', 15000, 'the subject home after Enter');
        // The server forgets the token (as when it expires): the next request gets 401 and the
        // app says so on the sign-in page instead of showing raw errors.
        const token = await p.evaluate(() => sessionStorage.getItem('vigil.token'));
        const out = await fetch(`${env.stack.baseUrl}/api/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
        assert.equal(out.status, 200);
        await p.evaluate(() => { location.hash = '#/subject/history'; });
        await h.waitForHash(p, '#/login', 15000, 'the sign-in page after the session ended');
        const notice = await p.locator('.notice').first().textContent({ timeout: 5000 });
        assert.match(notice, /过期|expired/, `the expired-session notice: ${notice}`);
        h.assertNoPageErrors(p);
        await p.context().close();
    });

    for (const [username, home] of [['subject01', '#/subject'], ['officer.wang', '#/officer'], ['admin', '#/admin/attendance']]) {
        await h.step(`${username} signs in and lands on ${home}`, async () => {
            const p = await h.newPage(env.browsers[0], `login-${username}`, { stack: env.stack });
            await h.signIn(p, env.stack, username, home);
            const token = await p.evaluate(() => sessionStorage.getItem('vigil.token'));
            assert.match(token || '', /^[0-9a-f]{64}$/, 'sessionStorage vigil.token');
            await p.locator('#logout').waitFor({ state: 'visible' });
            h.assertNoPageErrors(p);
            await p.context().close();
        });
    }

    h.assertNoPageErrors(page);
});
