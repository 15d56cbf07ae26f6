// Subscriptions: the list, one subscription (its actions and its delivery log), and the form
// that creates or edits one with every field of the API.

import { get, post, patch, del, allPages, knownEventTypes, describe, ApiError } from './api.js';
import {
  h, field, table, link, enc, time, duration, heading, details, badge, messages, confirmDialog,
  secretPanel, actionButton, splitList, localInputToIso, uid,
} from './dom.js';
import { FieldErrors } from './forms.js';
import { tenantFilter, tenants, subscriptionName, failure } from './views-common.js';

// ---- the list --------------------------------------------------------------------------------

function stateBadge(s) {
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
export function parseScalar(text) {
  const t = text.trim();
  try {
    const v = JSON.parse(t);
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) return v;
  } catch {
    // plain text
  }
  return t;
}

function scalarText(v) {
  if (typeof v === 'string' && parseScalar(v) === v && !v.includes(',')) return v;
  return JSON.stringify(v);
}

const OPERATORS = [
  ['eq', 'equals'], ['ne', 'differs from'], ['in', 'is one of'], ['not_in', 'is none of'],
  ['exists', 'exists'], ['prefix', 'starts with'],
];

function conditionFromRow(path, op, text) {
  const condition = { path: path.trim() };
  const t = text.trim();
  if (op === 'in' || op === 'not_in') {
    let values;
    if (t.startsWith('[')) {
      try { values = JSON.parse(t); } catch { values = undefined; }
    }
    condition[op] = Array.isArray(values) ? values : (t ? t.split(',').map(parseScalar) : []);
  } else if (op === 'exists') {
    condition.exists = t === '' ? true : parseScalar(t);
  } else if (op === 'prefix') {
    condition.prefix = text;
  } else {
    condition[op] = parseScalar(t);
  }
  return condition;
}

function conditionToRow(c) {
  for (const [op] of OPERATORS) {
    const v = c[op];
    if (v === undefined || v === null) continue;
    if (op === 'in' || op === 'not_in') return { path: c.path, op, text: v.map(scalarText).join(', ') };
    if (op === 'prefix') return { path: c.path, op, text: v };
    return { path: c.path, op, text: scalarText(v) };
  }
  return { path: c.path || '', op: 'eq', text: '' };
}

/** A list of rows (filter conditions, headers) with add and remove buttons. */
function rowsEditor({ legend, hint, addLabel, makeRow, initial }) {
  const rows = h('div', { class: 'rows' });
  const fieldset = h('fieldset', { class: 'rows-editor' }, h('legend', {}, legend), hint ? h('p', { class: 'hint' }, hint) : null, rows);
  const items = [];
  const add = (value) => {
    const item = makeRow(value || {});
    const remove = h('button', { type: 'button', class: 'secondary small' }, 'Remove');
    const row = h('div', { class: 'row' }, item.controls, h('div', { class: 'cell remove' }, remove));
    const entry = { item, row, remove };
    remove.addEventListener('click', () => {
      items.splice(items.indexOf(entry), 1);
      row.remove();
      relabel();
      addButton.focus();
    });
    items.push(entry);
    rows.append(row);
    relabel();
    return item;
  };
  const relabel = () => items.forEach((entry, i) => {
    entry.item.relabel(i + 1);
    entry.remove.setAttribute('aria-label', `Remove ${entry.item.label(i + 1)}`);
  });
  const addButton = h('button', {
    type: 'button',
    class: 'secondary small',
    on: { click: () => add().focus() },
  }, addLabel);
  fieldset.append(h('div', { class: 'actions' }, addButton));
  for (const value of initial || []) add(value);
  return { fieldset, items: () => items.map((e) => e.item) };
}

function filterRow({ path = '', op = 'eq', text = '' }) {
  const pathInput = h('input', { type: 'text', value: path, placeholder: '/data/status', autocomplete: 'off', spellcheck: 'false' });
  const opSelect = h('select', {}, OPERATORS.map(([value, label]) => h('option', { value, selected: value === op }, label)));
  const valueInput = h('input', { type: 'text', value: text, autocomplete: 'off', spellcheck: 'false' });
  const labels = [h('label'), h('label'), h('label')];
  const controls = [pathInput, opSelect, valueInput].map((control, i) => {
    control.id = uid('cond');
    labels[i].setAttribute('for', control.id);
    return h('div', { class: 'cell' }, labels[i], control);
  });
  const placeholder = () => {
    valueInput.placeholder = {
      in: 'delivered, exception', not_in: 'returned, cancelled', exists: 'true or false',
      prefix: 'text it starts with', eq: 'delivered, 42, true or null', ne: 'value',
    }[opSelect.value];
  };
  opSelect.addEventListener('change', placeholder);
  placeholder();
  return {
    controls,
    pathInput,
    opSelect,
    valueInput,
    label: (n) => `condition ${n}`,
    relabel(n) {
      labels[0].textContent = `Condition ${n}: path`;
      labels[1].textContent = `Condition ${n}: operator`;
      labels[2].textContent = `Condition ${n}: value`;
    },
    focus: () => pathInput.focus(),
    value: () => conditionFromRow(pathInput.value, opSelect.value, valueInput.value),
  };
}

function headerRow(kind) {
  return ({ name = '', value = '' }) => {
    const nameInput = h('input', { type: 'text', value: name, autocomplete: 'off', spellcheck: 'false', placeholder: kind === 'sensitive' ? 'Authorization' : 'X-Team' });
    const valueInput = h('input', { type: kind === 'sensitive' ? 'password' : 'text', value, autocomplete: 'off', spellcheck: 'false' });
    const labels = [h('label'), h('label')];
    const controls = [nameInput, valueInput].map((control, i) => {
      control.id = uid('hdr');
      labels[i].setAttribute('for', control.id);
      return h('div', { class: 'cell' }, labels[i], control);
    });
    const what = kind === 'sensitive' ? 'Sensitive header' : 'Header';
    return {
      controls,
      nameInput,
      valueInput,
      label: (n) => `${what.toLowerCase()} ${n}`,
      relabel(n) {
        labels[0].textContent = `${what} ${n}: name`;
        labels[1].textContent = `${what} ${n}: value`;
      },
      focus: () => nameInput.focus(),
    };
  };
}

function headersFrom(items) {
  const map = {};
  for (const item of items) {
    const name = item.nameInput.value.trim();
    if (name) map[name] = item.valueInput.value;
  }
  return map;
}

function sameJson(a, b) {
  const norm = (v) => JSON.stringify(v, (k, x) => (x && typeof x === 'object' && !Array.isArray(x)
    ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0))) : x));
  return norm(a) === norm(b);
}

export async function subscriptionForm(ctx) {
  const editing = ctx.params.id;
  let original = null;
  if (editing) {
    try {
      original = await get(`/v1/subscriptions/${enc(editing)}`);
    } catch (e) {
      ctx.title('Edit subscription');
      ctx.root.append(h('h1', { tabindex: -1 }, 'Edit subscription'), failure('this subscription', e));
      return;
    }
  }
  const s = original || {
    url: '', description: '', events: [], sources: [], carriers: [], filter: [], ordering: 'none',
    rateLimitPerSecond: null, format: 'json', headers: {}, sensitiveHeaders: [], enabled: true,
  };
  const errors = new FieldErrors();
  const msg = messages();

  let tenantSelect = null;
  if (ctx.isAdmin && !editing) {
    tenantSelect = h('select', {});
    const list = await tenants();
    const ids = list.map((t) => t.id);
    if (!ids.includes('default')) tenantSelect.append(h('option', { value: 'default' }, 'default'));
    for (const t of list) tenantSelect.append(h('option', { value: t.id, selected: t.id === ctx.query.get('tenant') }, `${t.name} (${t.id})`));
    errors.bind('tenant', tenantSelect);
  }
  const url = h('input', { type: 'url', value: s.url, autocomplete: 'off', spellcheck: 'false', placeholder: 'https://hooks.example.com/shiprelay' });
  const description = h('textarea', { rows: 2, maxlength: 500 });
  description.value = s.description || '';
  const events = h('textarea', { rows: 3, spellcheck: 'false' });
  events.value = s.events.join('\n');
  const sources = h('input', { type: 'text', value: s.sources.join(', '), autocomplete: 'off', spellcheck: 'false' });
  const carriers = h('input', { type: 'text', value: s.carriers.join(', '), autocomplete: 'off', spellcheck: 'false', placeholder: 'ups, usps' });
  const ordering = h('select', {},
    h('option', { value: 'none', selected: s.ordering !== 'subject' }, 'None: deliver in parallel'),
    h('option', { value: 'subject', selected: s.ordering === 'subject' }, 'Per subject: one at a time, in accepted order'));
  const rate = h('input', { type: 'text', inputmode: 'numeric', value: s.rateLimitPerSecond ?? '', autocomplete: 'off' });
  const format = h('select', {}, ['json', 'cloudevents-structured', 'cloudevents-binary']
    .map((value) => h('option', { value, selected: value === s.format }, value)));
  const enabled = h('input', { type: 'checkbox', checked: s.enabled, id: uid('enabled') });

  errors.bind('url', url);
  errors.bind('description', description);
  errors.bind('events', events);
  errors.bind('sources', sources);
  errors.bind('carriers', carriers);
  errors.bind('ordering', ordering);
  errors.bind('rateLimitPerSecond', rate);
  errors.bind('format', format);

  const filter = rowsEditor({
    legend: 'Filter',
    hint: 'Conditions on the event (JSON pointers into the CloudEvent, e.g. /data/status or /data/location/country) that must all hold. '
      + 'Values: text, or JSON for numbers, true, false, null and "quoted text"; "is one of" takes a comma-separated list.',
    addLabel: 'Add condition',
    makeRow: filterRow,
    initial: s.filter.map(conditionToRow),
  });
  errors.bind('filter', filter.fieldset);
  const headers = rowsEditor({
    legend: 'Headers',
    hint: 'Sent with every delivery and shown by the API. Not Host, Content-*, User-Agent, webhook-*, ce-* or others shiprelay sets.',
    addLabel: 'Add header',
    makeRow: headerRow('plain'),
    initial: Object.entries(s.headers).map(([name, value]) => ({ name, value })),
  });
  errors.bind('headers', headers.fieldset);
  const sensitive = rowsEditor({
    legend: 'Sensitive headers',
    hint: 'Sent like headers, but their values are never shown again (put tokens here, e.g. Authorization).',
    addLabel: 'Add sensitive header',
    makeRow: headerRow('sensitive'),
    initial: [],
  });
  errors.bind('sensitiveHeaders', sensitive.fieldset);
  let replaceSensitive = null;
  if (editing) {
    replaceSensitive = h('input', { type: 'checkbox', id: uid('replace') });
    sensitive.fieldset.hidden = true;
    replaceSensitive.addEventListener('change', () => { sensitive.fieldset.hidden = !replaceSensitive.checked; });
  }

  const eventTypesNote = h('details', { class: 'hint' }, h('summary', {}, 'Known event types'));
  knownEventTypes().then((types) => eventTypesNote.append(h('p', {}, types.join(', '))));

  const allowed = ctx.me.tenant?.allowedSources;
  const submit = h('button', { type: 'submit', class: 'primary' }, editing ? 'Save changes' : 'Create subscription');
  const form = h('form', { class: 'stack subscription-form', novalidate: true },
    errors.summary,
    tenantSelect ? field('Tenant', tenantSelect, 'The team the subscription belongs to.') : null,
    field('URL', url, 'Where events are POSTed: http or https, no user or password. The host must resolve to an allowed address.'),
    field('Description', description, 'What it is for, up to 500 characters.'),
    h('div', { class: 'field' }, h('label', { for: events.id || (events.id = uid('f')) }, 'Events'), events,
      h('p', { class: 'hint' }, 'One pattern per line: an exact type (order.shipped), a prefix (tracking.*) or * for every type.'), eventTypesNote),
    h('div', { class: 'row-fields' },
      field('Sources', sources, allowed
        ? `Comma-separated source ids; empty: any of this tenant\u2019s allowed sources (${allowed.join(', ') || 'none'}).`
        : 'Comma-separated source ids; empty: any source.'),
      field('Carriers', carriers, 'Comma-separated carrier codes; empty: any carrier.')),
    filter.fieldset,
    h('div', { class: 'row-fields' },
      field('Ordering', ordering),
      field('Rate limit (attempts per second)', rate, '1 to 100,000; empty: no limit.'),
      field('Format', format, 'json: the CloudEvent as application/json; structured: as application/cloudevents+json; binary: data as the body, attributes as ce-* headers.')),
    headers.fieldset,
    replaceSensitive ? h('div', { class: 'field checkbox' }, replaceSensitive,
      h('label', { for: replaceSensitive.id }, `Replace the sensitive headers (now: ${s.sensitiveHeaders.length ? s.sensitiveHeaders.join(', ') : 'none'}; their values are not shown, so enter every one you keep)`)) : null,
    sensitive.fieldset,
    editing ? null : h('div', { class: 'field checkbox' }, enabled, h('label', { for: enabled.id }, 'Enabled: receives events from now on')),
    h('div', { class: 'actions' }, submit,
      link(editing ? `subscriptions/${enc(editing)}` : 'subscriptions', 'Cancel', { class: 'button secondary' })),
    msg.element);

  const body = () => {
    errors.unbindPrefix('filter[');
    errors.unbindPrefix('headers.');
    errors.unbindPrefix('sensitiveHeaders.');
    filter.items().forEach((row, i) => {
      errors.bind(`filter[${i}]`, row.opSelect);
      errors.bind(`filter[${i}].path`, row.pathInput);
      for (const [op] of OPERATORS) errors.bind(`filter[${i}].${op}`, row.valueInput);
    });
    for (const [kind, editor] of [['headers', headers], ['sensitiveHeaders', sensitive]]) {
      for (const row of editor.items()) {
        const name = row.nameInput.value.trim();
        if (name) errors.bind(`${kind}.${name}`, row.nameInput);
      }
    }
    const rateText = rate.value.trim();
    const rateValue = rateText === '' ? null : (Number.isFinite(Number(rateText)) ? Number(rateText) : rateText);
    const b = {
      url: url.value.trim(),
      description: description.value,
      events: splitList(events.value),
      sources: splitList(sources.value),
      carriers: splitList(carriers.value),
      filter: filter.items().map((row) => row.value()),
      ordering: ordering.value,
      rateLimitPerSecond: rateValue,
      format: format.value,
      headers: headersFrom(headers.items()),
    };
    if (!editing) {
      b.sensitiveHeaders = headersFrom(sensitive.items());
      b.enabled = enabled.checked;
      if (tenantSelect) b.tenant = tenantSelect.value;
      if (!b.description) delete b.description;
      return b;
    }
    const changes = {};
    const before = {
      ...original, description: original.description || '',
    };
    for (const [name, value] of Object.entries(b)) {
      if (!sameJson(value, before[name])) changes[name] = value;
    }
    if (replaceSensitive.checked) changes.sensitiveHeaders = headersFrom(sensitive.items());
    return changes;
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.clear();
    errors.clear();
    submit.disabled = true;
    try {
      if (editing) {
        const changes = body();
        if (Object.keys(changes).length === 0) {
          msg.info('Nothing changed.');
          return;
        }
        await patch(`/v1/subscriptions/${enc(editing)}`, changes);
        location.hash = `#/subscriptions/${enc(editing)}`;
      } else {
        const created = await post('/v1/subscriptions', body());
        ctx.title('Subscription created');
        ctx.root.replaceChildren(
          h('h1', { tabindex: -1 }, 'Subscription created'),
          h('p', {}, `${subscriptionName(created)} (${created.id}) receives matching events from now on.`),
          secretPanel({
            title: 'Signing secret',
            label: 'Signing secret',
            value: created.secret,
            note: 'Shown this once: the subscriber verifies every delivery with it (Standard Webhooks). Copy it now.',
          }),
          h('div', { class: 'actions' },
            link(`subscriptions/${enc(created.id)}`, 'Open the subscription', { class: 'button primary' }),
            link('subscriptions', 'Back to the list', { class: 'button secondary' })));
        ctx.root.querySelector('h1').focus();
      }
    } catch (err) {
      if (err instanceof ApiError && (err.status === 422 || err.status === 400)) errors.show(err);
      else msg.error(`Could not save: ${describe(err)}`);
    } finally {
      submit.disabled = false;
    }
  });

  const title = editing ? `Edit ${subscriptionName(original)}` : 'New subscription';
  ctx.root.append(
    h('p', { class: 'breadcrumb' }, link('subscriptions', 'Subscriptions'), editing ? [' / ', link(`subscriptions/${enc(editing)}`, editing)] : null),
    heading(ctx, title),
    form);
}
