// Provider payloads are attacker-controlled: an event whose type, subject and payload carry HTML
// and script, and a subscriber whose answer does, are shown as text and run nothing.

import assert from 'node:assert/strict';
import { suite, signIn, open, visible, eventually } from './harness.mjs';

const IMG = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>alert(2)</script>';

const s = suite();

/** Nothing from the payloads became markup: no image, no extra script, no handler attribute. */
async function assertInert(page) {
  assert.equal(await page.locator('img').count(), 0, 'no <img> element');
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'no img[src="x"]');
  assert.equal(await page.locator('script').count(), 1, 'only the console\u2019s own module script');
  assert.equal(await page.locator('[onerror], [onload], [onclick]').count(), 0, 'no event-handler attribute');
  assert.equal(await page.evaluate(() => window.__pwned === undefined), true);
}

s.test('an event carrying HTML and script is shown as text and runs nothing', async ({ page, stack, problems }) => {
  const team = await stack.tenant('hostile', { allowedSources: ['shop'] });
  const sub = await stack.api(team.key, 'POST', '/v1/subscriptions', {
    url: stack.subscriber.url, events: ['*'], description: `Hook ${IMG}`,
  });
  stack.subscriber.answerWith(`thanks ${IMG} ${SCRIPT}`);
  const [eventId] = await stack.ingest('shop', {
    id: 'xss-1',
    type: IMG,
    subject: `${SCRIPT}<img src=x onerror="window.__pwned=1">`,
    note: `${IMG} ${SCRIPT}`,
  });

  await signIn(page, team.key);
  await open(page, 'Events');
  // The list: the provider's type and the subject, as text.
  const row = page.getByRole('row').filter({ hasText: eventId });
  await visible(row, 'the event in the list');
  const rowText = await row.textContent();
  assert.ok(rowText.includes(IMG), `the provider's type as text: ${rowText}`);
  assert.ok(rowText.includes(SCRIPT), `the subject as text: ${rowText}`);
  await assertInert(page);

  // The event itself: the CloudEvent as formatted JSON text.
  await row.getByRole('link', { name: eventId }).click();
  await visible(page.getByRole('heading', { level: 1, name: `Event ${eventId}` }));
  const json = page.locator('pre.json');
  await visible(page.locator('pre.json', { hasText: IMG }), 'the <img> payload, literally');
  await visible(page.locator('pre.json', { hasText: SCRIPT }), 'the <script> payload, literally');
  const shown = JSON.parse(await json.textContent());
  assert.equal(shown.data.raw.note, `${IMG} ${SCRIPT}`, 'the JSON shown is the event, unchanged');
  await assertInert(page);

  // The subscriber's answer, in the delivery log's response excerpt; the description, as the title.
  await page.goto(`${stack.base}/console#/subscriptions/${sub.id}`);
  await visible(page.getByRole('heading', { level: 1, name: `Hook ${IMG}` }), 'the description as text');
  const log = page.getByRole('region', { name: 'Delivery attempts' });
  const delivered = log.getByRole('row').filter({ hasText: eventId });
  await visible(delivered, 'the delivery');
  assert.ok((await delivered.textContent()).includes(`thanks ${IMG} ${SCRIPT}`), 'the response excerpt as text');
  await assertInert(page);

  // Dead letters show the event's type and subject too.
  stack.subscriber.fail(true);
  const [dead] = await stack.ingest('shop', { id: 'xss-2', type: IMG, subject: SCRIPT });
  await eventually('the dead letter', async () => {
    await open(page, 'Dead letters');
    await page.getByRole('region', { name: 'Dead letters' }).waitFor();
    return (await page.getByRole('row').filter({ hasText: dead }).count()) === 1;
  }, { timeout: 30000, interval: 1000 });
  assert.ok((await page.getByRole('row').filter({ hasText: dead }).textContent()).includes(SCRIPT));
  stack.subscriber.fail(false);
  await assertInert(page);

  // Last, the event again (the page the screenshot shows).
  await page.goto(`${stack.base}/console#/events/${eventId}`);
  await visible(page.locator('pre.json', { hasText: SCRIPT }), 'the event as text');
  await assertInert(page);
  // Let any deferred handler fire before the harness checks that no dialog opened.
  await page.waitForTimeout(500);
  assert.deepEqual(problems.dialogs, [], 'no alert() ran');
});
