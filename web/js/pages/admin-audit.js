// The audit log: whether its hash chain is intact, and the entries oldest first, 100 at a
// time ("load more"). Details are shown as text, never as markup.
import { h, clear, table } from '../dom.js';
import { get } from '../api.js';
import { t, formatDateTime } from '../i18n.js';
import { alertBox, showError, hideError, pageFrame, loadUserMap } from './admin-common.js';

const pageSize = 100;

const reasonKeys = {
  'hash does not match': 'admin.audit.reason.hash',
  'prev does not match': 'admin.audit.reason.prev',
};

function actionLabel(action) {
  const key = `action.${action}`;
  const text = t(key);
  return text === key ? action : text;
}

function reasonText(reason) {
  if (!reason) return '';
  if (reasonKeys[reason]) return t(reasonKeys[reason]);
  if (/ends before its recorded head/.test(reason)) return t('admin.audit.reason.truncated');
  return reason;
}

// A detail JSON text as "key: value" lines; times in milliseconds become dates.
function detailText(detail) {
  if (!detail || detail === '{}') return '';
  let value;
  try { value = JSON.parse(detail); } catch { return detail; }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return JSON.stringify(value);
  return Object.entries(value).map(([k, v]) => {
    let text;
    if ((k === 'from' || k === 'to' || k === 'ts') && typeof v === 'number' && v > 1e11) text = formatDateTime(v);
    else if (typeof v === 'string') text = v;
    else text = JSON.stringify(v);
    return `${k}: ${text}`;
  }).join('\n');
}

export default {
  title: 'admin.audit.title',
  render(view) {
    const page = { aborted: false };
    const verdict = h('div', { id: 'audit-verdict', class: 'verdict', role: 'status', 'aria-live': 'polite' },
      h('span', { i18n: 'admin.audit.verifying' }));
    const reverify = h('button', { id: 'audit-reverify', type: 'button', i18n: 'admin.audit.reverify' });
    const verifyError = alertBox('audit-verify-error');
    const error = alertBox('audit-error');
    const { table: wrap, tbody } = table('audit-table', 'admin.audit.caption',
      ['admin.audit.time', 'admin.audit.actor', 'admin.audit.action', 'admin.audit.target', 'admin.audit.detail']);
    const more = h('button', { id: 'audit-more', type: 'button', i18n: 'admin.audit.more', disabled: true });
    const count = h('p', { id: 'audit-count', class: 'muted', 'aria-live': 'polite' });
    const section = pageFrame('admin.audit.title', 'admin.audit.intro');
    section.append(
      h('section', { class: 'card', 'aria-labelledby': 'verdict-heading' },
        h('h2', { id: 'verdict-heading', i18n: 'admin.audit.chain' }), verdict, verifyError, reverify),
      h('section', { 'aria-labelledby': 'log-heading' },
        h('h2', { id: 'log-heading', i18n: 'admin.audit.log' }), error, wrap, count, h('div', { class: 'pager' }, more)));
    view.append(section);

    let users = new Map();
    let after = '';
    let shown = 0;
    let busy = false;
    const who = (id) => {
      const u = users.get(id);
      return u ? `${u.name} (${id})` : id || '—';
    };

    async function verify() {
      hideError(verifyError);
      reverify.disabled = true;
      delete verdict.dataset.intact;
      clear(verdict, h('span', { i18n: 'admin.audit.verifying' }));
      try {
        const reply = await get('/api/audit/verify');
        if (page.aborted) return;
        verdict.dataset.intact = String(!!reply.intact);
        if (reply.intact) {
          clear(verdict, h('strong', { class: 'ok', i18n: 'admin.audit.intact' }),
            reply.entries !== undefined ? h('span', { text: ` ${t('admin.audit.entries', { n: reply.entries })}` }) : null);
        } else {
          const b = reply.first_broken ?? {};
          clear(verdict, h('strong', { class: 'bad', i18n: 'admin.audit.broken' }),
            h('p', { text: t('admin.audit.brokenAt', { index: b.index ?? '?', id: b.id ?? '?', reason: reasonText(b.reason) }) }));
        }
      } catch (e) {
        if (page.aborted) return;
        clear(verdict);
        showError(verifyError, e);
      } finally {
        reverify.disabled = false;
      }
    }

    async function loadMore() {
      if (busy) return;
      busy = true;
      more.disabled = true;
      hideError(error);
      let reply;
      try {
        reply = await get('/api/audit', { after, limit: pageSize });
      } catch (e) {
        busy = false;
        if (page.aborted) return;
        more.disabled = false;
        showError(error, e);
        return;
      }
      busy = false;
      if (page.aborted) return;
      const entries = reply.entries ?? [];
      for (const e of entries) {
        const f = e.fields ?? {};
        const ts = Number(f.ts);
        tbody.append(h('tr', { dataset: { action: f.action ?? '', id: e.id } },
          h('td', { class: 'nowrap', text: Number.isFinite(ts) && ts > 0 ? formatDateTime(ts) : '—' }),
          h('td', { text: who(f.actor) }),
          h('td', { title: f.action ?? '' }, actionLabel(f.action ?? '')),
          h('td', { text: f.target ? who(f.target) : '—' }),
          h('td', { class: 'detail' }, h('pre', { text: detailText(f.detail) }))));
      }
      shown += entries.length;
      if (entries.length) after = entries[entries.length - 1].id;
      const end = entries.length < pageSize;
      more.disabled = end;
      more.hidden = end;
      count.textContent = t(end ? 'admin.audit.countEnd' : 'admin.audit.count', { n: shown });
    }

    reverify.addEventListener('click', verify);
    more.addEventListener('click', loadMore);

    (async () => {
      verify();
      users = await loadUserMap(page);
      if (page.aborted) return;
      loadMore();
    })();

    return () => { page.aborted = true; };
  },
};
