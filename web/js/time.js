// Dates and times as the agency keeps them. Every page shows them in the agency's time zone
// (attendance.utc_offset, from GET /api/clock), whatever zone the browser is in, and "today"
// means today there: a class at 09:00 Beijing time reads 09:00 on a laptop set to another
// zone. The zone is a fixed offset, so a time is shifted by it and formatted as UTC.
import { language } from './i18n.js';
import { pad2 } from './dom.js';

const minuteMs = 60000;
const dayMs = 86400000;
const locales = { 'zh-CN': 'zh-CN', en: 'en-GB' };

// Minutes east of UTC; until the server has answered, the browser's own offset.
let offsetMinutes = null;

export function utcOffsetMinutes() {
  return offsetMinutes ?? -new Date().getTimezoneOffset();
}

// Learns the offset from the server (once; a failed attempt is tried again on the next call).
export async function loadClock() {
  if (offsetMinutes !== null) return;
  try {
    const response = await fetch('/api/clock');
    const body = response.ok ? await response.json() : null;
    if (Number.isInteger(body?.utc_offset_minutes)) offsetMinutes = body.utc_offset_minutes;
  } catch { /* the browser's offset until the next attempt */ }
}

// Milliseconds since the epoch of a time in ms, ISO 8601 or a Date; null when it is none.
function toMillis(value) {
  if (value === null || value === undefined || value === '') return null;
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

// A Date whose UTC fields are the agency's wall-clock fields of `ms`.
function wallClock(ms) {
  return new Date(ms + utcOffsetMinutes() * minuteMs);
}

function format(value, options) {
  const ms = toMillis(value);
  if (ms === null) return value === null || value === undefined || value === '' ? '—' : String(value);
  return wallClock(ms).toLocaleString(locales[language()] ?? 'en-GB', { ...options, timeZone: 'UTC' });
}

export function formatDateTime(value) {
  return format(value, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatDate(value) {
  return format(value, { dateStyle: 'medium' });
}

// Hours, minutes and seconds.
export function formatTime(value) {
  return format(value, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
}

// Hours and minutes.
export function formatHourMinute(value) {
  return format(value, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
}

// "YYYY-MM-DDTHH:MM" for <input type=datetime-local>, in the agency's zone.
export function dateTimeInputValue(value) {
  const d = wallClock(toMillis(value) ?? Date.now());
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
}

// "YYYY-MM-DD" for <input type=date>, in the agency's zone.
export function dateInputValue(value) {
  return dateTimeInputValue(value).slice(0, 10);
}

// The time of a datetime-local or date input's value read in the agency's zone; NaN if bad.
export function parseInputValue(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/.exec(text ?? '');
  if (!m) return NaN;
  const utc = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0));
  return utc - utcOffsetMinutes() * minuteMs;
}

// Midnight (ms) starting the agency's day that contains `value` (default now).
export function startOfDay(value = Date.now()) {
  const local = (toMillis(value) ?? Date.now()) + utcOffsetMinutes() * minuteMs;
  return local - (((local % dayMs) + dayMs) % dayMs) - utcOffsetMinutes() * minuteMs;
}

// The agency's today as [start, end) in ms.
export function today() {
  const start = startOfDay();
  return { start, end: start + dayMs };
}

export function isToday(value) {
  const ms = toMillis(value);
  const { start, end } = today();
  return ms !== null && ms >= start && ms < end;
}

// "YYYY-MM-DD" of today plus `days` in the agency's zone.
export function daysFromToday(days) {
  return dateInputValue(startOfDay() + days * dayMs);
}

// "YYYY-MM" of the agency's current month.
export function thisMonth() {
  return daysFromToday(0).slice(0, 7);
}
