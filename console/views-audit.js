// The audit log (admins only): every change made through the API, newest first.

import { get, describe } from './api.js';
import { h, table, appendRows, link, enc, time, heading, messages } from './dom.js';
import { tenantFilter, failure } from './views-common.js';

function targetLink(target) {
  if (target.startsWith('sub_')) return link(`subscriptions/${enc(target)}`, target, { class: 'mono' });
  if (target.startsWith('evt_')) return link(`events/${enc(target)}`, target, { class: 'mono' });
  return h('code', {}, target);
}

export default async function audit(ctx) {
  const tenant = ctx.query.get('tenant') || '';
  ctx.root.append(heading(ctx, 'Audit'));
  const tenantControl = await tenantFilter(ctx, tenant);
  tenantControl.select.addEventListener('change', () => {
    const value = tenantControl.select.value;
    location.hash = value ? `#/audit?tenant=${enc(value)}` : '#/audit';
  });
  const msg = messages();
  const list = h('div');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load older entries');
  ctx.root.append(
    h('form', { class: 'filters', role: 'search', on: { submit: (e) => e.preventDefault() } }, tenantControl.element),
    msg.element, list, h('div', { class: 'actions' }, more));
  const columns = [
    { label: 'Time', cell: (a) => time(a.at) },
    { label: 'Action', cell: (a) => a.action },
    { label: 'Target', cell: (a) => (a.target ? targetLink(a.target) : '–') },
    { label: 'Tenant', cell: (a) => (a.tenant ? link(`tenants/${enc(a.tenant)}`, a.tenant) : h('span', { class: 'muted' }, '–')) },
    { label: 'Actor', cell: (a) => h('code', {}, a.actor) },
    { label: 'Correlation ID', class: 'wrap', cell: (a) => h('code', { class: 'small-text' }, a.correlationId) },
  ];
  let wrap = null;
  let cursor = null;
  const load = async () => {
    const answer = await get('/v1/audit', { tenant: tenant || undefined, cursor: cursor || undefined, pageSize: 50 });
    if (!wrap) {
      wrap = table('Audit log', columns, answer.data, { empty: 'No entries.' });
      list.replaceChildren(wrap);
    } else {
      appendRows(wrap, columns, answer.data);
    }
    cursor = answer.pagination.nextCursor;
    more.hidden = !cursor;
  };
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
  try {
    await load();
  } catch (e) {
    list.replaceChildren(failure('the audit log', e));
  }
}
