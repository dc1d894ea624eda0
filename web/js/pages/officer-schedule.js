// Scheduling a class: title, start and end, whether it is required, and who is enrolled
// (subjects one by one, or a whole org unit).
import { h, clear, field } from '../dom.js';
import { get, post, readableError } from '../api.js';
import { t } from '../i18n.js';
import { formatDateTime, dateTimeInputValue, parseInputValue, utcOffsetMinutes } from '../time.js';

export default {
  title: 'nav.schedule',
  async render(view, ctx) {
    // The next whole hour of the agency's clock.
    const zone = utcOffsetMinutes() * 60000;
    const start = Math.ceil((Date.now() + zone) / 3600000) * 3600000 - zone;
    const end = start + 90 * 60000;
    const title = h('input', { id: 'schedule-title', required: true, maxlength: '200' });
    const startInput = h('input', { id: 'schedule-start', type: 'datetime-local', required: true, value: dateTimeInputValue(start) });
    const endInput = h('input', { id: 'schedule-end', type: 'datetime-local', required: true, value: dateTimeInputValue(end) });
    const required = h('input', { id: 'schedule-required', type: 'checkbox', checked: true });
    const unitSelect = h('select', { id: 'schedule-enrol-unit' }, h('option', { value: '', i18n: 'schedule.no_unit' }));
    const subjects = h('fieldset', { class: 'subjects' }, h('legend', { i18n: 'schedule.subjects' }));
    const result = h('p', { id: 'schedule-result', role: 'status' });
    const submit = h('button', { type: 'submit', id: 'schedule-submit', class: 'primary', i18n: 'schedule.submit' });
    const form = h('form', { class: 'card form', novalidate: true },
      field('schedule.title_label', title),
      h('div', { class: 'grid-2' }, field('schedule.start', startInput), field('schedule.end', endInput)),
      h('div', { class: 'field check' }, required, h('label', { for: 'schedule-required', i18n: 'schedule.required' })),
      field('schedule.enrol_unit', unitSelect),
      subjects, submit, result);
    // Enrolling more subjects into a class already scheduled.
    const classSelect = h('select', { id: 'enrol-class' });
    const enrolSubjects = h('fieldset', { class: 'subjects' }, h('legend', { i18n: 'schedule.subjects' }));
    const enrolResult = h('p', { id: 'enrol-result', role: 'status' });
    const enrolForm = h('form', { class: 'card form', novalidate: true },
      h('h2', { i18n: 'schedule.enrol_heading' }),
      field('schedule.enrol_class', classSelect), enrolSubjects,
      h('button', { type: 'submit', id: 'enrol-submit', i18n: 'schedule.enrol_submit' }), enrolResult);
    view.append(h('h1', { i18n: 'nav.schedule' }), form, enrolForm);

    try {
      const [{ units }, { users }] = await Promise.all([get('/api/units'), get('/api/users', { role: 'subject' })]);
      units.forEach((u) => unitSelect.append(h('option', { value: u.id, text: u.name })));
      if (!users.length) subjects.append(h('p', { class: 'muted', i18n: 'dashboard.no_subjects' }));
      users.forEach((u) => subjects.append(h('div', { class: 'check' },
        h('input', { type: 'checkbox', class: 'enrol-subject', id: `enrol-${u.id}`, value: u.id }),
        h('label', { for: `enrol-${u.id}`, text: `${u.name} (${u.username})` }))));
      users.forEach((u) => enrolSubjects.append(h('div', { class: 'check' },
        h('input', { type: 'checkbox', class: 'add-subject', id: `add-${u.id}`, value: u.id }),
        h('label', { for: `add-${u.id}`, text: `${u.name} (${u.username})` }))));
      const { classes } = await get('/api/classes', { from: new Date().toISOString(), to: new Date(Date.now() + 60 * 86400000).toISOString() });
      const open = classes.filter((c) => c.state !== 'ended');
      open.forEach((c) => classSelect.append(h('option', { value: c.id, text: `${c.title} · ${formatDateTime(c.start)}` })));
      if (!open.length) classSelect.append(h('option', { value: '', i18n: 'dashboard.no_classes' }));
    } catch (e) {
      subjects.append(h('p', { class: 'error', role: 'alert', text: readableError(e) }));
    }

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      result.className = 'error';
      result.setAttribute('role', 'alert');
      // The fields hold the agency's wall-clock time, whatever the browser's zone.
      const s = new Date(parseInputValue(startInput.value));
      const e = new Date(parseInputValue(endInput.value));
      if (!title.value.trim()) { result.textContent = t('schedule.need_title'); title.focus(); return; }
      if (Number.isNaN(s.getTime()) || Number.isNaN(e.getTime()) || e <= s) {
        result.textContent = t('schedule.bad_times'); endInput.focus(); return;
      }
      const body = {
        title: title.value.trim(), start: s.toISOString(), end: e.toISOString(), required: required.checked,
        subjects: [...form.querySelectorAll('input.enrol-subject:checked')].map((c) => c.value),
      };
      if (unitSelect.value) body.enrol_unit = unitSelect.value;
      submit.disabled = true;
      try {
        const cls = await post('/api/classes', body);
        result.className = 'ok';
        result.setAttribute('role', 'status');
        clear(result, t('schedule.done', { title: cls.title, time: formatDateTime(cls.start) }), ' ',
          h('a', { href: `#/officer/class/${encodeURIComponent(cls.id)}`, class: 'open-console', i18n: 'dashboard.open_console' }));
      } catch (err) {
        result.textContent = readableError(err);
      } finally {
        submit.disabled = false;
      }
    });

    enrolForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const chosen = [...enrolForm.querySelectorAll('input.add-subject:checked')].map((c) => c.value);
      enrolResult.className = 'error';
      if (!classSelect.value || !chosen.length) { enrolResult.textContent = t('schedule.enrol_choose'); return; }
      try {
        const cls = await post(`/api/classes/${encodeURIComponent(classSelect.value)}/enrolments`, { subjects: chosen });
        enrolResult.className = 'ok';
        enrolResult.textContent = t('schedule.enrolled', { title: cls.title, n: (cls.enrolled ?? []).length });
      } catch (err) {
        enrolResult.textContent = readableError(err);
      }
    });
  },
};
