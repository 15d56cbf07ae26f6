// Events: the stored CloudEvents, filtered by type, source, subject and time; one event as
// formatted JSON (as text: its payload is the provider's); replays of one event or a range.

import { get, post, allPages, knownEventTypes, describe } from './api.js';
import {
  h, field, link, enc, time, heading, details, messages, localInputToIso,
  isoToLocalInput,
} from './dom.js';
import { tenantFilter, subscriptionName, failure, pagedTable } from './views-common.js';
import { rangeReplayForm } from './views-subscription.js';

const FILTERS = ['type', 'source', 'subject', 'since', 'until', 'tenant'];

function received(e) {
  return e.data?.provider?.received_at || e.time;
}

function summary(e) {
  const d = e.data || {};
  const parts = [d.provider?.event_type, d.status, d.carrier, d.tracking_number || d.shipment_id || d.order_id]
    .filter((v) => typeof v === 'string' && v);
  return parts.join(' \u00b7 ');
}

/** Subscriptions the key may replay to, for a select (with a first "none" option). */
async function subscriptionOptions(first) {
  const select = h('select', {}, h('option', { value: '' }, first));
  try {
    const { items } = await allPages('/v1/subscriptions');
    for (const s of items) {
      select.append(h('option', { value: s.id }, `${subscriptionName(s)} \u2014 ${s.id}`));
    }
  } catch {
    // the select stays with its first option; the replay's own answer will say why
  }
  return select;
}

export async function listEvents(ctx) {
  const q = ctx.query;
  ctx.root.append(heading(ctx, 'Events'));
  const type = h('select', {}, h('option', { value: '' }, 'Any type'));
  for (const t of await knownEventTypes()) type.append(h('option', { value: t, selected: t === q.get('type') }, t));
  const source = h('input', { type: 'text', value: q.get('source') || '', autocomplete: 'off', spellcheck: 'false', list: 'known-sources' });
  const sources = ctx.me.tenant?.allowedSources?.filter((s) => s !== '*') || [];
  const sourceList = h('datalist', { id: 'known-sources' }, sources.map((s) => h('option', { value: s })));
  const subject = h('input', { type: 'text', value: q.get('subject') || '', autocomplete: 'off', spellcheck: 'false', placeholder: 'ups:1Z999AA10123456784' });
  const since = h('input', { type: 'datetime-local', step: 1, value: isoToLocalInput(q.get('since')) });
  const until = h('input', { type: 'datetime-local', step: 1, value: isoToLocalInput(q.get('until')) });
  const tenantControl = await tenantFilter(ctx, q.get('tenant') || '', 'As seen by tenant');
  const form = h('form', {
    class: 'filters',
    role: 'search',
    novalidate: true,
    on: {
      submit: (e) => {
        e.preventDefault();
        const params = new URLSearchParams();
        const values = {
          type: type.value,
          source: source.value.trim(),
          subject: subject.value.trim(),
          since: localInputToIso(since.value),
          until: localInputToIso(until.value),
          tenant: tenantControl?.select.value,
        };
        for (const name of FILTERS) if (values[name]) params.set(name, values[name]);
        const next = `#/events${params.toString() ? `?${params}` : ''}`;
        if (location.hash === next) window.dispatchEvent(new HashChangeEvent('hashchange'));
        else location.hash = next;
      },
    },
  },
  field('Type', type), field('Source', source), sourceList, field('Subject', subject),
  field('Received since', since), field('Received until', until), tenantControl?.element,
  h('div', { class: 'actions' },
    h('button', { type: 'submit', class: 'primary' }, 'Apply filters'),
    link('events', 'Clear', { class: 'button secondary' })));
  const msg = messages();
  const list = h('div');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load older events');
  ctx.root.append(form, msg.element, list, h('div', { class: 'actions' }, more));
  if (ctx.canWrite) {
    const select = await subscriptionOptions('Choose a subscription');
    ctx.root.append(rangeReplayForm(ctx, () => select.value, {
      heading: 'Replay a time range',
      extra: field('To subscription', select),
      hint: 'Sends again, to one subscription, every stored event received in the range that matches its filters.',
    }));
  }

  const columns = [
    { label: 'Received', cell: (e) => time(received(e)) },
    { label: 'Type', cell: (e) => e.type },
    { label: 'Source', cell: (e) => String(e.source).replace(/^shiprelay\//, '') },
    { label: 'Subject', class: 'wrap', cell: (e) => e.subject || h('span', { class: 'muted' }, '–') },
    { label: 'Summary', class: 'wrap', cell: (e) => summary(e) },
    { label: 'Event', cell: (e) => link(`events/${enc(e.id)}`, e.id, { class: 'mono' }) },
  ];
  const query = {};
  for (const name of FILTERS) if (q.get(name)) query[name] = q.get(name);
  await pagedTable({
    path: '/v1/events', query, caption: 'Events', columns, empty: 'No stored event matches.',
    list, more, msg, what: 'the events',
  });
}

export async function eventDetail(ctx) {
  const { id } = ctx.params;
  let event;
  try {
    event = await get(`/v1/events/${enc(id)}`);
  } catch (e) {
    ctx.title('Event');
    ctx.root.append(h('h1', { tabindex: -1 }, 'Event'), failure('this event', e));
    return;
  }
  const d = event.data || {};
  ctx.root.append(
    h('p', { class: 'breadcrumb' }, link('events', 'Events'), ' / ', event.id),
    heading(ctx, `Event ${event.id}`),
    h('section', { class: 'card', 'aria-label': 'Event summary' }, details([
      ['Type', event.type],
      ['Source', event.source],
      ['Subject', event.subject],
      ['Time', time(event.time)],
      ['Received', time(d.provider?.received_at)],
      ['Provider', d.provider ? `${d.provider.name}: ${d.provider.event_type}` : null],
    ])),
    h('section', { class: 'card', 'aria-labelledby': 'event-json' },
      h('h2', { id: 'event-json' }, 'CloudEvent'),
      h('pre', { class: 'json', tabindex: 0, 'aria-label': 'The event as JSON' }, JSON.stringify(event, null, 2))));
  if (!ctx.canWrite) return;
  const msg = messages();
  const select = await subscriptionOptions('Every matching subscription');
  const button = h('button', { type: 'submit', class: 'primary' }, 'Replay event');
  ctx.root.append(h('section', { class: 'card', 'aria-labelledby': 'replay-one' },
    h('h2', { id: 'replay-one' }, 'Replay this event'),
    h('p', { class: 'hint' }, 'To one subscription: sent to it whatever its filters. To every matching subscription: each one this key reaches whose filters match.'),
    h('form', {
      class: 'stack',
      novalidate: true,
      on: {
        submit: async (e) => {
          e.preventDefault();
          button.disabled = true;
          msg.clear();
          try {
            const answer = await post(`/v1/events/${enc(id)}/replay`, select.value ? { subscriptionId: select.value } : {});
            msg.info(`Replayed: ${answer.jobs} job${answer.jobs === 1 ? '' : 's'} queued.`);
          } catch (err) {
            msg.error(`Could not replay: ${describe(err)}`);
          } finally {
            button.disabled = false;
          }
        },
      },
    }, field('Replay to', select), h('div', { class: 'actions' }, button), msg.element)));
}
