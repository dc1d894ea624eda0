// The class chat, shared by the classroom and the officer's console: the log (a live region)
// and a form. Lines are text nodes, never markup.
import { h, toast } from '../dom.js';
import { formatTime } from '../i18n.js';
import { readableSignalError } from '../errors.js';

export function chatPanel(signal, classId) {
  const log = h('ol', { id: 'chat-log', class: 'chat-log', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  const input = h('input', { id: 'chat-input', maxlength: '2000', autocomplete: 'off', i18nAttr: { placeholder: 'chat.placeholder' } });
  const send = h('button', { type: 'submit', id: 'chat-send', i18n: 'chat.send' });
  const form = h('form', { class: 'chat-form' },
    h('label', { for: 'chat-input', class: 'visually-hidden', i18n: 'chat.label' }), input, send);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    send.disabled = true;
    try {
      await signal.request('chat', { text });
      input.value = '';
    } catch (e) {
      toast(readableSignalError(e), 'error');
    } finally {
      send.disabled = false;
      input.focus();
    }
  });
  const off = signal.on('chat', (msg) => {
    if (msg.class !== classId) return;
    log.append(h('li', { class: msg.from?.role === 'subject' ? 'from-subject' : 'from-staff' },
      h('time', { text: formatTime(msg.ts) }), ' ', h('strong', { text: msg.from?.name ?? '' }), ' ',
      h('span', { text: msg.text })));
    while (log.children.length > 300) log.firstChild.remove();
    log.scrollTop = log.scrollHeight;
  });
  const element = h('section', { class: 'card chat', 'aria-labelledby': 'chat-heading' },
    h('h2', { id: 'chat-heading', i18n: 'chat.heading' }), log, form);
  return { element, close: off };
}
