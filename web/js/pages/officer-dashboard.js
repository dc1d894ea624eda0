// The officer's dashboard: today's classes (to open their console), open alerts, and the
// caseload's compliance this month with a call button and the face-reference page.
import { h, clear, table, toast } from '../dom.js';
import { get, readableError } from '../api.js';
import { formatNumber } from '../i18n.js';
import { formatDateTime, formatHourMinute, today, isToday } from '../time.js';
import { startCall } from '../calls.js';
import { readableSignalError } from '../errors.js';

// An alert names its subject: by the name the server sent, else one this page knows.
export function alertItem(alert, names) {
  const name = alert.subject_name || names.get(alert.subject) || '';
  return h('li', { class: `alert ${alert.kind}`, dataset: { kind: alert.kind, subject: alert.subject } },
    h('time', { datetime: alert.time ?? '', text: formatDateTime(alert.time ?? alert.ts) }), ' ',
    name ? h('strong', { text: name }) : null, ' ',
    h('span', { i18n: `alert.${alert.kind}` }));
}

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
    const alertsList = h('ul', { id: 'alerts-list', class: 'alerts', 'aria-live': 'polite' });
    // Subjects whose presence can only be `unenrolled` until a reference is enrolled.
    const unenrolledList = h('ul', { id: 'unenrolled-list', class: 'cards' });
    const { table: caseTable, tbody } = table('caseload', 'dashboard.caseload_caption',
      ['dashboard.subject', 'dashboard.hours', 'dashboard.missed', 'dashboard.flags', 'dashboard.actions']);
    view.append(
      h('div', { class: 'class-head' }, h('h1', { i18n: 'nav.dashboard' }),
        h('a', { href: '#/officer/schedule', class: 'button primary', id: 'nav-schedule-link', i18n: 'dashboard.schedule' })),
      h('div', { class: 'grid-2' },
        h('section', { 'aria-labelledby': 'today-heading' }, h('h2', { id: 'today-heading', i18n: 'dashboard.today' }), classList),
        h('section', { 'aria-labelledby': 'alerts-heading' }, h('h2', { id: 'alerts-heading', i18n: 'dashboard.alerts' }), alertsList)),
      h('section', { 'aria-labelledby': 'caseload-heading' }, h('h2', { id: 'caseload-heading', i18n: 'dashboard.caseload' }), caseTable),
      h('section', { 'aria-labelledby': 'unenrolled-heading' },
        h('h2', { id: 'unenrolled-heading', i18n: 'dashboard.unenrolled' }),
        h('p', { class: 'muted small', i18n: 'dashboard.unenrolled_hint' }), unenrolledList));

    const names = new Map();
    // Today in the agency's time zone, and a class still live from an earlier day.
    const day = today();
    const loads = [
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
              h('a', { class: 'enrol-face button', href: `#/officer/references/${encodeURIComponent(s.id)}`, i18n: 'dashboard.face' })));
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
    try {
      const { alerts } = await get('/api/alerts');
      const recent = alerts.slice(-50).reverse();
      clear(alertsList, recent.length ? recent.map((a) => alertItem(a, names)) : h('li', { class: 'muted', i18n: 'dashboard.no_alerts' }));
    } catch (e) {
      clear(alertsList, h('li', {}, h('span', { class: 'error', role: 'alert', text: readableError(e) })));
    }
    const off = ctx.signal.on('alert', (msg) => {
      alertsList.querySelector('.muted')?.remove();
      alertsList.prepend(alertItem({ ...msg, time: new Date(msg.ts).toISOString() }, names));
    });

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
    return off;
  },
};
