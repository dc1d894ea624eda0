// Sign-in: username and password; wrong password, locked and disabled accounts and an
// expired session each get their own plain sentence.
import { h } from '../dom.js';
import { request, readableError } from '../api.js';
import { t } from '../i18n.js';

export default {
  title: 'login.title',
  render(view, ctx) {
    const username = h('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true, maxlength: '64' });
    const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: '1024' });
    const error = h('p', { id: 'login-error', class: 'error', role: 'alert', hidden: true });
    const submit = h('button', { id: 'login-submit', type: 'submit', class: 'primary', i18n: 'login.submit' });
    const notice = ctx.notice ? h('p', { class: 'notice', role: 'status', i18n: ctx.notice }) : null;

    const form = h('form', { class: 'login card', novalidate: true },
      h('h1', { i18n: 'login.heading' }),
      h('p', { class: 'muted', i18n: 'login.intro' }),
      notice,
      h('div', { class: 'field' }, h('label', { for: 'login-username', i18n: 'login.username' }), username),
      h('div', { class: 'field' }, h('label', { for: 'login-password', i18n: 'login.password' }), password),
      error, submit);

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.hidden = true;
      if (!username.value.trim() || !password.value) {
        error.textContent = t('login.missing');
        error.hidden = false;
        (username.value.trim() ? password : username).focus();
        return;
      }
      submit.disabled = true;
      try {
        const reply = await request('POST', '/api/login', {
          anonymous: true, body: { username: username.value.trim(), password: password.value },
        });
        ctx.signIn(reply.token, reply.user);
      } catch (e) {
        error.textContent = e.code === 'unauthenticated' && /disabled/.test(e.message)
          ? t('error.account_disabled')
          : e.code === 'unauthenticated' ? t('login.wrong') : readableError(e);
        error.hidden = false;
        password.select();
        password.focus();
      } finally {
        submit.disabled = false;
      }
    });
    view.append(h('section', { class: 'login-wrap' }, form));
    username.focus();
  },
};
