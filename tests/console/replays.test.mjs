// Replays from the console: one event to one subscription (from the event's page), and a time
// range to a subscription (from its page); the subscriber gets the events again.

import assert from 'node:assert/strict';
import { suite, signIn, visible, eventually } from './harness.mjs';

const s = suite();

/** `date` as a datetime-local input's value, in this machine's time zone (the browser's too). */
function localInput(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

s.test('an event and a time range are replayed from the console', async ({ page, stack }) => {
  const team = await stack.tenant('replaying');
  const sub = await stack.api(team.key, 'POST', '/v1/subscriptions', {
    url: stack.subscriber.url, events: ['order.*'], description: 'Replay target',
  });
  const since = new Date(Date.now() - 2000);
  const [first] = await stack.ingest('shop', { id: 'rp-1', type: 'order.shipped', subject: 'order:3001' });
  const [second] = await stack.ingest('shop', { id: 'rp-2', type: 'order.cancelled', subject: 'order:3002' });
  const deliveries = (id) => stack.subscriber.received(id).filter((r) => r.answered === 200).length;
  await eventually('both events delivered once', () => deliveries(first) === 1 && deliveries(second) === 1);

  await signIn(page, team.key);
  await page.goto(`${stack.base}/console#/events/${first}`);
  await visible(page.getByRole('heading', { level: 1, name: `Event ${first}` }));
  await page.getByLabel('Replay to').selectOption(sub.id);
  await page.getByRole('button', { name: 'Replay event' }).click();
  await visible(page.getByRole('status').filter({ hasText: 'Replayed: 1 job queued.' }));
  await eventually('the replayed event at the subscriber', () => deliveries(first) === 2);
  assert.equal(deliveries(second), 1, 'only the one event was replayed');

  await page.goto(`${stack.base}/console#/subscriptions/${sub.id}`);
  const range = page.getByRole('region', { name: 'Replay a time range' });
  await visible(range);
  await range.getByLabel('Since (your local time)').fill(localInput(since));
  await range.getByRole('button', { name: 'Replay range' }).click();
  await visible(range.getByRole('status').filter({ hasText: 'Replayed: 2 jobs queued' }));
  await eventually('both events again at the subscriber', () => deliveries(first) === 3 && deliveries(second) === 2);
});
