// The form that creates or edits a subscription with every field of the API (filter conditions
// and headers as rows), showing the API's 422s next to the controls they name.

import { get, post, patch, knownEventTypes, describe, ApiError } from './api.js';
import { h, field, link, enc, time, heading, details, messages, secretPanel, splitList, uid } from './dom.js';
import { FieldErrors } from './forms.js';
import { tenants, subscriptionName, failure } from './views-common.js';

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
