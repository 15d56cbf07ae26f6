// The audit log (admins only): every change made through the API, newest first.

import { h, link, enc, time, heading, messages } from './dom.js';
import { tenantFilter, pagedTable } from './views-common.js';

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
  await pagedTable({
    path: '/v1/audit', query: { tenant: tenant || undefined }, caption: 'Audit log', columns,
    empty: 'No entries.', list, more, msg, what: 'the audit log',
  });
}
