// Dead letters: jobs that will not be attempted again unless redriven. Select some, or take all of
// a subscription's, and redrive (back to delivery, attempts start over) or delete them.

import { get, post, del, allPages, describe } from './api.js';
import { h, field, link, enc, time, heading, messages, confirmDialog, uid } from './dom.js';
import { tenantFilter, subscriptionName, failure, loadMoreWith } from './views-common.js';

export default async function deadLetters(ctx) {
  const q = ctx.query;
  const subscriptionId = q.get('subscription') || '';
  const tenant = q.get('tenant') || '';
  ctx.root.append(heading(ctx, 'Dead letters'));

  const names = new Map();
  const subscription = h('select', {}, h('option', { value: '' }, 'All subscriptions'));
  try {
    const { items } = await allPages('/v1/subscriptions', { tenant });
    for (const s of items) {
      names.set(s.id, subscriptionName(s));
      subscription.append(h('option', { value: s.id, selected: s.id === subscriptionId }, `${subscriptionName(s)} \u2014 ${s.id}`));
    }
  } catch {
    // listed by id only
  }
  if (subscriptionId && !names.has(subscriptionId)) {
    subscription.append(h('option', { value: subscriptionId, selected: true }, subscriptionId));
  }
  const tenantControl = await tenantFilter(ctx, tenant);
  const go = () => {
    const params = new URLSearchParams();
    if (subscription.value) params.set('subscription', subscription.value);
    if (tenantControl?.select.value) params.set('tenant', tenantControl.select.value);
    location.hash = `#/dead-letters${params.toString() ? `?${params}` : ''}`;
  };
  subscription.addEventListener('change', go);
  tenantControl?.select.addEventListener('change', go);

  const msg = messages();
  const selectAll = h('input', { type: 'checkbox', id: uid('all') });
  const selectedCount = h('span', { class: 'count', 'aria-live': 'polite' });
  const redriveSelected = h('button', { type: 'button', class: 'primary', disabled: true }, 'Redrive selected');
  const deleteSelected = h('button', { type: 'button', class: 'danger', disabled: true }, 'Delete selected');
  const redriveAll = h('button', { type: 'button', class: 'secondary' },
    subscriptionId ? 'Redrive all of this subscription\u2019s' : 'Redrive all');
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load older dead letters');
  const boxes = new Map();
  let cursor = null;

  const updateSelection = () => {
    const chosen = [...boxes.values()].filter((b) => b.checked).length;
    selectedCount.textContent = `${chosen} selected`;
    redriveSelected.disabled = chosen === 0;
    deleteSelected.disabled = chosen === 0;
    selectAll.checked = chosen > 0 && chosen === boxes.size;
    selectAll.indeterminate = chosen > 0 && chosen < boxes.size;
  };
  selectAll.addEventListener('change', () => {
    for (const box of boxes.values()) box.checked = selectAll.checked;
    updateSelection();
  });

  const row = (dl) => {
    const box = h('input', { type: 'checkbox', id: uid('dl'), 'aria-label': `Select dead letter ${dl.id}` });
    box.addEventListener('change', updateSelection);
    boxes.set(dl.id, box);
    const event = dl.event && typeof dl.event === 'object' ? dl.event : {};
    return h('tr', {},
      h('td', { class: 'check' }, box),
      h('td', {}, time(dl.failedAt)),
      h('td', {}, link(`subscriptions/${enc(dl.subscriptionId)}`, names.get(dl.subscriptionId) || dl.subscriptionId)),
      h('td', { class: 'wrap' }, link(`events/${enc(dl.eventId)}`, dl.eventId, { class: 'mono' }),
        h('div', { class: 'sub muted' }, [event.type, event.subject].filter(Boolean).join(' \u00b7 '))),
      h('td', { class: 'num' }, String(dl.attempts)),
      h('td', { class: 'wrap' }, dl.reason, dl.passedBy ? h('div', { class: 'sub muted' }, `${dl.passedBy} later events of its subject went on`) : null));
  };
  const tableWrap = h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Dead letters' },
    h('table', {},
      h('caption', { class: 'visually-hidden' }, 'Dead letters'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', class: 'check' }, selectAll, h('label', { for: selectAll.id, class: 'visually-hidden' }, 'Select all shown')),
        ['Failed', 'Subscription', 'Event', 'Attempts', 'Reason'].map((label) => h('th', { scope: 'col' }, label)))),
      body));

  const load = async () => {
    const answer = await get('/v1/dead-letters', {
      subscriptionId: subscriptionId || undefined, tenant: tenant || undefined, cursor: cursor || undefined, pageSize: 50,
    });
    if (!cursor) body.replaceChildren();
    for (const dl of answer.data) body.append(row(dl));
    if (boxes.size === 0) {
      body.replaceChildren(h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No dead letters.')));
    }
    cursor = answer.pagination.nextCursor;
    more.hidden = !cursor;
    updateSelection();
  };
  const reload = async () => {
    cursor = null;
    boxes.clear();
    body.replaceChildren();
    await load();
  };
  loadMoreWith(more, load, msg);

  const redrive = async (request) => {
    let total = 0;
    let next;
    for (let call = 0; call < 1000; call += 1) {
      const answer = await post('/v1/dead-letters/redrive', next ? { ...request, cursor: next } : request);
      total += answer.redriven;
      if (!answer.more) break;
      next = answer.cursor;
    }
    return total;
  };
  const selectedIds = () => [...boxes.entries()].filter(([, b]) => b.checked).map(([id]) => id);
  const act = async (button, work) => {
    button.disabled = true;
    try {
      await work();
    } catch (e) {
      msg.error(describe(e));
    } finally {
      button.disabled = false;
      try {
        await reload();
      } catch (e) {
        msg.error(`Could not reload the list: ${describe(e)}`);
      }
    }
  };
  redriveSelected.addEventListener('click', () => act(redriveSelected, async () => {
    const ids = selectedIds();
    const n = await redrive({ ids });
    msg.info(`Redriven: ${n} of ${ids.length} back to delivery, attempts starting over.`);
  }));
  deleteSelected.addEventListener('click', () => act(deleteSelected, async () => {
    const ids = selectedIds();
    const ok = await confirmDialog({
      title: `Delete ${ids.length} dead letter${ids.length === 1 ? '' : 's'}?`,
      body: ['They are gone for good: they cannot be redriven afterwards (the events stay stored and can still be replayed).'],
      confirm: 'Delete',
      danger: true,
    });
    if (!ok) return;
    let deleted = 0;
    for (const id of ids) {
      await del(`/v1/dead-letters/${enc(id)}`);
      deleted += 1;
    }
    msg.info(`Deleted ${deleted} dead letter${deleted === 1 ? '' : 's'}.`);
  }));
  redriveAll.addEventListener('click', () => act(redriveAll, async () => {
    const whose = subscriptionId ? `every dead letter of ${names.get(subscriptionId) || subscriptionId}` : 'every dead letter this key may see';
    const ok = await confirmDialog({
      title: 'Redrive all?',
      body: [`This sends ${whose} back to delivery, attempts starting over.`],
      confirm: 'Redrive all',
    });
    if (!ok) return;
    const n = await redrive(subscriptionId ? { subscriptionId } : { all: true });
    msg.info(`Redriven: ${n} back to delivery, attempts starting over.`);
  }));

  ctx.root.append(
    h('form', { class: 'filters', role: 'search', on: { submit: (e) => e.preventDefault() } },
      field('Subscription', subscription), tenantControl?.element),
    ctx.canWrite ? h('div', { class: 'toolbar' }, selectedCount, redriveSelected, deleteSelected, redriveAll) : null,
    msg.element,
    tableWrap,
    h('div', { class: 'actions' }, more));
  if (!ctx.canWrite) selectAll.disabled = true;
  try {
    await load();
  } catch (e) {
    tableWrap.replaceWith(failure('the dead letters', e));
  }
}
