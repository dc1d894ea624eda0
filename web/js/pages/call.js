// A supervision call, for both parties: the other side's video large, one's own small, the
// call's state, a recording indicator and hang-up. Officers can also take the subject's face
// reference from the call picture. The call itself lives in calls.js and survives navigation.
import { h, toast } from '../dom.js';
import { t } from '../i18n.js';
import { post, readableError } from '../api.js';
import { currentCall, onCallChange, hangUp } from '../calls.js';
import { attach } from '../rtc.js';

// Grabs the current picture of a <video> as a JPEG blob.
function snapshot(video) {
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d').drawImage(video, 0, 0);
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.92));
}

export default {
  title: 'call.title',
  live: true,
  render(view, ctx) {
    const callId = ctx.params.id;
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
    const peerName = h('h1', { i18n: 'call.title' });

    view.append(h('div', { class: 'class-head' }, peerName, recording),
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
    function show(call) {
      if (!call || call.id !== callId) {
        state.dataset.state = 'ended';
        state.textContent = t('call.none');
        hangup.disabled = true;
        return;
      }
      if (call.peer?.name) {
        peerName.dataset.i18n = 'call.with';
        peerName.dataset.i18nArgs = JSON.stringify({ name: call.peer.name });
        peerName.textContent = t('call.with', { name: call.peer.name });
      }
      const uiState = call.state === 'accepted'
        ? (call.remoteStream ? 'active' : 'connecting')
        : call.state === 'cancelled' ? 'ended' : call.state;
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
    }

    const off = onCallChange(show);
    show(currentCall());
    hangup.focus();
    return () => off();
  },
};
