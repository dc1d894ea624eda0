// A subject's face references: upload a photo (or take one from a call, see the call page),
// see the quality verdict, list and remove references.
import { h, clear } from '../dom.js';
import { get, request, del, readableError, session } from '../api.js';
import { t } from '../i18n.js';
import { formatDateTime } from '../time.js';

export default {
  title: 'reference.title',
  async render(view, ctx) {
    const subjectId = ctx.params.id;
    const heading = h('h1', { i18n: 'reference.title' });
    const file = h('input', { id: 'reference-file', type: 'file', accept: 'image/jpeg,image/png' });
    const upload = h('button', { type: 'submit', id: 'reference-upload', class: 'primary', i18n: 'reference.upload' });
    const verdict = h('p', { id: 'reference-verdict', role: 'status', 'aria-live': 'polite' });
    const list = h('ul', { id: 'reference-list', class: 'references' });
    const form = h('form', { class: 'card form' },
      h('p', { class: 'muted', i18n: 'reference.advice' }),
      h('div', { class: 'field' }, h('label', { for: 'reference-file', i18n: 'reference.file' }), file),
      upload, verdict);
    view.append(heading, form, h('h2', { i18n: 'reference.existing' }), list);

    async function thumbnail(ref) {
      // The image needs the Bearer header, so it is fetched and shown from a blob.
      try {
        const response = await request('GET', `/api/subjects/${encodeURIComponent(subjectId)}/references/${encodeURIComponent(ref.id)}/image`, { raw: true });
        const url = URL.createObjectURL(await response.blob());
        return h('img', { src: url, alt: t('reference.photo_alt'), width: '96', on: { load: () => URL.revokeObjectURL(url) } });
      } catch {
        return h('span', { class: 'muted', i18n: 'reference.no_image' });
      }
    }

    async function refresh() {
      try {
        const data = await get(`/api/subjects/${encodeURIComponent(subjectId)}/references`);
        const refs = data.references ?? [];
        const items = await Promise.all(refs.map(async (ref) => h('li', { dataset: { reference: ref.id } },
          await thumbnail(ref),
          h('span', {}, formatDateTime(ref.created), ' · ', h('span', { i18n: `reference.source_${ref.source === 'call' ? 'call' : 'upload'}` }), ' · ', t('reference.face_px', { n: ref.face_px })),
          h('button', { type: 'button', class: 'danger', i18n: 'reference.remove', on: { click: async () => {
            try { await del(`/api/subjects/${encodeURIComponent(subjectId)}/references/${encodeURIComponent(ref.id)}`); refresh(); }
            catch (e) { verdict.className = 'error'; verdict.textContent = readableError(e); }
          } } }))));
        clear(list, items.length ? items : h('li', { class: 'muted', i18n: 'reference.none' }));
      } catch (e) {
        clear(list, h('li', {}, h('span', { class: 'error', role: 'alert', text: readableError(e) })));
      }
    }

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const chosen = file.files[0];
      verdict.dataset.ok = 'false';
      verdict.className = 'error';
      if (!chosen) { verdict.textContent = t('reference.choose'); file.focus(); return; }
      if (chosen.size > 8 * 1024 * 1024) { verdict.textContent = t('error.too_large'); return; }
      upload.disabled = true;
      verdict.dataset.ok = '';
      verdict.className = 'muted';
      verdict.textContent = t('reference.checking');
      try {
        const blob = new Blob([await chosen.arrayBuffer()], { type: chosen.type || 'image/jpeg' });
        const reply = await request('POST', `/api/subjects/${encodeURIComponent(subjectId)}/references`, { body: blob });
        verdict.dataset.ok = 'true';
        verdict.className = 'ok';
        verdict.textContent = t('reference.accepted', { face: reply.reference?.face_px ?? '?', sharpness: Math.round(reply.reference?.sharpness ?? 0) });
        file.value = '';
        refresh();
      } catch (e) {
        verdict.dataset.ok = 'false';
        verdict.className = 'error';
        verdict.textContent = readableError(e);
      } finally {
        upload.disabled = false;
      }
    });
    if (!session.token) return;
    refresh();
  },
};
