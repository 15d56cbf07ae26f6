// Overview: live charts of GET /v1/stats (scoped like every route: a tenant key sees its own
// subscriptions' figures), refreshed every few seconds while the page is open.

import { get, describe, ApiError } from './api.js';
import { h, field, heading, duration, formatDate } from './dom.js';
import { lineChart, barChart } from './charts.js';

const WINDOWS = ['5m', '15m', '1h', '6h', '24h'];
const REFRESH_MS = 5000;
const INGEST = ['accepted', 'duplicate', 'quarantined', 'unauthorized', 'too_large', 'timeout', 'not_found', 'bad_request', 'unavailable'];
const DELIVERIES = ['delivered', 'retry', 'dead', 'refused', 'disabled'];
// Colours (style.css c0..c9): blue, grey, orange, red, purple, brown, pink, cyan, olive, green.
const COLORS = {
  accepted: 0, duplicate: 1, quarantined: 2, unauthorized: 3, too_large: 4, timeout: 5, not_found: 6,
  bad_request: 8, unavailable: 7, delivered: 9, retry: 2, dead: 3, refused: 4, disabled: 1,
};
const LABELS = {
  too_large: 'too large', not_found: 'not found', bad_request: 'bad request',
};

const sum = (values) => (values || []).reduce((a, v) => a + (typeof v === 'number' ? v : 0), 0);
const last = (values) => [...(values || [])].reverse().find((v) => typeof v === 'number');
const count = (n) => n.toLocaleString('en', { maximumFractionDigits: 1 });

function tile(label, value, note) {
  return h('div', { class: 'tile' }, h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value' }, value),
    note ? h('div', { class: 'tile-note' }, note) : null);
}

function seriesOf(group, names) {
  return names.filter((n) => Array.isArray(group?.[n])).map((n) => ({ name: LABELS[n] || n, values: group[n], color: COLORS[n] }))
    .concat(Object.keys(group || {}).filter((n) => !names.includes(n) && Array.isArray(group[n]))
      .map((n) => ({ name: n, values: group[n] })));
}

function draw(stats, isAdmin) {
  const w = stats.window;
  const minutes = stats.minutes || [];
  const ingest = seriesOf(stats.ingest, INGEST);
  const deliveries = seriesOf(stats.deliveries, DELIVERIES);
  const lag = stats.lagSeconds || [];
  const lagNow = last(lag);
  const inWindow = (s) => `${count(sum(s.values))} in ${w}`;
  const tiles = h('div', { class: 'tiles' },
    tile('Webhooks accepted', count(sum(stats.ingest?.accepted)), `in the last ${w}`),
    tile('Delivered', count(sum(stats.deliveries?.delivered)), `in the last ${w}`),
    tile('Retries', count(sum(stats.deliveries?.retry)), `in the last ${w}`),
    tile('Dead-lettered', count(sum(stats.deliveries?.dead)), `in the last ${w}`),
    tile('Delivery lag', lagNow === undefined ? '–' : duration(lagNow), 'latest minute'));
  const charts = [
    lineChart({ title: 'Ingest requests by outcome', minutes, series: ingest, format: count, describe: inWindow }),
    lineChart({ title: 'Deliveries by result', minutes, series: deliveries, format: count, describe: inWindow }),
    lineChart({
      title: 'Delivery lag (accepted to delivered)', minutes, series: [{ name: 'lag', values: lag, color: 4 }],
      format: (v) => duration(v), describe: () => (lagNow === undefined ? 'no deliveries' : `latest ${duration(lagNow)}`),
    }),
  ];
  const partitions = stats.partitions || [];
  if (partitions.length) {
    const categories = partitions.map((p) => `P${p.partition}`);
    const column = (key) => partitions.map((p) => p[key]);
    const total = (s) => `${count(sum(s.values))} in all`;
    const oldest = (s) => `oldest ${duration(Math.max(0, ...s.values.filter((v) => typeof v === 'number')))}`;
    charts.push(
      barChart({
        title: 'Queue depth per partition (now)', categories, format: count, describe: total,
        series: [
          { name: 'events waiting for routing', values: column('eventsUnrouted'), color: 1 },
          { name: 'deliveries pending', values: column('deliveriesPending'), color: 0 },
          { name: 'retries scheduled', values: column('retryScheduled'), color: 2 },
          { name: 'dead letters', values: column('dead'), color: 3 },
        ],
      }),
      barChart({
        title: 'Oldest waiting per partition (now)', categories, format: (v) => duration(v), describe: oldest,
        series: [
          { name: 'event', values: column('oldestEventAgeSeconds'), color: 1 },
          { name: 'delivery', values: column('oldestDeliveryAgeSeconds'), color: 0 },
        ],
      }));
  }
  const parts = [tiles];
  if (stats.backlog) {
    const b = stats.backlog;
    parts.push(h('section', { class: 'card', 'aria-labelledby': 'backlog-title' },
      h('h2', { id: 'backlog-title' }, 'Waiting now (your subscriptions)'),
      h('div', { class: 'tiles' },
        tile('Behind their subject', count(b.ordered || 0), 'ordered subscriptions'),
        tile('On a rate limit', count(b.rateLimited || 0), 'parked until their slot'),
        tile('Oldest waiting', b.oldestWaitingSeconds == null ? '–' : duration(b.oldestWaitingSeconds), 'since accepted'))));
  } else if (!isAdmin) {
    parts.push(h('p', { class: 'muted' }, 'Queue depths per partition are shown to admins only.'));
  }
  parts.push(h('div', { class: 'charts' }, charts));
  return parts;
}

export default async function overview(ctx) {
  const windowSelect = h('select', {}, WINDOWS.map((w) => h('option', { value: w, selected: w === (ctx.query.get('window') || '15m') }, w)));
  const updated = h('p', { class: 'updated muted', 'aria-live': 'off' });
  const body = h('div', { class: 'overview', 'aria-live': 'off' });
  const scope = ctx.isAdmin ? 'Everything on this relay.' : `Tenant ${ctx.me.tenant?.id}: its allowed sources and its own subscriptions.`;
  ctx.root.append(heading(ctx, 'Overview'),
    h('div', { class: 'overview-bar' },
      h('p', { class: 'muted' }, scope, ` Refreshes every ${REFRESH_MS / 1000} s.`),
      h('form', { class: 'inline', on: { submit: (e) => e.preventDefault() } }, field('Window', windowSelect)),
      updated),
    body);
  let busy = false;
  const refresh = async () => {
    if (busy) return;
    busy = true;
    try {
      const stats = await get('/v1/stats', { window: windowSelect.value });
      if (!ctx.alive()) return;
      body.replaceChildren(...draw(stats, ctx.isAdmin));
      updated.textContent = `Updated ${formatDate(new Date()).slice(11)}`;
    } catch (e) {
      if (!ctx.alive()) return;
      if (e instanceof ApiError && e.status === 404) {
        body.replaceChildren(h('div', { class: 'card empty-state' },
          h('h2', {}, 'No figures yet'),
          h('p', {}, 'This relay does not serve GET /v1/stats yet, so there is nothing to chart. The page keeps trying.')));
      } else {
        body.replaceChildren(h('div', { class: 'alert', role: 'alert' }, h('p', {}, `Could not load the figures: ${describe(e)}`)));
      }
      updated.textContent = '';
    } finally {
      busy = false;
    }
  };
  windowSelect.addEventListener('change', refresh);
  ctx.every(REFRESH_MS, refresh);
  await refresh();
}
