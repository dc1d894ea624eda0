// WebRTC media sessions with the server's media role (docs/protocol.md, "Media").
// A publish session sends local tracks (the browser offers); a view session receives one
// publisher's stream (the server offers). Both trickle ICE through the signal connection.
// Recovery: a view session whose transport fails asks for `ice_restart` and answers the new
// offer on a fresh RTCPeerConnection; a publish session offers again. Sessions whose socket
// dropped are gone on the server: the page re-creates them after the signal reconnects.

const sessions = new Set();
const earlyIce = new Map(); // session id → candidates that arrived before the reply

let signalBound = null;

function bindSignal(signal) {
  if (signalBound === signal) return;
  signalBound = signal;
  signal.on('ice', (msg) => {
    for (const s of sessions) if (s.id === msg.session) { s.remoteCandidate(msg); return; }
    if (!earlyIce.has(msg.session)) earlyIce.set(msg.session, []);
    earlyIce.get(msg.session).push(msg);
    setTimeout(() => earlyIce.delete(msg.session), 10000);
  });
  signal.on('media_error', (msg) => {
    for (const s of sessions) if (s.id === msg.session) s.failed(msg.code);
  });
}

// For the browser tests and support: the live peer connections of this tab.
window.vigilDebug = {
  peers: () => [...sessions].filter((s) => s.pc).map((s) => ({
    pc: s.pc, kind: s.kind, source: s.source, stream: s.stream, session: s.id, call: s.call, checkin: s.checkin,
  })),
};

export class MediaSession {
  // options: {kind: 'publish'|'view', stream, source, call, checkin, mediaStream, iceServers,
  //           onTrack(MediaStream), onState(state), label: for 'call' | 'class'}
  // `checkin`: a self-service check-in's id; its camera is published to that check-in.
  constructor(signal, options) {
    bindSignal(signal);
    this.signal = signal;
    this.kind = options.kind;
    this.stream = options.stream ?? 'main';
    this.source = options.source ?? '';
    this.call = options.call;
    this.checkin = options.checkin;
    this.mediaStream = options.mediaStream;
    this.iceServers = options.iceServers ?? [];
    this.onTrack = options.onTrack ?? (() => {});
    this.onState = options.onState ?? (() => {});
    this.id = null;
    this.pc = null;
    this.closed = false;
    this.localCandidates = [];
    this.retries = 0;
    this.retryTimer = null;
    this.disconnectTimer = null;
    sessions.add(this);
  }

  newPeer() {
    if (this.pc) this.pc.close();
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    this.pc = pc;
    this.localCandidates = [];
    pc.onicecandidate = (event) => {
      if (this.pc !== pc) return;
      const c = event.candidate;
      const msg = { candidate: c ? c.candidate : '', sdpMLineIndex: c?.sdpMLineIndex ?? 0 };
      if (this.id) this.sendCandidate(msg);
      else this.localCandidates.push(msg);
    };
    pc.onconnectionstatechange = () => this.watchConnection(pc);
    pc.ontrack = (event) => {
      const stream = event.streams[0] ?? new MediaStream([event.track]);
      this.onTrack(stream);
    };
    return pc;
  }

  sendCandidate(msg) {
    this.signal.request('ice', { session: this.id, candidate: msg.candidate, sdpMLineIndex: msg.sdpMLineIndex })
      .catch(() => { /* a lost candidate is recovered by the restart logic */ });
  }

  remoteCandidate(msg) {
    if (!this.pc || !msg.candidate) return;
    this.pc.addIceCandidate({ candidate: msg.candidate, sdpMLineIndex: msg.sdpMLineIndex ?? 0 })
      .catch((e) => console.warn('ICE candidate refused', e));
  }

  adopt(sessionId) {
    this.id = sessionId;
    for (const msg of this.localCandidates) this.sendCandidate(msg);
    this.localCandidates = [];
    for (const msg of earlyIce.get(sessionId) ?? []) this.remoteCandidate(msg);
    earlyIce.delete(sessionId);
  }

  async start() {
    this.onState('connecting');
    if (this.kind === 'publish') await this.publish();
    else await this.view();
    this.retries = 0;
  }

  async publish() {
    const pc = this.newPeer();
    for (const track of this.mediaStream.getTracks()) {
      pc.addTransceiver(track, { direction: 'sendonly', streams: [this.mediaStream] });
    }
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const fields = { sdp: pc.localDescription.sdp, stream: this.stream };
    if (this.call) fields.call = this.call;
    if (this.checkin) fields.checkin = this.checkin;
    const reply = await this.signal.request('offer', fields);
    if (this.closed) { this.release(reply.session); return; }
    this.adopt(reply.session);
    await pc.setRemoteDescription({ type: 'answer', sdp: reply.sdp });
  }

  async view() {
    const fields = { stream: this.stream };
    if (this.source) fields.source = this.source;
    if (this.call) fields.call = this.call;
    const pc = this.newPeer();
    const reply = await this.signal.request('subscribe', fields);
    if (this.closed) { this.release(reply.session); return; }
    this.adopt(reply.session);
    await this.answer(pc, reply.sdp);
  }

  async answer(pc, sdp) {
    await pc.setRemoteDescription({ type: 'offer', sdp });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    await this.signal.request('answer', { session: this.id, sdp: pc.localDescription.sdp });
  }

  release(sessionId) {
    this.signal.request('stop_media', { session: sessionId }).catch(() => {});
  }

  watchConnection(pc) {
    if (this.pc !== pc || this.closed) return;
    const state = pc.connectionState;
    clearTimeout(this.disconnectTimer);
    if (state === 'connected') {
      this.retries = 0;
      this.onState('live');
    } else if (state === 'failed') {
      this.recover();
    } else if (state === 'disconnected') {
      // Often a short network blip that heals by itself; restart if it does not.
      this.onState('interrupted');
      this.disconnectTimer = setTimeout(() => {
        if (this.pc === pc && pc.connectionState === 'disconnected') this.recover();
      }, 4000);
    }
  }

  failed(code) {
    // The server ended the session (media_error): start over.
    this.id = null;
    this.recover(code);
  }

  // Restarts the transport with backoff: ICE restart for a view, a new offer for a publish.
  recover() {
    if (this.closed || this.retryTimer) return;
    this.onState('recovering');
    const delay = Math.min(10000, 500 * 2 ** this.retries);
    this.retries += 1;
    this.retryTimer = setTimeout(async () => {
      this.retryTimer = null;
      if (this.closed || this.signal.state !== 'connected') return; // page restarts after reconnect
      try {
        if (this.kind === 'view' && this.id) {
          const reply = await this.signal.request('ice_restart', { session: this.id });
          const pc = this.newPeer();
          this.adopt(reply.session);
          await this.answer(pc, reply.sdp);
        } else {
          if (this.id) this.release(this.id);
          this.id = null;
          await this.start();
        }
      } catch (e) {
        console.warn('media recovery failed', e);
        if (e.code === 'unknown_session') this.id = null;
        if (e.code !== 'no_publisher') this.recover();
        else this.onState('waiting');
      }
    }, delay);
  }

  // Replaces the outgoing video track (camera ↔ screen) without renegotiating.
  async replaceVideo(track) {
    const sender = this.pc?.getSenders().find((s) => s.track?.kind === 'video');
    if (sender) await sender.replaceTrack(track);
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.disconnectTimer);
    sessions.delete(this);
    if (this.id && this.signal.state === 'connected') this.release(this.id);
    if (this.pc) this.pc.close();
    this.pc = null;
    this.onState('closed');
  }
}

// Frames decoded by the inbound video of a peer connection (0 when none yet).
export async function framesDecoded(pc) {
  if (!pc) return 0;
  const stats = await pc.getStats();
  let frames = 0;
  stats.forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') frames += r.framesDecoded ?? 0; });
  return frames;
}

export function stopStream(stream) {
  stream?.getTracks().forEach((track) => track.stop());
}

// Puts a stream into a <video>; tries sound first and falls back to muted playback (browsers
// refuse autoplay with sound without a gesture), reporting whether sound is on.
export async function attach(video, stream, { muted = false } = {}) {
  if (video.srcObject !== stream) video.srcObject = stream;
  video.muted = muted;
  try {
    await video.play();
    return !muted;
  } catch {
    video.muted = true;
    try { await video.play(); } catch { /* shown as paused */ }
    return false;
  }
}

// Grabs the current picture of a <video> as a JPEG blob (a face reference from a live camera).
export function snapshot(video) {
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d').drawImage(video, 0, 0);
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.92));
}
