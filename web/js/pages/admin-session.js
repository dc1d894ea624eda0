// One class session: its header, a presence timeline per subject (connected intervals,
// presence samples coloured by outcome, spot checks and alerts) drawn with Chart.js, the
// same facts as a table for screen readers and when the chart library is missing, and the
// per-subject attendance summary.
import { h, clear, table } from '../dom.js';
import { get } from '../api.js';
import { t, formatNumber } from '../i18n.js';
import { formatDateTime, formatTime, formatHourMinute as hm, utcOffsetMinutes } from '../time.js';
import {
  alertBox, showError, pageFrame, loadingLine, chartLibrary, outcomeColours, drawPlainTimeline,
  outcomes, outcomeLabel, outcomeBadge, num, emptyRow,
} from './admin-common.js';

const ms = (iso) => {
  const v = Date.parse(iso);
  return Number.isNaN(v) ? null : v;
};

function spotLabel(outcome) {
  const key = `admin.spot.${outcome}`;
  const text = t(key);
  return text === key ? outcome : text;
}

function alertLabel(kind) {
  const key = `admin.alert.${kind}`;
  const text = t(key);
  return text === key ? kind : text;
}

function reasonLabel(reason) {
  if (!reason) return '';
  const key = `admin.reason.${reason}`;
  const text = t(key);
  return text === key ? reason : text;
}

// Normalises the timeline (or, without it, the attendance summary) to one shape.
function subjectsFrom(timeline, attendance, now) {
  const src = timeline?.subjects ?? (attendance?.attendance ?? []).map((a) => ({
    subject: a.subject, name: a.name, intervals: a.intervals ?? [], samples: [], spot_checks: [], alerts: [],
  }));
  return src.map((s) => ({
    id: s.subject,
    name: s.name || s.subject,
    intervals: (s.intervals ?? []).map((i) => {
      const join = i.join_t ?? ms(i.join);
      const leave = i.open ? now : (i.leave_t ?? ms(i.leave) ?? now);
      return { join, leave, open: !!i.open, reason: i.reason ?? '' };
    }).filter((i) => i.join !== null),
    samples: (s.samples ?? []).map((x) => ({ t: x.t ?? ms(x.ts), outcome: x.outcome || x.state || '', score: x.score })),
    spotChecks: (s.spot_checks ?? []).map((x) => ({ t: x.t ?? ms(x.ts), outcome: x.outcome ?? '', challenge: x.challenge ?? '' })),
    alerts: (s.alerts ?? []).map((x) => ({ t: x.t ?? ms(x.ts), kind: x.kind ?? '', message: x.message ?? '' })),
  }));
}

function headerOf(cls) {
  const item = (key, value) => [h('dt', { i18n: key }), h('dd', {}, value)];
  const stateKey = `admin.classState.${cls.state}`;
  return h('dl', { class: 'class-facts' },
    item('admin.session.scheduled', `${formatDateTime(cls.start)} – ${hm(cls.end)}`),
    cls.started_at ? item('admin.session.actual', `${formatDateTime(cls.started_at)} – ${cls.ended_at ? hm(cls.ended_at) : t('admin.session.ongoing')}`) : null,
    item('admin.session.state', t(stateKey) === stateKey ? (cls.state ?? '—') : t(stateKey)),
    item('admin.session.required', t(cls.required === false ? 'admin.no' : 'admin.yes')));
}

// The time axis: whole-minute ticks, about eight of them, bounds on a tick.
function timeRange(cls, rows, now) {
  const times = [ms(cls.start), ms(cls.end), ms(cls.started_at), ms(cls.ended_at)];
  for (const r of rows) {
    for (const i of r.intervals) times.push(i.join, i.leave);
    for (const x of [...r.samples, ...r.spotChecks, ...r.alerts]) times.push(x.t);
  }
  const valid = times.filter((v) => Number.isFinite(v));
  let min = Math.min(...valid);
  let max = Math.max(...valid);
  if (!Number.isFinite(min) || !Number.isFinite(max)) { min = now - 3600000; max = now; }
  if (max - min < 60000) max = min + 60000;
  // Ticks on whole minutes: a step giving about eight labels, bounds on that step.
  const minute = 60000;
  const steps = [1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 360, 720, 1440].map((n) => n * minute);
  const step = steps.find((v) => (max - min) / v <= 8) ?? steps[steps.length - 1];
  // Whole steps of the agency's wall clock (a 30-minute step starts on :00 or :30 there).
  const zone = -utcOffsetMinutes() * minute;
  const lo = Math.floor((min - zone) / step) * step + zone;
  const hi = Math.ceil((max - zone) / step) * step + zone;
  return { lo, hi, step };
}

// The chart: a scatter chart with one row per subject (y = row index). Intervals are thick
// line segments; samples, spot checks and alerts are points just above or below the line.
function drawChart(Chart, canvas, cls, rows, now) {
  const { lo, hi, step } = timeRange(cls, rows, now);

  const interval = [];
  rows.forEach((r, y) => {
    for (const i of r.intervals) interval.push({ x: i.join, y }, { x: i.leave, y }, { x: NaN, y: NaN });
  });
  const datasets = [{
    type: 'line', label: t('admin.session.connected'), data: interval, borderColor: 'rgba(25, 118, 210, 0.35)',
    backgroundColor: 'rgba(25, 118, 210, 0.35)', borderWidth: 14, borderCapStyle: 'butt', pointRadius: 0,
    pointHoverRadius: 0, spanGaps: false, order: 3, kind: 'interval',
  }];
  for (const outcome of outcomes) {
    const data = [];
    rows.forEach((r, y) => {
      for (const s of r.samples) if (s.outcome === outcome) data.push({ x: s.t, y, outcome: s.outcome, score: s.score });
    });
    if (!data.length) continue;
    datasets.push({ label: outcomeLabel(outcome), data, backgroundColor: outcomeColours[outcome],
      borderColor: outcomeColours[outcome], pointStyle: 'rect', pointRadius: 3.5, order: 2, kind: 'sample' });
  }
  const other = [];
  rows.forEach((r, y) => {
    for (const s of r.samples) if (!outcomes.includes(s.outcome)) other.push({ x: s.t, y, outcome: s.outcome, score: s.score });
  });
  if (other.length) datasets.push({ label: t('admin.session.otherSample'), data: other, backgroundColor: '#455a64', pointStyle: 'rect', pointRadius: 3, order: 2, kind: 'sample' });
  const checks = [];
  const alerts = [];
  rows.forEach((r, y) => {
    for (const c of r.spotChecks) checks.push({ x: c.t, y: y - 0.3, outcome: c.outcome, challenge: c.challenge });
    for (const a of r.alerts) alerts.push({ x: a.t, y: y + 0.3, kind: a.kind, message: a.message });
  });
  if (checks.length) datasets.push({ label: t('admin.session.spotChecks'), data: checks, pointStyle: 'triangle', pointRadius: 7, backgroundColor: '#0d47a1', borderColor: '#0d47a1', order: 1, kind: 'check' });
  if (alerts.length) datasets.push({ label: t('admin.session.alerts'), data: alerts, pointStyle: 'crossRot', pointRadius: 7, borderWidth: 3, borderColor: '#b71c1c', backgroundColor: '#b71c1c', order: 1, kind: 'alert' });

  const names = rows.map((r) => r.name);
  const startLine = ms(cls.start);
  return new Chart(canvas, {
    type: 'scatter',
    data: { datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      parsing: false,
      normalized: true,
      interaction: { mode: 'nearest', intersect: true },
      scales: {
        x: {
          type: 'linear', min: lo, max: hi,
          ticks: { stepSize: step, callback: (v) => hm(v), maxRotation: 0, autoSkipPadding: 12 },
          title: { display: true, text: t('admin.session.time') },
          grid: { color: (c) => (startLine && Math.abs(c.tick.value - startLine) < 1 ? '#333' : 'rgba(0,0,0,0.08)') },
        },
        y: {
          type: 'linear', reverse: true, min: -0.6, max: Math.max(0.6, rows.length - 0.4),
          afterBuildTicks: (axis) => { axis.ticks = names.map((_, i) => ({ value: i })); },
          ticks: { callback: (v) => names[v] ?? '', autoSkip: false },
          grid: { display: false },
        },
      },
      plugins: {
        legend: {
          position: 'bottom',
          labels: {
            usePointStyle: true,
            boxWidth: 10,
            // The intervals' legend entry as a plain bar, not a thick-bordered point.
            generateLabels: (c) => Chart.defaults.plugins.legend.labels.generateLabels(c).map((item) => (
              c.data.datasets[item.datasetIndex]?.kind === 'interval'
                ? { ...item, pointStyle: 'rect', lineWidth: 0, fillStyle: 'rgba(25, 118, 210, 0.45)' } : item)),
          },
        },
        tooltip: {
          callbacks: {
            title: (items) => (items.length ? formatTime(items[0].raw.x) : ''),
            label: (item) => {
              const raw = item.raw;
              const who = names[Math.round(raw.y)] ?? '';
              switch (item.dataset.kind) {
                case 'sample': return `${who}: ${outcomeLabel(raw.outcome)}${typeof raw.score === 'number' && raw.score >= 0 ? ` (${formatNumber(raw.score, 2)})` : ''}`;
                case 'check': return `${who}: ${t('admin.session.spotCheck')} – ${spotLabel(raw.outcome)}`;
                case 'alert': return `${who}: ${alertLabel(raw.kind)}`;
                default: return `${who}: ${t('admin.session.connected')}`;
              }
            },
          },
        },
      },
    },
  });
}

// Counts per outcome, as text ("verified 40, no face 2").
function sampleCounts(samples) {
  const counts = new Map();
  for (const s of samples) counts.set(s.outcome, (counts.get(s.outcome) ?? 0) + 1);
  if (!counts.size) return '—';
  return [...counts].map(([o, n]) => `${outcomeLabel(o)} ${n}`).join(t('admin.listSep'));
}

function timelineTable(rows, withSamples) {
  const { table: wrap, tbody } = table('timeline-table', 'admin.session.tableCaption',
    ['admin.att.subject', 'admin.session.intervals', 'admin.session.samples', 'admin.session.spotChecks', 'admin.session.alerts']);
  const times = (list, fmt) => (list.length ? list.map(fmt).join(t('admin.listSep')) : '—');
  for (const r of rows) {
    tbody.append(h('tr', { dataset: { subject: r.id } },
      h('th', { scope: 'row', text: r.name }),
      h('td', { text: times(r.intervals, (i) => `${formatTime(i.join)}–${i.open ? t('admin.session.now') : formatTime(i.leave)}${i.reason ? ` (${reasonLabel(i.reason)})` : ''}`) }),
      h('td', { text: withSamples ? sampleCounts(r.samples) : t('admin.session.noSamples') }),
      h('td', { text: times(r.spotChecks, (c) => `${formatTime(c.t)} ${spotLabel(c.outcome)}`) }),
      h('td', { text: times(r.alerts, (a) => `${formatTime(a.t)} ${alertLabel(a.kind)}`) })));
  }
  if (!rows.length) tbody.append(emptyRow(5, 'admin.session.noSubjects'));
  return wrap;
}

function summaryTable(attendance) {
  const { table: wrap, tbody } = table('session-summary', 'admin.session.summaryCaption',
    ['admin.att.subject', 'admin.att.connected', 'admin.att.credited', 'admin.att.reconnects',
      'admin.att.spotChecks', 'admin.session.spotMissed', 'admin.att.samples', 'admin.att.lastOutcome']);
  const list = attendance?.attendance ?? [];
  for (const a of list) {
    tbody.append(h('tr', { dataset: { subject: a.subject } },
      h('th', { scope: 'row', text: a.name || a.subject }),
      num(a.minutes_connected), num(a.minutes_credited), num(a.reconnects), num(a.spot_checks),
      num(a.spot_checks_missed),
      h('td', { class: 'num', text: a.samples === undefined ? '—' : `${a.samples_verified ?? 0} / ${a.samples}` }),
      h('td', {}, outcomeBadge(a.last_outcome))));
  }
  if (!list.length) tbody.append(emptyRow(8, 'admin.session.noSubjects'));
  return wrap;
}

export default {
  title: 'admin.session.title',
  render(view, ctx) {
    const page = { aborted: false };
    let chart = null;
    const classId = ctx.params.id;
    const section = pageFrame('admin.session.title');
    const heading = section.querySelector('h1');
    const error = alertBox('session-error');
    const loading = loadingLine();
    section.append(h('p', {}, h('a', { href: '#/admin/attendance', i18n: 'admin.session.back' })), error, loading);
    view.append(section);

    (async () => {
      const [tl, att] = await Promise.allSettled([
        get(`/api/classes/${encodeURIComponent(classId)}/timeline`),
        get(`/api/classes/${encodeURIComponent(classId)}/attendance`),
      ]);
      if (page.aborted) return;
      loading.remove();
      let timeline = tl.status === 'fulfilled' ? tl.value : null;
      const attendance = att.status === 'fulfilled' ? att.value : null;
      if (!timeline) { showError(error, tl.reason); return; }
      const cls = timeline?.class ?? attendance?.class ?? {};
      const now = timeline?.now_t ?? Date.now();
      heading.removeAttribute('data-i18n');
      heading.textContent = cls.title || classId;
      const rows = subjectsFrom(timeline, attendance, now);
      section.append(headerOf(cls));

      const Chart = chartLibrary();
      const chartSection = h('section', { class: 'card', 'aria-labelledby': 'timeline-heading' },
        h('h2', { id: 'timeline-heading', i18n: 'admin.session.timeline' }));
      section.append(chartSection);
      const summaryText = t('admin.session.chartSummary', {
        subjects: rows.length,
        present: rows.filter((r) => r.intervals.length).length,
        samples: rows.reduce((n, r) => n + r.samples.length, 0),
        checks: rows.reduce((n, r) => n + r.spotChecks.length, 0),
        alerts: rows.reduce((n, r) => n + r.alerts.length, 0),
      });
      const canvas = h('canvas', { id: 'presence-timeline', role: 'img', 'aria-label': summaryText, 'aria-describedby': 'timeline-table-note' });
      const textTable = timelineTable(rows, true);
      if (Chart) {
        const box = h('div', { class: 'chart-box timeline-box' }, canvas);
        box.style.height = `${Math.max(180, rows.length * 46 + 110)}px`;
        chartSection.append(box,
          h('details', { class: 'chart-table' },
            h('summary', { id: 'timeline-table-note', i18n: 'admin.session.asTable' }), textTable));
        try {
          chart = drawChart(Chart, canvas, cls, rows, now);
        } catch (e) {
          console.error(e);
          box.replaceWith(h('p', { class: 'notice', role: 'status', i18n: 'admin.chartFailed' }));
          chartSection.querySelector('details').open = true;
        }
      } else {
        // A plain drawing on the same canvas; the table carries the facts.
        const box = h('div', { class: 'chart-box' }, canvas);
        chartSection.append(h('p', { class: 'notice', role: 'status', i18n: 'admin.chartMissing' }), box,
          h('p', { id: 'timeline-table-note', class: 'sr-only', text: summaryText }), textTable);
        const range = timeRange(cls, rows, now);
        drawPlainTimeline(canvas, rows.map((r) => ({
          label: r.name,
          segments: r.intervals.map((i) => [i.join, i.leave]),
          points: [
            ...r.samples.map((p) => ({ x: p.t, colour: outcomeColours[p.outcome] ?? '#455a64' })),
            ...r.spotChecks.map((c) => ({ x: c.t, colour: '#0d47a1', dy: -11 })),
            ...r.alerts.map((a) => ({ x: a.t, colour: '#b71c1c', dy: 11 })),
          ],
        })), range.lo, range.hi, hm, range.step);
      }

      const summarySection = h('section', { class: 'card', 'aria-labelledby': 'summary-heading' },
        h('h2', { id: 'summary-heading', i18n: 'admin.session.summary' }));
      if (attendance) summarySection.append(summaryTable(attendance));
      else {
        const e2 = alertBox('summary-error');
        showError(e2, att.reason);
        summarySection.append(e2);
      }
      section.append(summarySection);
    })();

    return () => {
      page.aborted = true;
      if (chart) { chart.destroy(); chart = null; }
    };
  },
};
