// Users and org units: the unit tree, the accounts of the caller's unit and below, and for
// administrators forms to add an account or a unit and to disable or enable an account.
import { h, clear, table, toast } from '../dom.js';
import { get, post } from '../api.js';
import { t } from '../i18n.js';
import {
  alertBox, showError, hideError, pageFrame, loadingLine, fillUnitSelect, unitChildren,
} from './admin-common.js';

const roles = ['subject', 'officer', 'administrator'];
let savedRole = '';

function roleLabel(role) {
  const key = `admin.role.${role}`;
  const text = t(key);
  return text === key ? role : text;
}

function unitTree(units) {
  const children = unitChildren(units);
  const build = (parent, depth) => {
    const list = children.get(parent) ?? [];
    if (!list.length || depth > 32) return null;
    return h('ul', { class: depth === 0 ? 'tree-root' : null },
      list.map((u) => h('li', { dataset: { unit: u.id } },
        h('span', { class: 'unit-name', text: u.name }), ' ', h('code', { class: 'muted small', text: u.id }),
        build(u.id, depth + 1))));
  };
  return build('', 0);
}

export default {
  title: 'admin.users.title',
  render(view, ctx) {
    const page = { aborted: false };
    const isAdmin = ctx.user?.role === 'administrator';
    const error = alertBox('users-error');
    const treeBox = h('div', { id: 'units-tree', class: 'units-tree' }, loadingLine());
    const roleSel = h('select', { id: 'users-role' },
      h('option', { value: '', i18n: 'admin.users.allRoles' }),
      roles.map((r) => h('option', { value: r, i18n: `admin.role.${r}` })));
    roleSel.value = savedRole;
    const { table: wrap, tbody } = table('users-table', 'admin.users.caption',
      ['admin.users.username', 'admin.users.name', 'admin.users.role', 'admin.unit', 'admin.users.officer',
        'admin.users.status', ...(isAdmin ? ['admin.users.actions'] : [])]);
    const section = pageFrame('admin.users.title', isAdmin ? 'admin.users.introAdmin' : 'admin.users.intro');
    section.append(error,
      h('div', { class: 'users-layout' },
        h('section', { class: 'card', 'aria-labelledby': 'units-heading' },
          h('h2', { id: 'units-heading', i18n: 'admin.users.units' }), treeBox),
        h('section', { class: 'card users-list', 'aria-labelledby': 'accounts-heading' },
          h('h2', { id: 'accounts-heading', i18n: 'admin.users.accounts' }),
          h('div', { class: 'field inline' }, h('label', { for: 'users-role', i18n: 'admin.users.role' }), roleSel),
          wrap)));
    view.append(section);

    let units = [];
    let users = [];
    const unitName = (id) => units.find((u) => u.id === id)?.name ?? id;
    const userName = (id) => users.find((u) => u.id === id)?.name ?? id;

    // Forms (administrators only).
    const forms = isAdmin ? buildForms() : null;
    if (forms) section.append(h('div', { class: 'users-forms' }, forms.userForm, forms.unitForm));

    function fillTable() {
      const list = users.filter((u) => !roleSel.value || u.role === roleSel.value);
      clear(tbody, list.map((u) => h('tr', { dataset: { user: u.id, role: u.role, disabled: String(!!u.disabled) } },
        h('td', {}, h('code', { text: u.username })),
        h('th', { scope: 'row', text: u.name }),
        h('td', { text: roleLabel(u.role) }),
        h('td', { text: unitName(u.unit) }),
        h('td', { text: u.officer ? userName(u.officer) : '—' }),
        h('td', {}, h('span', { class: u.disabled ? 'status-badge off' : 'status-badge on', i18n: u.disabled ? 'admin.users.disabled' : 'admin.users.enabled' })),
        isAdmin ? h('td', {}, toggleButton(u)) : null)));
      if (!list.length) tbody.append(h('tr', {}, h('td', { colspan: isAdmin ? '7' : '6', class: 'muted', i18n: 'admin.empty' })));
    }

    function toggleButton(u) {
      const b = h('button', { type: 'button', class: 'toggle-user', dataset: { user: u.id },
        text: t(u.disabled ? 'admin.users.enable' : 'admin.users.disable'),
        'aria-label': t(u.disabled ? 'admin.users.enableLabel' : 'admin.users.disableLabel', { name: u.name }),
        disabled: u.id === ctx.user?.id });
      b.addEventListener('click', async () => {
        hideError(error);
        b.disabled = true;
        try {
          await post(`/api/users/${encodeURIComponent(u.id)}/disabled`, { disabled: !u.disabled });
          toast(t(u.disabled ? 'admin.users.enabledDone' : 'admin.users.disabledDone', { name: u.name }));
          await loadUsers();
        } catch (e) {
          if (page.aborted) return;
          showError(error, e);
          b.disabled = false;
        }
      });
      return b;
    }

    function buildForms() {
      const uUsername = h('input', { id: 'new-user-username', required: true, maxlength: '32', 'aria-describedby': 'new-user-username-hint', autocomplete: 'off', spellcheck: 'false' });
      const uName = h('input', { id: 'new-user-name', required: true, maxlength: '100', autocomplete: 'off' });
      const uRole = h('select', { id: 'new-user-role' }, roles.map((r) => h('option', { value: r, i18n: `admin.role.${r}` })));
      const uUnit = h('select', { id: 'new-user-unit', required: true });
      const uOfficer = h('select', { id: 'new-user-officer' });
      const uPassword = h('input', { id: 'new-user-password', type: 'password', required: true, autocomplete: 'new-password', maxlength: '1024' });
      const uError = alertBox('new-user-error');
      const uSubmit = h('button', { id: 'new-user-submit', type: 'submit', class: 'primary', i18n: 'admin.users.addUser' });
      const officerField = h('div', { class: 'field' }, h('label', { for: 'new-user-officer', i18n: 'admin.users.officer' }), uOfficer);
      const userForm = h('form', { id: 'new-user-form', class: 'card', novalidate: true, 'aria-labelledby': 'new-user-heading' },
        h('h2', { id: 'new-user-heading', i18n: 'admin.users.addUserTitle' }),
        h('div', { class: 'form-grid' },
          h('div', { class: 'field' }, h('label', { for: 'new-user-username', i18n: 'admin.users.username' }), uUsername,
            h('span', { id: 'new-user-username-hint', class: 'muted small', i18n: 'admin.users.usernameHint' })),
          h('div', { class: 'field' }, h('label', { for: 'new-user-name', i18n: 'admin.users.name' }), uName),
          h('div', { class: 'field' }, h('label', { for: 'new-user-role', i18n: 'admin.users.role' }), uRole),
          h('div', { class: 'field' }, h('label', { for: 'new-user-unit', i18n: 'admin.unit' }), uUnit),
          officerField,
          h('div', { class: 'field' }, h('label', { for: 'new-user-password', i18n: 'admin.users.password' }), uPassword)),
        h('p', { class: 'muted small', i18n: 'admin.users.passwordHint' }),
        uError, uSubmit);
      const syncOfficer = () => { officerField.hidden = uRole.value !== 'subject'; };
      uRole.addEventListener('change', syncOfficer);
      syncOfficer();
      userForm.addEventListener('submit', async (event) => {
        event.preventDefault();
        hideError(uError);
        const missing = [uUsername, uName, uPassword].find((i) => !i.value.trim());
        if (missing || !uUnit.value) {
          showError(uError, t('admin.users.missing'));
          (missing ?? uUnit).focus();
          return;
        }
        uSubmit.disabled = true;
        try {
          const body = { username: uUsername.value.trim(), name: uName.value.trim(), role: uRole.value,
            unit: uUnit.value, officer: uRole.value === 'subject' ? uOfficer.value : '', password: uPassword.value };
          await post('/api/users', body);
          toast(t('admin.users.userAdded', { name: body.name }));
          userForm.reset();
          syncOfficer();
          await loadUsers();
        } catch (e) {
          if (!page.aborted) showError(uError, e);
        } finally {
          uSubmit.disabled = false;
          uPassword.value = '';
        }
      });

      const nId = h('input', { id: 'new-unit-id', maxlength: '64', autocomplete: 'off', spellcheck: 'false', pattern: '[A-Za-z0-9_\\-]+' });
      const nName = h('input', { id: 'new-unit-name', required: true, maxlength: '100', autocomplete: 'off' });
      const nParent = h('select', { id: 'new-unit-parent', required: true });
      const nError = alertBox('new-unit-error');
      const nSubmit = h('button', { id: 'new-unit-submit', type: 'submit', class: 'primary', i18n: 'admin.users.addUnit' });
      const unitForm = h('form', { id: 'new-unit-form', class: 'card', novalidate: true, 'aria-labelledby': 'new-unit-heading' },
        h('h2', { id: 'new-unit-heading', i18n: 'admin.users.addUnitTitle' }),
        h('div', { class: 'form-grid' },
          h('div', { class: 'field' }, h('label', { for: 'new-unit-id', i18n: 'admin.users.unitId' }), nId),
          h('div', { class: 'field' }, h('label', { for: 'new-unit-name', i18n: 'admin.users.unitName' }), nName),
          h('div', { class: 'field' }, h('label', { for: 'new-unit-parent', i18n: 'admin.users.parent' }), nParent)),
        h('p', { class: 'muted small', i18n: 'admin.users.unitIdHint' }),
        nError, nSubmit);
      unitForm.addEventListener('submit', async (event) => {
        event.preventDefault();
        hideError(nError);
        if (!nName.value.trim() || !nParent.value) {
          showError(nError, t('admin.users.missing'));
          (!nName.value.trim() ? nName : nParent).focus();
          return;
        }
        nSubmit.disabled = true;
        try {
          const body = { name: nName.value.trim(), parent: nParent.value };
          if (nId.value.trim()) body.id = nId.value.trim();
          await post('/api/units', body);
          toast(t('admin.users.unitAdded', { name: body.name }));
          unitForm.reset();
          await loadUnitsNow();
        } catch (e) {
          if (!page.aborted) showError(nError, e);
        } finally {
          nSubmit.disabled = false;
        }
      });
      return { userForm, unitForm, uUnit, uOfficer, nParent };
    }

    function fillFormSelects() {
      if (!forms) return;
      fillUnitSelect(forms.uUnit, units, forms.uUnit.value || ctx.user?.unit);
      fillUnitSelect(forms.nParent, units, forms.nParent.value || ctx.user?.unit);
      const keep = forms.uOfficer.value;
      clear(forms.uOfficer, h('option', { value: '', i18n: 'admin.users.noOfficer' }),
        users.filter((u) => u.role === 'officer' && !u.disabled).map((u) => h('option', { value: u.id, text: `${u.name}（${u.username}）` })));
      forms.uOfficer.value = [...forms.uOfficer.options].some((o) => o.value === keep) ? keep : '';
    }

    async function loadUnitsNow() {
      try {
        const reply = await get('/api/units');
        if (page.aborted) return;
        units = reply.units ?? [];
        clear(treeBox, unitTree(units) ?? h('p', { class: 'muted', i18n: 'admin.empty' }));
        fillFormSelects();
        if (users.length) fillTable();
      } catch (e) {
        if (page.aborted) return;
        clear(treeBox);
        showError(error, e);
      }
    }

    async function loadUsers() {
      try {
        const reply = await get('/api/users');
        if (page.aborted) return;
        users = reply.users ?? [];
        fillTable();
        fillFormSelects();
      } catch (e) {
        if (page.aborted) return;
        clear(tbody);
        showError(error, e);
      }
    }

    roleSel.addEventListener('change', () => { savedRole = roleSel.value; fillTable(); });
    (async () => {
      await loadUnitsNow();
      await loadUsers();
    })();
    return () => { page.aborted = true; };
  },
};
