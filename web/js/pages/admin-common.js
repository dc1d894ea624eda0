// Pieces shared by the administrator pages: error boxes, org-unit selects, date ranges,
// the Chart.js check, outcome colours and a few number formats.
import { h, clear, pad2 } from '../dom.js';
import { get, readableError } from '../api.js';
import { t, has, formatNumber } from '../i18n.js';

// A role=alert paragraph that stays hidden until there is something to say.
export function alertBox(id) {
  return h('p', { id, class: 'error admin-error', role: 'alert', hidden: true });
}

// The page's own sentence for the codes of the account and unit forms, else the shared one.
export function adminError(error) {
  const code = error?.code;
  const min = code === 'weak_password' ? /at least (\d+)/.exec(error.message ?? '')?.[1] : null;
  if (min) return t('admin.err.weak_password_min', { n: min });
  if (code && has(`admin.err.${code}`)) return t(`admin.err.${code}`);
  return readableError(error);
}

export function showError(box, error) {
  box.textContent = typeof error === 'string' ? error : adminError(error);
  box.hidden = false;
}

export function hideError(box) {
  box.textContent = '';
  box.hidden = true;
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
  const children = unitChildren(units);
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

// Date helpers for <input type=date|month>, in the agency's time zone.
export { daysFromToday, thisMonth } from '../time.js';

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
  unenrolled: '#1565c0',
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

// A canvas sized to its box in CSS pixels, with a 2D context scaled for the screen.
function prepareCanvas(canvas, height) {
  const width = Math.max(280, Math.floor(canvas.parentElement?.clientWidth || 600));
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.floor(width * ratio);
  canvas.height = Math.floor(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const g = canvas.getContext('2d');
  if (!g) return null;
  g.scale(ratio, ratio);
  g.font = '12px system-ui, sans-serif';
  g.textBaseline = 'middle';
  return { g, width, height };
}

// Without Chart.js: rows of labelled bars ({from, to} segments and coloured points) on a
// time axis from `min` to `max`. rows: [{label, segments: [[from, to]], points: [{x, colour}]}].
export function drawPlainTimeline(canvas, rows, min, max, tickLabel, step) {
  const prepared = prepareCanvas(canvas, rows.length * 40 + 40);
  if (!prepared) return;
  const { g, width } = prepared;
  const left = Math.min(120, Math.max(70, width * 0.22));
  const right = width - 12;
  const x = (v) => left + ((v - min) / Math.max(1, max - min)) * (right - left);
  g.fillStyle = '#5b6675';
  g.textAlign = 'center';
  const every = step && (max - min) / step <= 12 ? step : (max - min) / 4;
  for (let v = min; v <= max + 1; v += every) {
    g.fillText(tickLabel(v), Math.min(right - 20, Math.max(left + 20, x(v))), rows.length * 40 + 22);
    g.fillRect(x(v), 8, 1, rows.length * 40);
  }
  rows.forEach((row, i) => {
    const y = 20 + i * 40;
    g.fillStyle = '#1b2430';
    g.textAlign = 'right';
    g.fillText(row.label, left - 8, y, left - 12);
    g.fillStyle = 'rgba(25, 118, 210, 0.35)';
    for (const [a, b] of row.segments) g.fillRect(x(a), y - 7, Math.max(2, x(b) - x(a)), 14);
    for (const p of row.points) {
      g.fillStyle = p.colour;
      g.fillRect(x(p.x) - 2, (p.dy ?? 0) + y - 3, 5, 6);
    }
  });
}

// Without Chart.js: lines of percentages (0..100, null for none) over labelled months.
export function drawPlainLines(canvas, labels, series) {
  const prepared = prepareCanvas(canvas, 260);
  if (!prepared) return;
  const { g, width, height } = prepared;
  const left = 40;
  const right = width - 16;
  const top = 12;
  const bottom = height - 28;
  const x = (i) => left + (labels.length > 1 ? (i / (labels.length - 1)) * (right - left) : (right - left) / 2);
  const y = (v) => bottom - (v / 100) * (bottom - top);
  g.fillStyle = '#5b6675';
  g.textAlign = 'right';
  for (const v of [0, 50, 100]) {
    g.fillText(`${v}%`, left - 6, y(v));
    g.fillRect(left, y(v), right - left, 1);
  }
  g.textAlign = 'center';
  labels.forEach((l, i) => g.fillText(l, x(i), bottom + 16));
  for (const s of series) {
    g.strokeStyle = s.colour;
    g.fillStyle = s.colour;
    g.lineWidth = 2;
    g.beginPath();
    let drawing = false;
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) { drawing = false; return; }
      if (drawing) g.lineTo(x(i), y(v)); else g.moveTo(x(i), y(v));
      drawing = true;
    });
    g.stroke();
    s.values.forEach((v, i) => { if (v !== null && v !== undefined) g.fillRect(x(i) - 2, y(v) - 2, 5, 5); });
  }
}
