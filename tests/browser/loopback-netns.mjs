// Keeps the browser tests' media on loopback. Chromium gathers ICE candidates on every
// interface; --allow-loopback-in-peer-connection only adds 127.0.0.1 to them, and for a
// connection Chromium controls (every publication: it makes the offer) it prefers another
// interface's address, which it rates cheaper than its loopback. Chromium has no switch to
// leave those interfaces out, so the test process runs again, before any test starts, in a
// network namespace of its own whose only interface is `lo`: Redis, vigil and Chromium
// started from it see 127.0.0.1 and nothing else.
//
// Imported first by harness.mjs. VIGIL_BROWSER_NETNS=off runs in the host's namespace; where
// unprivileged user namespaces are not available it does so with a warning.

import { spawnSync } from 'node:child_process';

const MARK = 'inside';

if (process.env.VIGIL_BROWSER_NETNS !== MARK && process.env.VIGIL_BROWSER_NETNS !== 'off') {
    if (spawnSync('unshare', ['-rn', 'sh', '-c', 'ip link set lo up']).status === 0) {
        // setpriv: if this process is killed (a test runner's timeout), the re-run goes too.
        const deathSignal = spawnSync('setpriv', ['--pdeathsig', 'KILL', 'true']).status === 0
            ? ['setpriv', '--pdeathsig', 'KILL'] : [];
        const argv = [...deathSignal, 'unshare', '-rn', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh',
            process.execPath, ...process.execArgv, ...process.argv.slice(1)];
        const run = spawnSync(argv[0], argv.slice(1), {
            stdio: 'inherit',
            env: { ...process.env, VIGIL_BROWSER_NETNS: MARK },
        });
        process.exit(run.status ?? 1);
    }
    console.warn('loopback-netns: `unshare -rn` is not available here, so Chromium may send media from '
        + 'another interface address (set VIGIL_BROWSER_NETNS=off to silence this)');
}
