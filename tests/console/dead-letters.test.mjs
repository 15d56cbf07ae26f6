// A subscriber that fails makes a dead letter appear; redriving it from the console delivers it.
// Deleting one from the console removes it.

import assert from 'node:assert/strict';
import { suite, signIn, open, visible, eventually } from './harness.mjs';

const s = suite();

/** Reloads the Dead letters page until a row for `eventId` is there. */
async function waitForDeadLetter(page, eventId) {
  await eventually(`a dead letter for ${eventId}`, async () => {
    await open(page, 'Dead letters');
    await page.getByRole('region', { name: 'Dead letters' }).waitFor();
    return (await page.getByRole('row').filter({ hasText: eventId }).count()) === 1;
  }, { timeout: 30000, interval: 1000 });
  return page.getByRole('row').filter({ hasText: eventId });
}

s.test('a failing subscriber\u2019s dead letter is redriven from the console and delivered', async ({ page, stack }) => {
  const team = await stack.tenant('failing');
  const sub = await stack.api(team.key, 'POST', '/v1/subscriptions', {
    url: stack.subscriber.url, events: ['order.*'], description: 'Flaky endpoint',
  });
  stack.subscriber.fail(true);
  const [eventId] = await stack.ingest('shop', { id: 'dl-1', type: 'order.shipped', subject: 'order:1001' });

  await signIn(page, team.key);
  const row = await waitForDeadLetter(page, eventId);
  const text = await row.textContent();
  assert.match(text, /Flaky endpoint/, 'the subscription, by name');
  assert.match(text, /order\.shipped/, 'the event type');
  assert.match(text, /HTTP 500|attempts/i, `the reason: ${text}`);
  assert.equal(stack.subscriber.received(eventId).length, 2, 'max_attempts = 2 attempts made');

  // The subscriber is fixed; the dead letter goes back to delivery from the console.
  stack.subscriber.fail(false);
  await page.getByLabel('Subscription', { exact: true }).selectOption(sub.id);
  await eventually('the page for that subscription', () => page.url().includes(`subscription=${sub.id}`));
  await page.getByRole('checkbox', { name: /^Select dead letter / }).first().check();
  await visible(page.getByText('1 selected'));
  await page.getByRole('button', { name: 'Redrive selected' }).click();
  await visible(page.getByRole('status').filter({ hasText: 'Redriven: 1 of 1' }));
  await visible(page.getByText('No dead letters.'));

  const delivered = await eventually('the redriven event at the subscriber', () => {
    const ok = stack.subscriber.received(eventId).filter((r) => r.answered === 200);
    return ok.length ? ok : null;
  });
  assert.equal(delivered.length, 1);

  // The subscription's delivery log shows the delivery.
  await page.goto(`${stack.base}/console#/subscriptions/${sub.id}`);
  const log = page.getByRole('region', { name: 'Delivery attempts' });
  await visible(log.getByRole('row').filter({ hasText: eventId }).filter({ hasText: 'delivered' }), 'the delivery in the log');
  await visible(log.getByRole('row').filter({ hasText: eventId }).filter({ hasText: 'dead' }), 'the dead attempt in the log');
});

s.test('dead letters selected in the console are deleted', async ({ page, stack }) => {
  const team = await stack.tenant('deleting');
  await stack.api(team.key, 'POST', '/v1/subscriptions', { url: stack.subscriber.url, events: ['order.*'], description: 'Doomed' });
  stack.subscriber.fail(true);
  const [first] = await stack.ingest('shop', { id: 'dl-del-1', type: 'order.shipped', subject: 'order:2001' });
  const [second] = await stack.ingest('shop', { id: 'dl-del-2', type: 'order.cancelled', subject: 'order:2002' });
  await signIn(page, team.key);
  await waitForDeadLetter(page, first);
  await waitForDeadLetter(page, second);
  stack.subscriber.fail(false);

  await page.getByRole('checkbox', { name: 'Select all shown' }).check();
  await visible(page.getByText('2 selected'));
  await page.getByRole('button', { name: 'Delete selected' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete 2 dead letters?' });
  await visible(dialog);
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await visible(page.getByRole('status').filter({ hasText: 'Deleted 2 dead letters.' }));
  await visible(page.getByText('No dead letters.'));
  const left = await stack.api(team.key, 'GET', '/v1/dead-letters');
  assert.deepEqual(left.data, []);
});
