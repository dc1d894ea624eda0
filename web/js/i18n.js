// Translations: Simplified Chinese by default, English on request. Texts live in lang/*.js
// as flat key → string tables; `{name}` in a text is replaced by the named argument.
// Elements carry their key in data-i18n (text) or data-i18n-attr ("attr:key;attr:key"), so a
// language switch re-translates a live page in place without tearing down its media.
import zhCN from './lang/zh-CN.js';
import en from './lang/en.js';
import adminZhCN from './lang/admin.zh-CN.js';
import adminEn from './lang/admin.en.js';
import supervisionZhCN from './lang/supervision.zh-CN.js';
import supervisionEn from './lang/supervision.en.js';

const tables = { 'zh-CN': { ...zhCN, ...adminZhCN, ...supervisionZhCN }, en: { ...en, ...adminEn, ...supervisionEn } };
const storageKey = 'vigil.lang';
const listeners = new Set();

function initialLanguage() {
  const saved = localStorage.getItem(storageKey);
  return saved && tables[saved] ? saved : 'zh-CN';
}

let current = initialLanguage();

export function language() {
  return current;
}

export function t(key, args = {}) {
  const text = tables[current][key] ?? tables.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in args ? String(args[name]) : m));
}

// True when `key` has a text (used to map server error codes to readable messages).
export function has(key) {
  return key in tables[current] || key in tables.en;
}

export function translate(root = document) {
  root.querySelectorAll('[data-i18n]').forEach((el) => {
    const args = el.dataset.i18nArgs ? JSON.parse(el.dataset.i18nArgs) : {};
    el.textContent = t(el.dataset.i18n, args);
  });
  root.querySelectorAll('[data-i18n-attr]').forEach((el) => {
    const args = el.dataset.i18nArgs ? JSON.parse(el.dataset.i18nArgs) : {};
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      if (attr && key) el.setAttribute(attr, t(key, args));
    }
  });
}

export function setLanguage(lang) {
  if (!tables[lang] || lang === current) return;
  current = lang;
  localStorage.setItem(storageKey, lang);
  document.documentElement.lang = lang;
  translate();
  for (const fn of listeners) fn(lang);
}

export function onLanguageChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

const locales = { 'zh-CN': 'zh-CN', en: 'en-GB' };

// Dates and times live in time.js (the agency's time zone); re-exported for the pages that
// import them from here.
export { formatDateTime, formatDate, formatTime } from './time.js';

export function formatNumber(value, digits = 1) {
  return Number(value ?? 0).toLocaleString(locales[current], {
    minimumFractionDigits: digits, maximumFractionDigits: digits,
  });
}

document.documentElement.lang = current;
