// The key and the page: kept in sessionStorage only and gone after "Sign out"; a wrong or revoked
// key sends the person back to sign-in with a message; the keyboard alone is enough; the console
// is usable 390 px wide; every console response carries the strict Content-Security-Policy.

import assert from 'node:assert/strict';
import { suite, signIn, open, visible, eventually, ADMIN_KEY } from './harness.mjs';

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
  + "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const s = suite();

async function storage(page, context) {
  return {
    session: await page.evaluate(() => Object.fromEntries(Object.entries(sessionStorage))),
    local: await page.evaluate(() => Object.fromEntries(Object.entries(localStorage))),
    documentCookie: await page.evaluate(() => document.cookie),
    cookies: await context.cookies(),
    url: page.url(),
  };
}

s.test('signing out leaves no key in storage', async ({ page, context, stack }) => {
  const team = await stack.tenant('signout');
  await signIn(page, team.key);
  const during = await storage(page, context);
  assert.deepEqual(Object.values(during.session), [team.key], 'the key is in sessionStorage while signed in');
  assert.deepEqual(during.local, {}, 'nothing in localStorage');
  assert.equal(during.documentCookie, '');
  assert.deepEqual(during.cookies, []);
  assert.ok(!during.url.includes(team.key), 'not in the URL');
  // It survives a reload of the tab (sessionStorage), and every page still works.
  await page.reload();
  await open(page, 'Events');
  assert.ok(!page.url().includes(team.key));

  await page.getByRole('button', { name: 'Sign out' }).click();
  await visible(page.getByLabel('API key', { exact: true }), 'the sign-in form');
  await visible(page.getByText('Signed out.'));
  const afterwards = await storage(page, context);
  assert.deepEqual(afterwards.session, {}, 'sessionStorage is empty');
  assert.deepEqual(afterwards.local, {}, 'localStorage is empty');
  assert.equal(afterwards.documentCookie, '');
  assert.deepEqual(afterwards.cookies, []);
  assert.ok(!afterwards.url.includes(team.key));
  assert.equal(await page.getByLabel('API key', { exact: true }).inputValue(), '', 'the field is empty');
  // A reload does not sign in again.
  await page.reload();
  await visible(page.getByRole('button', { name: 'Sign in' }));
  assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0);
});

s.test('a wrong key is refused and a revoked key returns to sign-in', async ({ page, stack }) => {
  await page.getByLabel('API key', { exact: true }).fill('srk_not-a-real-key-at-all-0123456789');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await visible(page.getByRole('alert').filter({ hasText: 'That key was refused' }));
  assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'a refused key is not kept');

  const team = await stack.tenant('revoked');
  await signIn(page, team.key);
  await open(page, 'Subscriptions');
  await stack.admin('DELETE', `/v1/tenants/${team.id}/keys/${team.keyId}`);
  await eventually('the revoked key sent back to sign-in', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Events' }).click({ timeout: 1000 }).catch(() => {});
    return page.getByRole('button', { name: 'Sign in' }).isVisible();
  }, { timeout: 15000, interval: 500 });
  await visible(page.getByRole('alert').filter({ hasText: 'no longer accepts this key' }));
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
});

s.test('the keyboard alone signs in and moves between pages', async ({ page }) => {
  // The key field has focus on arrival.
  await page.keyboard.type(ADMIN_KEY);
  await page.keyboard.press('Enter');
  await visible(page.getByRole('button', { name: 'Sign out' }));
  let reached = false;
  for (let i = 0; i < 15 && !reached; i += 1) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.textContent === 'Dead letters');
  }
  assert.ok(reached, 'Tab reaches the Dead letters link');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused link shows its focus');
  await page.keyboard.press('Enter');
  await visible(page.getByRole('heading', { level: 1, name: 'Dead letters' }));
  await eventually('focus on the new page\u2019s heading', () => page.evaluate(() => document.activeElement?.tagName === 'H1'), { timeout: 5000 });
  // A confirmation dialog is answered with the keyboard: Escape cancels.
  await open(page, 'Tenants');
  await page.getByLabel('Tenant ID').fill('keyboard');
  await page.getByLabel('Name').fill('Keyboard team');
  await page.getByLabel('Name').press('Enter');
  await visible(page.getByRole('heading', { level: 1, name: 'Keyboard team' }));
  await page.getByRole('button', { name: 'Delete tenant' }).focus();
  await page.keyboard.press('Enter');
  await visible(page.getByRole('dialog'));
  await page.keyboard.press('Escape');
  assert.equal(await page.getByRole('dialog').count(), 0, 'Escape closes the dialog');
  await visible(page.getByRole('heading', { level: 1, name: 'Keyboard team' }), 'nothing was deleted');
});

s.test('the console is usable 390 px wide', async ({ page, stack }) => {
  const team = await stack.tenant('narrow');
  await stack.api(team.key, 'POST', '/v1/subscriptions', {
    url: `${stack.subscriber.url}/with/a/rather/long/path/that/must/not/widen/the/page`, events: ['*'], description: 'Phone-sized hook',
  });
  await signIn(page, team.key);
  const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const [name, heading] of [['Overview', 'Overview'], ['Subscriptions', 'Subscriptions'], ['Events', 'Events'], ['Dead letters', 'Dead letters']]) {
    await visible(nav.getByRole('link', { name, exact: true }), `the ${name} link`);
    await open(page, name, heading);
    await page.waitForTimeout(300);
    assert.ok(await fits(), `${name}: no sideways scrolling of the page`);
  }
  await open(page, 'Subscriptions');
  await page.getByRole('link', { name: 'Phone-sized hook' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'Phone-sized hook' }));
  await visible(page.getByRole('button', { name: 'Send test ping' }));
  assert.ok(await fits(), 'subscription page: no sideways scrolling of the page');
  const box = await page.getByRole('button', { name: 'Send test ping' }).boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 390, 'its buttons are on screen');
}, { width: 390, height: 844 });

s.test('every console response carries the strict Content-Security-Policy', async ({ page, stack, problems }) => {
  const names = await page.evaluate(() => [...document.querySelectorAll('script[src], link[rel=stylesheet]')]
    .map((e) => e.getAttribute('src') || e.getAttribute('href')));
  const modules = ['/console/app.js', '/console/api.js', '/console/dom.js', '/console/views-events.js'];
  for (const route of ['/console', '/console/', ...names, ...modules]) {
    const response = await fetch(stack.base + route);
    assert.equal(response.status, 200, route);
    assert.equal(response.headers.get('content-security-policy'), CSP, route);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff', route);
  }
  const missing = await fetch(`${stack.base}/console/nope.js`);
  assert.equal(missing.status, 404);
  // The browser enforces it: an inline script added to the page does not run.
  await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.__inline = 1';
    document.body.append(script);
  });
  assert.equal(await page.evaluate(() => window.__inline), undefined);
  await eventually('the browser to report the violation', () => problems.csp.length > 0, { timeout: 5000 });
  problems.csp.length = 0; // the one violation this test caused on purpose
});
