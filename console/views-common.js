// Pieces several views share.

import { get, describe } from './api.js';
import { h, field, table, appendRows } from './dom.js';

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

/** Makes `more` (a "load older" button) call `load`, disabled meanwhile; a failure goes to `msg`. */
export function loadMoreWith(more, load, msg) {
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      await load();
    } catch (e) {
      msg.error(`Could not load more: ${describe(e)}`);
    } finally {
      more.disabled = false;
    }
  });
}

/**
 * A cursor-paged list of `path` (newest first) as a table in `list`: the first page now, older
 * pages when `more` is pressed (hidden once there are none). `what` names it in an error.
 */
export async function pagedTable({ path, query, caption, columns, empty, list, more, msg, what }) {
  let wrap = null;
  let cursor = null;
  const load = async () => {
    const answer = await get(path, { ...query, cursor: cursor || undefined, pageSize: 50 });
    if (!wrap) {
      wrap = table(caption, columns, answer.data, { empty });
      list.replaceChildren(wrap);
    } else {
      appendRows(wrap, columns, answer.data);
    }
    cursor = answer.pagination.nextCursor;
    more.hidden = !cursor;
  };
  loadMoreWith(more, load, msg);
  try {
    await load();
  } catch (e) {
    list.replaceChildren(failure(what, e));
  }
}
