// Pieces shared by the supervision pages (docs/api.md, "Supervision", "Check-ins", "Alerts"):
// level and outcome badges, the alert list with its life cycle (acknowledge, resolve with a
// note), ordering check-ins, and check-in frames fetched with the token into blob URLs.
import { h, clear, toast, field } from '../dom.js';
import { get, post, request, readableError } from '../api.js';
import { t, has } from '../i18n.js';
import { formatDateTime } from '../time.js';

export const LEVELS = ['strict', 'ordinary', 'lenient'];

// A date ("YYYY-MM-DD") as it is, a time in the agency's zone, or a dash for none.
export function formatWhen(value) {
  if (!value) return '—';
  if (typeof value === 'string' && (/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value)))) return value;
  return formatDateTime(value);
}

export function levelBadge(level) {
  if (!level) return h('span', { class: 'muted', text: '—' });
  return h('span', { class: `badge level-${level}`, dataset: { level }, i18n: `sv.level.${level}` });
}

// A check-in's outcome in words, with the reason of a failure.
export function outcomeLabel(checkin) {
  const outcome = has(`ck.outcome.${checkin.outcome}`) ? t(`ck.outcome.${checkin.outcome}`) : checkin.outcome;
  if (checkin.outcome !== 'failed' || !checkin.reason) return outcome;
  const reason = has(`ck.reason.${checkin.reason}`) ? t(`ck.reason.${checkin.reason}`) : checkin.reason;
  return `${outcome}: ${reason}`;
}

export function outcomeBadge(checkin) {
  return h('span', { class: `badge outcome-${checkin.outcome}`, dataset: { outcome: checkin.outcome, reason: checkin.reason || null },
    text: outcomeLabel(checkin) });
}

// Orders check-ins now (随机点验): {subjects:[...]} or {caseload:true}, with a deadline in minutes.
export async function orderCheckins(body, minutes) {
  const payload = { ...body };
  if (Number(minutes) > 0) payload.minutes = Number(minutes);
  try {
    const { orders } = await post('/api/checkins/orders', payload);
    toast(t('sv.ordered', { n: orders.length }));
    return orders;
  } catch (e) {
    toast(readableError(e), 'error');
    return null;
  }
}

// A check-in frame (sealed evidence) as an object URL: <img> cannot send the token.
export async function frameUrl(checkinId, index) {
  const response = await request('GET', `/api/checkins/${encodeURIComponent(checkinId)}/frames/${index}`, { raw: true });
  return URL.createObjectURL(await response.blob());
}

function alertText(alert) {
  const kind = has(`al.kind.${alert.kind}`) ? t(`al.kind.${alert.kind}`) : has(`alert.${alert.kind}`) ? t(`alert.${alert.kind}`) : alert.kind;
  return kind;
}

// The alert list with its life cycle. options: {id, query (GET /api/alerts), names: Map of
// subject names, actions: true to acknowledge and resolve here, limit}. Returns {element,
// load(), add(push)}.
export function alertsPanel({ id, query = {}, names = new Map(), actions = true }) {
  const list = h('ul', { id, class: 'alerts', 'aria-live': 'polite' }, h('li', { class: 'muted', i18n: 'common.loading' }));
  const note = h('textarea', { id: `${id}-note`, rows: 3, maxLength: 2000, required: true });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const confirm = h('button', { type: 'submit', id: `${id}-resolve-confirm`, class: 'primary', value: 'resolve', i18n: 'al.resolve' });
  const cancel = h('button', { type: 'button', value: 'cancel', i18n: 'common.cancel', on: { click: () => dialog.close() } });
  const form = h('form', { method: 'dialog' }, field('al.note', note), error, h('div', { class: 'actions' }, confirm, cancel));
  const dialog = h('dialog', { id: `${id}-resolve`, 'aria-labelledby': `${id}-resolve-title` },
    h('h2', { id: `${id}-resolve-title`, i18n: 'al.resolve_title' }), form);
  let resolving = null;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!resolving) return;
    if (!note.value.trim()) {
      error.textContent = t('al.note_needed');
      error.hidden = false;
      return;
    }
    confirm.disabled = true;
    try {
      const alert = await post(`/api/alerts/${encodeURIComponent(resolving.id)}/resolve`, { note: note.value.trim() });
      replace(alert);
      dialog.close();
      toast(t('al.resolved_done'));
    } catch (e) {
      error.textContent = readableError(e);
      error.hidden = false;
      if (e.code === 'conflict') load();
    } finally {
      confirm.disabled = false;
    }
  });

  async function acknowledge(alert, button) {
    button.disabled = true;
    try {
      replace(await post(`/api/alerts/${encodeURIComponent(alert.id)}/acknowledge`, {}));
    } catch (e) {
      toast(readableError(e), 'error');
      button.disabled = false;
      // Someone else handled it meanwhile: show the alerts as they are now.
      if (e.code === 'conflict') load();
    }
  }

  function openResolve(alert) {
    resolving = alert;
    note.value = '';
    error.hidden = true;
    dialog.showModal();
    note.focus();
  }

  function item(alert) {
    const state = alert.state || 'open';
    const name = alert.subject_name || names.get(alert.subject) || '';
    const when = alert.raised_at ?? alert.time ?? alert.ts;
    const li = h('li', { class: `alert ${alert.kind} state-${state}`,
      dataset: { alert: alert.id, kind: alert.kind, subject: alert.subject, state, escalated: alert.escalated_to ? 'true' : null } },
    h('time', { datetime: typeof when === 'string' ? when : '', text: formatDateTime(when) }), ' ',
    name ? h('strong', { text: name }) : null, ' ',
    h('span', { text: alertText(alert) }), ' ',
    alert.id && alert.state ? h('span', { class: `badge alert-state ${state}`, i18n: `al.state.${state}` }) : null,
    alert.escalated_to ? h('span', { class: 'badge escalated', i18n: 'al.escalated' }) : null,
    alert.checkin ? h('a', { href: `#/officer/checkin/${encodeURIComponent(alert.checkin)}`, class: 'small', i18n: 'al.open_checkin' }) : null,
    alert.note ? h('p', { class: 'small muted alert-note', text: `${t('al.note')}: ${alert.note}` }) : null);
    if (actions && alert.id && alert.state) {
      const buttons = h('div', { class: 'actions' });
      if (state === 'open') {
        buttons.append(h('button', { type: 'button', class: 'alert-ack', i18n: 'al.acknowledge',
          on: { click: (e) => acknowledge(alert, e.currentTarget) } }));
      }
      if (state !== 'resolved') {
        buttons.append(h('button', { type: 'button', class: 'alert-resolve', i18n: 'al.resolve',
          on: { click: () => openResolve(alert) } }));
      }
      if (buttons.childElementCount) li.append(buttons);
    }
    return li;
  }

  function replace(alert) {
    const old = list.querySelector(`li[data-alert="${CSS.escape(alert.id)}"]`);
    if (old) old.replaceWith(item(alert)); else list.prepend(item(alert));
  }

  async function load() {
    try {
      const { alerts } = await get('/api/alerts', query);
      const newest = [...alerts].sort((a, b) => String(b.raised_at ?? b.time ?? '').localeCompare(String(a.raised_at ?? a.time ?? ''))).slice(0, 100);
      clear(list, newest.length ? newest.map(item) : h('li', { class: 'muted', i18n: 'dashboard.no_alerts' }));
    } catch (e) {
      clear(list, h('li', {}, h('span', { class: 'error', role: 'alert', text: readableError(e) })));
    }
  }

  function add(alert) {
    list.querySelector(':scope > li.muted')?.remove();
    if (alert.id && list.querySelector(`li[data-alert="${CSS.escape(alert.id)}"]`)) replace(alert);
    else list.prepend(item(alert));
  }

  return { element: h('div', { class: 'alerts-panel' }, list, dialog), load, add };
}
