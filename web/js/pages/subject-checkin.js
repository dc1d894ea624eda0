// The subject's self-service video check-in (视频报到), built for a phone: one big button; the
// browser's location (with its accuracy; a refusal is recorded, not held against him); an
// optional written report; then the server's challenge shown large with a countdown while the
// camera is published to the check-in, live guidance, and the result with its reason and the
// attempts left. Route: subject/checkin (a due window) or subject/checkin/:order (an order).
import { h, clear, toast } from '../dom.js';
import { get, readableError } from '../api.js';
import { t, has } from '../i18n.js';
import { formatWhen } from './supervision-common.js';
import { MediaSession, attach, stopStream } from '../rtc.js';
import { readableSignalError } from '../errors.js';
import { challengeIcon } from '../icons.js';

const reportMax = 2000; // [checkin] report_max_chars
const locationTimeoutMs = 10000;

function setText(el, key, args) {
  el.dataset.i18n = key;
  if (args) el.dataset.i18nArgs = JSON.stringify(args); else delete el.dataset.i18nArgs;
  el.textContent = t(key, args);
}

// The browser's location: {location} with its accuracy, {location_refused: true} when the
// subject said no, or {} when there is none to be had (no GPS, a timeout).
export function askLocation() {
  if (!navigator.geolocation) return Promise.resolve({});
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (pos) => resolve({ location: { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy: pos.coords.accuracy } }),
      (err) => resolve(err.code === err.PERMISSION_DENIED ? { location_refused: true } : {}),
      { enableHighAccuracy: true, timeout: locationTimeoutMs, maximumAge: 60000 });
  });
}

function dueLine(due, orderId) {
  const order = orderId ? (due.orders ?? []).find((o) => String(o.order) === String(orderId)) : (due.orders ?? [])[0];
  if (order) {
    return { order: order.order, key: 'ck.due_order', args: { time: formatWhen(order.deadline), n: order.attempts_left } };
  }
  const window = (due.windows ?? [])[0];
  if (window) return { order: null, key: 'ck.due_window', args: { time: formatWhen(window.last), n: window.attempts_left } };
  return { order: null, key: 'ck.nothing_due', args: {} };
}

export default {
  title: 'ck.title',
  live: true,
  render(view, ctx) {
    const { signal } = ctx;
    const offs = [];
    let orderId = ctx.params.order ?? null;
    let running = null; // the checkin_start reply while a check-in runs
    let cameraStream = null;
    let session = null;
    let timer = null;
    let deadline = 0;

    const due = h('p', { id: 'checkin-due', class: 'notice', i18n: 'common.loading' });
    const report = h('textarea', { id: 'checkin-report', rows: 4, maxLength: reportMax, 'aria-describedby': 'checkin-report-count' });
    const counter = h('p', { id: 'checkin-report-count', class: 'muted small', 'aria-live': 'polite', i18n: 'ck.report_count', i18nArgs: { n: 0, max: reportMax } });
    report.addEventListener('input', () => setText(counter, 'ck.report_count', { n: report.value.length, max: reportMax }));
    const start = h('button', { type: 'button', id: 'checkin-start', class: 'primary huge', i18n: 'ck.start', on: { click: begin } });
    const locationLine = h('p', { id: 'checkin-location', class: 'muted small', hidden: true });
    const status = h('p', { id: 'checkin-status', role: 'status', 'aria-live': 'polite', class: 'muted' });

    const icon = h('span', { class: 'challenge-icon', 'aria-hidden': 'true' });
    const instruction = h('p', { id: 'checkin-instruction', class: 'challenge-text' });
    const countdown = h('p', { id: 'checkin-countdown', class: 'countdown', 'aria-live': 'off' });
    const guidance = h('p', { id: 'checkin-guidance', role: 'status', 'aria-live': 'polite' });
    const progress = h('progress', { id: 'checkin-progress', max: 1, value: 0, i18nAttr: { 'aria-label': 'ck.progress' } });
    const preview = h('video', { id: 'checkin-preview', playsInline: true, autoplay: true, muted: true, i18nAttr: { 'aria-label': 'classroom.self_preview' } });
    const cancel = h('button', { type: 'button', id: 'checkin-cancel', i18n: 'ck.cancel', on: { click: cancelRun } });
    const stage = h('section', { id: 'checkin-stage', class: 'card checkin-stage', hidden: true, 'aria-labelledby': 'checkin-instruction' },
      h('div', { class: 'challenge' }, icon, instruction), countdown,
      h('div', { class: 'video-box small' }, preview), guidance, progress, h('div', { class: 'actions' }, cancel));
    const result = h('section', { id: 'checkin-result', class: 'card', hidden: true, role: 'status', 'aria-live': 'polite' });
    const form = h('section', { id: 'checkin-form', class: 'card checkin-form' },
      due,
      h('div', { class: 'field' }, h('label', { for: 'checkin-report', i18n: 'ck.report' }), report, counter),
      h('p', { class: 'muted small', i18n: 'ck.location_notice' }),
      start, locationLine);

    view.append(h('div', { class: 'checkin-page' }, h('h1', { i18n: 'ck.title' }), form, status, stage, result));

    async function loadDue() {
      try {
        const info = await get('/api/checkins/due');
        const line = dueLine(info, orderId);
        if (line.order) orderId = line.order;
        setText(due, line.key, line.args);
      } catch (e) {
        due.textContent = readableError(e);
        delete due.dataset.i18n;
      }
    }

    function tick() {
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      if (left > 0) setText(countdown, 'ck.seconds_left', { seconds: left });
      else setText(countdown, 'ck.deciding');
    }

    function stopMedia() {
      clearInterval(timer);
      timer = null;
      session?.close();
      session = null;
      stopStream(cameraStream);
      cameraStream = null;
      preview.srcObject = null;
    }

    function busy(on) {
      start.disabled = on;
      report.disabled = on;
      start.setAttribute('aria-busy', String(on));
    }

    // A challenge may need more frames a second than the camera's default (a blink lasts a
    // frame or two at 10 fps): the camera runs at the server's rate while it lasts.
    async function raiseRate(fps) {
      const track = cameraStream?.getVideoTracks()[0];
      if (!track || !fps) return;
      try { await track.applyConstraints({ ...track.getConstraints(), frameRate: { ideal: fps } }); } catch { /* the server judges what comes */ }
    }

    async function begin() {
      busy(true);
      result.hidden = true;
      setText(status, 'ck.asking_location');
      const where = await askLocation();
      locationLine.hidden = false;
      if (where.location) setText(locationLine, 'ck.location_ok', { m: Math.round(where.location.accuracy) });
      else setText(locationLine, where.location_refused ? 'ck.location_refused' : 'ck.location_none');
      setText(status, 'ck.opening_camera');
      try {
        cameraStream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
      } catch {
        setText(status, 'ck.camera_denied');
        status.className = 'error';
        busy(false);
        return;
      }
      const fields = { ...where };
      if (orderId) fields.order = orderId;
      if (report.value.trim()) fields.report = report.value.trim();
      setText(status, 'ck.starting');
      try {
        running = await signal.request('checkin_start', fields);
      } catch (e) {
        stopMedia();
        status.textContent = readableSignalError(e);
        delete status.dataset.i18n;
        status.className = 'error';
        busy(false);
        loadDue();
        return;
      }
      status.className = 'muted';
      await show(running);
    }

    async function show(reply) {
      const key = has(`challenge.${reply.challenge}`) ? `challenge.${reply.challenge}` : 'ck.follow';
      clear(icon, challengeIcon(reply.challenge));
      setText(instruction, key);
      instruction.dataset.challenge = reply.challenge;
      setText(guidance, 'spot.hint.no_frames');
      progress.value = 0;
      form.hidden = true;
      stage.hidden = false;
      setText(status, 'ck.attempt', { n: reply.attempt, left: reply.attempts_left });
      attach(preview, cameraStream, { muted: true });
      session = new MediaSession(signal, { kind: 'publish', stream: 'camera', checkin: reply.checkin, mediaStream: cameraStream, iceServers: reply.ice_servers });
      try {
        await session.start();
      } catch (e) {
        toast(readableSignalError(e), 'error');
      }
      raiseRate(reply.camera_fps);
      deadline = Date.now() + (Number(reply.seconds) || 10) * 1000;
      clearInterval(timer);
      timer = setInterval(tick, 500);
      tick();
      // The instruction is on screen now: from here on the camera is judged.
      signal.request('checkin_shown', { checkin: reply.checkin }).catch((e) => toast(readableSignalError(e), 'error'));
    }

    function showResult(msg) {
      running = null;
      stopMedia();
      stage.hidden = true;
      form.hidden = false;
      busy(false);
      const verified = msg.outcome === 'verified';
      const reason = msg.reason && has(`ck.reason.${msg.reason}`) ? t(`ck.reason.${msg.reason}`) : (msg.message || '');
      const left = Number(msg.attempts_left ?? 0);
      result.dataset.outcome = msg.outcome;
      result.dataset.reason = msg.reason || '';
      result.className = `card checkin-result ${verified ? 'ok' : 'error'}`;
      clear(result,
        h('p', { class: 'big', text: has(`ck.outcome.${msg.outcome}`) ? t(`ck.outcome.${msg.outcome}`) : msg.outcome }),
        !verified && reason ? h('p', { id: 'checkin-reason', text: `${t('ck.why')} ${reason}` }) : null,
        !verified && msg.outcome !== 'missed'
          ? h('p', { id: 'checkin-attempts', i18n: left > 0 ? 'ck.attempts_left' : 'ck.no_attempts', i18nArgs: { n: left } }) : null);
      result.hidden = false;
      setText(status, verified ? 'ck.done' : 'ck.ready');
      start.disabled = !verified && msg.outcome !== 'missed' ? left <= 0 : true;
      setText(start, verified ? 'ck.start' : 'ck.again');
      if (verified || left <= 0 || msg.outcome === 'missed') loadDue();
    }

    async function cancelRun() {
      const id = running?.checkin;
      if (!id) return;
      try { await signal.request('checkin_cancel', { checkin: id }); } catch (e) { toast(readableSignalError(e), 'error'); }
    }

    offs.push(signal.on('checkin_progress', (msg) => {
      if (!running || String(msg.checkin) !== String(running.checkin)) return;
      setText(guidance, has(`ck.hint.${msg.hint}`) ? `ck.hint.${msg.hint}` : `spot.hint.${msg.hint}`);
      progress.value = Number(msg.progress) || 0;
    }));
    offs.push(signal.on('checkin_result', (msg) => {
      if (!running || String(msg.checkin) !== String(running.checkin)) return;
      showResult(msg);
    }));
    // The socket dropped: the server ended the check-in's media with it.
    offs.push(signal.on('ready', ({ reconnected }) => {
      if (reconnected && running) showResult({ outcome: 'failed', reason: 'camera_off', attempts_left: running.attempts_left });
    }));

    // An order arrived while this page is open (checkins.js): it is the one to answer.
    const onOrdered = (event) => {
      if (running) return;
      orderId = event.detail.order;
      start.disabled = false;
      setText(start, 'ck.start');
      loadDue();
    };
    window.addEventListener('vigil:checkin-ordered', onOrdered);
    offs.push(() => window.removeEventListener('vigil:checkin-ordered', onOrdered));

    loadDue();

    return () => {
      offs.forEach((off) => off());
      if (running) signal.request('checkin_cancel', { checkin: running.checkin }).catch(() => {});
      running = null;
      stopMedia();
    };
  },
};
