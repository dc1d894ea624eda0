// Attendance records: one row per subject per class session, filtered by org unit, class,
// subject and date range, 50 rows a page. Each row opens the session's presence timeline.
import { h, clear, table } from '../dom.js';
import { get } from '../api.js';
import { t, formatNumber } from '../i18n.js';
import { formatDateTime } from '../time.js';
import {
  alertBox, showError, hideError, pageFrame, fillUnitSelect,
  loadUnits, daysFromToday, isDate, isWithin, outcomeBadge, num, emptyRow,
} from './admin-common.js';

const pageSize = 50;
// Kept across renders (a language switch renders the page again).
let saved = null;

const columns = ['admin.att.class', 'admin.att.start', 'admin.att.subject', 'admin.att.connected',
  'admin.att.credited', 'admin.att.reconnects', 'admin.att.spotChecks', 'admin.att.samples',
  'admin.att.lastOutcome'];

export default {
  title: 'admin.att.title',
  render(view, ctx) {
    const signal = { aborted: false };
    const state = saved ?? {
      unit: ctx.user?.unit ?? '',
      cls: '',
      subject: '',
      from: daysFromToday(-31),
      to: daysFromToday(1),
      offset: 0,
    };
    saved = state;

    const unitSel = h('select', { id: 'filter-unit', name: 'unit' });
    const classSel = h('select', { id: 'filter-class', name: 'class' }, h('option', { value: '', i18n: 'admin.att.allClasses' }));
    const subjectSel = h('select', { id: 'filter-subject', name: 'subject' }, h('option', { value: '', i18n: 'admin.att.allSubjects' }));
    const fromIn = h('input', { id: 'filter-from', name: 'from', type: 'date', value: state.from, required: true });
    const toIn = h('input', { id: 'filter-to', name: 'to', type: 'date', value: state.to, required: true });
    const apply = h('button', { id: 'filter-apply', type: 'submit', class: 'primary', i18n: 'admin.apply' });
    const filterError = alertBox('filter-error');
    const error = alertBox('attendance-error');
    const status = h('p', { id: 'attendance-status', class: 'muted', role: 'status', 'aria-live': 'polite' });
    const { table: tableWrap, tbody } = table('attendance-table', 'admin.att.caption', columns);
    const prev = h('button', { id: 'page-prev', type: 'button', i18n: 'admin.prev', disabled: true });
    const next = h('button', { id: 'page-next', type: 'button', i18n: 'admin.next', disabled: true });
    const info = h('span', { id: 'page-info', 'aria-live': 'polite' });

    const form = h('form', { class: 'filters card', 'aria-labelledby': 'filters-heading', novalidate: true },
      h('h2', { id: 'filters-heading', class: 'sr-only', i18n: 'admin.filters' }),
      h('div', { class: 'filter-grid' },
        h('div', { class: 'field' }, h('label', { for: 'filter-unit', i18n: 'admin.unit' }), unitSel),
        h('div', { class: 'field' }, h('label', { for: 'filter-class', i18n: 'admin.att.class' }), classSel),
        h('div', { class: 'field' }, h('label', { for: 'filter-subject', i18n: 'admin.att.subject' }), subjectSel),
        h('div', { class: 'field' }, h('label', { for: 'filter-from', i18n: 'admin.from' }), fromIn),
        h('div', { class: 'field' }, h('label', { for: 'filter-to', i18n: 'admin.to' }), toIn),
        h('div', { class: 'field filter-actions' }, apply)),
      filterError);

    const section = pageFrame('admin.att.title', 'admin.att.intro');
    section.append(form, error, status, tableWrap,
      h('nav', { class: 'pager', i18nAttr: { 'aria-label': 'admin.paging' } }, prev, info, next));
    view.append(section);

    let units = [];
    let subjects = [];
    let classes = [];
    let loadToken = 0;

    function fillClasses() {
      const keep = state.cls;
      const list = classes.filter((c) => !state.unit || isWithin(units, c.unit, state.unit));
      clear(classSel, h('option', { value: '', i18n: 'admin.att.allClasses' }),
        list.map((c) => h('option', { value: c.id, text: `${c.title} · ${formatDateTime(c.start)}` })));
      if ([...classSel.options].some((o) => o.value === keep)) classSel.value = keep;
      else { classSel.value = ''; }
    }

    function fillSubjects() {
      const keep = state.subject;
      const list = subjects.filter((s) => !state.unit || isWithin(units, s.unit, state.unit));
      clear(subjectSel, h('option', { value: '', i18n: 'admin.att.allSubjects' }),
        list.map((s) => h('option', { value: s.id, text: `${s.name}（${s.username}）` })));
      if ([...subjectSel.options].some((o) => o.value === keep)) subjectSel.value = keep;
      else subjectSel.value = '';
    }

    async function loadClasses() {
      if (!isDate(fromIn.value) || !isDate(toIn.value) || toIn.value < fromIn.value) return;
      try {
        const reply = await get('/api/classes', { from: fromIn.value, to: toIn.value });
        if (signal.aborted) return;
        classes = reply.classes ?? [];
        fillClasses();
      } catch (e) {
        if (!signal.aborted) showError(filterError, e);
      }
    }

    function readFilters() {
      hideError(filterError);
      if (!isDate(fromIn.value) || !isDate(toIn.value)) {
        showError(filterError, t('admin.badDates'));
        return false;
      }
      if (toIn.value < fromIn.value) {
        showError(filterError, t('admin.toBeforeFrom'));
        return false;
      }
      state.unit = unitSel.value;
      state.cls = classSel.value;
      state.subject = subjectSel.value;
      state.from = fromIn.value;
      state.to = toIn.value;
      return true;
    }

    async function load() {
      const token = ++loadToken;
      hideError(error);
      status.textContent = t('admin.loading');
      prev.disabled = true;
      next.disabled = true;
      let reply;
      try {
        reply = await get('/api/attendance', {
          unit: state.unit, class: state.cls, subject: state.subject, from: state.from, to: state.to,
          limit: pageSize, offset: state.offset,
        });
      } catch (e) {
        if (signal.aborted || token !== loadToken) return;
        status.textContent = '';
        clear(tbody, emptyRow(columns.length, 'admin.att.none'));
        info.textContent = '';
        showError(error, e);
        return;
      }
      if (signal.aborted || token !== loadToken) return;
      status.textContent = '';
      show(reply);
    }

    function show(reply) {
      const rows = reply.rows ?? [];
      const total = Number(reply.total ?? rows.length);
      const offset = Number(reply.offset ?? state.offset);
      clear(tbody, rows.length ? rows.map(rowOf) : emptyRow(columns.length, 'admin.att.none'));
      info.textContent = total
        ? t('admin.pageInfo', { first: formatNumber(offset + 1, 0), last: formatNumber(offset + rows.length, 0), total: formatNumber(total, 0) })
        : t('admin.pageInfoEmpty');
      prev.disabled = offset <= 0;
      next.disabled = offset + rows.length >= total;
    }

    function rowOf(r) {
      const c = r.class ?? {};
      const s = r.subject ?? {};
      const link = h('a', { class: 'session-link', href: `#/admin/session/${encodeURIComponent(c.id)}`, text: c.title || c.id });
      return h('tr', { dataset: { class: c.id, subject: s.id } },
        h('th', { scope: 'row' }, link, c.required === false ? h('span', { class: 'tag muted', i18n: 'admin.att.optional' }) : null),
        h('td', { class: 'nowrap', text: formatDateTime(c.start) }),
        h('td', {}, s.name || s.id, s.username ? h('span', { class: 'muted small', text: ` ${s.username}` }) : null),
        num(r.minutes_connected),
        num(r.minutes_credited),
        num(r.reconnects),
        h('td', { class: 'num', text: `${formatNumber(r.spot_checks ?? 0, 0)}`,
          title: t('admin.att.missedOf', { missed: r.spot_checks_missed ?? 0, total: r.spot_checks ?? 0 }) },
        r.spot_checks_missed ? h('span', { class: 'warn', text: ` (${t('admin.att.missedN', { n: r.spot_checks_missed })})` }) : null),
        h('td', { class: 'num', text: r.samples === undefined ? '—' : `${formatNumber(r.samples_verified ?? 0, 0)} / ${formatNumber(r.samples, 0)}` }),
        h('td', {}, outcomeBadge(r.last_outcome)));
    }

    unitSel.addEventListener('change', () => {
      state.unit = unitSel.value;
      fillClasses();
      fillSubjects();
    });
    for (const input of [fromIn, toIn]) input.addEventListener('change', loadClasses);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!readFilters()) return;
      state.offset = 0;
      load();
    });
    prev.addEventListener('click', () => {
      state.offset = Math.max(0, state.offset - pageSize);
      load();
    });
    next.addEventListener('click', () => {
      state.offset += pageSize;
      load();
    });

    (async () => {
      status.textContent = t('admin.loading');
      const [u, s, c] = await Promise.allSettled([
        loadUnits(),
        get('/api/users', { role: 'subject' }),
        get('/api/classes', { from: state.from, to: state.to }),
      ]);
      if (signal.aborted) return;
      if (u.status === 'fulfilled') units = u.value; else showError(filterError, u.reason);
      if (s.status === 'fulfilled') subjects = s.value.users ?? []; else showError(filterError, s.reason);
      if (c.status === 'fulfilled') classes = c.value.classes ?? []; else showError(filterError, c.reason);
      fillUnitSelect(unitSel, units, state.unit);
      if (!unitSel.value && unitSel.options.length) unitSel.selectedIndex = 0;
      state.unit = unitSel.value;
      fillClasses();
      fillSubjects();
      await load();
    })();
    return () => { signal.aborted = true; loadToken += 1; };
  },
};
