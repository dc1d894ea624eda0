// The officer's dashboard: first the overdue list (脱管 prevention: who has not been seen,
// the latest first) with check-ins to order, then today's classes (to open their console),
// the alerts to acknowledge and resolve, and the caseload's compliance this month with a
// call button and the face-reference page.
import { h, clear, table, toast } from '../dom.js';
import { get, readableError } from '../api.js';
import { formatNumber } from '../i18n.js';
import { alertsPanel, levelBadge, orderCheckins, formatWhen } from './supervision-common.js';
import { formatDateTime, formatHourMinute, today, isToday } from '../time.js';
import { startCall } from '../calls.js';
import { readableSignalError } from '../errors.js';

// The officer's own caseload, and every subject the officer may see (alerts name them all).
async function caseloadRows(user) {
  const { users } = await get('/api/users', { role: 'subject' });
  const mine = user.role === 'officer' ? users.filter((u) => u.officer === user.id) : users;
  const report = await get('/api/reports/compliance', { months: 1 });
  const compliance = new Map(report.subjects.map((s) => [s.id, { ...s.trend[s.trend.length - 1], flags: s.flags }]));
  return { subjects: mine, visible: users, compliance };
}

export default {
  title: 'nav.dashboard',
  async render(view, ctx) {
    const classList = h('ul', { class: 'cards', id: 'today-classes' });
    const names = new Map();
    const alerts = alertsPanel({ id: 'alerts-list', query: { limit: 100 }, names });
    const { table: overdueTable, tbody: overdueBody } = table('overdue', 'sv.overdue_caption',
      ['dashboard.subject', 'sv.level', 'sv.last_contact', 'sv.due_by', 'sv.days_late', 'sv.open_alerts', 'dashboard.actions']);
    const orderMinutes = h('input', { id: 'order-minutes', type: 'number', min: 1, max: 1440, value: 30, inputMode: 'numeric' });
    const orderAll = h('button', { type: 'button', id: 'order-caseload', class: 'primary', i18n: 'sv.order_caseload',
      on: { click: async () => { orderAll.disabled = true; await orderCheckins({ caseload: true }, orderMinutes.value); orderAll.disabled = false; } } });
    // Subjects whose presence can only be `unenrolled` until a reference is enrolled.
    const unenrolledList = h('ul', { id: 'unenrolled-list', class: 'cards' });
    const { table: caseTable, tbody } = table('caseload', 'dashboard.caseload_caption',
      ['dashboard.subject', 'dashboard.hours', 'dashboard.missed', 'dashboard.flags', 'dashboard.actions']);
    view.append(
      h('div', { class: 'class-head' }, h('h1', { i18n: 'nav.dashboard' }),
        h('div', { class: 'actions' },
          // Administrators reach the units' supervision from here (their header has no room).
          h('a', { href: '#/admin/supervision', class: 'button', id: 'nav-supervision-link', i18n: 'nav.supervision' }),
          h('a', { href: '#/officer/schedule', class: 'button primary', id: 'nav-schedule-link', i18n: 'dashboard.schedule' }))),
      h('section', { 'aria-labelledby': 'overdue-heading', class: 'overdue-section' },
        h('h2', { id: 'overdue-heading', i18n: 'sv.overdue' }),
        h('div', { class: 'order-bar' },
          h('div', { class: 'field' }, h('label', { for: 'order-minutes', i18n: 'sv.order_minutes' }), orderMinutes), orderAll),
        overdueTable),
      h('div', { class: 'grid-2' },
        h('section', { 'aria-labelledby': 'today-heading' }, h('h2', { id: 'today-heading', i18n: 'dashboard.today' }), classList),
        h('section', { 'aria-labelledby': 'alerts-heading' }, h('h2', { id: 'alerts-heading', i18n: 'dashboard.alerts' }), alerts.element)),
      h('section', { 'aria-labelledby': 'caseload-heading' }, h('h2', { id: 'caseload-heading', i18n: 'dashboard.caseload' }), caseTable),
      h('section', { 'aria-labelledby': 'unenrolled-heading' },
        h('h2', { id: 'unenrolled-heading', i18n: 'dashboard.unenrolled' }),
        h('p', { class: 'muted small', i18n: 'dashboard.unenrolled_hint' }), unenrolledList));

    // Today in the agency's time zone, and a class still live from an earlier day.
    const day = today();
    const loads = [
      get('/api/supervision/overdue').then(({ subjects }) => {
        // The server sorts by lateness; kept here too so that the latest is always first.
        const rows = [...subjects].sort((a, b) => (b.days_late ?? 0) - (a.days_late ?? 0));
        clear(overdueBody, rows.map((s) => h('tr', { class: s.overdue ? 'overdue' : null, dataset: { subject: s.subject, overdue: String(Boolean(s.overdue)) } },
          h('th', { scope: 'row' }, h('a', { href: `#/officer/subject/${encodeURIComponent(s.subject)}`, class: 'subject-link', text: s.name })),
          h('td', {}, levelBadge(s.level)),
          h('td', {}, s.last_contact ? formatWhen(s.last_contact.ts) : h('span', { class: 'muted', i18n: 'sv.never' })),
          h('td', { text: formatWhen(s.due_by) }),
          h('td', { class: s.overdue ? 'late' : null },
            s.overdue ? h('span', { class: 'badge overdue', i18n: 'sv.days_late_n', i18nArgs: { n: s.days_late } }) : h('span', { class: 'ok', i18n: 'sv.on_time' })),
          h('td', { text: String(s.open_alerts ?? 0) }),
          h('td', { class: 'actions' },
            h('button', { type: 'button', class: 'order-checkin', i18n: 'sv.order_one', i18nAttr: { 'aria-label': 'sv.order_named' }, i18nArgs: { name: s.name },
              on: { click: async (e) => { const b = e.currentTarget; b.disabled = true; await orderCheckins({ subjects: [s.subject] }, orderMinutes.value); b.disabled = false; } } })))));
        if (!rows.length) overdueBody.append(h('tr', {}, h('td', { colspan: '7', class: 'muted', i18n: 'sv.none_overdue' })));
      }).catch((e) => overdueBody.append(h('tr', {}, h('td', { colspan: '7', class: 'error', role: 'alert', text: readableError(e) })))),
      get('/api/classes', { from: new Date(day.start - 86400000).toISOString(), to: new Date(day.end).toISOString() }).then(({ classes }) => {
        const shown = classes.filter((c) => isToday(c.start) || c.state === 'live');
        clear(classList, shown.length ? shown.map((c) => h('li', { class: `class-card ${c.state}`, dataset: { class: c.id } },
          h('h3', { text: c.title }),
          h('p', {}, h('time', { datetime: c.start, text: formatHourMinute(c.start) }), ' – ',
            h('time', { datetime: c.end, text: formatHourMinute(c.end) })),
          h('p', {}, h('span', { class: `badge ${c.state}`, i18n: `class.state_${c.state}` })),
          h('a', { class: 'open-console button primary', href: `#/officer/class/${encodeURIComponent(c.id)}`, i18n: c.state === 'ended' ? 'dashboard.view_class' : 'dashboard.open_console' }),
          h('a', { class: 'button', href: `#/admin/session/${encodeURIComponent(c.id)}`, i18n: 'dashboard.attendance' })))
          : h('li', { class: 'muted', i18n: 'dashboard.no_classes' }));
      }).catch((e) => clear(classList, h('li', {}, h('span', { class: 'error', role: 'alert', text: readableError(e) })))),
      caseloadRows(ctx.user).then(({ subjects, visible, compliance }) => {
        visible.forEach((s) => names.set(s.id, s.name));
        clear(tbody, subjects.map((s) => {
          const c = compliance.get(s.id);
          return h('tr', { dataset: { subject: s.id } },
            h('th', { scope: 'row', text: `${s.name} (${s.username})` }),
            h('td', {}, c ? h('span', { class: c.met ? 'ok' : 'warn', i18n: 'hours.progress', i18nArgs: { credited: formatNumber(c.credited_hours), required: formatNumber(c.required_hours) } }) : '—'),
            h('td', { text: c ? String(c.missed_required_sessions ?? 0) : '—' }),
            h('td', {}, (c?.flags ?? []).map((f) => h('span', { class: 'flag', dataset: { flag: f }, i18n: `flag.${f}` }))),
            h('td', { class: 'actions' },
              h('button', { type: 'button', class: 'call-subject', i18n: 'dashboard.call', i18nAttr: { 'aria-label': 'dashboard.call_named' }, i18nArgs: { name: s.name },
                on: { click: (e) => call(s, e.currentTarget) } }),
              h('a', { class: 'enrol-face button', href: `#/officer/references/${encodeURIComponent(s.id)}`, i18n: 'dashboard.face' }),
              h('a', { class: 'supervision button', href: `#/officer/subject/${encodeURIComponent(s.id)}`, i18n: 'sv.record' })));
        }));
        if (!subjects.length) tbody.append(h('tr', {}, h('td', { colspan: '5', class: 'muted', i18n: 'dashboard.no_subjects' })));
      }).catch((e) => tbody.append(h('tr', {}, h('td', { colspan: '5', class: 'error', role: 'alert', text: readableError(e) })))),
      get('/api/references/missing').then(({ subjects }) => {
        clear(unenrolledList, subjects.length ? subjects.map((s) => h('li', { dataset: { subject: s.id } },
          h('a', { class: 'button', href: `#/officer/references/${encodeURIComponent(s.id)}`, text: s.name })))
          : h('li', { class: 'muted', i18n: 'dashboard.no_unenrolled' }));
      }).catch((e) => clear(unenrolledList, h('li', {}, h('span', { class: 'error', role: 'alert', text: readableError(e) })))),
    ];
    await Promise.all(loads);
    await alerts.load();
    // New and escalated alerts arrive whole (as GET /api/alerts lists them), ready to handle.
    const offs = ['alert_raised', 'alert_escalated'].map((type) => ctx.signal.on(type, (msg) => alerts.add(msg)));

    async function call(subject, button) {
      button.disabled = true;
      try {
        const id = await startCall(subject);
        ctx.navigate(`call/${id}`);
      } catch (e) {
        toast(readableSignalError(e), 'error');
      } finally {
        button.disabled = false;
      }
    }
    return () => offs.forEach((off) => off());
  },
};
