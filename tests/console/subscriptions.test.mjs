// A tenant, signed in with its own key: creates a subscription to a real local subscriber (after
// the API's 422s are shown on the fields they name), sends a test ping and watches it arrive in
// the delivery log; edits, disables (the confirmation says what happens to queued jobs), enables,
// rotates the secret and deletes.

import assert from 'node:assert/strict';
import { suite, signIn, open, visible, gone, eventually } from './harness.mjs';

const s = suite();

async function fieldError(page, label) {
  const control = page.getByLabel(label, { exact: true });
  await eventually(`${label} marked invalid`, async () => (await control.getAttribute('aria-invalid')) === 'true');
  const ids = (await control.getAttribute('aria-describedby')).split(' ');
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
  return texts.join(' | ');
}

s.test('a tenant creates a subscription, sends a test ping and sees it delivered', async ({ page, stack }) => {
  const team = await stack.tenant('warehouse');
  await signIn(page, team.key);
  await visible(page.getByText('Tenant warehouse \u00b7 write key'), 'who is signed in');
  const nav = page.getByRole('navigation', { name: 'Main' });
  assert.equal(await nav.getByRole('link', { name: 'Tenants' }).count(), 0, 'no Tenants link for a tenant');
  assert.equal(await nav.getByRole('link', { name: 'Audit' }).count(), 0, 'no Audit link for a tenant');

  await open(page, 'Subscriptions');
  await visible(page.getByText('No subscriptions yet.'));
  await page.getByRole('link', { name: 'New subscription' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'New subscription' }));

  // First a request the API refuses: each 422 is shown by the control it names.
  await page.getByLabel('URL', { exact: true }).fill('ftp://127.0.0.1/hook');
  await page.getByLabel('Events', { exact: true }).fill('no.such.type');
  await page.getByRole('button', { name: 'Add condition' }).click();
  await page.getByLabel('Condition 1: path').fill('data/status');
  await page.getByLabel('Condition 1: value').fill('delivered');
  await page.getByRole('button', { name: 'Add header' }).click();
  await page.getByLabel('Header 1: name').fill('Host');
  await page.getByLabel('Header 1: value').fill('evil.example');
  await page.getByRole('button', { name: 'Create subscription' }).click();
  assert.match(await fieldError(page, 'URL'), /scheme must be http or https/);
  assert.match(await fieldError(page, 'Events'), /events\[0\]: unknown event type/);
  assert.match(await fieldError(page, 'Condition 1: path'), /must be a JSON pointer/);
  assert.match(await fieldError(page, 'Header 1: name'), /is set by shiprelay or hop-by-hop/);
  await visible(page.getByRole('alert').filter({ hasText: '4 fields are invalid' }), 'the summary of the 422');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-invalid')), 'true', 'focus on the first invalid field');

  // Corrected, with every kind of field filled in.
  await page.getByLabel('URL', { exact: true }).fill(stack.subscriber.url);
  await page.getByLabel('Description').fill('Warehouse hook');
  await page.getByLabel('Events', { exact: true }).fill('ping\norder.*');
  await page.getByRole('button', { name: 'Remove condition 1' }).click();
  await page.getByRole('button', { name: 'Add condition' }).click();
  await page.getByLabel('Condition 1: path').fill('/type');
  await page.getByLabel('Condition 1: operator').selectOption('in');
  await page.getByLabel('Condition 1: value').fill('ping, order.shipped');
  await page.getByLabel('Header 1: name').fill('X-Team');
  await page.getByLabel('Header 1: value').fill('warehouse');
  await page.getByRole('button', { name: 'Add sensitive header' }).click();
  await page.getByLabel('Sensitive header 1: name').fill('Authorization');
  await page.getByLabel('Sensitive header 1: value').fill('Bearer very-secret-token');
  await page.getByLabel('Rate limit (attempts per second)').fill('50');
  await page.getByLabel('Format').selectOption('cloudevents-structured');
  await page.getByRole('button', { name: 'Create subscription' }).click();

  await visible(page.getByRole('heading', { level: 1, name: 'Subscription created' }));
  const secret = await page.getByRole('textbox', { name: 'Signing secret' }).inputValue();
  assert.match(secret, /^whsec_/);
  await page.getByRole('link', { name: 'Open the subscription' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'Warehouse hook' }));
  await visible(page.getByText('/type in ["ping","order.shipped"]'), 'the filter as saved');
  await visible(page.getByText('Authorization (values never shown)'), 'the sensitive header, by name only');
  assert.equal(await page.getByText('very-secret-token').count(), 0, 'the sensitive value is not shown');

  await page.getByRole('button', { name: 'Send test ping' }).click();
  const queued = await visible(page.getByRole('status').filter({ hasText: 'Test ping' }), 'the ping confirmation');
  const eventId = (await queued.textContent()).match(/evt_[0-9A-Z]+/)[0];
  const log = page.getByRole('region', { name: 'Delivery attempts' });
  const row = log.getByRole('row').filter({ hasText: eventId });
  await visible(row.filter({ hasText: 'delivered' }), 'the ping delivered in the log');
  const cells = await row.first().getByRole('cell').allTextContents();
  assert.equal(cells[2], '1', 'first attempt');
  assert.equal(cells[3], '200', 'the subscriber\u2019s status');
  assert.equal(cells[8], 'ok', 'the response excerpt');

  // The subscriber really got it, with every header the form set.
  const [request] = await eventually('the ping at the subscriber', () => stack.subscriber.received(eventId).length && stack.subscriber.received(eventId));
  assert.equal(request.headers['x-team'], 'warehouse');
  assert.equal(request.headers.authorization, 'Bearer very-secret-token');
  assert.match(request.headers['content-type'], /application\/cloudevents\+json/);
});

s.test('a subscription is edited, disabled, enabled, rotated and deleted', async ({ page, stack }) => {
  const team = await stack.tenant('lifecycle');
  const created = await stack.api(team.key, 'POST', '/v1/subscriptions', {
    url: stack.subscriber.url, events: ['*'], description: 'Before edit',
  });
  await signIn(page, team.key);
  await open(page, 'Subscriptions');
  await page.getByLabel('Search').fill('no such words');
  await visible(page.getByText('No subscription matches.'));
  await page.getByLabel('Search').fill('before');
  await page.getByRole('link', { name: 'Before edit' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'Before edit' }));

  await page.getByRole('link', { name: 'Edit', exact: true }).click();
  await page.getByLabel('Description').fill('After edit');
  await page.getByLabel('Carriers').fill('ups, usps');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'After edit' }));
  await visible(page.getByText('ups, usps'), 'the carriers saved');

  await page.getByRole('button', { name: 'Disable' }).click();
  const dialog = page.getByRole('dialog', { name: 'Disable this subscription?' });
  await visible(dialog);
  assert.match(await dialog.textContent(), /Jobs already queued for it .* are dead-lettered/);
  await dialog.getByRole('button', { name: 'Disable' }).click();
  await visible(page.getByRole('status').filter({ hasText: 'Disabled.' }));
  assert.equal((await stack.api(team.key, 'GET', `/v1/subscriptions/${created.id}`)).enabled, false);
  await page.getByRole('button', { name: 'Enable' }).click();
  await visible(page.getByRole('status').filter({ hasText: 'Enabled' }));
  assert.equal((await stack.api(team.key, 'GET', `/v1/subscriptions/${created.id}`)).enabled, true);

  await page.getByRole('button', { name: 'Rotate secret' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Rotate secret' }).click();
  const rotated = await (await visible(page.getByRole('textbox', { name: 'Signing secret' }))).inputValue();
  assert.match(rotated, /^whsec_/);
  assert.notEqual(rotated, created.secret);
  await visible(page.getByText('Previous secret valid until'), 'the rotation grace period');

  await page.getByRole('button', { name: 'Delete' }).click();
  const confirm = page.getByRole('dialog');
  await visible(confirm.getByText('This cannot be undone.'));
  await confirm.getByRole('button', { name: 'Delete subscription' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'Subscriptions' }));
  await visible(page.getByText('No subscriptions yet.'));
  await gone(page.getByText('After edit'));
});
