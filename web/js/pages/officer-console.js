// The live class console: publish camera (or screen) and microphone, start and end the
// class, the roster grid with each subject's live camera, presence state and last check,
// raised hands, chat, spot checks, and the class's alerts as they happen.
import { h, clear, toast } from '../dom.js';
import { t, formatTime } from '../i18n.js';
import { MediaSession, attach, stopStream, snapshot } from '../rtc.js';
import { post, readableError } from '../api.js';
import { readableSignalError } from '../errors.js';
import { chatPanel } from './chat.js';
import { icon } from '../icons.js';
import { startCall } from '../calls.js';
import { callOverlay } from './call.js';
import { spotResultText } from './spot-check.js';

const challenges = ['random', 'turn_left', 'turn_right', 'look_up', 'blink'];

export default {
  title: 'console.title',
  live: true,
  render(view, ctx) {
    const classId = ctx.params.id;
    const { signal } = ctx;
    const offs = [];
    let closed = false;
    let joined = null;
    let cls = null;
    let localStream = null;
    let screenTrack = null;
    let publish = null;
    let publishing = false;
    const tiles = new Map(); // subject id → {el, session}
    const names = new Map();

    const title = h('h1', { i18n: 'console.title' });
    const stateBadge = h('span', { class: 'badge', id: 'class-state' });
    const status = h('p', { id: 'console-status', role: 'status', class: 'muted' });
    const preview = h('video', { id: 'console-preview', playsInline: true, autoplay: true, muted: true, i18nAttr: { 'aria-label': 'console.preview' } });
    const startButton = h('button', { type: 'button', id: 'start-class', class: 'primary', disabled: true, i18n: 'console.start', on: { click: startClass } });
    const screenButton = h('button', { type: 'button', id: 'share-screen', disabled: true, 'aria-pressed': 'false', i18n: 'console.share_screen', on: { click: toggleScreen } });
    const endButton = h('button', { type: 'button', id: 'end-class', class: 'danger', disabled: true, i18n: 'console.end', on: { click: () => endDialog.showModal() } });
    const roster = h('ul', { id: 'roster', class: 'roster', 'aria-live': 'polite' });
    const alerts = h('ol', { id: 'console-alerts', class: 'alerts', 'aria-live': 'polite' });
    const chat = chatPanel(signal, classId);
    offs.push(chat.close);
    // A call placed from the roster opens over the console, and the class goes on under it.
    let inCall = false;
    const callPanel = callOverlay(ctx, {
      onActive: (active) => {
        inCall = active;
        classMicrophone();
        if (active) setStatus('console.in_call');
        else if (publishing) setStatus('console.on_air');
      },
    });
    offs.push(callPanel.close);

    const challengeSelect = h('select', { id: 'spot-check-challenge' },
      challenges.map((c) => h('option', { value: c, i18n: `challenge_name.${c}` })));
    const orderDialog = h('dialog', { id: 'spot-check-order', 'aria-labelledby': 'spot-order-title' },
      h('form', { method: 'dialog' },
        h('h2', { id: 'spot-order-title', i18n: 'console.spot_title' }),
        h('p', { id: 'spot-check-subject' }),
        h('div', { class: 'field' }, h('label', { for: 'spot-check-challenge', i18n: 'console.challenge' }), challengeSelect),
        h('div', { class: 'actions' },
          h('button', { type: 'submit', value: 'send', id: 'spot-check-send', class: 'primary', i18n: 'console.spot_send' }),
          h('button', { type: 'submit', value: 'cancel', i18n: 'common.cancel' }))));
    const endDialog = h('dialog', { id: 'end-class-dialog', 'aria-labelledby': 'end-title' },
      h('form', { method: 'dialog' },
        h('h2', { id: 'end-title', i18n: 'console.end_title' }),
        h('p', { i18n: 'console.end_text' }),
        h('div', { class: 'actions' },
          h('button', { type: 'submit', value: 'end', id: 'end-class-confirm', class: 'danger', i18n: 'console.end' }),
          h('button', { type: 'submit', value: 'cancel', i18n: 'common.cancel' }))));
    endDialog.addEventListener('close', () => { if (endDialog.returnValue === 'end') endClass(); });

    view.append(
      h('div', { class: 'class-head' }, h('div', {}, title, stateBadge),
        h('div', { class: 'actions' }, startButton, screenButton, endButton)),
      status,
      h('div', { class: 'console' },
        // The roster is what an officer watches during a class, so it takes the wide column.
        h('section', { class: 'stage', 'aria-labelledby': 'roster-heading' },
          h('h2', { id: 'roster-heading', i18n: 'console.roster' }), roster),
        h('aside', { class: 'side' },
          h('section', { class: 'card', 'aria-labelledby': 'preview-heading' },
            h('h2', { id: 'preview-heading', i18n: 'console.preview' }),
            h('div', { class: 'video-box' }, preview)),
          h('section', { class: 'card', 'aria-labelledby': 'console-alerts-heading' },
            h('h2', { id: 'console-alerts-heading', i18n: 'console.alerts' }), alerts),
          chat.element)),
      orderDialog, endDialog);
    view.append(callPanel.element);

    function setStatus(key, args = {}) {
      status.dataset.i18n = key;
      status.dataset.i18nArgs = JSON.stringify(args);
      status.textContent = t(key, args);
    }

    function showClass(c) {
      cls = c;
      title.removeAttribute('data-i18n');
      title.textContent = c.title;
      document.title = `${c.title} · Vigil`;
      stateBadge.className = `badge ${c.state}`;
      stateBadge.dataset.i18n = `class.state_${c.state}`;
      stateBadge.textContent = t(stateBadge.dataset.i18n);
      endButton.disabled = c.state === 'ended';
      startButton.disabled = c.state === 'ended' || publishing;
    }

    function logItem(attrs, key, args) {
      alerts.prepend(h('li', { class: attrs.class ?? '', dataset: attrs.dataset },
        h('time', { text: formatTime(attrs.ts ?? Date.now()) }), ' ', h('span', { i18n: key, i18nArgs: args })));
      while (alerts.children.length > 200) alerts.lastChild.remove();
    }

    function tile(subject) {
      let entry = tiles.get(subject.id);
      if (entry) return entry;
      const thumb = h('video', { class: 'thumb', playsInline: true, autoplay: true, muted: true, i18nAttr: { 'aria-label': 'console.thumb' } });
      const el = h('li', { class: 'roster-tile', dataset: { subject: subject.id, presence: 'unknown', outcome: '' } },
        h('div', { class: 'video-box thumb-box' }, thumb),
        h('p', { class: 'name' }, h('strong', { text: subject.name }), h('span', { class: 'hand', hidden: true }, icon('hand'), h('span', { i18n: 'console.hand_label' }))),
        h('p', {}, h('span', { class: 'presence badge', i18n: 'presence_state.unknown' }), ' ', h('span', { class: 'outcome' })),
        h('p', { class: 'last-check muted', i18n: 'console.no_check' }),
        h('button', { type: 'button', class: 'spot-check', i18n: 'console.spot_check', i18nAttr: { 'aria-label': 'console.spot_check_named' }, i18nArgs: { name: subject.name },
          on: { click: () => orderSpotCheck(subject) } }),
        h('button', { type: 'button', class: 'call-subject', i18n: 'dashboard.call', i18nAttr: { 'aria-label': 'dashboard.call_named' }, i18nArgs: { name: subject.name },
          on: { click: (e) => callSubject(subject, e.currentTarget) } }),
        // Shown only while the subject has no reference (outcome unenrolled).
        h('button', { type: 'button', class: 'enrol-face', hidden: true, i18n: 'roster.enrol_from_camera', i18nAttr: { 'aria-label': 'roster.enrol_named' }, i18nArgs: { name: subject.name },
          on: { click: (e) => enrolFromCamera(subject, e.currentTarget) } }));
      entry = { el, thumb, session: null, subject };
      tiles.set(subject.id, entry);
      roster.append(el);
      return entry;
    }

    function updateTile(p) {
      names.set(p.id, p.name);
      const entry = tile(p);
      const { el } = entry;
      if (p.presence) setPresence(el, p.presence, p.outcome ?? el.dataset.outcome);
      el.querySelector('.hand').hidden = !p.hand;
      if (p.last_sample) setLastCheck(el, Date.parse(p.last_sample));
    }

    function setPresence(el, state, outcome) {
      el.dataset.presence = state;
      el.dataset.outcome = outcome ?? '';
      const badge = el.querySelector('.presence');
      badge.dataset.i18n = `presence_state.${state}`;
      badge.textContent = t(badge.dataset.i18n);
      badge.className = `presence badge ${state}`;
      const o = el.querySelector('.outcome');
      if (outcome) { o.dataset.i18n = `outcome.${outcome}`; o.textContent = t(o.dataset.i18n); }
      el.querySelector('.enrol-face').hidden = outcome !== 'unenrolled';
    }

    // One click enrols the subject's reference from his live camera in this class.
    async function enrolFromCamera(subject, button) {
      const entry = tiles.get(subject.id);
      if (!entry?.thumb.videoWidth) { toast(t('roster.no_frame'), 'error'); return; }
      button.disabled = true;
      try {
        const blob = await snapshot(entry.thumb);
        await post(`/api/subjects/${encodeURIComponent(subject.id)}/references`, blob, { source: 'class', class: classId });
        button.hidden = true;
        toast(t('roster.enrolled', { name: subject.name }));
      } catch (e) {
        toast(readableError(e), 'error');
      } finally {
        button.disabled = false;
      }
    }

    function setLastCheck(el, ts) {
      const p = el.querySelector('.last-check');
      p.dataset.i18n = 'console.last_check';
      p.dataset.i18nArgs = JSON.stringify({ time: formatTime(ts) });
      p.textContent = t('console.last_check', { time: formatTime(ts) });
    }

    function applyRoster(participants) {
      const present = new Set(participants.map((p) => p.id));
      for (const [id, entry] of tiles) {
        if (!present.has(id)) { entry.session?.close(); entry.el.remove(); tiles.delete(id); }
      }
      participants.forEach(updateTile);
      if (!participants.length) roster.dataset.empty = t('console.nobody');
      else delete roster.dataset.empty;
    }

    async function watchCamera(source) {
      const entry = tiles.get(source) ?? tile({ id: source, name: names.get(source) ?? source });
      if (entry.session) return;
      const session = new MediaSession(signal, {
        kind: 'view', stream: 'camera', source, iceServers: joined?.ice_servers,
        onTrack: (stream) => attach(entry.thumb, stream, { muted: true }),
      });
      entry.session = session;
      try {
        await session.start();
      } catch (e) {
        session.close();
        if (entry.session === session) entry.session = null;
      }
    }

    // The class hears the officer, but never a supervision call: while the officer is in a
    // call from here the class microphone is off; the class still sees the picture.
    function classMicrophone() {
      for (const track of localStream?.getAudioTracks() ?? []) track.enabled = !inCall;
    }

    async function callSubject(subject, button) {
      button.disabled = true;
      try {
        await startCall(subject);
      } catch (e) {
        toast(readableSignalError(e), 'error');
      } finally {
        button.disabled = false;
      }
    }

    async function publishMain() {
      classMicrophone();
      publish?.close();
      publish = new MediaSession(signal, { kind: 'publish', stream: 'main', mediaStream: localStream, iceServers: joined?.ice_servers });
      await publish.start();
      if (screenTrack) await publish.replaceVideo(screenTrack);
    }

    async function startClass() {
      startButton.disabled = true;
      try {
        if (!localStream) {
          try {
            localStream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
          } catch {
            localStream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
            toast(t('media.no_microphone'), 'error');
          }
        }
        attach(preview, localStream, { muted: true });
        await publishMain();
        publishing = true;
        screenButton.disabled = false;
        if (cls?.state !== 'live') {
          const reply = await signal.request('start_class', { class: classId });
          showClass(reply.class);
        }
        setStatus('console.on_air');
        startButton.dataset.i18n = 'console.on_air_button';
        startButton.textContent = t('console.on_air_button');
      } catch (e) {
        startButton.disabled = false;
        toast(e.name === 'NotAllowedError' || e.name === 'NotFoundError' ? t('media.camera_denied') : readableSignalError(e), 'error');
      }
    }

    async function toggleScreen() {
      try {
        if (screenTrack) {
          screenTrack.stop();
          screenTrack = null;
          await publish?.replaceVideo(localStream.getVideoTracks()[0]);
          attach(preview, localStream, { muted: true });
        } else {
          const screen = await navigator.mediaDevices.getDisplayMedia({ video: true });
          screenTrack = screen.getVideoTracks()[0];
          screenTrack.onended = () => { if (screenTrack) toggleScreen(); };
          await publish?.replaceVideo(screenTrack);
          attach(preview, new MediaStream([screenTrack, ...localStream.getAudioTracks()]), { muted: true });
        }
        screenButton.setAttribute('aria-pressed', String(!!screenTrack));
      } catch (e) {
        if (e.name !== 'NotAllowedError') toast(readableSignalError(e), 'error');
      }
    }

    async function endClass() {
      endButton.disabled = true;
      try {
        const reply = await signal.request('end_class', { class: classId });
        showClass(reply.class);
        stopAll();
        setStatus('console.ended', { n: reply.closed });
      } catch (e) {
        endButton.disabled = false;
        toast(readableSignalError(e), 'error');
      }
    }

    let orderFor = null;
    function orderSpotCheck(subject) {
      orderFor = subject;
      orderDialog.querySelector('#spot-check-subject').textContent = subject.name;
      orderDialog.showModal();
    }
    orderDialog.addEventListener('close', async () => {
      if (orderDialog.returnValue !== 'send' || !orderFor) return;
      const subject = orderFor;
      const fields = { subject: subject.id };
      if (challengeSelect.value !== 'random') fields.challenge = challengeSelect.value;
      try {
        const reply = await signal.request('spot_check', fields);
        logItem({ class: 'pending', dataset: { check: reply.check, outcome: 'pending' } }, 'console.spot_sent',
          { name: subject.name, challenge: t(`challenge_name.${reply.challenge ?? 'answer'}`) });
      } catch (e) {
        toast(readableSignalError(e), 'error');
      }
    });

    function stopAll() {
      publish?.close();
      publish = null;
      publishing = false;
      for (const entry of tiles.values()) { entry.session?.close(); entry.session = null; }
      stopStream(localStream);
      if (screenTrack) screenTrack.stop();
      localStream = null;
      screenTrack = null;
      preview.srcObject = null;
      screenButton.disabled = true;
    }

    async function enter() {
      if (closed) return;
      try {
        joined = await signal.request('join', { class: classId });
      } catch (e) {
        if (e.code !== 'disconnected' && e.code !== 'timeout') {
          setStatus('classroom.cannot_join', { reason: readableSignalError(e) });
          status.className = 'error';
        }
        return;
      }
      showClass(joined.class);
      signal.setHeartbeatInterval(joined.heartbeat_interval_seconds);
      if (!publishing) setStatus(joined.class.state === 'live' ? 'console.live_not_publishing' : 'console.ready');
      try {
        const reply = await signal.request('roster', { class: classId });
        applyRoster(reply.participants);
      } catch (e) {
        toast(readableSignalError(e), 'error');
      }
      for (const p of joined.publishers ?? []) if (p.stream === 'camera') watchCamera(p.source);
      if (publishing && localStream) {
        // After a reconnect: the server dropped our session with the socket.
        try { await publishMain(); } catch (e) { toast(readableSignalError(e), 'error'); }
      }
    }

    offs.push(signal.on('roster', (msg) => { if (msg.class === classId) applyRoster(msg.participants); }));
    offs.push(signal.on('presence', (msg) => {
      if (msg.class !== classId) return;
      const entry = tiles.get(msg.subject);
      if (!entry) return;
      setPresence(entry.el, msg.state, msg.outcome);
      setLastCheck(entry.el, msg.ts);
    }));
    offs.push(signal.on('hand', (msg) => {
      if (msg.class !== classId) return;
      const entry = tiles.get(msg.subject);
      if (entry) entry.el.querySelector('.hand').hidden = !msg.raised;
      if (msg.raised) toast(t('console.hand_raised', { name: names.get(msg.subject) ?? msg.subject }));
    }));
    offs.push(signal.on('alert', (msg) => {
      if (msg.class !== classId) return;
      logItem({ class: `alert ${msg.kind}`, dataset: { kind: msg.kind, subject: msg.subject }, ts: msg.ts },
        'console.alert_line', { name: names.get(msg.subject) ?? msg.subject, what: t(`alert.${msg.kind}`) });
    }));
    offs.push(signal.on('spot_check_result', (msg) => {
      if (msg.class !== classId) return;
      logItem({ class: `result ${msg.outcome}`, dataset: { outcome: msg.outcome, check: msg.check, subject: msg.subject } },
        'console.spot_result', { name: names.get(msg.subject) ?? msg.subject, outcome: spotResultText(msg) });
      const pending = alerts.querySelector(`li[data-check="${CSS.escape(msg.check)}"][data-outcome="pending"]`);
      if (pending) pending.dataset.outcome = 'closed';
    }));
    offs.push(signal.on('publisher_ready', (msg) => {
      if (msg.class === classId && msg.stream === 'camera') watchCamera(msg.source);
    }));
    offs.push(signal.on('publisher_left', (msg) => {
      if (msg.class !== classId || msg.stream !== 'camera') return;
      const entry = tiles.get(msg.source);
      if (entry) { entry.session?.close(); entry.session = null; entry.thumb.srcObject = null; }
    }));
    offs.push(signal.on('class_started', (msg) => { if (msg.class === classId && cls) showClass({ ...cls, state: 'live' }); }));
    offs.push(signal.on('class_ended', (msg) => {
      if (msg.class !== classId || !cls) return;
      showClass({ ...cls, state: 'ended' });
      stopAll();
      setStatus('console.ended', { n: '' });
    }));
    offs.push(signal.on('ready', ({ reconnected }) => {
      if (!reconnected) return;
      for (const entry of tiles.values()) { entry.session?.close(); entry.session = null; }
      enter();
    }));
    offs.push(signal.on('state', (state) => { if (state === 'reconnecting') setStatus('classroom.reconnecting'); }));

    if (signal.state === 'connected') enter();
    else offs.push(signal.on('ready', ({ reconnected }) => { if (!reconnected && !joined) enter(); }));

    return () => {
      closed = true;
      offs.forEach((off) => off());
      stopAll();
      for (const d of [orderDialog, endDialog]) if (d.open) d.close();
      signal.request('leave').catch(() => {});
    };
  },
};
