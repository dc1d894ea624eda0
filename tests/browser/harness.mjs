// Real components for the browser end-to-end tests: a private redis-server, `vigil serve` with
// a temporary configuration and the demo organisation, and headless Chromium driven by
// playwright-core, with a fake camera playing a .y4m clip from var/testdata/video.
//
// Environment:
//   VIGIL_BIN                the vigil binary (ctest passes it); default: the newest of
//                            build/*/app/vigil
//   VIGIL_BROWSER_ARTIFACTS  folder for screenshots, console logs and server logs
//                            (default build/browser-artifacts)
//   VIGIL_CHROMIUM           the Chromium executable (default /usr/bin/chromium)

// First: it may run this process again in a network namespace that has only loopback.
import './loopback-netns.mjs';

import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const artifactsDir = path.resolve(
    process.env.VIGIL_BROWSER_ARTIFACTS || path.join(repoRoot, 'build', 'browser-artifacts'));
export const testdata = path.join(repoRoot, 'var', 'testdata');
export const DEMO_PASSWORD = 'Demo!2026';

// The flags every test browser gets (DEVELOPERS.md lists them too).
export const CHROMIUM_FLAGS = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    // Chromium leaves loopback out of ICE unless told; with it, a 127.0.0.1 candidate pairs
    // with the server's (which gathers only there) and media stays on loopback.
    '--allow-loopback-in-peer-connection',
];

// ---- small utilities ----------------------------------------------------------------------

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls `fn` until it returns a truthy value (returned) or `timeout` ms pass (throws with
// `message` and the last value or error seen).
export async function waitUntil(fn, { timeout = 10000, interval = 250, message = 'condition' } = {}) {
    const deadline = Date.now() + timeout;
    let last;
    for (;;) {
        try {
            last = await fn();
            if (last) return last;
        } catch (err) {
            last = err;
        }
        if (Date.now() >= deadline) {
            const seen = last instanceof Error ? last.message : JSON.stringify(last);
            throw new Error(`timed out after ${timeout} ms waiting for ${message} (last: ${seen})`);
        }
        await sleep(interval);
    }
}

export function freePort() {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address();
            server.close(() => resolve(port));
        });
    });
}

function tail(file, lines = 60) {
    try {
        return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
        return `(no ${file})`;
    }
}

function safeName(name) {
    return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}

// ---- prerequisites ------------------------------------------------------------------------

// playwright-core is a devDependency at the repository root: scripts/setup installs it. A
// missing one fails the test with the fix, never skips it.
export async function loadPlaywright() {
    const entry = path.join(repoRoot, 'node_modules', 'playwright-core', 'index.mjs');
    if (!fs.existsSync(entry)) {
        throw new Error(`playwright-core is not installed (${entry} is missing): run scripts/setup, ` +
            'or `npm ci` at the repository root');
    }
    return import(entry);
}

export function chromiumPath() {
    const exe = process.env.VIGIL_CHROMIUM || '/usr/bin/chromium';
    if (!fs.existsSync(exe)) {
        throw new Error(`Chromium is not installed (${exe} is missing): run scripts/setup`);
    }
    return exe;
}

export function vigilBinary() {
    if (process.env.VIGIL_BIN) {
        if (!fs.existsSync(process.env.VIGIL_BIN)) {
            throw new Error(`VIGIL_BIN=${process.env.VIGIL_BIN} does not exist`);
        }
        return path.resolve(process.env.VIGIL_BIN);
    }
    const buildDir = path.join(repoRoot, 'build');
    const found = (fs.existsSync(buildDir) ? fs.readdirSync(buildDir) : [])
        .map((d) => path.join(buildDir, d, 'app', 'vigil'))
        .filter((f) => fs.existsSync(f))
        .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
    if (found.length === 0) {
        throw new Error('no vigil binary: set VIGIL_BIN or build one (cmake --build build/<dir> --target vigil)');
    }
    return found[0];
}

export function fakeCamera(name) {
    const file = path.join(testdata, 'video', name);
    if (!fs.existsSync(file)) {
        throw new Error(`fake camera clip ${file} is missing: run scripts/setup (scripts/assets makes it)`);
    }
    return file;
}

// ---- child processes ----------------------------------------------------------------------

const children = new Set();

// Children die with this process even if it is killed (ctest's timeout): setpriv makes the
// kernel send them SIGKILL when their parent goes away.
const pdeathsig = fs.existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--'] : [];

function startChild(argv, { env, logFile, cwd }) {
    const out = fs.openSync(logFile, 'a');
    const cmd = [...pdeathsig, ...argv];
    const child = spawn(cmd[0], cmd.slice(1), { env, cwd, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const entry = { child, exited: null, name: path.basename(argv[0]), logFile };
    entry.exit = new Promise((resolve) => {
        child.on('exit', (code, signal) => {
            entry.exited = signal ? 128 + (os.constants.signals[signal] || 0) : code;
            children.delete(entry);
            resolve(entry.exited);
        });
        child.on('error', (err) => {
            entry.exited = 127;
            entry.error = err;
            children.delete(entry);
            resolve(127);
        });
    });
    children.add(entry);
    return entry;
}

async function stopChild(entry, timeoutMs = 15000) {
    if (!entry || entry.exited !== null) return entry?.exited ?? null;
    entry.child.kill('SIGTERM');
    let timer;
    const code = await Promise.race([
        entry.exit,
        new Promise((resolve) => {
            timer = setTimeout(() => resolve(null), timeoutMs);
        }),
    ]);
    clearTimeout(timer);
    if (code === null) {
        entry.child.kill('SIGKILL');
        await entry.exit;
        return -1;
    }
    return code;
}

process.on('exit', () => {
    for (const entry of children) {
        try {
            entry.child.kill('SIGKILL');
        } catch {
            // already gone
        }
    }
});

// The environment for vigil and redis: this process's, without any VIGIL_* override that
// would point the server somewhere else.
function cleanEnv(extra = {}) {
    const env = {};
    for (const [k, v] of Object.entries(process.env)) {
        if (!k.startsWith('VIGIL_')) env[k] = v;
    }
    return { ...env, ...extra };
}

// ---- configuration ------------------------------------------------------------------------

// Copies config/vigil.toml with `overrides` ({"section.key": value}) written in place. A key
// the file does not have is returned in `missing` so that the caller can pass it through the
// environment (which an older binary ignores) instead of making the file invalid.
export function writeConfig(file, overrides) {
    const text = fs.readFileSync(path.join(repoRoot, 'config', 'vigil.toml'), 'utf8');
    const pending = new Map(Object.entries(overrides));
    let section = '';
    const lines = text.split('\n').map((line) => {
        const header = line.match(/^\s*\[([A-Za-z0-9_]+)\]\s*(#.*)?$/);
        if (header) {
            section = header[1];
            return line;
        }
        const kv = line.match(/^(\s*)([A-Za-z0-9_]+)(\s*=\s*)/);
        if (!kv) return line;
        const name = `${section}.${kv[2]}`;
        if (!pending.has(name)) return line;
        const value = pending.get(name);
        pending.delete(name);
        return `${kv[1]}${kv[2]} = ${tomlValue(value)}`;
    });
    fs.writeFileSync(file, lines.join('\n'));
    return { missing: Object.fromEntries(pending) };
}

function tomlValue(v) {
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (Array.isArray(v)) return `[${v.map((item) => JSON.stringify(String(item))).join(', ')}]`;
    return JSON.stringify(String(v));
}

function envName(key) {
    return `VIGIL_${key.replace('.', '_').toUpperCase()}`;
}

// ---- the server stack ---------------------------------------------------------------------

// Starts redis-server and `vigil serve` on free ports with a temporary configuration, seeds
// the demo organisation and waits for /healthz. `overrides`: more configuration keys.
export async function startStack({ name = 'stack', overrides = {} } = {}) {
    const vigil = vigilBinary();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `vigil-browser-${safeName(name)}-`));
    const stack = {
        tmp,
        vigil,
        redis: null,
        server: null,
        port: 0,
        baseUrl: '',
        logFile: path.join(tmp, 'vigil.log'),
        configFile: path.join(tmp, 'vigil.toml'),
    };
    stack.stop = () => stopStack(stack, name);

    try {
        // Redis: a private server with its data in the temp folder, and a password as in a
        // deployment (given to vigil as [redis] password, outside the URL).
        fs.mkdirSync(path.join(tmp, 'redis'));
        stack.redisPassword = crypto.randomBytes(12).toString('hex');
        for (let attempt = 0; attempt < 5 && !stack.redis; attempt++) {
            const port = await freePort();
            const entry = startChild(['redis-server', '--port', String(port), '--bind', '127.0.0.1',
                '--dir', path.join(tmp, 'redis'), '--appendonly', 'yes', '--save', '',
                '--requirepass', stack.redisPassword],
            { env: cleanEnv(), logFile: path.join(tmp, 'redis.log'), cwd: tmp });
            const up = await waitUntil(async () => {
                if (entry.exited !== null) return 'exited';
                return (await redisPing(port, stack.redisPassword)) ? 'up' : null;
            }, { timeout: 5000, interval: 50, message: 'redis' }).catch(() => 'timeout');
            if (up === 'up') {
                stack.redis = entry;
                stack.redisPort = port;
            } else {
                await stopChild(entry, 2000);
            }
        }
        if (!stack.redis) throw new Error(`redis-server did not start:\n${tail(path.join(tmp, 'redis.log'))}`);
        stack.redisUrl = `redis://127.0.0.1:${stack.redisPort}/0`;

        stack.port = await freePort();
        stack.baseUrl = `http://127.0.0.1:${stack.port}`;
        const config = {
            'server.listen': '127.0.0.1',
            'server.port': stack.port,
            'server.web_root': path.join(repoRoot, 'web'),
            'server.vendor_root': path.join(repoRoot, 'node_modules'),
            'redis.url': stack.redisUrl,
            'redis.password': stack.redisPassword,
            'recording.dir': path.join(tmp, 'recordings'),
            'vision.models_dir': path.join(repoRoot, 'var', 'models'),
            'vision.reference_key_file': path.join(tmp, 'reference.key'),
            // Samples every 2 s so that presence is judged within seconds, and a short
            // liveness deadline for the spot check.
            'media.sample_seconds': 2,
            // The server's ICE gathers on loopback only, as in every test stack.
            'media.ice_addresses': ['127.0.0.1'],
            // Chromium's candidates in the test's network namespace are on loopback only.
            'media.allow_loopback_candidates': true,
            'presence.liveness_seconds': 8,
            'log.level': 'info',
            ...overrides,
        };
        const { missing } = writeConfig(stack.configFile, config);
        const extraEnv = {};
        for (const [k, v] of Object.entries(missing)) extraEnv[envName(k)] = String(v);
        stack.env = cleanEnv(extraEnv);

        const seed = spawnSync(vigil, ['demo', 'seed', '--config', stack.configFile], {
            env: stack.env, cwd: tmp, encoding: 'utf8', timeout: 60000,
        });
        if (seed.status !== 0) {
            throw new Error(`vigil demo seed failed (${seed.error ? seed.error.message : `status ${seed.status}`}):\n` +
                `${seed.stdout || ''}${seed.stderr || ''}`);
        }

        stack.server = startChild([vigil, 'serve', '--config', stack.configFile],
            { env: stack.env, logFile: stack.logFile, cwd: tmp });
        await waitUntil(async () => {
            if (stack.server.exited !== null) {
                throw new Error(`vigil serve exited with status ${stack.server.exited}`);
            }
            const res = await fetch(`${stack.baseUrl}/healthz`).catch(() => null);
            return res && res.status === 200;
        }, { timeout: 60000, interval: 200, message: 'vigil serve /healthz' }).catch((err) => {
            throw new Error(`${err.message}\n--- ${stack.logFile}\n${tail(stack.logFile)}`);
        });
        return stack;
    } catch (err) {
        await stopStack(stack, name).catch(() => {});
        throw err;
    }
}

function redisPing(port, password) {
    return new Promise((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        let data = '';
        socket.setTimeout(1000);
        socket.on('connect', () => socket.write(`AUTH ${password}\r\nPING\r\n`));
        socket.on('data', (chunk) => {
            data += chunk;
            if (data.split('\r\n').length > 2) {
                socket.destroy();
                resolve(data.startsWith('+OK\r\n+PONG'));
            }
        });
        socket.on('error', () => resolve(false));
        socket.on('timeout', () => {
            socket.destroy();
            resolve(false);
        });
    });
}

// Stops vigil (SIGTERM), then Redis; copies the server log into the artifacts folder. Returns
// vigil's exit status (0 for a clean shutdown).
async function stopStack(stack, name) {
    let status = null;
    if (stack.server) status = await stopChild(stack.server, 20000);
    if (stack.redis) await stopChild(stack.redis, 10000);
    stack.server = null;
    stack.redis = null;
    try {
        fs.mkdirSync(artifactsDir, { recursive: true });
        if (fs.existsSync(stack.logFile)) {
            fs.copyFileSync(stack.logFile, path.join(artifactsDir, `${safeName(name)}.vigil.log`));
        }
    } catch {
        // artifacts are a convenience
    }
    if (stack.tmp && process.env.VIGIL_BROWSER_KEEP_TMP !== '1') {
        fs.rmSync(stack.tmp, { recursive: true, force: true });
    }
    return status;
}

// ---- REST helpers -------------------------------------------------------------------------

export async function apiLogin(stack, username, password = DEMO_PASSWORD) {
    const res = await fetch(`${stack.baseUrl}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
    });
    const body = await res.json().catch(() => null);
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(body)}`);
    return body.token;
}

export async function apiGet(stack, token, pathAndQuery) {
    const res = await fetch(`${stack.baseUrl}${pathAndQuery}`, { headers: { authorization: `Bearer ${token}` } });
    const text = await res.text();
    let body = null;
    try {
        body = JSON.parse(text);
    } catch {
        body = text;
    }
    if (res.status !== 200) throw new Error(`GET ${pathAndQuery}: ${res.status} ${text.slice(0, 300)}`);
    return body;
}

// ---- browsers -----------------------------------------------------------------------------

const browsers = new Set();

// One Chromium process. `camera`: a .y4m file for the fake camera (Chromium takes one per
// process), or null for no camera flags at all.
export async function launchBrowser({ camera = null } = {}) {
    const { chromium } = await loadPlaywright();
    const args = [...CHROMIUM_FLAGS];
    if (camera) {
        args.push('--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
            `--use-file-for-fake-video-capture=${camera}`);
    }
    const browser = await chromium.launch({
        executablePath: chromiumPath(),
        headless: true,
        args,
        timeout: 60000,
    });
    browsers.add(browser);
    browser.on('disconnected', () => browsers.delete(browser));
    return browser;
}

export async function closeBrowsers() {
    await Promise.all([...browsers].map((b) => b.close().catch(() => {})));
    browsers.clear();
}

// A page in a fresh context of `browser`, named for its logs and screenshots. Console
// messages and uncaught page errors are collected; `page.vigil.pageErrors` is checked by
// `assertNoPageErrors`.
// `timezoneId` sets the browser's time zone (IANA name; default: this machine's).
export async function newPage(browser, label, { stack, viewport = { width: 1280, height: 800 }, timezoneId } = {}) {
    const context = await browser.newContext({
        viewport,
        timezoneId,
        acceptDownloads: true,
        baseURL: stack?.baseUrl,
        permissions: stack ? ['camera', 'microphone'] : [],
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    const record = { label, console: [], pageErrors: [], unlabelled: [], accessibility: [] };
    page.vigil = record;
    page.on('console', (msg) => {
        if (msg.type() === 'error' || msg.type() === 'warning') {
            record.console.push(`[${new Date().toISOString()}] ${msg.type()}: ${msg.text()}`);
        }
    });
    page.on('pageerror', (err) => {
        record.pageErrors.push(`${err.name}: ${err.message}\n${err.stack || ''}`);
    });
    page.on('dialog', (dialog) => dialog.accept().catch(() => {}));
    pages.add(page);
    return page;
}

const pages = new Set();

export function assertNoPageErrors(page) {
    const errors = page.vigil?.pageErrors || [];
    if (errors.length > 0) {
        throw new Error(`uncaught error(s) in the ${page.vigil.label} page:\n${errors.join('\n')}`);
    }
    const unlabelled = page.vigil?.unlabelled || [];
    if (unlabelled.length > 0) {
        throw new Error(`controls without an accessible name in the ${page.vigil.label} page:\n${unlabelled.join('\n')}`);
    }
    const accessibility = page.vigil?.accessibility || [];
    if (accessibility.length > 0) {
        throw new Error(`serious or critical accessibility violations (axe-core) in the ${page.vigil.label} page:\n${accessibility.join('\n')}`);
    }
}

// Writes each page's console errors to the artifacts folder; on failure, also a screenshot of
// every page still open, named after the failed step.
export async function saveDiagnostics(failedStep = null) {
    fs.mkdirSync(artifactsDir, { recursive: true });
    for (const page of pages) {
        const { label, console: lines, pageErrors } = page.vigil;
        const text = [...lines, ...pageErrors.map((e) => `pageerror: ${e}`)].join('\n');
        if (text) fs.writeFileSync(path.join(artifactsDir, `${safeName(label)}.console.txt`), `${text}\n`);
        if (failedStep && !page.isClosed()) {
            await page.screenshot({
                path: path.join(artifactsDir, `FAILED-${safeName(failedStep)}-${safeName(label)}.png`),
                timeout: 5000,
            }).catch(() => {});
        }
    }
}

// Every screenshot also checks that the page's visible controls have names a screen reader
// can announce (label, aria-label(ledby), their text or a title) and runs axe-core on it;
// `assertNoPageErrors` reports the controls that had no name and axe's serious or critical
// violations.
export async function screenshot(page, name) {
    fs.mkdirSync(artifactsDir, { recursive: true });
    const file = path.join(artifactsDir, `${safeName(name)}.png`);
    await page.screenshot({ path: file, fullPage: true, timeout: 15000 });
    const unnamed = await unlabelledControls(page);
    if (page.vigil && unnamed.length > 0) page.vigil.unlabelled.push(`${name}: ${unnamed.join(' | ')}`);
    const violations = await accessibilityViolations(page);
    if (page.vigil && violations.length > 0) page.vigil.accessibility.push(`${name}: ${violations.join(' | ')}`);
    return file;
}

// axe-core (a devDependency at the repository root) run on the page as it is: its violations
// of impact serious or critical, each as "rule (impact): selectors of up to three nodes".
let axeSource = null;
export async function accessibilityViolations(page) {
    if (axeSource === null) {
        const file = path.join(repoRoot, 'node_modules', 'axe-core', 'axe.min.js');
        if (!fs.existsSync(file)) {
            throw new Error(`axe-core is not installed (${file} is missing): run scripts/setup, or \`npm ci\` at the repository root`);
        }
        axeSource = fs.readFileSync(file, 'utf8');
    }
    // Evaluated, not added as an inline <script>: the app's Content-Security-Policy forbids inline
    // scripts, and a test must not need that hole.
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
    return page.evaluate(async () => {
        const result = await window.axe.run(document, { resultTypes: ['violations'] });
        return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
    });
}

export async function unlabelledControls(page) {
    return page.evaluate(() => {
        const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
        const nameOf = (el) => {
            const byIds = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean)
                .map((id) => document.getElementById(id)?.textContent || '').join(' ');
            const labels = el.labels ? [...el.labels].map((l) => l.textContent).join(' ') : '';
            const own = ['BUTTON', 'A', 'SUMMARY'].includes(el.tagName) ? el.textContent : '';
            return [el.getAttribute('aria-label'), byIds, labels, own, el.getAttribute('title')]
                .filter(Boolean).join(' ').trim();
        };
        return [...document.querySelectorAll('button, a[href], input:not([type=hidden]), select, textarea, video')]
            .filter(visible)
            .filter((el) => !nameOf(el))
            .map((el) => el.outerHTML.slice(0, 120));
    });
}

// ---- the web app's contract ---------------------------------------------------------------

export async function htmlLang(page) {
    return page.evaluate(() => document.documentElement.lang);
}

// Clicks #lang-toggle until html[lang] is `lang`.
export async function setLanguage(page, lang) {
    for (let i = 0; i < 2 && (await htmlLang(page)) !== lang; i++) {
        await page.click('#lang-toggle');
        await page.waitForFunction((l) => document.documentElement.lang === l, lang, { timeout: 5000 })
            .catch(() => {});
    }
    const now = await htmlLang(page);
    if (now !== lang) throw new Error(`#lang-toggle did not switch html[lang] to ${lang} (it is "${now}")`);
}

// Clicks `selector`; if that opens a confirmation <dialog> (one that was not open before),
// confirms it with its submit button that is not "cancel". Returns the confirm button's id
// (or "" when nothing asked).
export async function clickAndConfirm(page, selector, { wait = 1500 } = {}) {
    const openBefore = await page.evaluate(() => [...document.querySelectorAll('dialog[open]')].map((d) => d.id));
    await page.click(selector);
    const deadline = Date.now() + wait;
    while (Date.now() < deadline) {
        const confirmed = await page.evaluate((before) => {
            const dialog = [...document.querySelectorAll('dialog[open]')].find((d) => !before.includes(d.id));
            if (!dialog) return null;
            const buttons = [...dialog.querySelectorAll('button')];
            const button = buttons.find((b) => b.type === 'submit' && b.value && b.value !== 'cancel') ||
                buttons.find((b) => /confirm/.test(b.id)) || buttons.find((b) => b.classList.contains('danger') || b.classList.contains('primary'));
            if (!button) return null;
            return button.id ? `#${button.id}` : `${dialog.id ? `dialog#${dialog.id}` : 'dialog[open]'} button[value="${button.value}"]`;
        }, openBefore);
        if (confirmed) {
            await page.click(confirmed);
            return confirmed;
        }
        await sleep(100);
    }
    return '';
}

// Screenshots of the current page in Chinese and English (`<name>.zh-CN.png`, `<name>.en.png`),
// leaving the page in the language it had.
export async function screenshotBoth(page, name) {
    const start = await htmlLang(page);
    const order = start === 'en' ? ['en', 'zh-CN'] : ['zh-CN', 'en'];
    for (const lang of order) {
        await setLanguage(page, lang);
        await sleep(300);
        await screenshot(page, `${name}.${lang}`);
    }
    await setLanguage(page, start || 'zh-CN');
}

// Signs in through #/login and waits for the role's home route.
export async function signIn(page, stack, username, homeHash, password = DEMO_PASSWORD) {
    await page.goto(`${stack.baseUrl}/#/login`);
    await page.locator('#login-username').waitFor({ state: 'visible' });
    await page.fill('#login-username', username);
    await page.fill('#login-password', password);
    await page.click('#login-submit');
    if (homeHash) await waitForHash(page, homeHash, 15000, `${username}'s home ${homeHash}`);
}

export async function waitForHash(page, prefix, timeout = 15000, what = prefix) {
    await page.waitForFunction((p) => location.hash === p || location.hash.startsWith(`${p}/`) ||
        location.hash.startsWith(`${p}?`), prefix, { timeout })
        .catch(async () => {
            throw new Error(`timed out waiting for ${what} (location is ${await page.evaluate(() => location.hash)})`);
        });
}

// Whether a <video> shows a moving picture: its width and the frames the element presented.
export async function videoState(page, selector) {
    return page.evaluate((sel) => {
        const v = document.querySelector(sel);
        if (!v) return null;
        const q = typeof v.getVideoPlaybackQuality === 'function' ? v.getVideoPlaybackQuality() : null;
        return {
            videoWidth: v.videoWidth,
            videoHeight: v.videoHeight,
            currentTime: v.currentTime,
            paused: v.paused,
            readyState: v.readyState,
            totalVideoFrames: q ? q.totalVideoFrames : null,
            hasStream: !!v.srcObject,
            src: v.currentSrc ? v.currentSrc.replace(/(token|play)=[0-9a-f]+/, '$1=…') : '',
            networkState: v.networkState,
            duration: v.duration,
            error: v.error ? { code: v.error.code, message: v.error.message } : null,
        };
    }, selector);
}

// Frames decoded for the video shown in `videoSelector`, from the inbound-rtp statistics of
// the RTCPeerConnection that receives it (the app lists them as window.vigilDebug.peers():
// [{pc, kind: 'publish'|'view'|'call', source, stream}]). The receiver is found by the
// element's track; without a match, the page's only receiving connection is used.
// `framesDecoded` is null when the page exposes no connections.
export async function framesDecoded(page, videoSelector) {
    return page.evaluate(async (sel) => {
        const v = document.querySelector(sel);
        const out = { framesDecoded: null, via: null, videoWidth: v ? v.videoWidth : 0, totalVideoFrames: null };
        if (v && typeof v.getVideoPlaybackQuality === 'function') {
            out.totalVideoFrames = v.getVideoPlaybackQuality().totalVideoFrames;
        }
        const dbg = window.vigilDebug;
        if (!dbg || typeof dbg.peers !== 'function') return out;
        let peers = [];
        try {
            peers = (await dbg.peers()) || [];
        } catch {
            return out;
        }
        const stream = v && v.srcObject;
        const trackIds = new Set(stream && stream.getTracks ? stream.getTracks().map((t) => t.id) : []);
        const decodedBy = async (pc, track) => {
            const report = await pc.getStats(track || null);
            let frames = null;
            report.forEach((s) => {
                if (s.type === 'inbound-rtp' && (s.kind === 'video' || s.mediaType === 'video')) {
                    frames = (frames || 0) + (s.framesDecoded || 0);
                }
            });
            return frames;
        };
        for (const p of peers) {
            const pc = p && p.pc;
            if (!pc || typeof pc.getReceivers !== 'function') continue;
            for (const r of pc.getReceivers()) {
                if (r.track && r.track.kind === 'video' && trackIds.has(r.track.id)) {
                    out.framesDecoded = await decodedBy(pc, r.track);
                    out.via = `getStats(${p.kind}${p.source ? ` ${p.source}` : ''})`;
                    return out;
                }
            }
        }
        const receiving = peers.filter((p) => p && p.pc && p.kind !== 'publish' && p.pc.connectionState !== 'closed');
        if (receiving.length === 1) {
            out.framesDecoded = await decodedBy(receiving[0].pc, null);
            out.via = `getStats(${receiving[0].kind}, only receiving connection)`;
        }
        return out;
    }, videoSelector);
}

// Asserts that `videoSelector` shows received video that keeps decoding: framesDecoded from
// getStats above 0 and growing over `windowMs`, and videoWidth > 0; falls back to the
// element's presented frames when the page exposes no connections. Returns both samples.
export async function expectDecoding(page, videoSelector, { timeout = 30000, windowMs = 2000, what = videoSelector } = {}) {
    const first = await waitUntil(async () => {
        const s = await framesDecoded(page, videoSelector);
        const frames = s.framesDecoded ?? s.totalVideoFrames;
        return s.videoWidth > 0 && frames > 0 ? s : null;
    }, { timeout, interval: 500, message: `${what} to decode frames (framesDecoded > 0, videoWidth > 0)` });
    await sleep(windowMs);
    const second = await waitUntil(async () => {
        const s = await framesDecoded(page, videoSelector);
        if (first.framesDecoded !== null && s.framesDecoded !== null) {
            return s.framesDecoded > first.framesDecoded ? s : null;
        }
        return s.totalVideoFrames > first.totalVideoFrames ? s : null;
    }, { timeout: 10000, interval: 500, message: `${what} to keep decoding (first sample ${JSON.stringify(first)})` });
    return { first, second, viaStats: first.framesDecoded !== null };
}

// Asserts that a <video> (a local preview or a file) is playing: videoWidth > 0 and presented
// frames (or currentTime) growing.
export async function expectPlaying(page, videoSelector, { timeout = 20000, what = videoSelector } = {}) {
    const first = await waitUntil(async () => {
        const s = await videoState(page, videoSelector);
        return s && s.videoWidth > 0 ? s : null;
    }, { timeout, interval: 300, message: `${what} to show a picture (videoWidth > 0)` });
    return waitUntil(async () => {
        const s = await videoState(page, videoSelector);
        return s && (s.totalVideoFrames > first.totalVideoFrames || s.currentTime > first.currentTime) ? s : null;
    }, { timeout: 10000, interval: 300, message: `${what} to keep playing (first ${JSON.stringify(first)})` });
}

// Runs one step of a scenario: logs its time, and on failure rethrows with the step's name
// (and saves screenshots of every open page).
export async function step(name, fn, log = console.log) {
    const started = Date.now();
    try {
        const result = await fn();
        log(`step ok (${((Date.now() - started) / 1000).toFixed(1)} s): ${name}`);
        return result;
    } catch (err) {
        await saveDiagnostics(name).catch(() => {});
        const e = new Error(`step "${name}" failed after ${((Date.now() - started) / 1000).toFixed(1)} s: ${err.message}`);
        e.stack = `${e.message}\n${err.stack || ''}`;
        throw e;
    }
}

// Registers node:test hooks that start a stack and one browser per camera before the file's
// tests and stop them after, checking that vigil shut down cleanly. `cameras`: .y4m names
// (null: a browser without a camera). Returns {stack, browsers} filled in once started.
// `overrides`: configuration keys for this stack ({'auth.throttle_base_seconds': 60}).
export function useStack(name, cameras, { before, after, assert, overrides = {} }) {
    const env = { stack: null, browsers: [] };
    before(async () => {
        env.stack = await startStack({ name, overrides });
        env.browsers = await Promise.all(cameras.map((c) => launchBrowser({ camera: c ? fakeCamera(c) : null })));
    }, { timeout: 120000 });
    after(async () => {
        await saveDiagnostics().catch(() => {});
        await closeBrowsers();
        if (env.stack) {
            const status = await env.stack.stop();
            assert.equal(status, 0, `vigil serve exited with status ${status} at shutdown (see ${name}.vigil.log in ${artifactsDir})`);
        }
    }, { timeout: 60000 });
    return env;
}

// Video frames so far of the page's live class session of a `main` stream (not a supervision
// call's): decoded by its `view` session (the teacher's video) or encoded by its `publish`
// session (the console's), with that session's id and whether the microphone it sends is on
// (null: it sends none); null while there is no such session.
export function classMainFrames(page, kind) {
    return page.evaluate(async (want) => {
        const [rtp, counter] = want === 'view' ? ['inbound-rtp', 'framesDecoded'] : ['outbound-rtp', 'framesEncoded'];
        for (const p of window.vigilDebug?.peers?.() ?? []) {
            if (p.kind !== want || p.stream !== 'main' || p.call || p.pc.connectionState === 'closed') continue;
            let frames = 0;
            (await p.pc.getStats()).forEach((s) => {
                if (s.type === rtp && s.kind === 'video') frames += s[counter] || 0;
            });
            const mic = p.pc.getSenders().find((s) => s.track?.kind === 'audio')?.track;
            return { session: p.session, frames, mic: mic ? mic.enabled : null };
        }
        return null;
    }, kind);
}

// Frames decoded so far of the teacher's video in a class (see classMainFrames).
export const teacherFrames = (page) => classMainFrames(page, 'view');

// The ICE route of each live peer connection of the page, from getStats: every remote
// candidate's address (the server's candidates as Chromium knows them, trickled, in the SDP
// or learnt from its checks), the local candidates, and the addresses of the selected pair.
// [{kind, stream, call, remote: [address], local: [address], selected: {local, remote} | null}]
export function iceRoutes(page) {
    return page.evaluate(async () => {
        const routes = [];
        for (const p of window.vigilDebug?.peers?.() ?? []) {
            if (p.pc.connectionState === 'closed') continue;
            const stats = new Map();
            (await p.pc.getStats()).forEach((s) => stats.set(s.id, s));
            const route = { kind: p.kind, stream: p.stream, call: p.call || null, remote: [], local: [], selected: null };
            for (const s of stats.values()) {
                if (s.type === 'remote-candidate') route.remote.push(s.address ?? s.ip);
                if (s.type === 'local-candidate') route.local.push(s.address ?? s.ip);
                if (s.type === 'transport' && s.selectedCandidatePairId) {
                    const pair = stats.get(s.selectedCandidatePairId);
                    const local = pair && stats.get(pair.localCandidateId);
                    const remote = pair && stats.get(pair.remoteCandidateId);
                    if (local && remote) route.selected = { local: local.address ?? local.ip, remote: remote.address ?? remote.ip };
                }
            }
            routes.push(route);
        }
        return routes;
    });
}
