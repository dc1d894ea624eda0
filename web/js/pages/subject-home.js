// The subject's home: today's and upcoming classes with a join button, and this month's
// credited hours against the requirement.
import { h, clear, toast } from '../dom.js';
import { get, readableError } from '../api.js';
import { t, formatNumber } from '../i18n.js';
import { formatDateTime, today } from '../time.js';
import { formatWhen } from './supervision-common.js';

const joinEarlyMs = 10 * 60000; // [attendance] join_early_minutes: the server has the last word

function classCard(cls, navigate) {
  const now = Date.now();
  const start = Date.parse(cls.start);
  const end = Date.parse(cls.end);
  const open = cls.state === 'live' || (cls.state === 'scheduled' && now >= start - joinEarlyMs && now < end);
  const stateKey = cls.state === 'live' ? 'class.state_live' : open ? 'class.state_open' : 'class.state_scheduled';
  return h('li', { class: `class-card ${cls.state}`, dataset: { class: cls.id } },
    h('h3', { text: cls.title }),
    h('p', {}, h('time', { datetime: cls.start, text: formatDateTime(cls.start) }), ' – ',
      h('time', { datetime: cls.end, text: formatDateTime(cls.end) })),
    h('p', {}, h('span', { class: `badge ${cls.state}`, i18n: stateKey }),
      cls.required ? h('span', { class: 'badge required', i18n: 'class.required' }) : null),
    h('button', {
      type: 'button', class: 'join-class primary', i18n: 'class.join',
      disabled: !open, 'aria-describedby': open ? null : `opens-${cls.id}`,
      on: { click: () => navigate(`subject/class/${encodeURIComponent(cls.id)}`) },
    }),
    open ? null : h('p', { id: `opens-${cls.id}`, class: 'muted', i18n: 'class.opens_at', i18nArgs: { time: formatDateTime(start - joinEarlyMs) } }));
}

// Check-ins due now: the scheduled window by level and any ordered by the officer, each with
// its deadline and a big button to the check-in page.
function dueCheckins(due) {
  const items = [
    ...(due.orders ?? []).map((o) => h('li', { class: 'class-card checkin-due ordered', dataset: { order: o.order } },
      h('h3', { i18n: 'ck.due_ordered_title' }),
      h('p', { i18n: 'ck.deadline', i18nArgs: { time: formatWhen(o.deadline) } }),
      h('p', { class: 'muted', i18n: 'ck.attempts_left', i18nArgs: { n: o.attempts_left } }),
      h('a', { class: 'button primary checkin-go', href: `#/subject/checkin/${encodeURIComponent(o.order)}`, i18n: 'ck.check_in_now' }))),
    ...(due.windows ?? []).map((w) => h('li', { class: 'class-card checkin-due scheduled', dataset: { last: w.last } },
      h('h3', { i18n: 'ck.due_scheduled_title' }),
      h('p', {}, h('time', { datetime: w.first, text: formatWhen(w.first) }), w.last !== w.first ? [' – ', h('time', { datetime: w.last, text: formatWhen(w.last) })] : null),
      h('p', { class: 'muted', i18n: 'ck.attempts_left', i18nArgs: { n: w.attempts_left } }),
      h('a', { class: 'button primary checkin-go', href: '#/subject/checkin', i18n: 'ck.check_in_now' }))),
  ];
  return items.length ? items : [h('li', { class: 'muted', i18n: 'ck.nothing_due' })];
}

function hoursPanel(hours) {
  const required = hours.required_hours || 0;
  const credited = hours.credited_hours || 0;
  const progress = h('progress', { id: 'hours-progress', max: String(Math.max(required, 0.01)), value: String(Math.min(credited, Math.max(required, 0.01))), 'aria-labelledby': 'hours-label' });
  return h('section', { class: 'card hours', 'aria-labelledby': 'hours-label' },
    h('h2', { id: 'hours-label', i18n: 'hours.heading', i18nArgs: { month: hours.month } }),
    progress,
    h('p', { class: 'big', i18n: 'hours.progress', i18nArgs: { credited: formatNumber(credited), required: formatNumber(required) } }),
    h('p', { class: hours.met ? 'ok' : 'warn', i18n: hours.met ? 'hours.met' : 'hours.not_met' }),
    hours.missed_required_sessions > 0
      ? h('p', { class: 'warn', i18n: 'hours.missed', i18nArgs: { n: hours.missed_required_sessions } }) : null);
}

export default {
  title: 'nav.home',
  async render(view, ctx) {
    const classesList = h('ul', { class: 'cards', id: 'class-list', 'aria-live': 'polite' });
    const hoursSlot = h('div', { class: 'hours-slot' }, h('p', { class: 'muted', i18n: 'common.loading' }));
    const dueList = h('ul', { class: 'cards', id: 'checkins-due', 'aria-live': 'polite' }, h('li', { class: 'muted', i18n: 'common.loading' }));
    view.append(
      h('h1', { i18n: 'subject.welcome', i18nArgs: { name: ctx.user.name } }),
      h('section', { 'aria-labelledby': 'due-heading' },
        h('h2', { id: 'due-heading', i18n: 'ck.due_heading' }), dueList),
      h('div', { class: 'grid-2' },
        h('section', { 'aria-labelledby': 'classes-heading' },
          h('h2', { id: 'classes-heading', i18n: 'subject.classes' }), classesList),
        hoursSlot),
      h('p', {}, h('a', { href: '#/subject/history', id: 'nav-history-link', i18n: 'subject.history_link' })));

    const loadDue = () => get('/api/checkins/due').then((due) => clear(dueList, dueCheckins(due)))
      .catch((e) => clear(dueList, h('li', {}, h('span', { class: 'error', role: 'alert', text: readableError(e) }))));
    loadDue();
    // An order pushed while the subject is here shows in the list too.
    const offOrdered = ctx.signal?.on('checkin_ordered', () => loadDue());
    const from = new Date(today().start).toISOString();
    const to = new Date(Date.now() + 14 * 86400000).toISOString();
    try {
      const { classes } = await get('/api/classes', { from, to });
      const upcoming = classes.filter((c) => c.state !== 'ended' && Date.parse(c.end) > Date.now() - 3600000 * 12);
      clear(classesList, upcoming.length
        ? upcoming.map((c) => classCard(c, ctx.navigate))
        : h('li', { class: 'muted', i18n: 'subject.no_classes' }));
    } catch (e) {
      clear(classesList, h('li', {}, h('span', { class: 'error', role: 'alert', text: readableError(e) })));
    }
    try {
      const hours = await get(`/api/subjects/${encodeURIComponent(ctx.user.id)}/hours`);
      clear(hoursSlot, hoursPanel(hours));
    } catch (e) {
      clear(hoursSlot, h('p', { class: 'error', role: 'alert', text: readableError(e) }));
    }
    if (new URLSearchParams(location.search).has('left')) toast(t('class.left'));
    return offOrdered;
  },
};
