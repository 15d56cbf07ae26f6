// Tenants (admins only): create them, edit their allowed sources and limits, create and revoke
// their keys (a new key is shown once).

import { get, post, patch, del, describe, ApiError } from './api.js';
import {
  h, field, table, link, enc, time, heading, details, messages, confirmDialog, secretPanel,
  actionButton, splitList,
} from './dom.js';
import { FieldErrors } from './forms.js';
import { forgetTenants, failure } from './views-common.js';

function limitText(value, unit) {
  return value === null || value === undefined || value === 0 ? 'no cap' : `${value}${unit}`;
}

function sourcesText(list) {
  if (list.includes('*')) return 'every source';
  return list.length ? list.join(', ') : 'none';
}

function numberOrText(text) {
  const t = text.trim();
  if (t === '') return null;
  return Number.isFinite(Number(t)) ? Number(t) : t;
}

/** The fields a tenant is made of; `bind` wires them to the API's field names. */
function tenantFields(t, errors, { creating }) {
  const id = h('input', { type: 'text', value: t.id || '', autocomplete: 'off', spellcheck: 'false', placeholder: 'warehouse' });
  const name = h('input', { type: 'text', value: t.name || '', autocomplete: 'off' });
  const allowed = h('input', { type: 'text', value: (t.allowedSources || []).join(', '), autocomplete: 'off', spellcheck: 'false' });
  const maxSubs = h('input', { type: 'text', inputmode: 'numeric', value: t.maxSubscriptions ?? '', autocomplete: 'off' });
  const maxRate = h('input', { type: 'text', inputmode: 'numeric', value: t.maxDeliveriesPerSecond ?? '', autocomplete: 'off' });
  errors.bind('id', id);
  errors.bind('name', name);
  errors.bind('allowedSources', allowed);
  errors.bind('maxSubscriptions', maxSubs);
  errors.bind('maxDeliveriesPerSecond', maxRate);
  return {
    elements: [
      creating ? field('Tenant ID', id, 'a-z, 0-9 and -, up to 64 characters; it cannot change later.') : null,
      field('Name', name),
      field('Allowed sources', allowed, 'Comma-separated source ids whose events its subscriptions may receive and its keys may read; * for every source; empty: none.'),
      h('div', { class: 'row-fields' },
        field('Max subscriptions', maxSubs, creating ? 'Empty: 100.' : undefined),
        field('Max deliveries per second', maxRate, creating ? 'Across all its subscriptions; empty: no cap.' : 'Across all its subscriptions; 0: no cap.')),
    ],
    value() {
      const body = {
        name: name.value.trim(),
        allowedSources: splitList(allowed.value),
        maxSubscriptions: numberOrText(maxSubs.value),
        maxDeliveriesPerSecond: numberOrText(maxRate.value),
      };
      if (creating) body.id = id.value.trim();
      for (const k of ['maxSubscriptions', 'maxDeliveriesPerSecond']) if (body[k] === null) delete body[k];
      return body;
    },
    focus: () => (creating ? id : name).focus(),
  };
}

export async function listTenants(ctx) {
  ctx.root.append(heading(ctx, 'Tenants'));
  const list = h('div');
  const errors = new FieldErrors();
  const msg = messages();
  const fields = tenantFields({ allowedSources: [] }, errors, { creating: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create tenant');
  const form = h('form', { class: 'stack', novalidate: true }, errors.summary, fields.elements,
    h('div', { class: 'actions' }, submit), msg.element);
  const columns = [
    { label: 'Tenant', cell: (t) => [link(`tenants/${enc(t.id)}`, t.name), h('div', { class: 'sub muted' }, t.id)] },
    { label: 'Allowed sources', class: 'wrap', cell: (t) => sourcesText(t.allowedSources) },
    { label: 'Max subscriptions', class: 'num', cell: (t) => String(t.maxSubscriptions) },
    { label: 'Max deliveries/s', class: 'num', cell: (t) => limitText(t.maxDeliveriesPerSecond, '') },
    { label: 'Created', cell: (t) => time(t.createdAt) },
  ];
  const load = async () => {
    const answer = await get('/v1/tenants');
    list.replaceChildren(table('Tenants', columns, answer.data, { empty: 'No tenants yet.' }));
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    errors.clear();
    msg.clear();
    submit.disabled = true;
    try {
      const created = await post('/v1/tenants', fields.value());
      forgetTenants();
      location.hash = `#/tenants/${enc(created.id)}`;
    } catch (err) {
      if (err instanceof ApiError && (err.status === 422 || err.status === 400)) errors.show(err);
      else msg.error(`Could not create the tenant: ${describe(err)}`);
    } finally {
      submit.disabled = false;
    }
  });
  ctx.root.append(list, h('section', { class: 'card', 'aria-labelledby': 'new-tenant' },
    h('h2', { id: 'new-tenant' }, 'New tenant'), form));
  try {
    await load();
  } catch (e) {
    list.replaceChildren(failure('the tenants', e));
  }
}

export async function tenantDetail(ctx) {
  const { id } = ctx.params;
  let tenant;
  try {
    tenant = await get(`/v1/tenants/${enc(id)}`);
  } catch (e) {
    ctx.title('Tenant');
    ctx.root.append(h('h1', { tabindex: -1 }, 'Tenant'), failure('this tenant', e));
    return;
  }
  const msg = messages();
  const summary = h('div');
  const redraw = () => summary.replaceChildren(details([
    ['ID', h('code', {}, tenant.id)],
    ['Allowed sources', sourcesText(tenant.allowedSources)],
    ['Max subscriptions', String(tenant.maxSubscriptions)],
    ['Max deliveries per second', limitText(tenant.maxDeliveriesPerSecond, '')],
    ['Created', time(tenant.createdAt)],
    ['Updated', time(tenant.updatedAt)],
  ]));
  redraw();

  // Edit.
  const errors = new FieldErrors();
  const fields = tenantFields(tenant, errors, { creating: false });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save changes');
  const editMsg = messages();
  const editForm = h('form', { class: 'stack', novalidate: true }, errors.summary, fields.elements,
    h('div', { class: 'actions' }, save), editMsg.element);
  editForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    errors.clear();
    editMsg.clear();
    save.disabled = true;
    try {
      tenant = await patch(`/v1/tenants/${enc(id)}`, fields.value());
      forgetTenants();
      redraw();
      editMsg.info('Saved.');
    } catch (err) {
      if (err instanceof ApiError && (err.status === 422 || err.status === 400)) errors.show(err);
      else editMsg.error(`Could not save: ${describe(err)}`);
    } finally {
      save.disabled = false;
    }
  });

  // Keys.
  const keysList = h('div');
  const keyMsg = messages();
  const keySecret = h('div');
  const loadKeys = async () => {
    const answer = await get(`/v1/tenants/${enc(id)}/keys`);
    keysList.replaceChildren(table('Keys', [
      { label: 'Key', cell: (k) => [h('code', {}, `${k.prefix}\u2026`), h('div', { class: 'sub muted' }, k.id)] },
      { label: 'Label', cell: (k) => k.label || h('span', { class: 'muted' }, '–') },
      { label: 'Role', cell: (k) => k.role },
      { label: 'Created', cell: (k) => time(k.createdAt) },
      { label: 'Last used', cell: (k) => time(k.lastUsedAt) },
      { label: 'Revoke', cell: (k) => actionButton('Revoke', async () => {
        const ok = await confirmDialog({
          title: `Revoke key ${k.prefix}\u2026${k.label ? ` (${k.label})` : ''}?`,
          body: ['Requests with it are refused from now on (by every relay process within 2 s). This cannot be undone.'],
          confirm: 'Revoke key',
          danger: true,
        });
        if (!ok) return;
        try {
          await del(`/v1/tenants/${enc(id)}/keys/${enc(k.id)}`);
          keyMsg.info(`Key ${k.prefix}\u2026 revoked.`);
          await loadKeys();
        } catch (err) {
          keyMsg.error(`Could not revoke it: ${describe(err)}`);
        }
      }, { kind: 'danger small' }) },
    ], answer.data, { empty: 'No keys yet.' }));
  };
  const role = h('select', {}, h('option', { value: 'write' }, 'write: read and change'), h('option', { value: 'read' }, 'read: GET only'));
  const label = h('input', { type: 'text', autocomplete: 'off', placeholder: 'ci' });
  const keyErrors = new FieldErrors();
  keyErrors.bind('role', role);
  keyErrors.bind('label', label);
  const createKey = h('button', { type: 'submit', class: 'primary' }, 'Create key');
  const keyForm = h('form', { class: 'stack', novalidate: true }, keyErrors.summary,
    h('div', { class: 'row-fields' }, field('Role', role), field('Label', label, 'What it is for, e.g. ci.')),
    h('div', { class: 'actions' }, createKey));
  keyForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    keyErrors.clear();
    keyMsg.clear();
    createKey.disabled = true;
    try {
      const body = { role: role.value };
      if (label.value.trim()) body.label = label.value.trim();
      const created = await post(`/v1/tenants/${enc(id)}/keys`, body);
      label.value = '';
      keySecret.replaceChildren(secretPanel({
        title: 'New API key',
        label: 'API key',
        value: created.key,
        note: `Shown this once (${created.role} key${created.label ? `, ${created.label}` : ''}): the relay keeps only its digest. Copy it now and give it to the team.`,
      }));
      await loadKeys();
    } catch (err) {
      if (err instanceof ApiError && (err.status === 422 || err.status === 400)) keyErrors.show(err);
      else keyMsg.error(`Could not create a key: ${describe(err)}`);
    } finally {
      createKey.disabled = false;
    }
  });

  const remove = actionButton('Delete tenant', async () => {
    const ok = await confirmDialog({
      title: `Delete tenant ${tenant.name}?`,
      body: ['Its keys are revoked with it. A tenant that still has subscriptions cannot be deleted: delete them first.'],
      confirm: 'Delete tenant',
      danger: true,
    });
    if (!ok) return;
    try {
      await del(`/v1/tenants/${enc(id)}`);
      forgetTenants();
      location.hash = '#/tenants';
    } catch (err) {
      msg.error(`Could not delete it: ${describe(err)}`);
    }
  }, { kind: 'danger' });

  ctx.root.append(
    h('p', { class: 'breadcrumb' }, link('tenants', 'Tenants'), ' / ', tenant.id),
    heading(ctx, tenant.name, [
      link(`subscriptions?tenant=${enc(id)}`, 'Subscriptions', { class: 'button secondary' }),
      link(`audit?tenant=${enc(id)}`, 'Audit log', { class: 'button secondary' }),
      remove]),
    msg.element,
    h('section', { class: 'card', 'aria-label': 'Tenant' }, summary),
    h('section', { class: 'card', 'aria-labelledby': 'keys-title' },
      h('h2', { id: 'keys-title' }, 'Keys'), keySecret, keyMsg.element, keysList,
      h('h3', {}, 'New key'), keyForm),
    h('section', { class: 'card', 'aria-labelledby': 'edit-title' },
      h('h2', { id: 'edit-title' }, 'Edit'), editForm));
  try {
    await loadKeys();
  } catch (e) {
    keysList.replaceChildren(failure('the keys', e));
  }
}
