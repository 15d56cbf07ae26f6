// One subscription: its settings, its actions (disable, enable, rotate, test ping, delete, a
// time-range replay) and its delivery log.

import { get, post, patch, del, describe, ApiError } from './api.js';
import {
  h, field, table, link, enc, time, duration, heading, details, badge, messages, confirmDialog, secretPanel, actionButton, localInputToIso, uid,
} from './dom.js';
import { FieldErrors } from './forms.js';
import { subscriptionName, failure } from './views-common.js';
import { stateBadge } from './views-subscriptions.js';

function conditionText(c) {
  for (const op of ['eq', 'ne', 'in', 'not_in', 'exists', 'prefix']) {
    if (c[op] !== undefined && c[op] !== null) return `${c.path} ${op} ${JSON.stringify(c[op])}`;
  }
  return String(c.path);
}

function describeSubscription(s) {
  const headers = Object.entries(s.headers || {});
  return details([
    ['ID', h('code', {}, s.id)],
    ['Tenant', s.tenant],
    ['State', [stateBadge(s), s.disabledReason ? ` ${s.disabledReason}` : '']],
    ['URL', h('code', { class: 'wrap' }, s.url)],
    ['Description', s.description],
    ['Events', s.events.join(', ')],
    ['Sources', s.sources.length ? s.sources.join(', ') : 'any allowed source'],
    ['Carriers', s.carriers.length ? s.carriers.join(', ') : 'any carrier'],
    ['Filter', s.filter.length ? h('ul', { class: 'plain' }, s.filter.map((c) => h('li', {}, h('code', {}, conditionText(c))))) : 'none'],
    ['Ordering', s.ordering === 'subject' ? 'one at a time per subject' : 'none'],
    ['Rate limit', s.rateLimitPerSecond ? `${s.rateLimitPerSecond} per second` : 'none'],
    ['Format', s.format],
    ['Headers', headers.length ? h('ul', { class: 'plain' }, headers.map(([n, v]) => h('li', {}, h('code', {}, `${n}: ${v}`)))) : 'none'],
    ['Sensitive headers', s.sensitiveHeaders.length ? `${s.sensitiveHeaders.join(', ')} (values never shown)` : 'none'],
    ['Waiting', s.backlog ? `${s.backlog.ordered} behind their subject, ${s.backlog.rateLimited} on the rate limit`
      + (s.backlog.oldestWaitingSeconds != null ? `; oldest ${duration(s.backlog.oldestWaitingSeconds)}` : '') : null],
    ['Created', time(s.createdAt)],
    ['Updated', time(s.updatedAt)],
    s.secretRotationEndsAt && ['Previous secret valid until', time(s.secretRotationEndsAt)],
  ]);
}

function streamIdOrder(a, b) {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return bm - am || bs - as;
}

function resultBadge(result) {
  const kind = { delivered: 'ok', retry: 'warn', dead: 'bad', disabled: 'off' }[result];
  return badge(result, kind);
}

/** The attempt log of one subscription: newest first, filterable, more loaded on demand. */
function deliveryLog(ctx, id) {
  const msg = messages();
  const result = h('select', {},
    h('option', { value: '' }, 'Any result'),
    ...['delivered', 'retry', 'dead', 'disabled'].map((r) => h('option', { value: r }, r)));
  const eventFilter = h('input', { type: 'search', placeholder: 'evt_\u2026 or text of the outcome', autocomplete: 'off' });
  const auto = h('input', { type: 'checkbox', checked: true, id: uid('auto') });
  const list = h('div');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load older attempts');
  const entries = new Map();
  let cursor = null;
  let loadedFirst = false;

  const columns = [
    { label: 'Time', cell: (d) => time(d.at) },
    { label: 'Event', cell: (d) => link(`events/${enc(d.eventId)}`, d.eventId, { class: 'mono' }) },
    { label: 'Attempt', class: 'num', cell: (d) => String(d.attempt) },
    { label: 'Status', class: 'num', cell: (d) => (d.status == null ? '–' : String(d.status)) },
    { label: 'Result', cell: (d) => resultBadge(d.result) },
    { label: 'Outcome', class: 'wrap', cell: (d) => d.outcome },
    { label: 'Latency', class: 'num', cell: (d) => `${d.latencyMs} ms` },
    { label: 'Next attempt', cell: (d) => time(d.nextAttemptAt) },
    { label: 'Response', class: 'wrap', cell: (d) => (d.response ? h('code', { class: 'excerpt' }, d.response) : h('span', { class: 'muted' }, '–')) },
  ];
  const draw = () => {
    const text = eventFilter.value.trim().toLowerCase();
    const rows = [...entries.values()].sort((a, b) => streamIdOrder(a.id, b.id)).filter((d) => (
      (!result.value || d.result === result.value)
      && (!text || `${d.eventId} ${d.outcome} ${d.response}`.toLowerCase().includes(text))));
    list.replaceChildren(table('Delivery attempts', columns, rows, {
      empty: entries.size ? 'No attempt matches.' : 'No delivery attempts yet.',
    }));
    more.hidden = !cursor;
  };
  const load = async (older) => {
    try {
      const answer = await get(`/v1/subscriptions/${enc(id)}/deliveries`, { cursor: older ? cursor : undefined, pageSize: 50 });
      for (const d of answer.data) entries.set(d.id, d);
      if (older || !loadedFirst) cursor = answer.pagination.nextCursor;
      loadedFirst = true;
      draw();
      if (older) msg.clear();
    } catch (e) {
      if (ctx.alive()) msg.error(`Could not load the delivery log: ${describe(e)}`);
    }
  };
  result.addEventListener('change', draw);
  eventFilter.addEventListener('input', draw);
  more.addEventListener('click', async () => {
    more.disabled = true;
    await load(true);
    more.disabled = false;
  });
  ctx.every(3000, () => { if (auto.checked) load(false); });
  load(false);
  return {
    refresh: () => load(false),
    element: h('section', { class: 'card', 'aria-labelledby': 'log-title' },
      h('h2', { id: 'log-title' }, 'Delivery log'),
      h('form', { class: 'filters', role: 'search', on: { submit: (e) => e.preventDefault() } },
        field('Result', result), field('Find', eventFilter),
        h('div', { class: 'field checkbox' }, auto, h('label', { for: auto.id }, 'Refresh every 3 s'))),
      msg.element, list, h('div', { class: 'actions' }, more)),
  };
}

/** Replays a time range of stored events to the subscription, following the cursor to the end. */
export function rangeReplayForm(ctx, subscriptionId, { heading: title = 'Replay a time range', extra = null, hint } = {}) {
  const since = h('input', { type: 'datetime-local', required: true, step: 1 });
  const until = h('input', { type: 'datetime-local', step: 1 });
  const msg = messages();
  const errors = new FieldErrors();
  errors.bind('since', since);
  errors.bind('until', until);
  const button = h('button', { type: 'submit', class: 'secondary' }, 'Replay range');
  const form = h('form', {
    class: 'stack',
    novalidate: true,
    on: {
      submit: async (e) => {
        e.preventDefault();
        errors.clear();
        msg.clear();
        const target = subscriptionId();
        if (!target) {
          msg.error('Choose the subscription to replay to.');
          return;
        }
        const sinceIso = localInputToIso(since.value);
        if (!sinceIso) {
          errors.show(new ApiError(422, { detail: 'Choose when the range starts.', errors: [{ field: 'since', message: 'is required' }] }));
          return;
        }
        button.disabled = true;
        let jobs = 0;
        let scanned = 0;
        let cursor;
        try {
          for (let call = 0; call < 100; call += 1) {
            const answer = await post(`/v1/subscriptions/${enc(target)}/replay`, {
              since: sinceIso, until: localInputToIso(until.value) ?? undefined, cursor,
            });
            jobs += answer.jobs;
            scanned += answer.scanned;
            if (answer.complete) break;
            cursor = answer.cursor;
            msg.info(`Replaying: ${jobs} jobs queued, ${scanned} events examined so far\u2026`);
          }
          msg.info(`Replayed: ${jobs} job${jobs === 1 ? '' : 's'} queued from ${scanned} events examined.`);
        } catch (err) {
          if (err instanceof ApiError && err.fieldErrors.length) errors.show(err);
          else msg.error(`Could not replay: ${describe(err)}`);
        } finally {
          button.disabled = false;
        }
      },
    },
  },
  h('div', { class: 'row-fields' },
    extra,
    field('Since (your local time)', since),
    field('Until (empty: now)', until)),
  errors.summary, h('div', { class: 'actions' }, button), msg.element);
  return h('section', { class: 'card', 'aria-label': title }, h('h2', {}, title),
    h('p', { class: 'hint' }, hint || 'Sends again every stored event received in the range that matches this subscription\u2019s filters.'),
    form);
}

export async function subscriptionDetail(ctx) {
  const { id } = ctx.params;
  let s;
  try {
    s = await get(`/v1/subscriptions/${enc(id)}`);
  } catch (e) {
    ctx.title('Subscription');
    ctx.root.append(h('h1', { tabindex: -1 }, 'Subscription'), failure('this subscription', e));
    return;
  }
  const msg = messages();
  const secretSlot = h('div');
  const summary = h('div');
  const redraw = () => summary.replaceChildren(describeSubscription(s));
  redraw();
  const log = deliveryLog(ctx, id);

  const toggle = actionButton(s.enabled ? 'Disable' : 'Enable', async () => {
    if (s.enabled) {
      const ok = await confirmDialog({
        title: 'Disable this subscription?',
        body: [
          'It stops receiving new events; they stay stored and can be replayed to it later.',
          'Jobs already queued for it (waiting, or scheduled for a retry) are dead-lettered with the reason \u201csubscription disabled\u201d: after enabling it again, redrive them from Dead letters.',
        ],
        confirm: 'Disable',
        danger: true,
      });
      if (!ok) return;
    }
    try {
      s = await patch(`/v1/subscriptions/${enc(id)}`, { enabled: !s.enabled });
      toggle.textContent = s.enabled ? 'Disable' : 'Enable';
      redraw();
      msg.info(s.enabled ? 'Enabled: it receives new events again.' : 'Disabled.');
    } catch (e) {
      msg.error(`Could not change it: ${describe(e)}`);
    }
  });

  const rotate = actionButton('Rotate secret', async () => {
    const ok = await confirmDialog({
      title: 'Rotate the signing secret?',
      body: ['A new secret is made and shown once. The current one keeps verifying for the grace period the relay is configured with (24 h by default): deliveries carry both signatures meanwhile.'],
      confirm: 'Rotate secret',
    });
    if (!ok) return;
    try {
      const answer = await post(`/v1/subscriptions/${enc(id)}/rotate-secret`);
      secretSlot.replaceChildren(secretPanel({
        title: 'New signing secret',
        label: 'Signing secret',
        value: answer.secret,
        note: 'Shown this once: copy it to the subscriber now. The previous secret stays valid until '
          + `${answer.secretRotationEndsAt ? new Date(answer.secretRotationEndsAt).toLocaleString() : 'the grace period ends'}.`,
      }));
      s = { ...s, secretRotationEndsAt: answer.secretRotationEndsAt };
      redraw();
      msg.info('Secret rotated.');
    } catch (e) {
      msg.error(`Could not rotate the secret: ${describe(e)}`);
    }
  });

  const ping = actionButton('Send test ping', async () => {
    try {
      const event = await post(`/v1/subscriptions/${enc(id)}/test`);
      msg.info(`Test ping ${event.id} queued for this subscription; its attempt appears in the delivery log below.`);
      log.refresh();
    } catch (e) {
      msg.error(`Could not send a test ping: ${describe(e)}`);
    }
  });

  const remove = actionButton('Delete', async () => {
    const ok = await confirmDialog({
      title: `Delete ${subscriptionName(s)}?`,
      body: ['It receives nothing more. Jobs queued for it are discarded (there is nothing to redrive them to), and its delivery log goes with it. This cannot be undone.'],
      confirm: 'Delete subscription',
      danger: true,
    });
    if (!ok) return;
    try {
      await del(`/v1/subscriptions/${enc(id)}`);
      location.hash = '#/subscriptions';
    } catch (e) {
      msg.error(`Could not delete it: ${describe(e)}`);
    }
  }, { kind: 'danger' });

  ctx.root.append(
    h('p', { class: 'breadcrumb' }, link('subscriptions', 'Subscriptions'), ' / ', s.id),
    heading(ctx, subscriptionName(s), ctx.canWrite && [
      link(`subscriptions/${enc(id)}/edit`, 'Edit', { class: 'button secondary' }),
      toggle, rotate, ping, remove]),
    msg.element,
    secretSlot,
    h('section', { class: 'card', 'aria-label': 'Settings' }, summary,
      h('p', {}, link(`dead-letters?subscription=${enc(id)}`, 'Dead letters of this subscription'))),
    log.element,
    ctx.canWrite ? rangeReplayForm(ctx, () => id) : null);
}

// ---- create and edit ------------------------------------------------------------------------

/** A filter value as typed: JSON for numbers, booleans, null and "quoted" text; else the text. */
