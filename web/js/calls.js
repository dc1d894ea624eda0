// Supervision calls of this tab (docs/protocol.md, "Calls"). The call outlives page changes:
// this module owns its camera and media sessions, rings the subject on any page, and the
// call page or a live page's call overlay only shows them. Each call remembers the route it
// was placed or answered from (`returnTo`). After a reconnect it publishes and views again.
import { t } from './i18n.js';
import { MediaSession, stopStream } from './rtc.js';
import { toast } from './dom.js';
import { readableSignalError } from './errors.js';

let signal = null;
let app = null;
let active = null; // the current call, see newCall()
const listeners = new Set();
let ringTimer = null;
const hosts = new Set(); // pages that show calls in place (callOverlay in pages/call.js)

// Where the user is now, as a route: a call remembers it to bring the user back there.
function here() {
  return location.hash.replace(/^#\/?/, '');
}

// A live page (the officer's console, the subject's classroom) shows calls in place, so that
// answering or placing one does not leave the page and its class media. Returns the release.
export function hostCalls() {
  const token = {};
  hosts.add(token);
  return () => hosts.delete(token);
}

// Placed and ringing, or answered: a call that someone must be able to see and hang up.
export function callRunning(call) {
  return call.state === 'accepted' || (call.role === 'caller' && call.state === 'ringing');
}

// After each page is shown: a running call that this page does not show (the user left the
// page that showed it) is taken to the call page, which returns here when the call ends.
export function callPageShown() {
  const call = active;
  const path = here();
  if (!call || !callRunning(call) || hosts.size || !app?.user() || path === `call/${call.id}`) return;
  call.returnTo = path;
  app.navigate(`call/${call.id}`);
}

export function currentCall() {
  return active;
}

export function onCallChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function changed() {
  for (const fn of [...listeners]) fn(active);
}

function newCall(id, fields) {
  return {
    id, state: 'ringing', peer: null, role: 'caller', iceServers: [], localStream: null,
    remoteStream: null, publish: null, view: null, mediaError: '', returnTo: here(), ...fields,
  };
}

function setState(state) {
  if (!active) return;
  active.state = state;
  if (['ended', 'declined', 'missed', 'cancelled'].includes(state)) stopMedia();
  changed();
}

async function cameraAndMicrophone() {
  try {
    return await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
  } catch {
    // A missing microphone must not stop the picture.
    return navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  }
}

async function startMedia() {
  const call = active;
  if (!call || call.publish) return;
  try {
    call.localStream = call.localStream ?? await cameraAndMicrophone();
  } catch (e) {
    call.mediaError = t('media.camera_denied');
    changed();
    return;
  }
  call.publish = new MediaSession(signal, {
    kind: 'publish', stream: 'main', call: call.id, mediaStream: call.localStream,
    iceServers: call.iceServers, onState: () => changed(),
  });
  changed();
  try {
    await call.publish.start();
  } catch (e) {
    call.mediaError = readableSignalError(e);
    changed();
  }
  viewPeer();
}

async function viewPeer() {
  const call = active;
  if (!call || call.view || call.state !== 'accepted') return;
  const view = new MediaSession(signal, {
    kind: 'view', stream: 'main', call: call.id, source: call.peer?.id, iceServers: call.iceServers,
    onTrack: (stream) => { call.remoteStream = stream; changed(); },
    onState: () => changed(),
  });
  call.view = view;
  try {
    await view.start();
  } catch (e) {
    view.close();
    if (call.view === view) call.view = null;
    // no_publisher: the other side has not published yet; publisher_ready will come.
    if (e.code !== 'no_publisher') { call.mediaError = readableSignalError(e); changed(); }
  }
}

function stopMedia() {
  if (!active) return;
  active.publish?.close();
  active.view?.close();
  stopStream(active.localStream);
  active.publish = null;
  active.view = null;
  active.localStream = null;
  active.remoteStream = null;
}

// The officer rings a subject; resolves with the call id.
export async function startCall(subject) {
  if (active && ['ringing', 'accepted'].includes(active.state)) throw Object.assign(new Error('busy'), { code: 'busy' });
  const reply = await signal.request('call', { subject: subject.id });
  active = newCall(reply.call, { role: 'caller', peer: subject, iceServers: reply.ice_servers ?? [], recording: reply.recording !== false });
  changed();
  return reply.call;
}

export async function hangUp() {
  if (!active) return;
  const id = active.id;
  const ringing = active.state === 'ringing';
  try {
    await signal.request('call_end', { call: id });
  } catch (e) {
    if (e.code !== 'not_found' && e.code !== 'bad_request') toast(readableSignalError(e), 'error');
  }
  if (active?.id === id) setState(ringing ? 'cancelled' : 'ended');
}

function ring(msg) {
  const dialog = document.getElementById('incoming-call');
  active = newCall(msg.call, { role: 'callee', peer: msg.from, iceServers: msg.ice_servers ?? [], recording: msg.recording !== false });
  changed();
  document.getElementById('incoming-call-from').textContent = t('call.from', { name: msg.from?.name ?? '' });
  const deadline = Date.now() + (msg.ring_seconds ?? 30) * 1000;
  const countdown = document.getElementById('incoming-call-countdown');
  const tick = () => {
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    countdown.textContent = t('call.ring_left', { seconds: left });
    if (left === 0) closeRing();
  };
  clearInterval(ringTimer);
  ringTimer = setInterval(tick, 1000);
  tick();
  if (!dialog.open) dialog.showModal();
  document.getElementById('call-accept').focus();
}

function closeRing() {
  clearInterval(ringTimer);
  const dialog = document.getElementById('incoming-call');
  if (dialog.open) dialog.close();
}

async function answer(accept) {
  const call = active;
  closeRing();
  if (!call || call.state !== 'ringing') return;
  try {
    if (accept) {
      const reply = await signal.request('call_accept', { call: call.id });
      call.iceServers = reply.ice_servers ?? call.iceServers;
      if (typeof reply.recording === 'boolean') call.recording = reply.recording;
      setState('accepted');
      // Elsewhere the call page shows the call and brings the subject back afterwards.
      if (!hosts.size) {
        call.returnTo = here();
        app.navigate(`call/${call.id}`);
      }
      startMedia();
    } else {
      await signal.request('call_decline', { call: call.id });
      setState('declined');
    }
  } catch (e) {
    toast(readableSignalError(e), 'error');
    setState('ended');
  }
}

export function installCalls(sig, appHooks) {
  // A new sign-in: a call of the previous session ended with its socket.
  if (active) {
    stopMedia();
    active = null;
  }
  signal = sig;
  app = appHooks;
  document.getElementById('call-accept').onclick = () => answer(true);
  document.getElementById('call-decline').onclick = () => answer(false);
  document.getElementById('incoming-call').addEventListener('cancel', (e) => { e.preventDefault(); answer(false); });
  signal.on('incoming_call', ring);
  signal.on('call_state', (msg) => {
    if (!active || active.id !== msg.call) return;
    if (msg.state === 'accepted') {
      if (active.role === 'caller') { setState('accepted'); startMedia(); }
      return;
    }
    closeRing();
    setState(msg.state);
  });
  signal.on('publisher_ready', (msg) => {
    if (active && msg.call === active.id && msg.source !== app.user()?.id) viewPeer();
  });
  signal.on('publisher_left', (msg) => {
    if (!active || msg.call !== active.id || msg.source === app.user()?.id) return;
    active.view?.close();
    active.view = null;
    active.remoteStream = null;
    changed();
  });
  signal.on('ready', ({ reconnected }) => {
    // The socket's media sessions died with it: publish and view again.
    if (!reconnected || !active || active.state !== 'accepted') return;
    active.publish?.close();
    active.view?.close();
    active.publish = null;
    active.view = null;
    startMedia();
  });
}
