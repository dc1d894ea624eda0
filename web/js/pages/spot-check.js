// The subject's spot-check dialog. A liveness challenge tells the server the moment its
// instruction is on screen (only frames from then on are judged), shows live guidance from the
// server while it runs, closes when the decision is made, and leaves the result with its
// reason in the classroom. A check without a camera is answered with the button.
import { h, toast } from '../dom.js';
import { t } from '../i18n.js';
import { attach } from '../rtc.js';
import { readableSignalError } from '../errors.js';

// The code at the start of a failed check's detail ("not_matched: ...") names its reason.
const reasonCodes = ['not_matched', 'did_not_follow', 'no_face', 'several_faces', 'too_few_frames', 'not_shown'];

function reasonOf(msg) {
  if (msg.outcome === 'missed') return 'spot.reason.missed';
  const code = reasonCodes.find((c) => (msg.detail ?? '').startsWith(c));
  return code ? `spot.reason.${code}` : 'spot.reason.other';
}

// The decision in words: the outcome, why it failed, and whether identity was checked.
export function spotResultText(msg) {
  const passed = msg.outcome === 'passed' || msg.outcome === 'answered';
  const why = passed ? '' : ` ${t(reasonOf(msg))}`;
  const identity = msg.identity === 'not_checked' ? ` ${t('spot.identity_not_checked')}` : '';
  return `${t(`spot.result.${msg.outcome}`)}${why}${identity}`;
}

function setText(el, key, args) {
  el.dataset.i18n = key;
  if (args) el.dataset.i18nArgs = JSON.stringify(args); else delete el.dataset.i18nArgs;
  el.textContent = t(key, args);
}

export function spotCheckDialog(signal, classId, cameraStream) {
  let current = null; // the running check's push
  let timer = null;
  let restoreRate = null; // puts the camera back to its presence rate after a challenge
  const instruction = h('p', { id: 'spot-check-instruction', class: 'big' });
  const guidance = h('p', { id: 'spot-check-guidance', role: 'status', 'aria-live': 'polite' });
  const progress = h('progress', { id: 'spot-check-progress', max: 1, value: 0, i18nAttr: { 'aria-label': 'spot.progress' } });
  const countdown = h('p', { id: 'spot-check-countdown', class: 'muted' });
  const ok = h('button', { type: 'button', id: 'spot-check-ok', class: 'primary', i18n: 'spot.ok' });
  const preview = h('video', { id: 'spot-check-preview', playsInline: true, autoplay: true, muted: true, i18nAttr: { 'aria-label': 'classroom.self_preview' } });
  const dialog = h('dialog', { id: 'spot-check-dialog', 'aria-labelledby': 'spot-check-title' },
    h('h2', { id: 'spot-check-title', i18n: 'spot.title' }),
    instruction,
    // The subject sees himself while following the instruction.
    h('div', { class: 'video-box small' }, preview),
    guidance, progress, countdown,
    h('div', { class: 'actions' }, ok));
  // What the last check decided, until the next one: stays on the page after the dialog closes.
  const result = h('p', { id: 'spot-check-result', role: 'status', 'aria-live': 'polite', hidden: true });

  // A challenge may need more frames a second than presence sampling (a blink lasts a frame
  // or two at 10 fps): the camera runs at the server's rate while it lasts.
  async function raiseRate(fps) {
    const track = cameraStream()?.getVideoTracks()[0];
    if (!track || !fps || restoreRate) return;
    const before = track.getConstraints();
    try {
      await track.applyConstraints({ ...before, frameRate: { ideal: fps } });
      restoreRate = () => track.applyConstraints(before).catch(() => {});
    } catch { /* the camera keeps its rate; the server judges what comes */ }
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    if (dialog.open) dialog.close();
    restoreRate?.();
    restoreRate = null;
  }

  function showResult(msg) {
    const passed = msg.outcome === 'passed' || msg.outcome === 'answered';
    result.hidden = false;
    result.dataset.outcome = msg.outcome;
    result.className = passed ? 'notice ok' : 'notice error';
    delete result.dataset.i18n;
    result.textContent = spotResultText(msg);
    toast(result.textContent, passed ? 'info' : 'error');
  }

  function tick() {
    if (!current) return;
    const left = Math.max(0, Math.ceil((current.deadline - Date.now()) / 1000));
    if (left > 0) {
      setText(countdown, 'spot.seconds_left', { seconds: left });
    } else if (current.challenge) {
      // The camera decides: the verdict is on its way.
      setText(countdown, 'spot.deciding');
    } else {
      stop();
    }
  }

  async function answer(msg) {
    try {
      await signal.request('spot_check_reply', { check: msg.check });
      if (!msg.challenge) { stop(); showResult({ outcome: 'answered' }); current = null; }
    } catch (e) {
      toast(readableSignalError(e), 'error');
    }
  }

  function show(msg) {
    current = msg;
    result.hidden = true;
    const key = msg.challenge ? `challenge.${msg.challenge}` : 'spot.answer';
    setText(instruction, key);
    guidance.hidden = !msg.challenge;
    progress.hidden = !msg.challenge;
    progress.value = 0;
    setText(guidance, 'spot.hint.no_frames');
    // A challenge is answered by the camera: no button that seems to do something.
    ok.hidden = Boolean(msg.challenge);
    ok.onclick = () => answer(msg);
    clearInterval(timer);
    timer = setInterval(tick, 500);
    tick();
    const stream = cameraStream();
    if (stream) attach(preview, stream, { muted: true });
    if (!dialog.open) dialog.showModal();
    // The instruction is on screen now: from here on the camera is judged.
    if (msg.challenge) {
      raiseRate(msg.camera_fps);
      answer(msg);
    }
  }

  const offs = [
    signal.on('spot_check', (msg) => { if (msg.class === classId) show(msg); }),
    signal.on('spot_check_progress', (msg) => {
      if (msg.class !== classId || msg.check !== current?.check) return;
      setText(guidance, `spot.hint.${msg.hint}`);
      progress.value = Number(msg.progress) || 0;
    }),
    signal.on('spot_check_result', (msg) => {
      if (msg.class !== classId || msg.check !== current?.check) return;
      current = null;
      stop();
      showResult(msg);
    }),
  ];

  return {
    dialog,
    result,
    close() { offs.forEach((off) => off()); stop(); },
  };
}
