// One subject's supervision record for officers and administrators in scope: the term and
// level (分类管理) with the level's history, tags and registered area, the last verified
// contact and what is due next; forms to set the level (with its reason) and the term, tags
// and area; an ordered check-in; and the subject's check-ins, each opening its record.
import { h, clear, table, toast, field } from '../dom.js';
import { get, request, post, readableError } from '../api.js';
import { t, has, formatNumber } from '../i18n.js';
import { dateInputValue } from '../time.js';
import { LEVELS, levelBadge, outcomeBadge, orderCheckins, formatWhen } from './supervision-common.js';

function tagLabel(tag) {
  return has(`sv.tag.${tag}`) ? t(`sv.tag.${tag}`) : tag;
}

function summary(sv) {
  const dl = h('dl', { class: 'facts', id: 'supervision-facts' });
  const row = (key, value) => dl.append(h('dt', { i18n: key }), h('dd', {}, value));
  row('sv.status', h('span', { class: `badge status-${sv.status}`, dataset: { status: sv.status }, i18n: `sv.status.${sv.status}` }));
  row('sv.level', levelBadge(sv.level));
  row('sv.term', sv.term_start || sv.term_end ? `${sv.term_start ?? '—'} – ${sv.term_end ?? '—'}` : '—');
  row('sv.decision', sv.decision || '—');
  row('sv.tags', sv.tags?.length ? sv.tags.map(tagLabel).join('、') : '—');
  row('sv.area', sv.area ? `${sv.area.name ?? ''} ${sv.area.radius_m ? t('sv.area_radius', { m: sv.area.radius_m }) : sv.area.polygon ? t('sv.area_polygon', { n: sv.area.polygon.length }) : ''}`.trim() : '—');
  if (sv.rule) {
    row('sv.rule', t('sv.rule_text', { hours: formatNumber(sv.rule.hours_per_month, 0), checkin: sv.rule.checkin, call: sv.rule.call, gap: sv.rule.max_gap_days }));
  }
  row('sv.last_contact', sv.last_contact ? `${formatWhen(sv.last_contact.ts)} (${has(`sv.contact.${sv.last_contact.kind}`) ? t(`sv.contact.${sv.last_contact.kind}`) : sv.last_contact.kind})` : t('sv.never'));
  row('sv.next_checkin', sv.next_checkin ? `${formatWhen(sv.next_checkin.first)} – ${formatWhen(sv.next_checkin.last)}` : '—');
  row('sv.next_call', sv.next_call ? `${formatWhen(sv.next_call.first)} – ${formatWhen(sv.next_call.last)}` : '—');
  return dl;
}

function levelHistory(levels) {
  const { table: wrap, tbody } = table('level-history', 'sv.level_history', ['sv.from', 'sv.level', 'sv.reason', 'sv.by', 'sv.at']);
  for (const l of [...(levels ?? [])].reverse()) {
    tbody.append(h('tr', {}, h('td', { text: l.from }), h('td', {}, levelBadge(l.level)), h('td', { text: l.reason || '—' }),
      h('td', { text: l.by_name || l.by || '—' }), h('td', { text: formatWhen(l.at) })));
  }
  if (!levels?.length) tbody.append(h('tr', {}, h('td', { colspan: '5', class: 'muted', i18n: 'sv.no_levels' })));
  return wrap;
}

export default {
  title: 'sv.record_title',
  async render(view, ctx) {
    const id = ctx.params.id;
    const base = `/api/subjects/${encodeURIComponent(id)}`;
    const heading = h('h1', { i18n: 'sv.record_title' });
    const factsSlot = h('div', { id: 'supervision-summary' }, h('p', { class: 'muted', i18n: 'common.loading' }));
    const historySlot = h('div');
    const { table: checkinsTable, tbody: checkinsBody } = table('subject-checkins', 'ck.list_caption',
      ['ck.started', 'ck.kind', 'ck.outcome', 'ck.challenge', 'ck.location', 'dashboard.actions']);

    // The level form: a level, the day it takes effect and why.
    const levelSelect = h('select', { id: 'level-select' }, LEVELS.map((l) => h('option', { value: l, i18n: `sv.level.${l}` })));
    const levelFrom = h('input', { id: 'level-from', type: 'date' });
    const levelReason = h('textarea', { id: 'level-reason', rows: 2, maxLength: 500, required: true });
    const levelError = h('p', { class: 'error', role: 'alert', hidden: true });
    const levelForm = h('form', { id: 'level-form', class: 'form card', 'aria-labelledby': 'level-heading' },
      h('h2', { id: 'level-heading', i18n: 'sv.set_level' }),
      field('sv.level', levelSelect), field('sv.from', levelFrom), field('sv.reason', levelReason), levelError,
      h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'level-save', class: 'primary', i18n: 'sv.save_level' })));

    // Term, decision, tags and area.
    const termStart = h('input', { id: 'term-start', type: 'date' });
    const termEnd = h('input', { id: 'term-end', type: 'date' });
    const decision = h('input', { id: 'term-decision', type: 'text', maxLength: 200 });
    const tagsBox = h('fieldset', { id: 'tags-box', class: 'tags' }, h('legend', { i18n: 'sv.tags' }));
    const areaName = h('input', { id: 'area-name', type: 'text', maxLength: 100 });
    const areaLat = h('input', { id: 'area-lat', type: 'number', step: 'any', min: -90, max: 90 });
    const areaLon = h('input', { id: 'area-lon', type: 'number', step: 'any', min: -180, max: 180 });
    const areaRadius = h('input', { id: 'area-radius', type: 'number', min: 1, step: 1 });
    const termError = h('p', { class: 'error', role: 'alert', hidden: true });
    const termForm = h('form', { id: 'term-form', class: 'form card', 'aria-labelledby': 'term-heading' },
      h('h2', { id: 'term-heading', i18n: 'sv.set_term' }),
      field('sv.term_start', termStart), field('sv.term_end', termEnd), field('sv.decision', decision), tagsBox,
      h('fieldset', {}, h('legend', { i18n: 'sv.area' }), field('sv.area_name', areaName), field('sv.area_lat', areaLat),
        field('sv.area_lon', areaLon), field('sv.area_radius_m', areaRadius)),
      termError,
      h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'term-save', class: 'primary', i18n: 'sv.save_term' })));

    const orderButton = h('button', { type: 'button', id: 'order-subject', class: 'primary', i18n: 'sv.order_one',
      on: { click: async () => { orderButton.disabled = true; if (await orderCheckins({ subjects: [id] })) loadCheckins(); orderButton.disabled = false; } } });

    view.append(
      h('div', { class: 'class-head' }, heading, h('div', { class: 'actions' }, orderButton)),
      h('div', { class: 'grid-2' }, h('section', { class: 'card', 'aria-labelledby': 'summary-heading' },
        h('h2', { id: 'summary-heading', i18n: 'sv.summary' }), factsSlot), levelForm),
      historySlot,
      termForm,
      h('section', { 'aria-labelledby': 'checkins-heading' }, h('h2', { id: 'checkins-heading', i18n: 'ck.list' }), checkinsTable));

    let tags = [];
    function show(sv) {
      heading.removeAttribute('data-i18n');
      heading.textContent = t('sv.record_of', { name: sv.name });
      document.title = `${heading.textContent} · Vigil`;
      clear(factsSlot, summary(sv));
      clear(historySlot, levelHistory(sv.levels));
      if (sv.level) levelSelect.value = sv.level;
      termStart.value = sv.term_start ?? '';
      termEnd.value = sv.term_end ?? '';
      decision.value = sv.decision ?? '';
      const chosen = new Set(sv.tags ?? []);
      clear(tagsBox, h('legend', { i18n: 'sv.tags' }), [...new Set([...tags, ...chosen])].map((tag) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'tag', value: tag, checked: chosen.has(tag) }), tagLabel(tag))));
      areaName.value = sv.area?.name ?? '';
      areaLat.value = sv.area?.lat ?? '';
      areaLon.value = sv.area?.lon ?? '';
      areaRadius.value = sv.area?.radius_m ?? '';
    }

    async function loadCheckins() {
      try {
        const { checkins } = await get('/api/checkins', { subject: id, limit: 100 });
        clear(checkinsBody, checkins.map((c) => h('tr', { dataset: { checkin: c.id, outcome: c.outcome } },
          h('td', { text: formatWhen(c.started_at) }),
          h('td', { i18n: `ck.kind.${c.kind}` }),
          h('td', {}, outcomeBadge(c)),
          h('td', { text: c.challenge && has(`ck.challenge.${c.challenge}`) ? t(`ck.challenge.${c.challenge}`) : (c.challenge || '—') }),
          h('td', {}, c.location_refused ? h('span', { class: 'muted', i18n: 'ck.location_refused_short' })
            : c.out_of_area ? h('span', { class: 'badge out-of-area', i18n: 'ck.out_of_area' })
              : c.location ? h('span', { i18n: 'ck.in_area' }) : '—'),
          h('td', { class: 'actions' }, h('a', { class: 'button open-checkin', href: `#/officer/checkin/${encodeURIComponent(c.id)}`, i18n: 'ck.open' })))));
        if (!checkins.length) checkinsBody.append(h('tr', {}, h('td', { colspan: '6', class: 'muted', i18n: 'ck.none' })));
      } catch (e) {
        clear(checkinsBody, h('tr', {}, h('td', { colspan: '6', class: 'error', role: 'alert', text: readableError(e) })));
      }
    }

    levelForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      levelError.hidden = true;
      if (!levelReason.value.trim()) {
        levelError.textContent = t('sv.reason_needed');
        levelError.hidden = false;
        return;
      }
      const body = { level: levelSelect.value, reason: levelReason.value.trim() };
      if (levelFrom.value) body.from = levelFrom.value;
      try {
        show(await post(`${base}/level`, body));
        levelReason.value = '';
        toast(t('sv.saved'));
      } catch (e) {
        levelError.textContent = readableError(e);
        levelError.hidden = false;
      }
    });

    termForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      termError.hidden = true;
      const body = {
        term_start: termStart.value || null, term_end: termEnd.value || null, decision: decision.value.trim(),
        tags: [...tagsBox.querySelectorAll('input[name=tag]:checked')].map((i) => i.value),
      };
      if (areaLat.value !== '' && areaLon.value !== '' && areaRadius.value !== '') {
        body.area = { name: areaName.value.trim(), lat: Number(areaLat.value), lon: Number(areaLon.value), radius_m: Number(areaRadius.value) };
      }
      try {
        show(await request('PUT', `${base}/supervision`, { body }));
        toast(t('sv.saved'));
      } catch (e) {
        termError.textContent = readableError(e);
        termError.hidden = false;
      }
    });

    levelFrom.value = dateInputValue(Date.now());
    try {
      tags = (await get('/api/supervision/tags')).tags ?? [];
    } catch { /* the subject's own tags still show */ }
    try {
      show(await get(`${base}/supervision`));
    } catch (e) {
      clear(factsSlot, h('p', { class: 'error', role: 'alert', text: readableError(e) }));
    }
    await loadCheckins();
  },
};
