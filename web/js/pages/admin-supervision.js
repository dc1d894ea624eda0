// Supervision across units, for the county and province (and an officer's own unit): the
// management levels per unit with who is released, overdue or alerted; the alerts escalated
// from the units below; and the month's compliance by level (classes, check-ins, calls) per
// subject, with totals by level and the CSV export in the form of the attendance one.
import { h, clear, table, toast, field } from '../dom.js';
import { get, request, readableError } from '../api.js';
import { t, language, formatNumber } from '../i18n.js';
import { thisMonth } from '../time.js';
import { LEVELS, levelBadge, alertsPanel } from './supervision-common.js';

// A report line's count, whether the server nests it ({checkins: {due}}) or not (checkins_due).
function count(line, group, name) {
  return Number(line[group]?.[name] ?? line[`${group}_${name}`] ?? 0);
}

// Totals by unit and level: the server's per-unit totals, else summed here from the lines.
function totalsRows(report) {
  const rows = [];
  for (const u of report.units ?? []) {
    for (const level of LEVELS) {
      const r = u.levels?.[level];
      if (r && r.subjects) rows.push({ unit: u.name || u.unit, level, ...r });
    }
  }
  if (rows.length || report.units) return rows;
  for (const level of LEVELS) {
    const lines = (report.subjects ?? []).filter((l) => l.level === level && l.compliant !== null && l.compliant !== undefined);
    if (!lines.length) continue;
    const sum = (group, name) => lines.reduce((n, l) => n + count(l, group, name), 0);
    rows.push({ unit: '', level, subjects: lines.length, compliant: lines.filter((l) => l.compliant).length,
      checkins_due: sum('checkins', 'due'), checkins_verified: sum('checkins', 'verified'), calls_due: sum('calls', 'due'), calls_made: sum('calls', 'made') });
  }
  return rows;
}

export default {
  title: 'nav.supervision',
  async render(view, ctx) {
    const { table: unitsTable, tbody: unitsBody } = table('units-levels', 'sv.units_caption',
      ['sv.unit', 'sv.level.strict', 'sv.level.ordinary', 'sv.level.lenient', 'sv.released', 'sv.overdue_n', 'sv.open_alerts', 'sv.escalated_alerts']);
    const escalated = alertsPanel({ id: 'escalated-alerts', query: { escalated: 1, limit: 100 } });
    const month = h('input', { id: 'programme-month', type: 'month', value: thisMonth() });
    const show = h('button', { type: 'submit', id: 'programme-show', class: 'primary', i18n: 'sv.show' });
    const csv = h('button', { type: 'button', id: 'programme-csv', i18n: 'sv.csv', on: { click: exportCsv } });
    const { table: levelTable, tbody: levelBody } = table('programme-levels', 'sv.by_level_caption',
      ['sv.unit', 'sv.level', 'sv.subjects', 'sv.compliant', 'sv.checkins', 'sv.calls']);
    const { table: linesTable, tbody: linesBody } = table('programme-subjects', 'sv.programme_caption',
      ['dashboard.subject', 'sv.level', 'sv.hours', 'sv.checkins', 'sv.calls', 'sv.compliant']);
    const form = h('form', { class: 'filters', id: 'programme-form' }, field('sv.month', month), h('div', { class: 'field filter-actions' }, show, csv));

    view.append(
      h('h1', { i18n: 'nav.supervision' }),
      h('section', { 'aria-labelledby': 'units-heading' }, h('h2', { id: 'units-heading', i18n: 'sv.units' }), unitsTable),
      h('section', { 'aria-labelledby': 'escalated-heading' }, h('h2', { id: 'escalated-heading', i18n: 'sv.escalated' }), escalated.element),
      h('section', { 'aria-labelledby': 'programme-heading' }, h('h2', { id: 'programme-heading', i18n: 'sv.programme' }),
        form, levelTable, linesTable));

    function monthValue() {
      return /^\d{4}-\d{2}$/.test(month.value) ? month.value : null;
    }

    async function loadUnits() {
      try {
        const { units } = await get('/api/supervision/units');
        clear(unitsBody, units.map((u) => h('tr', { dataset: { unit: u.unit } },
          h('th', { scope: 'row', text: u.name || u.unit }),
          LEVELS.map((l) => h('td', { dataset: { level: l }, text: String(u.levels?.[l] ?? 0) })),
          h('td', { text: String(u.released ?? 0) }),
          h('td', { class: u.overdue ? 'late' : null, text: String(u.overdue ?? 0) }),
          h('td', { text: String(u.open_alerts ?? 0) }),
          h('td', { text: String(u.escalated_alerts ?? 0) }))));
        if (!units.length) unitsBody.append(h('tr', {}, h('td', { colspan: '8', class: 'muted', i18n: 'admin.empty' })));
      } catch (e) {
        clear(unitsBody, h('tr', {}, h('td', { colspan: '8', class: 'error', role: 'alert', text: readableError(e) })));
      }
    }

    async function loadProgramme() {
      const m = monthValue();
      if (!m) return;
      clear(linesBody, h('tr', {}, h('td', { colspan: '6', class: 'muted', i18n: 'common.loading' })));
      try {
        const report = await get('/api/reports/programme', { month: m });
        const lines = report.subjects ?? [];
        clear(levelBody, totalsRows(report).map((r) => h('tr', { dataset: { level: r.level } },
          h('th', { scope: 'row', text: r.unit || '—' }),
          h('td', {}, levelBadge(r.level)),
          h('td', { text: String(r.subjects) }),
          h('td', { text: `${r.compliant} (${formatNumber((100 * r.compliant) / r.subjects, 0)}%)` }),
          h('td', { text: `${count(r, 'checkins', 'verified')} / ${count(r, 'checkins', 'due')}` }),
          h('td', { text: `${count(r, 'calls', 'made')} / ${count(r, 'calls', 'due')}` }))));
        if (!levelBody.childElementCount) levelBody.append(h('tr', {}, h('td', { colspan: '6', class: 'muted', i18n: 'admin.empty' })));
        clear(linesBody, lines.map((s) => h('tr', { dataset: { subject: s.subject ?? s.id } },
          h('th', { scope: 'row' }, h('a', { href: `#/officer/subject/${encodeURIComponent(s.subject ?? s.id)}`, text: s.name ?? s.subject_name ?? s.subject })),
          h('td', {}, levelBadge(s.level)),
          h('td', { text: `${formatNumber(s.credited_hours ?? 0)} / ${formatNumber(s.required_hours ?? 0)}` }),
          h('td', { text: `${count(s, 'checkins', 'verified')} / ${count(s, 'checkins', 'due')}${count(s, 'checkins', 'missed') ? ` (${t('sv.missed_n', { n: count(s, 'checkins', 'missed') })})` : ''}` }),
          h('td', { text: `${count(s, 'calls', 'made')} / ${count(s, 'calls', 'due')}` }),
          h('td', {}, s.compliant === null || s.compliant === undefined ? h('span', { class: 'muted', i18n: `sv.status.${s.status ?? 'no_term'}` })
            : h('span', { class: s.compliant ? 'ok' : 'warn', i18n: s.compliant ? 'sv.yes' : 'sv.no' })))));
        if (!lines.length) linesBody.append(h('tr', {}, h('td', { colspan: '6', class: 'muted', i18n: 'admin.empty' })));
      } catch (e) {
        clear(linesBody, h('tr', {}, h('td', { colspan: '6', class: 'error', role: 'alert', text: readableError(e) })));
      }
    }

    async function exportCsv() {
      const m = monthValue();
      if (!m) return;
      csv.disabled = true;
      try {
        const response = await request('GET', '/api/reports/programme', { query: { month: m, format: 'csv', lang: language() }, raw: true });
        const url = URL.createObjectURL(await response.blob());
        const a = h('a', { href: url, download: `programme-${m}.csv`, hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60000);
      } catch (e) {
        toast(readableError(e), 'error');
      } finally {
        csv.disabled = false;
      }
    }

    form.addEventListener('submit', (event) => { event.preventDefault(); loadProgramme(); });
    await Promise.all([loadUnits(), escalated.load(), loadProgramme()]);
    return ctx.signal?.on('alert_escalated', (msg) => escalated.add(msg));
  },
};
