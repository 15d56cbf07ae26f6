// An admin: signs in, creates a tenant and a write key (shown once, and working), sees the API's
// 422 next to the field it names, the audit log and the live overview.

import assert from 'node:assert/strict';
import { suite, signIn, open, visible, eventually, ADMIN_KEY } from './harness.mjs';

const s = suite();

s.test('an admin signs in, creates a tenant and a write key', async ({ page, stack }) => {
  // Enter in the key field signs in, like the button.
  await page.getByLabel('API key', { exact: true }).fill(ADMIN_KEY);
  await page.getByLabel('API key', { exact: true }).press('Enter');
  await visible(page.getByText('Admin key'), 'who is signed in');
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const name of ['Overview', 'Subscriptions', 'Events', 'Dead letters', 'Tenants', 'Audit']) {
    await visible(nav.getByRole('link', { name, exact: true }), `the ${name} link`);
  }

  await open(page, 'Tenants');
  await page.getByLabel('Tenant ID').fill('warehouse');
  await page.getByLabel('Name').fill('Warehouse team');
  await page.getByLabel('Allowed sources').fill('shop');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'Warehouse team' }), 'the new tenant\u2019s page');
  await visible(page.getByText('No keys yet.'), 'an empty key list');

  await page.getByLabel('Role').selectOption('write');
  await page.getByLabel('Label').fill('ci');
  await page.getByRole('button', { name: 'Create key' }).click();
  const shown = await visible(page.getByRole('textbox', { name: 'API key' }), 'the new key, shown once');
  const key = await shown.inputValue();
  assert.match(key, /^srk_[A-Za-z0-9_-]{20,}$/);
  await visible(page.getByRole('button', { name: 'Copy' }), 'a copy button');
  await visible(page.getByRole('cell', { name: `${key.slice(0, 8)}\u2026` }), 'the key in the list, by its prefix');

  // The key the page showed is a working write key of that tenant.
  const me = await stack.api(key, 'GET', '/v1/me');
  assert.equal(me.kind, 'tenant');
  assert.equal(me.tenant.id, 'warehouse');
  assert.deepEqual(me.tenant.allowedSources, ['shop']);
  assert.equal(me.role, 'write');

  // The tenant's allowed sources and limits are edited.
  const edit = page.getByRole('region', { name: 'Edit' });
  await edit.getByLabel('Allowed sources').fill('shop, billing');
  await edit.getByLabel('Max subscriptions').fill('5');
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await visible(edit.getByRole('status').filter({ hasText: 'Saved.' }));
  await visible(page.getByText('shop, billing').first(), 'the new allowed sources');
  const tenant = await stack.admin('GET', '/v1/tenants/warehouse');
  assert.deepEqual(tenant.allowedSources, ['shop', 'billing']);
  assert.equal(tenant.maxSubscriptions, 5);

  // All of it is in the audit log.
  await open(page, 'Audit');
  await visible(page.getByRole('cell', { name: 'tenant.created' }), 'tenant.created in the audit log');
  await visible(page.getByRole('cell', { name: 'key.created' }), 'key.created in the audit log');
  await visible(page.getByRole('cell', { name: 'tenant.updated' }), 'tenant.updated in the audit log');
});

s.test('an admin revokes a tenant key', async ({ page, stack }) => {
  const team = await stack.tenant('revoking');
  await signIn(page, ADMIN_KEY);
  await open(page, 'Tenants');
  await page.getByRole('link', { name: 'Team revoking' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'Team revoking' }));
  await page.getByRole('button', { name: 'Revoke' }).click();
  const dialog = page.getByRole('dialog');
  await visible(dialog.getByText('This cannot be undone.'));
  await dialog.getByRole('button', { name: 'Revoke key' }).click();
  await visible(page.getByText('No keys yet.'));
  await eventually('the key refused', async () => {
    const response = await fetch(`${stack.base}/v1/me`, { headers: { 'X-API-Key': team.key } });
    return response.status === 401;
  }, { timeout: 5000 });
});

s.test('the API\u2019s 422 shows next to the tenant field it names', async ({ page }) => {
  await signIn(page, ADMIN_KEY);
  await open(page, 'Tenants');
  await page.getByLabel('Tenant ID').fill('Not Valid!');
  await page.getByLabel('Name').fill('Bad');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  const idField = page.getByLabel('Tenant ID');
  await eventually('the Tenant ID field marked invalid', async () => (await idField.getAttribute('aria-invalid')) === 'true');
  const describedBy = (await idField.getAttribute('aria-describedby')).split(' ');
  const messages = await Promise.all(describedBy.map((id) => page.locator(`[id="${id}"]`).textContent()));
  assert.ok(messages.some((m) => m.includes('must be 1-64 characters')), `the field's description: ${messages.join(' | ')}`);
  assert.equal(await page.getByLabel('Name').getAttribute('aria-invalid'), null, 'the valid field is not marked');
  // The id is kept for correcting, and a corrected form goes through.
  await idField.fill('corrected');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'Bad' }), 'the corrected tenant');
});

s.test('the overview charts live figures of the relay', async ({ page, stack }) => {
  await signIn(page, ADMIN_KEY);
  await visible(page.getByRole('heading', { level: 1, name: 'Overview' }));
  for (const title of ['Ingest requests by outcome', 'Deliveries by result', 'Delivery lag (accepted to delivered)',
    'Queue depth per partition (now)', 'Oldest waiting per partition (now)']) {
    await visible(page.locator('figcaption', { hasText: title }), `the chart "${title}"`);
  }
  // Webhooks accepted after the page opened show up without reloading it.
  const tile = page.locator('.tile', { hasText: 'Webhooks accepted' }).locator('.tile-value');
  const before = Number((await tile.textContent()).replace(/,/g, ''));
  for (let i = 0; i < 3; i += 1) await stack.ingest('shop', { id: `overview-${i}`, type: 'order.shipped', subject: `order:${i}` });
  await eventually('the accepted count to rise by 3', async () => Number((await tile.textContent()).replace(/,/g, '')) >= before + 3, { timeout: 30000 });
  const svgCount = await page.locator('svg.chart').count();
  assert.ok(svgCount >= 5, `${svgCount} charts drawn`);
  assert.ok(await page.locator('svg.chart path.line').count() >= 1, 'the accepted line is drawn');
  await page.getByLabel('Window').selectOption('1h');
  await visible(page.getByText('in the last 1h').first(), 'figures of the chosen window');
});

s.test('a tenant\u2019s overview counts its own sources only, without partitions', async ({ page, stack }) => {
  const team = await stack.tenant('overview-only', { allowedSources: ['billing'] });
  await signIn(page, team.key);
  await visible(page.getByRole('heading', { level: 1, name: 'Overview' }));
  await visible(page.getByRole('heading', { name: 'Waiting now (your subscriptions)' }), 'its backlog');
  await visible(page.locator('figcaption', { hasText: 'Deliveries by result' }));
  assert.equal(await page.locator('figcaption', { hasText: 'per partition' }).count(), 0, 'no partition charts');
  const tile = page.locator('.tile', { hasText: 'Webhooks accepted' }).locator('.tile-value');
  await eventually('the first figures', async () => (await tile.textContent()) !== '');
  const before = Number((await tile.textContent()).replace(/,/g, ''));
  await stack.ingest('shop', { id: 'not-theirs', type: 'order.shipped', subject: 'order:x' });
  await stack.ingest('billing', { id: 'theirs', type: 'invoice.updated', subject: 'invoice:1' });
  await eventually('its own webhook counted', async () => Number((await tile.textContent()).replace(/,/g, '')) === before + 1, { timeout: 30000 });
  // And the other source's webhook is not, even after another refresh.
  await page.waitForTimeout(6000);
  assert.equal(Number((await tile.textContent()).replace(/,/g, '')), before + 1);
});
