// The subject's own attendance: one row per class of the last 90 days, credited minutes
// and spot checks, as the records hold them.
import { h, clear, table } from '../dom.js';
import { get, readableError } from '../api.js';
import { t } from '../i18n.js';
import { formatDateTime } from '../time.js';

export default {
  title: 'nav.history',
  async render(view, ctx) {
    const { table: wrap, tbody } = table('history-table', 'history.caption',
      ['history.class', 'history.start', 'history.connected', 'history.credited', 'history.checks', 'history.result']);
    const status = h('p', { class: 'muted', i18n: 'common.loading' });
    view.append(h('h1', { i18n: 'nav.history' }), status, wrap);
    try {
      const data = await get(`/api/subjects/${encodeURIComponent(ctx.user.id)}/attendance`);
      const rows = [...data.attendance].reverse();
      status.hidden = rows.length > 0;
      if (!rows.length) {
        status.dataset.i18n = 'history.none';
        status.textContent = t('history.none');
      }
      clear(tbody, rows.map((r) => {
        const credited = Math.floor((r.seconds_credited ?? r.minutes_credited * 60) / 60);
        const attended = r.intervals.length > 0;
        return h('tr', { dataset: { class: r.class.id } },
          h('td', { text: r.class.title }),
          h('td', {}, h('time', { datetime: r.class.start, text: formatDateTime(r.class.start) })),
          h('td', { i18n: 'common.minutes', i18nArgs: { n: r.minutes_connected } }),
          h('td', { i18n: 'common.minutes', i18nArgs: { n: credited } }),
          h('td', { i18n: 'history.checks_value', i18nArgs: { n: r.spot_checks, missed: r.spot_checks_missed } }),
          h('td', { class: attended ? 'ok' : r.class.state === 'ended' ? 'warn' : 'muted',
            i18n: attended ? 'history.attended' : r.class.state === 'ended' ? 'history.absent' : 'history.upcoming' }));
      }));
    } catch (e) {
      status.hidden = false;
      status.className = 'error';
      status.setAttribute('role', 'alert');
      status.textContent = readableError(e);
    }
  },
};
