// Monthly report: credited hours per subject against the required hours for a month and
// org unit, and the month's attendance as a CSV file.
import { h, clear, table, toast } from '../dom.js';
import { get, request } from '../api.js';
import { t, formatNumber, language } from '../i18n.js';
import {
  alertBox, showError, hideError, pageFrame, fillUnitSelect, loadUnits,
  thisMonth, monthDates, daysFromToday, isMonth, num, emptyRow,
} from './admin-common.js';

let saved = null;

const columns = ['admin.att.subject', 'admin.unit', 'admin.rep.credited', 'admin.rep.requiredCredited',
  'admin.rep.required', 'admin.rep.sessions', 'admin.rep.missed', 'admin.rep.met'];

export default {
  title: 'admin.rep.title',
  render(view, ctx) {
    const page = { aborted: false };
    const state = saved ?? { month: thisMonth(), unit: ctx.user?.unit ?? '' };
    saved = state;

    const monthIn = h('input', { id: 'report-month', name: 'month', type: 'month', value: state.month, required: true });
    const unitSel = h('select', { id: 'report-unit', name: 'unit' });
    const show = h('button', { id: 'report-apply', type: 'submit', class: 'primary', i18n: 'admin.apply' });
    const csv = h('button', { id: 'csv-export', type: 'button', i18n: 'admin.rep.csv' });
    const error = alertBox('report-error');
    const csvError = alertBox('csv-error');
    const status = h('p', { id: 'report-status', class: 'muted', role: 'status', 'aria-live': 'polite' });
    const { table: wrap, tbody } = table('hours-table', 'admin.rep.caption', columns);
    const form = h('form', { class: 'filters card', novalidate: true },
      h('div', { class: 'filter-grid' },
        h('div', { class: 'field' }, h('label', { for: 'report-month', i18n: 'admin.month' }), monthIn),
        h('div', { class: 'field' }, h('label', { for: 'report-unit', i18n: 'admin.unit' }), unitSel),
        h('div', { class: 'field filter-actions' }, show, csv)),
      h('p', { class: 'muted small', i18n: 'admin.rep.csvHint' }),
      csvError);
    const section = pageFrame('admin.rep.title', 'admin.rep.intro');
    section.append(form, error, status, wrap);
    view.append(section);

    let units = [];
    let token = 0;
    const unitName = (id) => units.find((u) => u.id === id)?.name ?? id;

    function readForm() {
      hideError(error);
      if (!isMonth(monthIn.value)) {
        showError(error, t('admin.badMonth'));
        return false;
      }
      state.month = monthIn.value;
      state.unit = unitSel.value;
      return true;
    }

    // Rows {id, name, username, unit, hours} of the month, from the compliance report.
    async function rowsFor(month, unit) {
      const reply = await get('/api/reports/compliance', { unit, months: 1, month });
      return (reply.subjects ?? []).map((s) => ({ ...s, hours: (s.trend ?? []).at(-1) ?? {} }));
    }

    async function load() {
      const mine = ++token;
      status.textContent = t('admin.loading');
      let rows;
      try {
        rows = await rowsFor(state.month, state.unit);
      } catch (e) {
        if (page.aborted || mine !== token) return;
        status.textContent = '';
        clear(tbody, emptyRow(columns.length));
        showError(error, e);
        return;
      }
      if (page.aborted || mine !== token) return;
      const over = monthDates(state.month).to < daysFromToday(0);
      clear(tbody, rows.length ? rows.map((r) => rowOf(r, over)) : emptyRow(columns.length, 'admin.rep.none'));
      const met = rows.filter((r) => r.hours?.met).length;
      status.textContent = rows.length ? t('admin.rep.summary', { met, total: rows.length }) : '';
    }

    function rowOf(r, over) {
      const hrs = r.hours ?? {};
      const metKey = hrs.met ? 'admin.rep.yes' : over ? 'admin.rep.no' : 'admin.rep.notYet';
      return h('tr', { dataset: { subject: r.id, met: String(!!hrs.met) } },
        h('th', { scope: 'row' }, r.name, r.username ? h('span', { class: 'muted small', text: ` ${r.username}` }) : null),
        h('td', { text: unitName(r.unit) }),
        num(hrs.credited_hours, 2),
        num(hrs.required_credited_hours, 2),
        num(hrs.required_hours, 1),
        h('td', { class: 'num', text: `${formatNumber(hrs.required_sessions ?? 0, 0)} / ${formatNumber(hrs.sessions ?? 0, 0)}`,
          title: t('admin.rep.sessionsHint') }),
        h('td', { class: hrs.missed_required_sessions ? 'num warn' : 'num', text: formatNumber(hrs.missed_required_sessions ?? 0, 0) }),
        h('td', {}, h('span', { class: `met-badge ${hrs.met ? 'met' : over ? 'not-met' : 'pending'}`, i18n: metKey })));
    }

    async function exportCsv() {
      hideError(csvError);
      if (!readForm()) return;
      const { from, to } = monthDates(state.month);
      csv.disabled = true;
      csv.setAttribute('aria-busy', 'true');
      try {
        // Column headers in the page's language (scripts ask for headers=machine instead).
        const query = { unit: state.unit, from, to, lang: language() };
        const response = await request('GET', '/api/reports/attendance.csv', { query, raw: true });
        const blob = await response.blob();
        const url = URL.createObjectURL(blob);
        const a = h('a', { href: url, download: `attendance-${state.unit || 'all'}-${state.month}.csv`, hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60000);
        toast(t('admin.rep.csvDone'));
      } catch (e) {
        showError(csvError, e);
      } finally {
        csv.disabled = false;
        csv.removeAttribute('aria-busy');
      }
    }

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (readForm()) load();
    });
    monthIn.addEventListener('change', () => { if (readForm()) load(); });
    unitSel.addEventListener('change', () => { if (readForm()) load(); });
    csv.addEventListener('click', exportCsv);

    (async () => {
      try {
        units = await loadUnits();
      } catch (e) {
        if (!page.aborted) showError(error, e);
        return;
      }
      if (page.aborted) return;
      fillUnitSelect(unitSel, units, state.unit);
      if (!unitSel.value && unitSel.options.length) unitSel.selectedIndex = 0;
      state.unit = unitSel.value;
      load();
    })();
    return () => { page.aborted = true; };
  },
};
