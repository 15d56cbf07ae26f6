// Pieces several views share.

import { get, describe } from './api.js';
import { h, field } from './dom.js';

let tenantsCache = null;

/** Every tenant (admins only), cached for the page's life; [] when they cannot be read. */
export async function tenants() {
  if (!tenantsCache) {
    tenantsCache = get('/v1/tenants').then((a) => a.data).catch(() => { tenantsCache = null; return []; });
  }
  return tenantsCache;
}

/** Forget the cached tenants (after one is created or deleted). */
export function forgetTenants() {
  tenantsCache = null;
}

/** For admins, a "Tenant" filter: all tenants or one (the API's ?tenant=). */
export async function tenantFilter(ctx, selected, label = 'Tenant') {
  if (!ctx.isAdmin) return null;
  const select = h('select', {}, h('option', { value: '' }, 'All tenants'));
  for (const t of await tenants()) {
    select.append(h('option', { value: t.id, selected: t.id === selected }, `${t.name} (${t.id})`));
  }
  if (selected && ![...select.options].some((o) => o.value === selected)) {
    select.append(h('option', { value: selected, selected: true }, selected));
  }
  return { select, element: field(label, select) };
}

/** A subscription's name as people know it: its description, else its id. */
export function subscriptionName(s) {
  return s.description ? s.description : s.id;
}

/** "Could not load …": a failed read, as an alert. */
export function failure(what, error) {
  return h('div', { class: 'alert', role: 'alert' }, h('p', {}, `Could not load ${what}: ${describe(error)}`));
}
