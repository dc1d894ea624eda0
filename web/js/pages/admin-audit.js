// The audit log: whether its hash chain is intact, and the entries newest first, 100 at a
// time ("load more"), narrowed by who acted, what they did, whose record it was and when.
// The server filters and pages (GET /api/audit); this page only labels. Actions and detail
// keys are shown as words from the language tables (`action.*`, `audit.detail.*`), with the
// raw name in a tooltip; details are text, never markup.
import { h, clear, table } from '../dom.js';
import { get } from '../api.js';
import { t, has, formatDateTime } from '../i18n.js';
import { alertBox, showError, hideError, pageFrame, loadUserMap, isDate } from './admin-common.js';

const pageSize = 100;

// Every action the server writes, in the order the "what" filter lists them.
const actions = [
  'login', 'login_failed', 'login_refused', 'account_locked', 'logout',
  'view_attendance', 'view_hours', 'view_compliance', 'export_attendance', 'view_audit',
  'list_recordings', 'view_recording', 'play_recording', 'recording_chunk',
  'recording_chunk_conflict', 'recording_interrupted', 'verify_recording',
  'schedule_class', 'enrol', 'class_added', 'enrolled',
  'unit_added', 'user_added', 'password_set', 'user_disabled', 'user_enabled',
  'reference_enrol', 'reference_refused', 'reference_view', 'reference_remove', 'demo_seeded',
];

// Actors that are not accounts.
const serviceActors = ['system', 'cli', 'media'];

const reasonKeys = {
  'hash does not match': 'admin.audit.reason.hash',
  'prev does not match': 'admin.audit.reason.prev',
};

// Detail values that are fixed words on the server.
const valueKeys = {
  'wrong password': 'audit.value.wrong_password',
  'unknown user': 'audit.value.unknown_user',
  locked: 'audit.value.locked',
  disabled: 'audit.value.disabled',
  timeline: 'audit.value.timeline',
  ok: 'audit.value.ok',
  failed: 'audit.value.failed',
};

// Detail keys whose values are user ids, and those that are times in milliseconds.
const userKeys = new Set(['subject', 'subjects', 'officer', 'actor', 'target']);
const timeKeys = new Set(['from', 'to', 'ts', 'start', 'end']);

// Two keys mean different things by the type of their value: a sign-in's `from` is an
// address, a range's a time; a chunk's `last` says whether it ended the recording, a byte
// range's is its last byte.
function detailKey(key, value) {
  if (key === 'from' && typeof value === 'string') return 'origin';
  if (key === 'last' && typeof value === 'boolean') return 'final';
  return key;
}

function labelOr(key, fallback) {
  return has(key) ? t(key) : fallback;
}

function actionLabel(action) {
  return labelOr(`action.${action}`, action);
}

function reasonText(reason) {
  if (!reason) return '';
  if (reasonKeys[reason]) return t(reasonKeys[reason]);
  if (/ends before its recorded head/.test(reason)) return t('admin.audit.reason.truncated');
  return reason;
}

export default {
  title: 'admin.audit.title',
  render(view) {
    const page = { aborted: false };
    const verdict = h('div', { id: 'audit-verdict', class: 'verdict', role: 'status', 'aria-live': 'polite' },
      h('span', { i18n: 'admin.audit.verifying' }));
    const reverify = h('button', { id: 'audit-reverify', type: 'button', i18n: 'admin.audit.reverify' });
    const verifyError = alertBox('audit-verify-error');
    const error = alertBox('audit-error');

    const actorSel = h('select', { id: 'audit-actor', name: 'actor' }, h('option', { value: '', i18n: 'admin.audit.anyone' }));
    const actionSel = h('select', { id: 'audit-action', name: 'action' }, h('option', { value: '', i18n: 'admin.audit.anything' }),
      actions.map((a) => h('option', { value: a, i18n: `action.${a}` })));
    const targetSel = h('select', { id: 'audit-target', name: 'target' }, h('option', { value: '', i18n: 'admin.audit.anyRecord' }));
    const fromIn = h('input', { id: 'audit-from', name: 'from', type: 'date' });
    const toIn = h('input', { id: 'audit-to', name: 'to', type: 'date' });
    const apply = h('button', { id: 'audit-apply', type: 'submit', class: 'primary', i18n: 'admin.apply' });
    const reset = h('button', { id: 'audit-reset', type: 'button', i18n: 'admin.audit.reset' });
    const filterError = alertBox('audit-filter-error');
    const labelled = (id, key, input) => h('div', { class: 'field' }, h('label', { for: id, i18n: key }), input);
    const form = h('form', { class: 'filters card', 'aria-labelledby': 'audit-filters-heading', novalidate: true },
      h('h2', { id: 'audit-filters-heading', class: 'sr-only', i18n: 'admin.filters' }),
      h('div', { class: 'filter-grid' },
        labelled('audit-actor', 'admin.audit.actor', actorSel),
        labelled('audit-action', 'admin.audit.action', actionSel),
        labelled('audit-target', 'admin.audit.whose', targetSel),
        labelled('audit-from', 'admin.from', fromIn),
        labelled('audit-to', 'admin.to', toIn),
        h('div', { class: 'field filter-actions' }, apply, reset)),
      filterError);

    const { table: wrap, tbody } = table('audit-table', 'admin.audit.caption',
      ['admin.audit.time', 'admin.audit.actor', 'admin.audit.action', 'admin.audit.target', 'admin.audit.detail']);
    const more = h('button', { id: 'audit-more', type: 'button', i18n: 'admin.audit.more', disabled: true });
    const count = h('p', { id: 'audit-count', class: 'muted', 'aria-live': 'polite' });
    const section = pageFrame('admin.audit.title', 'admin.audit.intro');
    section.append(
      h('section', { class: 'card', 'aria-labelledby': 'verdict-heading' },
        h('h2', { id: 'verdict-heading', i18n: 'admin.audit.chain' }), verdict, verifyError, reverify),
      h('section', { 'aria-labelledby': 'log-heading' },
        h('h2', { id: 'log-heading', i18n: 'admin.audit.log' }), form, error, wrap, count, h('div', { class: 'pager' }, more)));
    view.append(section);

    let users = new Map();
    let filters = {};
    let next = null;
    let shown = 0;
    let generation = 0;

    // A person by name, a service by its label, anything else (a class, a unit) as it is.
    const who = (id) => {
      if (!id) return '—';
      const u = users.get(id);
      if (u) return `${u.name}（${u.username}）`;
      return serviceActors.includes(id) ? labelOr(`audit.actor.${id}`, id) : id;
    };

    const valueText = (key, v) => {
      if (Array.isArray(v)) return v.map((x) => valueText(key, x)).join('、');
      if (timeKeys.has(key) && typeof v === 'number' && v > 1e11) return formatDateTime(v);
      if (typeof v === 'boolean') return t(v ? 'admin.yes' : 'admin.no');
      if (typeof v === 'string') {
        if (userKeys.has(key) && users.has(v)) return who(v);
        if (key === 'action') return actionLabel(v);
        if (key === 'role' && has(`admin.role.${v}`)) return t(`admin.role.${v}`);
        if (valueKeys[v]) return t(valueKeys[v]);
        return v;
      }
      if (v === null || v === undefined || v === '') return '—';
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
    };

    // A detail JSON text as "label: value" lines, each line's raw key in its tooltip.
    const detailCell = (detail) => {
      const cell = h('td', { class: 'detail' });
      if (!detail || detail === '{}') return cell;
      let value;
      try { value = JSON.parse(detail); } catch { value = detail; }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        cell.append(h('span', { text: typeof value === 'string' ? value : JSON.stringify(value) }));
        return cell;
      }
      const list = h('dl', { class: 'audit-detail' });
      for (const [k, v] of Object.entries(value)) {
        if (v === '' || v === null) continue;
        list.append(h('dt', { title: k, text: labelOr(`audit.detail.${detailKey(k, v)}`, k) }), h('dd', { text: valueText(k, v) }));
      }
      cell.append(list);
      return cell;
    };

    function fillPeople() {
      const people = [...users.values()].sort((a, b) => a.name.localeCompare(b.name, 'zh-CN') || a.id.localeCompare(b.id));
      const option = (u) => h('option', { value: u.id, text: `${u.name}（${u.username}）` });
      actorSel.append(...people.map(option),
        ...serviceActors.map((id) => h('option', { value: id, i18n: `audit.actor.${id}` })));
      targetSel.append(...people.map(option));
    }

    function readFilters() {
      hideError(filterError);
      const from = fromIn.value;
      const to = toIn.value;
      if ((from && !isDate(from)) || (to && !isDate(to))) {
        showError(filterError, t('admin.badDates'));
        return null;
      }
      if (from && to && to < from) {
        showError(filterError, t('admin.toBeforeFrom'));
        return null;
      }
      const out = {};
      if (actorSel.value) out.actor = actorSel.value;
      if (actionSel.value) out.action = actionSel.value;
      if (targetSel.value) out.target = targetSel.value;
      if (from) out.from = from;
      if (to) out.to = to;
      return out;
    }

    async function verify() {
      hideError(verifyError);
      reverify.disabled = true;
      delete verdict.dataset.intact;
      clear(verdict, h('span', { i18n: 'admin.audit.verifying' }));
      try {
        const reply = await get('/api/audit/verify');
        if (page.aborted) return;
        verdict.dataset.intact = String(!!reply.intact);
        if (reply.intact) {
          clear(verdict, h('strong', { class: 'ok', i18n: 'admin.audit.intact' }),
            reply.entries !== undefined ? h('span', { text: ` ${t('admin.audit.entries', { n: reply.entries })}` }) : null);
        } else {
          const b = reply.first_broken ?? {};
          clear(verdict, h('strong', { class: 'bad', i18n: 'admin.audit.broken' }),
            h('p', { text: t('admin.audit.brokenAt', { index: b.index ?? '?', id: b.id ?? '?', reason: reasonText(b.reason) }) }));
        }
      } catch (e) {
        if (page.aborted) return;
        clear(verdict);
        showError(verifyError, e);
      } finally {
        reverify.disabled = false;
      }
    }

    // The next page of the current filters; a new search (`fresh`) starts from the newest.
    async function load(fresh) {
      const mine = fresh ? ++generation : generation;
      if (fresh) {
        next = null;
        shown = 0;
        clear(tbody);
      }
      more.disabled = true;
      hideError(error);
      let reply;
      try {
        reply = await get('/api/audit', { ...filters, order: 'newest', limit: pageSize, ...(next ? { before: next } : {}) });
      } catch (e) {
        if (page.aborted || mine !== generation) return;
        more.disabled = false;
        showError(error, e);
        return;
      }
      if (page.aborted || mine !== generation) return;
      const entries = reply.entries ?? [];
      for (const e of entries) {
        const f = e.fields ?? {};
        const ts = Number(f.ts);
        tbody.append(h('tr', { dataset: { action: f.action ?? '', id: e.id } },
          h('td', { class: 'nowrap', text: Number.isFinite(ts) && ts > 0 ? formatDateTime(ts) : '—' }),
          h('td', { text: who(f.actor) }),
          h('td', { title: f.action ?? '', text: actionLabel(f.action ?? '') }),
          h('td', { text: who(f.target) }),
          detailCell(f.detail)));
      }
      shown += entries.length;
      next = reply.next ?? null;
      more.disabled = !next;
      more.hidden = !next;
      if (!shown && !next) tbody.append(h('tr', {}, h('td', { colspan: '5', class: 'muted', i18n: 'admin.audit.none' })));
      count.textContent = t(next ? 'admin.audit.count' : 'admin.audit.countEnd', { n: shown });
    }

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const read = readFilters();
      if (!read) return;
      filters = read;
      load(true);
    });
    reset.addEventListener('click', () => {
      form.reset();
      hideError(filterError);
      filters = {};
      load(true);
    });
    reverify.addEventListener('click', verify);
    more.addEventListener('click', () => load(false));

    (async () => {
      verify();
      users = await loadUserMap(page);
      if (page.aborted) return;
      fillPeople();
      load(true);
    })();

    return () => { page.aborted = true; };
  },
};
