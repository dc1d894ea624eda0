// Pieces shared by the administrator pages: error boxes, org-unit selects, date ranges,
// the Chart.js check, outcome colours and a few number formats.
import { h, clear, localDateValue, pad2 } from '../dom.js';
import { get, readableError } from '../api.js';
import { t, formatNumber } from '../i18n.js';

// A role=alert paragraph that stays hidden until there is something to say.
export function alertBox(id) {
  return h('p', { id, class: 'error admin-error', role: 'alert', hidden: true });
}

export function showError(box, error) {
  box.textContent = typeof error === 'string' ? error : readableError(error);
  box.hidden = false;
}

export function hideError(box) {
  box.textContent = '';
  box.hidden = true;
}

// True when the server answered that the path itself does not exist (an endpoint this
// server does not have yet), as opposed to a missing record.
export function isMissingEndpoint(error) {
  return error?.status === 404 && (!error.message || /no such resource/i.test(error.message));
}

// The page frame: a heading and an optional intro line.
export function pageFrame(titleKey, introKey) {
  return h('section', { class: 'admin-page' },
    h('h1', { i18n: titleKey }),
    introKey ? h('p', { class: 'muted admin-intro', i18n: introKey }) : null);
}

export function loadingLine() {
  return h('p', { class: 'muted admin-loading', role: 'status', i18n: 'admin.loading' });
}

// Units in depth-first order with their depth; roots are units whose parent is not listed.
export function unitOrder(units) {
  const ids = new Set(units.map((u) => u.id));
  const children = new Map();
  for (const u of units) {
    const parent = ids.has(u.parent) ? u.parent : '';
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(u);
  }
  for (const list of children.values()) list.sort((a, b) => a.id.localeCompare(b.id));
  const out = [];
  const seen = new Set();
  const walk = (parent, depth) => {
    for (const u of children.get(parent) ?? []) {
      if (seen.has(u.id)) continue;
      seen.add(u.id);
      out.push({ unit: u, depth });
      walk(u.id, depth + 1);
    }
  };
  walk('', 0);
  return out;
}

// Children of each unit id ("" for roots), as a Map id → [unit].
export function unitChildren(units) {
  const ids = new Set(units.map((u) => u.id));
  const children = new Map();
  for (const u of units) {
    const parent = ids.has(u.parent) ? u.parent : '';
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(u);
  }
  for (const list of children.values()) list.sort((a, b) => a.id.localeCompare(b.id));
  return children;
}

// True when unit `id` is `ancestor` or below it.
export function isWithin(units, id, ancestor) {
  if (!ancestor) return true;
  const parent = new Map(units.map((u) => [u.id, u.parent]));
  let cur = id;
  for (let i = 0; cur && i < 64; i += 1) {
    if (cur === ancestor) return true;
    cur = parent.get(cur);
  }
  return false;
}

// Fills a <select> with the units, indented by depth; keeps `selected` when present.
export function fillUnitSelect(select, units, selected, allKey) {
  const options = [];
  if (allKey) options.push(h('option', { value: '', i18n: allKey }));
  for (const { unit, depth } of unitOrder(units)) {
    options.push(h('option', { value: unit.id, text: `${'\u3000'.repeat(depth)}${unit.name}` }));
  }
  clear(select, options);
  if (selected !== undefined && [...select.options].some((o) => o.value === selected)) select.value = selected;
}

export async function loadUnits() {
  const reply = await get('/api/units');
  return reply.units ?? [];
}

// Users by id (name lookups for officers, participants, audit actors); empty on failure.
export async function loadUserMap(signal) {
  try {
    const reply = await get('/api/users');
    if (signal?.aborted) return new Map();
    return new Map((reply.users ?? []).map((u) => [u.id, u]));
  } catch {
    return new Map();
  }
}

export function userLabel(map, id) {
  if (!id) return '—';
  const u = map.get(id);
  return u ? `${u.name}（${u.username}）` : id;
}

// Date helpers for <input type=date|month>.
export function daysFromToday(days) {
  const d = new Date();
  d.setDate(d.getDate() + days);
  return localDateValue(d);
}

export function thisMonth() {
  const d = new Date();
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}`;
}

// First and last day (YYYY-MM-DD) of a month "YYYY-MM"; `to` as a date means its whole day.
export function monthDates(month) {
  const [y, m] = month.split('-').map(Number);
  const last = new Date(y, m, 0).getDate();
  return { from: `${month}-01`, to: `${month}-${pad2(last)}` };
}

export function isMonth(value) {
  return /^\d{4}-(0[1-9]|1[0-2])$/.test(value ?? '');
}

export function isDate(value) {
  return /^\d{4}-\d{2}-\d{2}$/.test(value ?? '');
}

// Chart.js is a classic script loaded by index.html; absent when it failed to load.
export function chartLibrary() {
  return typeof window.Chart === 'function' ? window.Chart : null;
}

export const outcomeColours = {
  verified: '#2e7d32',
  not_matched: '#c62828',
  no_face: '#8a8a8a',
  camera_off: '#ef6c00',
  several_faces: '#7b1fa2',
  poor_image: '#b8860b',
};

export const outcomes = Object.keys(outcomeColours);

export function outcomeLabel(outcome) {
  if (!outcome) return '—';
  const key = `admin.outcome.${outcome}`;
  const text = t(key);
  return text === key ? outcome : text;
}

// An outcome as a small coloured badge with its text (colour is never the only cue).
export function outcomeBadge(outcome) {
  if (!outcome) return h('span', { class: 'muted', text: '—' });
  return h('span', { class: 'outcome-badge', dataset: { outcome }, text: outcomeLabel(outcome) });
}

export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  return hh > 0 ? `${hh}:${pad2(mm)}:${pad2(ss)}` : `${mm}:${pad2(ss)}`;
}

export function formatBytes(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return `${formatNumber(v, v < 10 ? 1 : 0)} ${units[i]}`;
}

// Runs `fn` over `items` with at most `limit` at a time; results in item order.
export async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next;
      next += 1;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// A number cell, right-aligned.
export function num(value, digits = 0) {
  return h('td', { class: 'num', text: value === null || value === undefined ? '—' : formatNumber(value, digits) });
}

export function cell(content, cls) {
  return h('td', { class: cls ?? null }, content);
}

// A row saying the table is empty, spanning all columns.
export function emptyRow(columns, key = 'admin.empty') {
  return h('tr', { class: 'empty' }, h('td', { colspan: String(columns), class: 'muted', i18n: key }));
}
