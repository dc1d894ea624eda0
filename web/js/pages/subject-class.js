// The subject's classroom: the teacher's video and sound, the subject's own presence camera
// with a plain notice of what is checked, the live presence verdict, spot checks with a
// countdown, chat and a raised hand. Survives network drops: after the WebSocket comes back
// it joins again and restarts both media sessions.
import { h, clear, toast } from '../dom.js';
import { t, formatTime } from '../i18n.js';
import { MediaSession, attach, stopStream } from '../rtc.js';
import { readableSignalError } from '../errors.js';
import { chatPanel } from './chat.js';
import { callOverlay } from './call.js';
import { spotCheckDialog } from './spot-check.js';

// The subject's presence indicator: what the last judged sample says, in plain words.
const indicatorByOutcome = {
  verified: 'verified', unenrolled: 'unenrolled', not_matched: 'someone_else', several_faces: 'someone_else',
  no_face: 'not_seen', poor_image: 'not_seen', camera_off: 'camera_off',
};

export default {
  title: 'classroom.title',
  live: true,
  render(view, ctx) {
    const classId = ctx.params.id;
    const { signal } = ctx;
    const offs = [];
    let left = false;
    let joined = null; // the join reply
    // The teacher's stream announced while the join was still on its way: viewed once it is in.
    let teacherReadyEarly = false;
    let cameraStream = null;
    let cameraSession = null;
    let teacherSession = null;
    let handRaised = false;

    const title = h('h1', { i18n: 'classroom.title' });
    const status = h('p', { id: 'class-status', role: 'status', class: 'muted', i18n: 'classroom.joining' });
    const teacherVideo = h('video', { id: 'teacher-video', playsInline: true, autoplay: true, i18nAttr: { 'aria-label': 'classroom.teacher_video' } });
    const teacherWait = h('p', { class: 'video-placeholder', i18n: 'classroom.waiting_teacher' });
    const unmute = h('button', { type: 'button', id: 'unmute', hidden: true, i18n: 'classroom.unmute',
      on: { click: () => { teacherVideo.muted = false; teacherVideo.play(); unmute.hidden = true; } } });
    const selfVideo = h('video', { id: 'self-preview', playsInline: true, autoplay: true, muted: true, i18nAttr: { 'aria-label': 'classroom.self_preview' } });
    const indicator = h('p', { id: 'presence-indicator', dataset: { state: 'checking' }, role: 'status', 'aria-live': 'polite', i18n: 'presence.checking' });
    const notice = h('p', { class: 'notice small', id: 'camera-notice', i18n: 'classroom.camera_notice', i18nArgs: { seconds: 10 } });
    const handButton = h('button', { type: 'button', id: 'raise-hand', 'aria-pressed': 'false', i18n: 'classroom.raise_hand', on: { click: toggleHand } });
    const leaveButton = h('button', { type: 'button', id: 'leave-class', class: 'danger', i18n: 'classroom.leave', on: { click: leave } });
    const chat = chatPanel(signal, classId);
    offs.push(chat.close);
    // A supervision call answered here opens over the class: the subject stays in the class
    // (attendance and the presence camera go on) and is back in it when the call ends. The
    // subject hears the officer, not the teacher, while the call runs.
    let inCall = false;
    let soundBeforeCall = false;
    const callPanel = callOverlay(ctx, {
      modal: true,
      note: 'call.class_goes_on',
      onActive: (active) => {
        if (active && !inCall) soundBeforeCall = !teacherVideo.muted;
        inCall = active;
        teacherVideo.muted = active || !soundBeforeCall;
      },
    });
    offs.push(callPanel.close);

    const spot = spotCheckDialog(signal, classId, () => cameraStream);
    offs.push(spot.close);

    view.append(
      h('div', { class: 'class-head' }, title, h('div', { class: 'actions' }, handButton, leaveButton)),
      status,
      h('div', { class: 'classroom' },
        h('section', { class: 'stage', 'aria-labelledby': 'teacher-heading' },
          h('h2', { id: 'teacher-heading', class: 'visually-hidden', i18n: 'classroom.teacher_video' }),
          h('div', { class: 'video-box' }, teacherVideo, teacherWait), unmute),
        h('aside', { class: 'side' },
          h('section', { class: 'card self', 'aria-labelledby': 'self-heading' },
            h('h2', { id: 'self-heading', i18n: 'classroom.your_camera' }),
            h('div', { class: 'video-box small' }, selfVideo), indicator, spot.result, notice),
          chat.element)),
      spot.dialog);
    view.append(callPanel.element);

    function setIndicator(state) {
      indicator.dataset.state = state;
      indicator.dataset.i18n = `presence.${state}`;
      indicator.textContent = t(`presence.${state}`);
    }

    function setStatus(key, args) {
      status.dataset.i18n = key;
      status.dataset.i18nArgs = JSON.stringify(args ?? {});
      status.textContent = t(key, args);
    }

    async function startCamera() {
      const cam = joined.camera ?? { width: 320, height: 240, fps: 5 };
      try {
        cameraStream = cameraStream ?? await navigator.mediaDevices.getUserMedia({
          video: { width: { ideal: cam.width }, height: { ideal: cam.height }, frameRate: { ideal: cam.fps } }, audio: false,
        });
      } catch (e) {
        setIndicator('camera_off');
        toast(t('media.camera_denied'), 'error');
        return;
      }
      attach(selfVideo, cameraStream, { muted: true });
      cameraSession?.close();
      cameraSession = new MediaSession(signal, { kind: 'publish', stream: 'camera', mediaStream: cameraStream, iceServers: joined.ice_servers });
      try {
        await cameraSession.start();
      } catch (e) {
        toast(readableSignalError(e), 'error');
      }
    }

    async function viewTeacher() {
      if (left || teacherSession) return;
      if (!joined) {
        teacherReadyEarly = true; // the ICE servers come with the join reply
        return;
      }
      const session = new MediaSession(signal, {
        kind: 'view', stream: 'main', iceServers: joined.ice_servers,
        onTrack: async (stream) => {
          teacherWait.hidden = true;
          const withSound = await attach(teacherVideo, stream);
          unmute.hidden = withSound;
          if (inCall) { soundBeforeCall = withSound; teacherVideo.muted = true; }
        },
      });
      teacherSession = session;
      try {
        await session.start();
      } catch (e) {
        session.close();
        if (teacherSession === session) teacherSession = null;
        if (e.code !== 'no_publisher') toast(readableSignalError(e), 'error');
      }
    }

    function stopMedia() {
      cameraSession?.close();
      teacherSession?.close();
      cameraSession = null;
      teacherSession = null;
      teacherVideo.srcObject = null;
      teacherWait.hidden = false;
    }

    async function enter() {
      if (left) return;
      setStatus('classroom.joining');
      try {
        joined = await signal.request('join', { class: classId });
      } catch (e) {
        if (e.code === 'disconnected' || e.code === 'timeout') return; // retried after reconnect
        setStatus('classroom.cannot_join', { reason: readableSignalError(e) });
        status.className = 'error';
        status.setAttribute('role', 'alert');
        return;
      }
      status.className = 'muted';
      status.setAttribute('role', 'status');
      title.removeAttribute('data-i18n');
      title.textContent = joined.class.title;
      document.title = `${joined.class.title} · Vigil`;
      setStatus(joined.class.state === 'live' ? 'classroom.live' : 'classroom.not_started');
      signal.setHeartbeatInterval(joined.heartbeat_interval_seconds);
      notice.dataset.i18nArgs = JSON.stringify({ seconds: joined.camera?.sample_seconds ?? 10 });
      notice.textContent = t('classroom.camera_notice', { seconds: joined.camera?.sample_seconds ?? 10 });
      handRaised = false;
      updateHand();
      stopMedia();
      startCamera();
      if (teacherReadyEarly || (joined.publishers ?? []).some((p) => p.stream === 'main')) viewTeacher();
      teacherReadyEarly = false;
    }

    function updateHand() {
      handButton.setAttribute('aria-pressed', String(handRaised));
      handButton.dataset.i18n = handRaised ? 'classroom.lower_hand' : 'classroom.raise_hand';
      handButton.textContent = t(handButton.dataset.i18n);
    }

    async function toggleHand() {
      try {
        await signal.request(handRaised ? 'lower_hand' : 'raise_hand');
        handRaised = !handRaised;
        updateHand();
      } catch (e) {
        toast(readableSignalError(e), 'error');
      }
    }

    offs.push(signal.on('presence', (msg) => {
      if (msg.class !== classId) return;
      setIndicator(indicatorByOutcome[msg.outcome] ?? 'checking');
      indicator.title = formatTime(msg.ts);
    }));
    offs.push(signal.on('publisher_ready', (msg) => {
      if (msg.class === classId && msg.stream === 'main') viewTeacher();
    }));
    offs.push(signal.on('publisher_left', (msg) => {
      if (msg.class !== classId || msg.stream !== 'main') return;
      teacherReadyEarly = false;
      teacherSession?.close();
      teacherSession = null;
      teacherVideo.srcObject = null;
      teacherWait.hidden = false;
    }));
    offs.push(signal.on('class_started', (msg) => { if (msg.class === classId) setStatus('classroom.live'); }));
    offs.push(signal.on('class_ended', (msg) => {
      if (msg.class !== classId) return;
      left = true;
      stopMedia();
      stopStream(cameraStream);
      cameraStream = null;
      setStatus('classroom.ended');
      toast(t('classroom.ended'));
    }));
    offs.push(signal.on('kicked', (msg) => {
      if (msg.class !== classId) return;
      if (msg.reason === 'replaced') {
        left = true;
        stopMedia();
        setStatus('classroom.replaced');
      } else if (msg.reason === 'heartbeat_timeout') {
        enter();
      }
    }));
    offs.push(signal.on('left_class', () => enter()));
    offs.push(signal.on('ready', ({ reconnected }) => { if (reconnected) enter(); }));
    offs.push(signal.on('state', (state) => {
      if (state === 'reconnecting') setStatus('classroom.reconnecting');
    }));

    async function leave() {
      if (!left) {
        left = true;
        try { await signal.request('leave'); } catch { /* the server closes it with the socket */ }
      }
      ctx.navigate('subject');
    }

    if (signal.state === 'connected') enter();
    else offs.push(signal.on('ready', ({ reconnected }) => { if (!reconnected && !joined) enter(); }));

    return async () => {
      offs.forEach((off) => off());
      if (!left) {
        left = true;
        signal.request('leave').catch(() => {});
      }
      stopMedia();
      stopStream(cameraStream);
    };
  },
};
