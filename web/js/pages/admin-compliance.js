// Compliance: the share of subjects meeting their monthly hours, per org unit over six
// months (a line chart and the same figures as a table), and per subject the latest
// month's figures with risk flags.
import { h, clear, table } from '../dom.js';
import { get } from '../api.js';
import { t, formatNumber } from '../i18n.js';
import {
  alertBox, showError, hideError, pageFrame, fillUnitSelect, loadUnits,
  loadUserMap, thisMonth, isMonth, chartLibrary, num, emptyRow, drawPlainLines,
} from './admin-common.js';

let saved = null;

export const flagCodes = ['missed_required_classes', 'repeated_mismatch', 'spot_checks_failed', 'hours_short'];

const palette = ['#1565c0', '#2e7d32', '#c62828', '#6a1b9a', '#ef6c00', '#00838f', '#5d4037', '#ad1457', '#455a64', '#9e9d24'];

function flagLabel(code) {
  const key = `flag.${code}`;
  const text = t(key);
  return text === key ? code : text;
}

function monthLabel(month) {
  const [y, m] = month.split('-').map(Number);
  return t('admin.monthLabel', { year: y, month: m });
}

function rateText(rate) {
  return rate === null || rate === undefined ? '—' : `${formatNumber(rate * 100, 0)}%`;
}

const subjectColumns = ['admin.att.subject', 'admin.unit', 'admin.comp.officer', 'admin.rep.credited',
  'admin.rep.required', 'admin.rep.missed', 'admin.comp.mismatches', 'admin.comp.spotFailed',
  'admin.comp.monthsMet', 'admin.comp.flags'];

export default {
  title: 'admin.comp.title',
  render(view, ctx) {
    const page = { aborted: false };
    let chart = null;
    const state = saved ?? { month: thisMonth(), unit: ctx.user?.unit ?? '', flaggedOnly: false };
    saved = state;

    const monthIn = h('input', { id: 'compliance-month', type: 'month', value: state.month, required: true });
    const unitSel = h('select', { id: 'compliance-unit' });
    const flagged = h('input', { id: 'compliance-flagged-only', type: 'checkbox', checked: state.flaggedOnly });
    const apply = h('button', { id: 'compliance-apply', type: 'submit', class: 'primary', i18n: 'admin.apply' });
    const error = alertBox('compliance-error');
    const status = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
    const form = h('form', { class: 'filters card', novalidate: true },
      h('div', { class: 'filter-grid' },
        h('div', { class: 'field' }, h('label', { for: 'compliance-month', i18n: 'admin.comp.lastMonth' }), monthIn),
        h('div', { class: 'field' }, h('label', { for: 'compliance-unit', i18n: 'admin.unit' }), unitSel),
        h('div', { class: 'field filter-actions' }, apply)));

    const chartSection = h('section', { class: 'card', 'aria-labelledby': 'trend-heading' },
      h('h2', { id: 'trend-heading', i18n: 'admin.comp.trend' }));
    const { table: subjectWrap, tbody } = table('compliance-table', 'admin.comp.caption', subjectColumns);
    const subjectSection = h('section', { class: 'card', 'aria-labelledby': 'subjects-heading' },
      h('h2', { id: 'subjects-heading', i18n: 'admin.comp.subjects' }),
      h('div', { class: 'check-field' }, flagged, h('label', { for: 'compliance-flagged-only', i18n: 'admin.comp.flaggedOnly' })),
      h('p', { class: 'muted small', i18n: 'admin.comp.flagHint' }),
      subjectWrap);
    const section = pageFrame('admin.comp.title', 'admin.comp.intro');
    section.append(form, error, status, chartSection, subjectSection);
    view.append(section);

    let units = [];
    let users = new Map();
    let report = null;
    let token = 0;
    const unitName = (id) => units.find((u) => u.id === id)?.name ?? id;

    function drawTrend() {
      if (chart) { chart.destroy(); chart = null; }
      clear(chartSection, h('h2', { id: 'trend-heading', i18n: 'admin.comp.trend' }));
      const months = report.months ?? [];
      const unitRows = (report.units ?? []).filter((u) => (u.trend ?? []).some((p) => p.subjects > 0));
      const summary = t('admin.comp.chartSummary', { units: unitRows.length, months: months.length });
      const canvas = h('canvas', { id: 'compliance-trend', role: 'img', 'aria-label': summary, 'aria-describedby': 'trend-table-note' });

      // The figures as a table: always there (screen readers, no chart library).
      const { table: wrap, tbody: tb } = table('trend-table', 'admin.comp.trendCaption',
        ['admin.unit', ...months.map(() => '')]);
      const head = wrap.querySelectorAll('thead th');
      months.forEach((m, i) => {
        const th = head[i + 1];
        th.removeAttribute('data-i18n');
        th.textContent = monthLabel(m);
      });
      for (const u of unitRows) {
        tb.append(h('tr', { dataset: { unit: u.unit } },
          h('th', { scope: 'row', text: u.name || u.unit }),
          (u.trend ?? []).map((p) => h('td', { class: 'num', text: p.subjects ? `${rateText(p.rate)} (${p.met}/${p.subjects})` : '—' }))));
      }
      if (!unitRows.length) tb.append(emptyRow(months.length + 1, 'admin.comp.noSubjects'));

      const Chart = chartLibrary();
      if (!Chart) {
        chartSection.append(h('p', { class: 'notice', role: 'status', i18n: 'admin.chartMissing' }),
          h('div', { class: 'chart-box' }, canvas),
          h('p', { id: 'trend-table-note', class: 'sr-only', text: summary }), wrap);
        drawPlainLines(canvas, months.map(monthLabel), unitRows.map((u, i) => ({
          colour: palette[i % palette.length],
          values: (u.trend ?? []).map((p) => (p.rate === null || p.rate === undefined ? null : p.rate * 100)),
        })));
        return;
      }
      const box = h('div', { class: 'chart-box trend-box' }, canvas);
      chartSection.append(box, h('details', { class: 'chart-table' },
        h('summary', { id: 'trend-table-note', i18n: 'admin.session.asTable' }), wrap));
      try {
        chart = new Chart(canvas, {
          type: 'line',
          data: {
            labels: months.map(monthLabel),
            datasets: unitRows.map((u, i) => ({
              label: u.name || u.unit,
              data: (u.trend ?? []).map((p) => (p.rate === null || p.rate === undefined ? null : Math.round(p.rate * 1000) / 10)),
              borderColor: palette[i % palette.length],
              backgroundColor: palette[i % palette.length],
              tension: 0.2,
              spanGaps: false,
              pointRadius: 3,
            })),
          },
          options: {
            responsive: true,
            maintainAspectRatio: false,
            animation: false,
            scales: {
              y: { min: 0, max: 100, ticks: { callback: (v) => `${v}%` }, title: { display: true, text: t('admin.comp.rate') } },
            },
            plugins: {
              legend: { position: 'bottom', labels: { boxWidth: 12 } },
              tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${item.raw === null ? '—' : `${formatNumber(item.raw, 0)}%`}` } },
            },
          },
        });
      } catch (e) {
        console.error(e);
        box.replaceWith(h('p', { class: 'notice', role: 'status', i18n: 'admin.chartFailed' }));
      }
    }

    function fillSubjects() {
      const months = report.months ?? [];
      let list = (report.subjects ?? []).slice();
      list.sort((a, b) => (b.flags?.length ?? 0) - (a.flags?.length ?? 0) || (a.name ?? '').localeCompare(b.name ?? ''));
      if (state.flaggedOnly) list = list.filter((s) => s.flags?.length);
      clear(tbody, list.length ? list.map((s) => {
        const trend = s.trend ?? [];
        const last = trend[trend.length - 1] ?? {};
        const metCount = trend.filter((p) => p.met).length;
        return h('tr', { dataset: { subject: s.id, flags: (s.flags ?? []).join(' ') } },
          h('th', { scope: 'row' }, s.name || s.id, s.username ? h('span', { class: 'muted small', text: ` ${s.username}` }) : null),
          h('td', { text: unitName(s.unit) }),
          h('td', { text: s.officer ? (users.get(s.officer)?.name ?? s.officer) : '—' }),
          num(last.credited_hours, 2),
          num(last.required_hours, 1),
          num(last.missed_required_sessions),
          num(last.mismatches),
          num(last.spot_checks_failed),
          h('td', { class: 'num', text: `${metCount} / ${months.length}`,
            title: trend.map((p) => `${monthLabel(p.month)}: ${t(p.met ? 'admin.rep.yes' : 'admin.rep.no')}`).join('\n') }),
          h('td', { class: 'flags' }, (s.flags ?? []).length
            ? h('ul', { class: 'flag-list' }, s.flags.map((f) => h('li', { class: 'flag', dataset: { flag: f }, text: flagLabel(f) })))
            : h('span', { class: 'muted', i18n: 'admin.comp.noFlags' })));
      }) : emptyRow(subjectColumns.length, state.flaggedOnly ? 'admin.comp.noFlagged' : 'admin.comp.noSubjects'));
      const flaggedCount = (report.subjects ?? []).filter((s) => s.flags?.length).length;
      status.textContent = t('admin.comp.summary', { flagged: flaggedCount, total: (report.subjects ?? []).length });
    }

    async function load() {
      const mine = ++token;
      hideError(error);
      status.textContent = t('admin.loading');
      try {
        report = await get('/api/reports/compliance', { unit: state.unit, months: 6, month: state.month });
      } catch (e) {
        if (page.aborted || mine !== token) return;
        status.textContent = '';
        report = null;
        if (chart) { chart.destroy(); chart = null; }
        clear(chartSection, h('h2', { id: 'trend-heading', i18n: 'admin.comp.trend' }),
          h('canvas', { id: 'compliance-trend', hidden: true }));
        clear(tbody, emptyRow(subjectColumns.length));
        showError(error, e);
        return;
      }
      if (page.aborted || mine !== token) return;
      drawTrend();
      fillSubjects();
    }

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      hideError(error);
      if (!isMonth(monthIn.value)) { showError(error, t('admin.badMonth')); return; }
      state.month = monthIn.value;
      state.unit = unitSel.value;
      load();
    });
    flagged.addEventListener('change', () => {
      state.flaggedOnly = flagged.checked;
      if (report) fillSubjects();
    });

    (async () => {
      let u;
      [u, users] = await Promise.all([loadUnits().catch((e) => e), loadUserMap(page)]);
      if (page.aborted) return;
      if (u instanceof Error) { showError(error, u); return; }
      units = u;
      fillUnitSelect(unitSel, units, state.unit);
      if (!unitSel.value && unitSel.options.length) unitSel.selectedIndex = 0;
      state.unit = unitSel.value;
      load();
    })();

    return () => {
      page.aborted = true;
      if (chart) { chart.destroy(); chart = null; }
    };
  },
};
