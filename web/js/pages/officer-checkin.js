// One check-in record (an audited read, docs/api.md "Check-ins"): who, when, for which window
// or order, the challenge, the decision with its reason and score, the location against the
// registered area (or that it was refused), the written report, and the sealed frames the
// decision used, each fetched with the token into a blob URL and shown with its SHA-256.
import { h, clear } from '../dom.js';
import { get, readableError } from '../api.js';
import { t, has, formatNumber } from '../i18n.js';
import { formatWhen, outcomeBadge, frameUrl } from './supervision-common.js';

function facts(c) {
  const dl = h('dl', { class: 'facts', id: 'checkin-facts' });
  const row = (key, value) => dl.append(h('dt', { i18n: key }), h('dd', {}, value));
  row('dashboard.subject', h('a', { href: `#/officer/subject/${encodeURIComponent(c.subject)}`, text: c.subject_name || c.subject }));
  row('ck.kind', t(`ck.kind.${c.kind}`));
  row('ck.window', c.order ? t('ck.order_n', { id: c.order }) : c.window ? `${formatWhen(c.window.first ?? c.window)}${c.window.last ? ` – ${formatWhen(c.window.last)}` : ''}` : '—');
  row('ck.attempt_n', String(c.attempt ?? '—'));
  row('ck.started', formatWhen(c.started_at));
  row('ck.decided', formatWhen(c.decided_at));
  row('ck.outcome', outcomeBadge(c));
  row('ck.challenge', c.challenge && has(`ck.challenge.${c.challenge}`) ? t(`ck.challenge.${c.challenge}`) : (c.challenge || '—'));
  row('ck.score', c.score === null || c.score === undefined ? '—' : formatNumber(c.score, 2));
  row('ck.location', c.location_refused ? t('ck.location_refused_short')
    : c.location ? `${c.location.lat.toFixed(5)}, ${c.location.lon.toFixed(5)} (±${Math.round(c.location.accuracy ?? 0)} m)` : '—');
  row('ck.area_check', c.out_of_area ? h('span', { class: 'badge out-of-area', id: 'checkin-out-of-area', i18n: 'ck.out_of_area' })
    : c.location ? t('ck.in_area') : '—');
  return dl;
}

export default {
  title: 'ck.record_title',
  async render(view, ctx) {
    const id = ctx.params.id;
    const urls = [];
    const body = h('div', { id: 'checkin-record' }, h('p', { class: 'muted', i18n: 'common.loading' }));
    view.append(h('h1', { i18n: 'ck.record_title' }), body);
    try {
      const c = await get(`/api/checkins/${encodeURIComponent(id)}`);
      const frames = h('ul', { id: 'checkin-frames', class: 'frames' });
      clear(body,
        h('div', { class: 'grid-2' },
          h('section', { class: 'card', 'aria-labelledby': 'facts-heading' }, h('h2', { id: 'facts-heading', i18n: 'ck.decision' }), facts(c)),
          h('section', { class: 'card', 'aria-labelledby': 'report-heading' }, h('h2', { id: 'report-heading', i18n: 'ck.report_heading' }),
            c.report ? h('p', { id: 'checkin-report-text', class: 'report-text', text: c.report }) : h('p', { class: 'muted', i18n: 'ck.no_report' }))),
        h('section', { 'aria-labelledby': 'frames-heading' }, h('h2', { id: 'frames-heading', i18n: 'ck.frames' }),
          (c.frames ?? []).length ? frames : h('p', { class: 'muted', i18n: 'ck.no_frames' })));
      for (const f of c.frames ?? []) {
        const img = h('img', { i18nAttr: { alt: 'ck.frame_alt' }, i18nArgs: { n: f.index + 1 } });
        frames.append(h('li', { class: 'frame', dataset: { index: f.index } }, img, h('p', { class: 'small muted sha', text: `SHA-256 ${f.sha256}` })));
        frameUrl(id, f.index).then((url) => { urls.push(url); img.src = url; })
          .catch((e) => img.replaceWith(h('p', { class: 'error', text: readableError(e) })));
      }
    } catch (e) {
      clear(body, h('p', { class: 'error', role: 'alert', text: readableError(e) }));
    }
    return () => urls.forEach((u) => URL.revokeObjectURL(u));
  },
};
