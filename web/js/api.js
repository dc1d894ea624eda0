// The REST API (docs/api.md): JSON with a Bearer token. Errors become ApiError with the
// server's stable code; `readableError` turns any failure into a sentence for people.
import { t, has } from './i18n.js';

const tokenKey = 'vigil.token';
const userKey = 'vigil.user';
const expiredListeners = new Set();

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const session = {
  get token() { return sessionStorage.getItem(tokenKey); },
  get user() {
    const text = sessionStorage.getItem(userKey);
    try { return text ? JSON.parse(text) : null; } catch { return null; }
  },
  save(token, user) {
    sessionStorage.setItem(tokenKey, token);
    sessionStorage.setItem(userKey, JSON.stringify(user));
  },
  clear() {
    sessionStorage.removeItem(tokenKey);
    sessionStorage.removeItem(userKey);
  },
};

// Called when the server no longer accepts the token (expired, logged out, account locked).
export function onSessionExpired(fn) {
  expiredListeners.add(fn);
}

function sessionExpired() {
  session.clear();
  for (const fn of expiredListeners) fn();
}

async function errorFrom(response) {
  let code = 'http_' + response.status;
  let message = '';
  try {
    const body = await response.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || '';
    }
  } catch { /* not JSON: keep the status */ }
  const error = new ApiError(response.status, code, message);
  // Seconds to wait before trying again (a throttled sign-in, a busy server).
  const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
  if (retryAfter > 0) error.retryAfter = retryAfter;
  return error;
}

// request('GET', '/api/classes', {query: {from}, body, raw}) → parsed JSON (or the Response
// with raw: true). Throws ApiError; a network failure is code 'network'.
export async function request(method, path, options = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(options.query ?? {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  }
  const headers = {};
  if (session.token && !options.anonymous) headers.Authorization = `Bearer ${session.token}`;
  let body;
  if (options.body instanceof Blob) {
    body = options.body;
    headers['Content-Type'] = options.body.type || 'application/octet-stream';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(url, { method, headers, body });
  } catch (e) {
    throw new ApiError(0, 'network', e.message);
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && session.token && !options.anonymous) sessionExpired();
    throw error;
  }
  if (options.raw) return response;
  return response.json();
}

export const get = (path, query) => request('GET', path, { query });
export const post = (path, body, query) => request('POST', path, { body, query });
export const del = (path) => request('DELETE', path);

// A sentence for people: the translation of the stable code when there is one, else the
// server's own message (always a sentence), else a generic text. Never raw JSON or a stack.
export function readableError(error) {
  const code = error?.code;
  if (code && has(`error.${code}`)) {
    // Over HTTP, rate_limited with Retry-After is a throttled sign-in, and busy (503) a server
    // refusing more password checks for now; over the WebSocket they mean other things.
    if (code === 'rate_limited' && error.retryAfter) {
      return t('error.login_throttled', { seconds: error.retryAfter });
    }
    if (code === 'busy' && error.status === 503) return t('error.server_busy');
    return t(`error.${code}`);
  }
  if (error instanceof ApiError && error.message && !/^[[{]/.test(error.message.trim())) {
    return t('error.server_said', { message: error.message });
  }
  if (error?.status) return t('error.http', { status: error.status });
  return t('error.unexpected');
}
