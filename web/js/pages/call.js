// A supervision call, for both parties: the other side's video large, one's own small, the
// call's state, a recording indicator and hang-up. Officers can also take the subject's face
// reference from the call picture. The call itself lives in calls.js and survives navigation.
// Two ways to show it: this page (#/call/ID), which brings the user back to where the call
// was placed or answered when it ends; and callOverlay(), which live pages (the officer's
// console, the subject's classroom) put over themselves so that their class media go on.
import { h, clear, toast } from '../dom.js';
import { t } from '../i18n.js';
import { post, readableError } from '../api.js';
import { currentCall, onCallChange, hangUp, hostCalls, callRunning } from '../calls.js';
import { attach, snapshot } from '../rtc.js';

const finalStates = ['ended', 'declined', 'missed', 'cancelled'];

// The state as the parties read it: an accepted call connects until the other side's video
// comes; a cancelled call has simply ended.
function uiStateOf(call) {
  if (call.state === 'accepted') return call.remoteStream ? 'active' : 'connecting';
  return call.state === 'cancelled' ? 'ended' : call.state;
}

// Tells the user how the call ended, once the view showing it is gone.
function toastEnd(call) {
  toast(t(`call.state_${uiStateOf(call)}`));
}

// Builds the view of call `callId` into `container` and keeps it current. `onEnd(call)` runs
// once, after the call reaches a final state. Returns the function that detaches the view.
function mountCallView(container, ctx, { callId, heading = 'h1', onEnd }) {
  const remote = h('video', { id: 'remote-video', playsInline: true, autoplay: true, i18nAttr: { 'aria-label': 'call.remote_video' } });
  const local = h('video', { id: 'local-video', playsInline: true, autoplay: true, muted: true, i18nAttr: { 'aria-label': 'call.local_video' } });
  const waiting = h('p', { class: 'video-placeholder', i18n: 'call.waiting_video' });
  const state = h('p', { id: 'call-state', dataset: { state: 'ringing' }, role: 'status', 'aria-live': 'polite' });
  const recording = h('p', { id: 'recording-indicator', class: 'recording', hidden: true },
    h('span', { class: 'dot', 'aria-hidden': 'true' }), h('span', { i18n: 'call.recording' }));
  const hangup = h('button', { type: 'button', id: 'call-hangup', class: 'danger', i18n: 'call.hangup', on: { click: () => hangUp() } });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const capture = ctx.user.role !== 'subject'
    ? h('button', { type: 'button', id: 'capture-reference', i18n: 'call.capture_reference', on: { click: captureReference } })
    : null;
  const captureVerdict = h('p', { id: 'capture-verdict', role: 'status' });
  const peerName = h(heading, { id: 'call-title', i18n: 'call.title' });

  container.append(h('div', { class: 'class-head' }, peerName, recording),
    state, error,
    h('div', { class: 'call-stage' },
      h('div', { class: 'video-box' }, remote, waiting),
      h('div', { class: 'video-box pip' }, local)),
    h('div', { class: 'actions' }, hangup, capture), captureVerdict);

  async function captureReference() {
    const call = currentCall();
    if (!call || !remote.videoWidth) return;
    capture.disabled = true;
    try {
      const blob = await snapshot(remote);
      const reply = await post(`/api/subjects/${encodeURIComponent(call.peer.id)}/references`, blob, { source: 'call', call: call.id });
      captureVerdict.className = 'ok';
      captureVerdict.textContent = t('reference.accepted', { face: reply.reference?.face_px ?? '?', sharpness: Math.round(reply.reference?.sharpness ?? 0) });
    } catch (e) {
      captureVerdict.className = 'error';
      captureVerdict.textContent = readableError(e);
    } finally {
      capture.disabled = false;
    }
  }

  let shownRemote = null;
  let shownLocal = null;
  let ended = false;
  function show(call) {
    if (ended || !call || call.id !== callId) return;
    if (call.peer?.name) {
      peerName.dataset.i18n = 'call.with';
      peerName.dataset.i18nArgs = JSON.stringify({ name: call.peer.name });
      peerName.textContent = t('call.with', { name: call.peer.name });
    }
    const uiState = uiStateOf(call);
    state.dataset.state = uiState;
    state.dataset.i18n = `call.state_${uiState}`;
    state.textContent = t(state.dataset.i18n);
    // The server says whether it records the call; both parties are told when it does.
    recording.hidden = call.state !== 'accepted' || !call.recording;
    hangup.disabled = !['ringing', 'accepted'].includes(call.state);
    error.hidden = !call.mediaError;
    error.textContent = call.mediaError;
    if (call.remoteStream !== shownRemote) {
      shownRemote = call.remoteStream;
      if (shownRemote) attach(remote, shownRemote);
      else remote.srcObject = null;
      waiting.hidden = !!shownRemote;
    }
    if (call.localStream !== shownLocal) {
      shownLocal = call.localStream;
      if (shownLocal) attach(local, shownLocal, { muted: true });
      else local.srcObject = null;
    }
    if (capture) capture.disabled = !shownRemote;
    if (finalStates.includes(call.state)) {
      ended = true;
      // Not from inside the change notification that is still being delivered.
      queueMicrotask(() => onEnd(call));
    }
  }

  const off = onCallChange(show);
  show(currentCall());
  hangup.focus();
  return () => {
    off();
    remote.srcObject = null;
    local.srcObject = null;
  };
}

// The route a call goes back to: where it was placed or answered; home when that is unknown.
function returnRoute(call) {
  const back = call?.returnTo ?? '';
  return back.startsWith('call/') ? '' : back;
}

// A call shown over a live page, which keeps its own media running underneath. It opens for
// the call this tab places or accepts while the page is shown, and closes when the call ends,
// leaving the user where they were. `onActive(inCall)` tells the page when a call starts and
// ends here (the console mutes the class microphone, the classroom the teacher's sound).
// `modal`: the subject's classroom covers the class; the console stays usable beside it.
// `note`: a text key shown under the call (what happens to the class meanwhile).
export function callOverlay(ctx, { modal = false, note = null, onActive = () => {} } = {}) {
  const dialog = h('dialog', { id: 'call-overlay', class: modal ? 'call-overlay' : 'call-overlay docked', 'aria-labelledby': 'call-title' });
  // Escape must not hide a call that goes on: hang up to end it.
  dialog.addEventListener('cancel', (e) => e.preventDefault());
  const releaseHost = hostCalls();
  let unmount = null;

  let closed = false;
  function update(call) {
    if (closed || unmount || !call || !callRunning(call)) return;
    unmount = mountCallView(dialog, ctx, { callId: call.id, heading: 'h2', onEnd: finish });
    if (note) dialog.append(h('p', { class: 'muted small', id: 'call-note', i18n: note }));
    if (!dialog.open) {
      if (modal) dialog.showModal();
      else dialog.show();
    }
    onActive(true);
  }

  function finish(call) {
    if (!unmount) return;
    unmount();
    unmount = null;
    clear(dialog);
    if (dialog.open) dialog.close();
    onActive(false);
    toastEnd(call);
  }

  const off = onCallChange(update);
  // A call already running when the page opens: shown once the page has put `element` in place.
  queueMicrotask(() => update(currentCall()));
  return {
    element: dialog,
    close() {
      closed = true;
      off();
      releaseHost();
      if (unmount) { unmount(); unmount = null; }
      if (dialog.open) dialog.close();
    },
  };
}

export default {
  title: 'call.title',
  live: true,
  render(view, ctx) {
    const callId = ctx.params.id;
    const call = currentCall();
    // Never a page that waits for video that will not come: a call that is over (or that this
    // tab does not have, after a reload) sends the user back.
    const leave = (c) => setTimeout(() => ctx.navigate(returnRoute(c)));
    if (!call || call.id !== callId) {
      toast(t('call.none'));
      leave(null);
      return undefined;
    }
    return mountCallView(view, ctx, {
      callId,
      onEnd: (c) => { toastEnd(c); leave(c); },
    });
  },
};
