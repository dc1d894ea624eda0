// The application shell: sign-in state, the role's navigation, hash routes, the language
// switch, the connection indicator, and the tab's one WebSocket (started after sign-in, so
// that a subject can be rung on any page).
import { t, translate, language, setLanguage, onLanguageChange } from './i18n.js';
import { session, onSessionExpired, post } from './api.js';
import { h, clear } from './dom.js';
import { Signal } from './signal.js';
import { installCalls, callPageShown } from './calls.js';
import { installCheckins, hideOrderBanner } from './checkins.js';
import { loadClock } from './time.js';

const routes = [
  { path: 'login', module: './pages/login.js', roles: null },
  { path: 'subject', module: './pages/subject-home.js', roles: ['subject'] },
  { path: 'subject/class/:id', module: './pages/subject-class.js', roles: ['subject'] },
  { path: 'subject/history', module: './pages/subject-history.js', roles: ['subject'] },
  { path: 'subject/checkin', module: './pages/subject-checkin.js', roles: ['subject'] },
  { path: 'subject/checkin/:order', module: './pages/subject-checkin.js', roles: ['subject'] },
  { path: 'call/:id', module: './pages/call.js', roles: ['subject', 'officer', 'administrator'] },
  { path: 'officer', module: './pages/officer-dashboard.js', roles: ['officer', 'administrator'] },
  { path: 'officer/schedule', module: './pages/officer-schedule.js', roles: ['officer', 'administrator'] },
  { path: 'officer/class/:id', module: './pages/officer-console.js', roles: ['officer', 'administrator'] },
  { path: 'officer/references/:id', module: './pages/officer-references.js', roles: ['officer', 'administrator'] },
  { path: 'officer/subject/:id', module: './pages/officer-subject.js', roles: ['officer', 'administrator'] },
  { path: 'officer/checkin/:id', module: './pages/officer-checkin.js', roles: ['officer', 'administrator'] },
  { path: 'admin/supervision', module: './pages/admin-supervision.js', roles: ['officer', 'administrator'] },
  { path: 'admin/attendance', module: './pages/admin-attendance.js', roles: ['officer', 'administrator'] },
  { path: 'admin/session/:id', module: './pages/admin-session.js', roles: ['officer', 'administrator'] },
  { path: 'admin/reports', module: './pages/admin-reports.js', roles: ['officer', 'administrator'] },
  { path: 'admin/compliance', module: './pages/admin-compliance.js', roles: ['officer', 'administrator'] },
  { path: 'admin/recordings', module: './pages/admin-recordings.js', roles: ['officer', 'administrator'] },
  { path: 'admin/audit', module: './pages/admin-audit.js', roles: ['administrator'] },
  { path: 'admin/users', module: './pages/admin-users.js', roles: ['officer', 'administrator'] },
];

const navByRole = {
  subject: [['subject', 'nav.home'], ['subject/checkin', 'nav.checkin'], ['subject/history', 'nav.history']],
  officer: [['officer', 'nav.dashboard'], ['officer/schedule', 'nav.schedule'],
    ['admin/attendance', 'nav.attendance'], ['admin/reports', 'nav.reports'],
    ['admin/compliance', 'nav.compliance'], ['admin/supervision', 'nav.supervision'], ['admin/recordings', 'nav.recordings']],
  administrator: [['admin/attendance', 'nav.attendance'], ['admin/reports', 'nav.reports'],
    ['admin/compliance', 'nav.compliance'], ['admin/recordings', 'nav.recordings'],
    ['admin/audit', 'nav.audit'], ['admin/users', 'nav.users'], ['officer', 'nav.dashboard'],
    ['officer/schedule', 'nav.schedule']],
};

export function homeOf(user) {
  if (!user) return 'login';
  return { subject: 'subject', officer: 'officer', administrator: 'admin/attendance' }[user.role] ?? 'login';
}

const view = document.getElementById('view');
let signal = null;
let current = null; // {route, params, page, cleanup}
let loginNotice = '';
const sessionEndedNotice = {
  password_changed: 'login.ended_password_changed',
  account_disabled: 'login.ended_account_disabled',
};

export function navigate(path) {
  if (location.hash === `#/${path}`) render();
  else location.hash = `#/${path}`;
}

function match(path) {
  const parts = path.split('/').filter(Boolean);
  for (const route of routes) {
    const rp = route.path.split('/');
    if (rp.length !== parts.length) continue;
    const params = {};
    if (rp.every((seg, i) => (seg.startsWith(':') ? ((params[seg.slice(1)] = decodeURIComponent(parts[i])), true) : seg === parts[i]))) {
      return { route, params };
    }
  }
  return null;
}

function ensureSignal() {
  if (signal || !session.token) return signal;
  signal = new Signal(() => session.token);
  signal.on('state', (state) => showConnection(state));
  signal.on('auth_failed', () => expire('login.expired'));
  // The server ended this session: say why when it was not simply over (expired, logged out).
  signal.on('session_ended', ({ reason }) => expire(sessionEndedNotice[reason] ?? 'login.expired'));
  installCalls(signal, { navigate, user: () => session.user });
  installCheckins(signal, { navigate, user: () => session.user });
  signal.start();
  // For the browser tests and support staff: what the connection is doing, and a way to
  // drop it as a network failure would (the app must reconnect and recover by itself).
  window.vigilDebug.signalState = () => signal?.state;
  window.vigilDebug.dropConnection = () => signal?.ws?.close();
  return signal;
}

function showConnection(state) {
  const el = document.getElementById('conn-status');
  el.dataset.state = state;
  el.dataset.i18n = `conn.${state}`;
  el.dataset.i18nAttr = `title:conn.${state}`;
  el.textContent = t(`conn.${state}`);
  el.title = el.textContent;
}

function expire(noticeKey) {
  loginNotice = noticeKey;
  hideOrderBanner();
  signal?.stop();
  signal = null;
  session.clear();
  navigate('login');
}

onSessionExpired(() => {
  if (current?.route.path !== 'login') expire('login.expired');
});

function renderNav(user) {
  const nav = document.getElementById('nav');
  const items = user ? navByRole[user.role] ?? [] : [];
  const here = location.hash.replace(/^#\//, '');
  clear(nav, h('ul', {}, items.map(([path, key]) => h('li', {},
    h('a', { href: `#/${path}`, id: `nav-${path.split('/').pop()}`, i18n: key,
      'aria-current': here === path ? 'page' : null })))));
  // Signed out, there is no one to sign out and nowhere to go: no menu, no sign-out button.
  document.getElementById('logout').hidden = !user;
  document.getElementById('menu-toggle').hidden = !user;
  document.getElementById('who').textContent = user ? `${user.name}` : '';
  setMenuOpen(false);
  fitHeader();
}

// Folds the menu behind #menu-toggle when the header's one row cannot hold it (a phone, or a
// long navigation in English).
function fitHeader() {
  const header = document.querySelector('.app-header');
  const menu = document.getElementById('menu');
  header.classList.remove('compact');
  if (header.scrollWidth > header.clientWidth || menu.scrollWidth > menu.clientWidth) header.classList.add('compact');
}
window.addEventListener('resize', fitHeader);

// The phone's folded menu (index.html): the toggle opens it, choosing a page or Escape closes it.
function setMenuOpen(open) {
  document.querySelector('.app-header').classList.toggle('menu-open', open);
  document.getElementById('menu-toggle').setAttribute('aria-expanded', String(open));
}

document.getElementById('menu-toggle').addEventListener('click', () => {
  setMenuOpen(document.getElementById('menu-toggle').getAttribute('aria-expanded') !== 'true');
});
document.getElementById('menu').addEventListener('click', (event) => {
  if (event.target.closest('a')) setMenuOpen(false);
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && document.querySelector('.app-header.menu-open')) {
    setMenuOpen(false);
    document.getElementById('menu-toggle').focus();
  }
});

async function leaveCurrent() {
  if (current?.cleanup) {
    try { await current.cleanup(); } catch (e) { console.warn('page cleanup failed', e); }
  }
  current = null;
}

async function render() {
  const path = location.hash.replace(/^#\/?/, '');
  const user = session.user;
  let found = match(path);
  if (!found || (found.route.roles && (!user || !found.route.roles.includes(user.role)))) {
    const target = homeOf(user);
    if (path !== target) { navigate(target); return; }
    found = match(target);
  }
  if (found.route.path === 'login' && user) { navigate(homeOf(user)); return; }
  await leaveCurrent();
  if (found.route.path.startsWith('subject/checkin')) hideOrderBanner();
  await loadClock(); // pages show times in the agency's zone
  renderNav(user);
  if (user) ensureSignal();
  const token = {};
  current = { route: found.route, params: found.params, token };
  const page = (await import(found.route.module)).default;
  if (current?.token !== token) return; // navigated away while loading
  clear(view);
  document.title = `${t(page.title)} · Vigil`;
  const ctx = {
    signal, user, params: found.params, navigate,
    notice: found.route.path === 'login' ? loginNotice : '',
    signIn: (token, signedIn) => { session.save(token, signedIn); loginNotice = ''; navigate(homeOf(signedIn)); },
  };
  current.page = page;
  try {
    current.cleanup = await page.render(view, ctx);
  } catch (e) {
    console.error(e);
    view.append(h('p', { class: 'error', role: 'alert', i18n: 'error.page' }));
  }
  if (current?.token === token) callPageShown();
  // Moves the focus to the new page for keyboard and screen-reader users, unless the page
  // put it on a control itself (the sign-in form's first field).
  const focused = document.activeElement;
  if (current?.token === token && !(focused && focused !== view && view.contains(focused))) {
    view.focus({ preventScroll: true });
  }
}

document.getElementById('lang-toggle').addEventListener('click', () => {
  setLanguage(language() === 'zh-CN' ? 'en' : 'zh-CN');
});

function updateLangButton() {
  const button = document.getElementById('lang-toggle');
  // The button names the other language in that language.
  button.textContent = language() === 'zh-CN' ? 'English' : '中文';
  button.lang = language() === 'zh-CN' ? 'en' : 'zh-CN';
  // Its name holds the visible word (speech users say what they see) and what it does.
  button.setAttribute('aria-label', `${button.textContent} (${t('nav.language')})`);
}

onLanguageChange(() => {
  updateLangButton();
  fitHeader();
  if (current?.page?.title) document.title = `${t(current.page.title)} · Vigil`;
  // Live pages (media running) translate in place; the others render again.
  if (current && !current.page?.live) render();
});

document.getElementById('logout').addEventListener('click', async () => {
  try { await post('/api/logout'); } catch { /* the token is dropped anyway */ }
  expire('');
});

window.addEventListener('hashchange', render);
updateLangButton();
translate();
render();
