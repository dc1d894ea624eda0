// The WebSocket connection of this tab (docs/protocol.md): requests with ids and promised
// replies, server pushes as events, a heartbeat, and reconnection with exponential backoff
// and jitter after any drop. After a reconnect it authenticates again and emits 'ready' with
// {reconnected: true}; pages then rejoin their class and restart their media, because the
// server ends a socket's media sessions and class membership when the socket closes.

export class SignalError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const minDelayMs = 500;
const maxDelayMs = 15000;
const requestTimeoutMs = 15000;

export class Signal {
  constructor(tokenProvider) {
    this.tokenProvider = tokenProvider;
    this.ws = null;
    this.nextId = 1;
    this.pending = new Map();
    this.handlers = new Map();
    this.state = 'offline';
    this.attempt = 0;
    this.everReady = false;
    this.stopped = true;
    this.reconnectTimer = null;
    this.heartbeatTimer = null;
    this.heartbeatSeconds = 10;
    this.user = null;
    this.onOnline = () => this.reconnectNow();
  }

  // on('chat', fn) for pushes; also 'state' (new state), 'ready' ({reconnected}),
  // 'auth_failed' (the token is no longer accepted). Returns an unsubscribe function.
  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(fn);
    return () => this.handlers.get(type)?.delete(fn);
  }

  emit(type, payload) {
    for (const fn of [...(this.handlers.get(type) ?? [])]) {
      try { fn(payload); } catch (e) { console.error(`handler for ${type} failed`, e); }
    }
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeatTimer);
    if (this.ws) this.ws.close(1000, 'signed out');
    this.ws = null;
    this.failPending('disconnected');
    this.setState('offline');
  }

  connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    this.setState(this.everReady ? 'reconnecting' : 'connecting');
    let ws;
    try {
      ws = new WebSocket(`${scheme}://${location.host}/ws`, 'vigil.v1');
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => this.authenticate(ws);
    ws.onmessage = (event) => this.receive(event.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.heartbeatTimer);
      this.failPending('disconnected');
      if (!this.stopped) this.scheduleReconnect();
    };
  }

  async authenticate(ws) {
    try {
      const reply = await this.request('auth', { token: this.tokenProvider() ?? '' });
      if (this.ws !== ws) return;
      this.user = reply.user;
      this.attempt = 0;
      const reconnected = this.everReady;
      this.everReady = true;
      this.setState('connected');
      this.startHeartbeat();
      this.emit('ready', { reconnected });
    } catch (e) {
      if (e.code === 'unauthenticated' || e.code === 'forbidden') {
        this.stop();
        this.emit('auth_failed', e);
      }
      // Anything else: the socket closed meanwhile and will be retried.
    }
  }

  scheduleReconnect() {
    this.setState('reconnecting');
    clearTimeout(this.reconnectTimer);
    const base = Math.min(maxDelayMs, minDelayMs * 2 ** this.attempt);
    this.attempt += 1;
    const delay = base / 2 + Math.random() * (base / 2);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  reconnectNow() {
    if (this.stopped || this.state === 'connected') return;
    clearTimeout(this.reconnectTimer);
    this.attempt = 0;
    if (!this.ws) this.connect();
  }

  startHeartbeat() {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => {
      this.request('heartbeat').catch((e) => {
        if (e.code === 'not_found') this.emit('left_class', e);
      });
    }, this.heartbeatSeconds * 1000);
  }

  setHeartbeatInterval(seconds) {
    if (seconds > 0 && seconds !== this.heartbeatSeconds) {
      this.heartbeatSeconds = seconds;
      if (this.state === 'connected') this.startHeartbeat();
    }
  }

  failPending(code) {
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(new SignalError(code, 'the connection to the server was lost'));
    }
    this.pending.clear();
  }

  // Sends one request and resolves with the `ok` reply; rejects with SignalError(code).
  request(type, fields = {}) {
    return new Promise((resolve, reject) => {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) {
        reject(new SignalError('disconnected', 'not connected to the server'));
        return;
      }
      const id = `r${this.nextId++}`;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SignalError('timeout', 'the server did not answer in time'));
      }, requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ ...fields, type, id }));
    });
  }

  receive(text) {
    let message;
    try { message = JSON.parse(text); } catch { return; }
    if (!message || typeof message !== 'object') return;
    if ((message.type === 'ok' || message.type === 'error') && message.re !== undefined) {
      const waiting = this.pending.get(message.re);
      if (waiting) {
        this.pending.delete(message.re);
        clearTimeout(waiting.timer);
        if (message.type === 'ok') waiting.resolve(message);
        else waiting.reject(new SignalError(message.code, message.message));
        return;
      }
      if (message.type === 'error') this.emit('server_error', message);
      return;
    }
    this.emit(message.type, message);
  }
}
