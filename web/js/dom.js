// A small element builder, so that pages build DOM nodes (never HTML strings from data:
// names and chat lines are text, not markup).
import { t } from './i18n.js';

// h('button', {class: 'primary', i18n: 'class.join', on: {click: fn}}, child, ...)
// Props: class, id, text, i18n and i18nAttr {attr: key} (both take i18nArgs), on {event: fn},
// dataset {key: value}, hidden, and any other attribute by name (aria-*, type, href...).
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'i18n') {
      el.dataset.i18n = value;
      if (props.i18nArgs) el.dataset.i18nArgs = JSON.stringify(props.i18nArgs);
      el.textContent = t(value, props.i18nArgs ?? {});
    } else if (key === 'i18nArgs') continue;
    else if (key === 'i18nAttr') {
      el.dataset.i18nAttr = Object.entries(value).map(([a, k]) => `${a}:${k}`).join(';');
      if (props.i18nArgs) el.dataset.i18nArgs = JSON.stringify(props.i18nArgs);
      for (const [a, k] of Object.entries(value)) el.setAttribute(a, t(k, props.i18nArgs ?? {}));
    } else if (key === 'on') {
      for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
    } else if (key === 'dataset') {
      for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) el.dataset[k] = v;
    } else if (key === 'hidden') el.hidden = true;
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// A table with a caption, header keys (i18n) and rows of cells; returns {table, tbody}. The
// table scrolls sideways in its wrapper on a narrow screen; the wrapper takes the keyboard
// focus so that it can be scrolled without a mouse.
export function table(id, captionKey, headerKeys) {
  const tbody = h('tbody');
  const captionId = captionKey ? `${id}-caption` : null;
  const tableEl = h('table', { id, class: 'data' },
    captionKey ? h('caption', { id: captionId, i18n: captionKey }) : null,
    h('thead', {}, h('tr', {}, headerKeys.map((k) => h('th', { scope: 'col', i18n: k })))),
    tbody);
  const wrap = h('div', { class: 'table-wrap', tabindex: '0', role: captionId ? 'region' : null, 'aria-labelledby': captionId }, tableEl);
  return { table: wrap, tbody };
}

export function field(labelKey, input) {
  if (!input.id) throw new Error('field inputs need an id');
  return h('div', { class: 'field' }, h('label', { for: input.id, i18n: labelKey }), input);
}

// Shows a passing message in the toast region (role=status); `kind` 'error' uses role=alert.
export function toast(message, kind = 'info') {
  const region = document.getElementById('toast');
  const item = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : null, text: message });
  region.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

export function pad2(n) {
  return String(n).padStart(2, '0');
}
