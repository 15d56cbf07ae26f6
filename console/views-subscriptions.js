// Subscriptions: the list, with search and a state filter. One subscription's page is in
// views-subscription.js, the form that creates or edits one in views-subscription-form.js.

import { allPages } from './api.js';
import { h, field, table, link, enc, time, heading, badge } from './dom.js';
import { tenantFilter, subscriptionName, failure } from './views-common.js';
export function stateBadge(s) {
  return s.enabled ? badge('Enabled', 'ok') : badge('Disabled', 'off');
}

export async function listSubscriptions(ctx) {
  const tenant = ctx.query.get('tenant') || '';
  ctx.root.append(heading(ctx, 'Subscriptions',
    ctx.canWrite && link('subscriptions/new', 'New subscription', { class: 'button primary' })));
  const search = h('input', { type: 'search', placeholder: 'id, URL, description, event type\u2026', autocomplete: 'off' });
  const state = h('select', {},
    h('option', { value: '' }, 'Any state'),
    h('option', { value: 'enabled' }, 'Enabled'),
    h('option', { value: 'disabled' }, 'Disabled'));
  const tenantControl = await tenantFilter(ctx, tenant);
  const filters = h('form', { class: 'filters', role: 'search', on: { submit: (e) => e.preventDefault() } },
    field('Search', search), field('State', state), tenantControl?.element);
  const count = h('p', { class: 'count', role: 'status' });
  const list = h('div');
  ctx.root.append(filters, count, list);

  let items = [];
  const columns = [
    { label: 'Subscription', cell: (s) => [link(`subscriptions/${enc(s.id)}`, subscriptionName(s)), s.description ? h('div', { class: 'sub muted' }, s.id) : null] },
    ctx.isAdmin && { label: 'Tenant', cell: (s) => s.tenant },
    { label: 'URL', class: 'wrap', cell: (s) => h('code', {}, s.url) },
    { label: 'Events', class: 'wrap', cell: (s) => s.events.join(', ') },
    { label: 'State', cell: (s) => [stateBadge(s), s.disabledReason ? h('div', { class: 'sub muted' }, s.disabledReason) : null] },
    { label: 'Waiting', cell: (s) => (s.backlog ? `${s.backlog.ordered + s.backlog.rateLimited}` : '–') },
    { label: 'Created', cell: (s) => time(s.createdAt) },
  ].filter(Boolean);

  const draw = () => {
    const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const shown = items.filter((s) => {
      if (state.value === 'enabled' && !s.enabled) return false;
      if (state.value === 'disabled' && s.enabled) return false;
      const text = [s.id, s.url, s.description, s.tenant, ...s.events, ...s.sources, ...s.carriers].join(' ').toLowerCase();
      return words.every((w) => text.includes(w));
    });
    count.textContent = shown.length === items.length
      ? `${items.length} subscription${items.length === 1 ? '' : 's'}`
      : `${shown.length} of ${items.length} subscriptions`;
    list.replaceChildren(table('Subscriptions', columns, shown, {
      empty: items.length ? 'No subscription matches.' : 'No subscriptions yet.',
    }));
  };
  search.addEventListener('input', draw);
  state.addEventListener('change', draw);
  tenantControl?.select.addEventListener('change', () => {
    const value = tenantControl.select.value;
    location.hash = value ? `#/subscriptions?tenant=${enc(value)}` : '#/subscriptions';
  });
  try {
    const answer = await allPages('/v1/subscriptions', { tenant });
    items = answer.items;
    draw();
    if (answer.truncated) list.append(h('p', { class: 'muted' }, 'Only the first 2,000 subscriptions are listed.'));
  } catch (e) {
    list.replaceChildren(failure('the subscriptions', e));
  }
}

// ---- one subscription ------------------------------------------------------------------------
