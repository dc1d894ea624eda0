// Recordings of classes and supervision calls: a paged list by date range, each class
// recording linked to its class session, and a player that plays one chunk after another
// across the recording's segments (one per time the presenter's camera started), with each
// chunk's SHA-256 digest as evidence. Every chunk served is audited by the server. Chunk URLs
// carry a short-lived play token for that one recording (never the session token); when it
// has run out (a long pause), the recording's detail is read again for fresh URLs.
import { h, clear, table } from '../dom.js';
import { get } from '../api.js';
import { t, formatDateTime, formatTime } from '../i18n.js';
import {
  alertBox, showError, hideError, pageFrame, daysFromToday, isDate, loadUserMap, formatDuration,
  formatBytes, emptyRow,
} from './admin-common.js';

const pageSize = 50;
let saved = null;

const columns = ['admin.rec.what', 'admin.rec.participants', 'admin.rec.start', 'admin.rec.duration',
  'admin.rec.chunks', 'admin.rec.state', 'admin.rec.actions'];

export default {
  title: 'admin.rec.title',
  render(view) {
    const page = { aborted: false };
    const state = saved ?? { from: daysFromToday(-30), to: daysFromToday(1), offset: 0 };
    saved = state;

    const fromIn = h('input', { id: 'recordings-from', type: 'date', value: state.from, required: true });
    const toIn = h('input', { id: 'recordings-to', type: 'date', value: state.to, required: true });
    const apply = h('button', { id: 'recordings-apply', type: 'submit', class: 'primary', i18n: 'admin.apply' });
    const error = alertBox('recordings-error');
    const status = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
    const { table: wrap, tbody } = table('recordings-table', 'admin.rec.caption', columns);
    const prev = h('button', { id: 'recordings-prev', type: 'button', i18n: 'admin.prev', disabled: true });
    const next = h('button', { id: 'recordings-next', type: 'button', i18n: 'admin.next', disabled: true });
    const info = h('span', { id: 'recordings-page-info', 'aria-live': 'polite' });
    const playerArea = h('div', { id: 'player-area' });
    const form = h('form', { class: 'filters card', novalidate: true },
      h('div', { class: 'filter-grid' },
        h('div', { class: 'field' }, h('label', { for: 'recordings-from', i18n: 'admin.from' }), fromIn),
        h('div', { class: 'field' }, h('label', { for: 'recordings-to', i18n: 'admin.to' }), toIn),
        h('div', { class: 'field filter-actions' }, apply)));
    const section = pageFrame('admin.rec.title', 'admin.rec.intro');
    section.append(form, error, status, playerArea, wrap,
      h('nav', { class: 'pager', i18nAttr: { 'aria-label': 'admin.paging' } }, prev, info, next));
    view.append(section);

    let users = new Map();
    let token = 0;
    let player = null; // {video, recording, index}

    const nameOf = (id) => users.get(id)?.name ?? id;

    function whatOf(r) {
      // A call has one recording per party: say whose side this one is.
      if (r.kind === 'call' || r.call) {
        const what = t('admin.rec.call', { id: r.call ?? '' });
        return r.source ? `${what} · ${t('admin.rec.sideOf', { name: nameOf(r.source) })}` : what;
      }
      const c = r.class_session;
      return c ? t('admin.rec.classSession', { title: c.title || c.id, start: formatDateTime(c.start) })
        : t('admin.rec.class', { id: r.class ?? '' });
    }

    // The class session's page, for a class recording whose class still exists.
    function whatCell(r) {
      const what = whatOf(r);
      if (!r.class_session) return what;
      return h('a', { class: 'session-link', href: `#/admin/session/${encodeURIComponent(r.class_session.id)}`, text: what });
    }

    // complete: every segment ended normally; interrupted: cut short by a restart or failure
    // and ended at its last saved chunk; a complete one with a chunk missing is incomplete.
    function stateText(state, complete) {
      if (state === 'recording') return t('admin.rec.recording');
      if (state === 'interrupted') return t('admin.rec.interrupted');
      return t(complete === false ? 'admin.rec.incomplete' : 'admin.rec.complete');
    }

    function stateBadge(state, complete) {
      return h('span', { class: `rec-state ${state}`, text: stateText(state, complete),
        title: state === 'interrupted' ? t('admin.rec.interruptedHint') : undefined });
    }

    async function load() {
      const mine = ++token;
      hideError(error);
      status.textContent = t('admin.loading');
      prev.disabled = true;
      next.disabled = true;
      let reply;
      try {
        reply = await get('/api/recordings', { from: state.from, to: state.to, limit: pageSize, offset: state.offset });
      } catch (e) {
        if (page.aborted || mine !== token) return;
        status.textContent = '';
        clear(tbody, emptyRow(columns.length, 'admin.rec.none'));
        showError(error, e);
        return;
      }
      if (page.aborted || mine !== token) return;
      status.textContent = '';
      const list = reply.recordings ?? [];
      const total = Number(reply.total ?? list.length);
      clear(tbody, list.length ? list.map(rowOf) : emptyRow(columns.length, 'admin.rec.none'));
      info.textContent = total ? t('admin.pageInfo', { first: state.offset + 1, last: state.offset + list.length, total }) : t('admin.pageInfoEmpty');
      prev.disabled = state.offset <= 0;
      next.disabled = state.offset + list.length >= total;
    }

    function rowOf(r) {
      const what = whatOf(r);
      const play = h('button', { type: 'button', class: 'play-recording', text: t('admin.rec.play'),
        'aria-label': t('admin.rec.playLabel', { what, start: formatDateTime(r.start) }),
        disabled: !r.chunk_count, on: { click: () => openPlayer(r.id) } });
      return h('tr', { dataset: { recording: r.id, call: r.call ?? undefined, class: r.call ? undefined : (r.class ?? undefined) } },
        h('th', { scope: 'row' }, whatCell(r), h('span', { class: 'muted small block', text: r.id })),
        h('td', { text: (r.participants ?? []).map(nameOf).join(t('admin.listSep')) || '—' }),
        h('td', { class: 'nowrap', text: formatDateTime(r.start) }),
        h('td', { class: 'num', text: formatDuration(r.duration_seconds) }),
        h('td', { class: 'num' }, `${r.chunk_count ?? 0} · ${formatBytes(r.bytes)}`,
          h('span', { class: 'muted small block rec-segments', text: t('admin.rec.segments', { n: (r.segments ?? []).length }) })),
        h('td', {}, stateBadge(r.state, r.complete)),
        h('td', {}, play));
    }

    function stopPlayer() {
      if (!player) return;
      player.video.pause();
      player.video.removeAttribute('src');
      player.video.load();
      player = null;
    }

    async function openPlayer(id) {
      stopPlayer();
      const perr = alertBox('player-error');
      clear(playerArea, h('section', { class: 'card player', 'aria-labelledby': 'player-heading' },
        h('h2', { id: 'player-heading', tabindex: '-1', i18n: 'admin.rec.player' }), perr, h('p', { class: 'muted', role: 'status', i18n: 'admin.loading' })));
      let rec;
      try {
        rec = await get(`/api/recordings/${encodeURIComponent(id)}`);
      } catch (e) {
        if (page.aborted) return;
        playerArea.querySelector('[role=status]')?.remove();
        showError(perr, e);
        return;
      }
      if (page.aborted) return;
      // Playing order: the server numbers chunks across segments, in time.
      const chunks = (rec.chunks ?? []).slice().sort((a, b) => a.index - b.index);
      const segments = h('ol', { id: 'segment-list', class: 'segment-list' },
        (rec.segments ?? []).map((sg) => h('li', { dataset: { segment: sg.number } },
          t('admin.rec.segment', { n: sg.number, start: formatTime(sg.start), end: formatTime(sg.end) }), ' ',
          stateBadge(sg.state))));
      const video = h('video', { id: 'recording-player', controls: true, playsinline: true, preload: 'auto',
        i18nAttr: { 'aria-label': 'admin.rec.player' } });
      const nowPlaying = h('p', { id: 'recording-now', class: 'muted', 'aria-live': 'polite' });
      const list = h('ol', { id: 'chunk-list', class: 'chunk-list' });
      const buttons = [];
      chunks.forEach((c, i) => {
        const b = h('button', { type: 'button', class: 'chunk-button', dataset: { chunk: c.index },
          text: t('admin.rec.chunk', { n: c.index + 1 }),
          'aria-label': t('admin.rec.chunkLabel', { n: c.index + 1, start: formatTime(c.start), end: formatTime(c.end) }),
          on: { click: () => playChunk(i, true) } });
        buttons.push(b);
        list.append(h('li', { dataset: { chunk: c.index, segment: c.segment } },
          b,
          h('span', { class: 'chunk-time', text: `${t('admin.rec.inSegment', { n: c.segment ?? 1 })} · ${formatTime(c.start)}–${formatTime(c.end)} · ${formatBytes(c.bytes)}` }),
          h('span', { class: 'sha' }, h('span', { class: 'muted', text: 'SHA-256 ' }), h('code', { text: c.sha256 ?? '—' }))));
      });
      const heading = h('h2', { id: 'player-heading', tabindex: '-1', text: t('admin.rec.playerOf', { what: whatOf(rec) }) });
      const close = h('button', { type: 'button', class: 'player-close', i18n: 'admin.rec.close',
        on: { click: () => { stopPlayer(); clear(playerArea); } } });
      clear(playerArea, h('section', { class: 'card player', 'aria-labelledby': 'player-heading' },
        h('div', { class: 'player-head' }, heading, close),
        h('p', { class: 'muted small', text: `${formatDateTime(rec.start)} · ${formatDuration(rec.duration_seconds)} · ${(rec.participants ?? []).map(nameOf).join(t('admin.listSep'))}` }),
        h('p', { id: 'recording-about' }, stateBadge(rec.state, rec.complete), rec.class_session ? [' · ', whatCell(rec)] : null),
        perr,
        h('div', { class: 'rec-video-box' }, video),
        nowPlaying,
        h('h3', { i18n: 'admin.rec.segmentsTitle' }),
        h('p', { class: 'muted small', i18n: 'admin.rec.segmentsHint' }),
        segments,
        h('h3', { i18n: 'admin.rec.chunks' }),
        h('p', { class: 'muted small', i18n: 'admin.rec.shaHint' }),
        list));
      player = { video, rec, index: 0 };
      if (!chunks.length) {
        showError(perr, t('admin.rec.noChunks'));
        return;
      }

      function playChunk(i, autoplay) {
        if (!player || i < 0 || i >= chunks.length) return;
        hideError(perr);
        player.index = i;
        const c = chunks[i];
        player.retried = false;
        video.src = c.url;
        buttons.forEach((b, k) => {
          if (k === i) b.setAttribute('aria-current', 'true'); else b.removeAttribute('aria-current');
        });
        nowPlaying.textContent = t('admin.rec.nowPlaying', { n: c.index + 1, total: chunks.length });
        if (autoplay) video.play().catch(() => { /* the user presses play */ });
      }
      video.addEventListener('ended', () => {
        if (player && player.index + 1 < chunks.length) playChunk(player.index + 1, true);
      });
      video.addEventListener('error', async () => {
        if (!player || !video.getAttribute('src')) return;
        const at = player.index;
        if (!player.retried) {
          // Perhaps only the play token ran out: fresh URLs, then the same chunk once more.
          player.retried = true;
          try {
            const fresh = await get(`/api/recordings/${encodeURIComponent(rec.id)}`);
            if (!player || player.index !== at) return;
            const byIndex = new Map((fresh.chunks ?? []).map((c) => [c.index, c.url]));
            chunks.forEach((c) => { if (byIndex.has(c.index)) c.url = byIndex.get(c.index); });
            video.src = chunks[at].url;
            video.play().catch(() => { /* the user presses play */ });
            return;
          } catch { /* shown below */ }
        }
        if (player && player.index === at)
          showError(perr, t('admin.rec.chunkError', { n: chunks[at].index + 1 }));
      });
      playChunk(0, true); // opened by the Play button: a user gesture, so playing may start
      heading.focus();
      playerArea.scrollIntoView?.({ block: 'nearest' });
    }

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      hideError(error);
      if (!isDate(fromIn.value) || !isDate(toIn.value)) { showError(error, t('admin.badDates')); return; }
      if (toIn.value < fromIn.value) { showError(error, t('admin.toBeforeFrom')); return; }
      state.from = fromIn.value;
      state.to = toIn.value;
      state.offset = 0;
      load();
    });
    prev.addEventListener('click', () => { state.offset = Math.max(0, state.offset - pageSize); load(); });
    next.addEventListener('click', () => { state.offset += pageSize; load(); });

    (async () => {
      users = await loadUserMap(page);
      if (page.aborted) return;
      load();
    })();

    return () => {
      page.aborted = true;
      stopPlayer();
    };
  },
};
