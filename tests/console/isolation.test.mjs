// A second tenant sees none of the first tenant's subscriptions, events or dead letters: not in
// the lists, not by id. The first tenant sees them all, so the test can tell the difference.

import assert from 'node:assert/strict';
import { suite, signIn, open, visible, eventually } from './harness.mjs';

const s = suite();
let first;
let second;
let sub;
let eventId;

async function prepare(stack) {
  if (first) return;
  first = await stack.tenant('alpha', { allowedSources: ['shop'] });
  second = await stack.tenant('beta', { allowedSources: ['billing'] });
  sub = await stack.api(first.key, 'POST', '/v1/subscriptions', {
    url: stack.subscriber.url, events: ['*'], description: 'Alpha private hook',
  });
  stack.subscriber.fail(true);
  [eventId] = await stack.ingest('shop', { id: 'alpha-1', type: 'order.shipped', subject: 'order:alpha-secret' });
  await eventually('alpha\u2019s dead letter', async () => (await stack.api(first.key, 'GET', '/v1/dead-letters')).data.length === 1, { timeout: 30000 });
  stack.subscriber.fail(false);
  // beta has something of its own, so its pages are not empty by accident.
  await stack.api(second.key, 'POST', '/v1/subscriptions', { url: stack.subscriber.url, events: ['invoice.updated'], description: 'Beta hook' });
  await stack.ingest('billing', { id: 'beta-1', type: 'invoice.updated', subject: 'invoice:beta' });
}

s.test('the first tenant sees its subscription, event and dead letter', async ({ page, stack }) => {
  await prepare(stack);
  await signIn(page, first.key);
  await open(page, 'Subscriptions');
  await visible(page.getByRole('link', { name: 'Alpha private hook' }));
  await open(page, 'Events');
  await visible(page.getByRole('row').filter({ hasText: eventId }));
  await open(page, 'Dead letters');
  await visible(page.getByRole('row').filter({ hasText: eventId }));
});

s.test('a second tenant sees none of the first tenant\u2019s subscriptions, events or dead letters', async ({ page, stack }) => {
  await prepare(stack);
  await signIn(page, second.key);
  const body = page.locator('body');
  const leaked = async () => {
    const text = await body.textContent();
    return ['Alpha private hook', sub.id, eventId, 'alpha-secret', 'alpha'].filter((s) => text.includes(s));
  };

  await open(page, 'Subscriptions');
  await visible(page.getByRole('link', { name: 'Beta hook' }), 'its own subscription');
  assert.deepEqual(await leaked(), []);
  await page.getByLabel('Search').fill('alpha');
  await visible(page.getByText('No subscription matches.'));

  await open(page, 'Events');
  await visible(page.getByRole('row').filter({ hasText: 'invoice:beta' }), 'its own event');
  assert.deepEqual(await leaked(), []);
  await page.getByLabel('Subject').fill('order:alpha-secret');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await visible(page.getByText('No stored event matches.'));

  await open(page, 'Dead letters');
  await visible(page.getByText('No dead letters.'));
  assert.deepEqual(await leaked(), []);
  // Its subscription select offers its own only.
  const options = await page.getByLabel('Subscription', { exact: true }).locator('option').allTextContents();
  assert.ok(options.every((o) => !o.includes('Alpha')), options.join(', '));

  // By id: the same answer as for an id that does not exist.
  await page.goto(`${stack.base}/console#/subscriptions/${sub.id}`);
  await visible(page.getByRole('alert').filter({ hasText: 'no such subscription' }));
  await page.goto(`${stack.base}/console#/events/${eventId}`);
  await visible(page.getByRole('alert').filter({ hasText: /no such event|not found/i }));
  await page.goto(`${stack.base}/console#/dead-letters?subscription=${sub.id}`);
  await visible(page.getByRole('heading', { level: 1, name: 'Dead letters' }));
  await eventually('the dead-letter list', async () => (await page.getByText('No dead letters.').count()) === 1
    || (await page.getByRole('alert').count()) > 0);
  assert.equal(await page.getByRole('row').filter({ hasText: eventId }).count(), 0);
});
