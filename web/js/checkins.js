// Ordered check-ins (随机点验) reach the subject wherever he is in the app: the signal's
// `checkin_ordered` push (docs/protocol.md) raises a banner under the header, at once, with a
// link to the check-in page; it stays until he opens that page or closes it. Orders due when
// the app connects show the same banner.
import { h, clear } from './dom.js';
import { get } from './api.js';
import { formatWhen } from './pages/supervision-common.js';

let banner = null;

function bannerElement() {
  if (banner) return banner;
  banner = h('div', { id: 'checkin-ordered', class: 'ordered-banner', role: 'alert', hidden: true });
  document.querySelector('.app-header').after(banner);
  return banner;
}

export function hideOrderBanner() {
  if (banner) banner.hidden = true;
}

function showOrder(msg, navigate) {
  const el = bannerElement();
  const target = `subject/checkin/${encodeURIComponent(msg.order)}`;
  clear(el,
    h('p', { i18n: msg.ordered_by_name ? 'ck.ordered_by' : 'ck.ordered', i18nArgs: { name: msg.ordered_by_name ?? '', time: formatWhen(msg.deadline) } }),
    h('div', { class: 'actions' },
      h('a', { href: `#/${target}`, class: 'button primary', id: 'checkin-ordered-go', i18n: 'ck.check_in_now',
        on: { click: () => { hideOrderBanner(); navigate(target); } } }),
      h('button', { type: 'button', id: 'checkin-ordered-close', i18n: 'ck.later', on: { click: hideOrderBanner } })));
  el.dataset.order = msg.order;
  el.hidden = false;
}

// Installed once per signal for a subject (main.js). An order made while the subject was away
// shows the same way when the app connects.
export function installCheckins(signal, { navigate, user }) {
  signal.on('ready', async () => {
    if (user()?.role !== 'subject' || location.hash.startsWith('#/subject/checkin')) return;
    try {
      const due = await get('/api/checkins/due');
      const order = (due.orders ?? [])[0];
      if (order && !(banner && !banner.hidden)) showOrder(order, navigate);
    } catch { /* the home page lists what is due */ }
  });
  signal.on('checkin_ordered', (msg) => {
    if (user()?.role !== 'subject') return;
    if (location.hash.startsWith('#/subject/checkin')) {
      // Already on the check-in page: it reads the new order itself.
      window.dispatchEvent(new CustomEvent('vigil:checkin-ordered', { detail: msg }));
      return;
    }
    showOrder(msg, navigate);
  });
}
