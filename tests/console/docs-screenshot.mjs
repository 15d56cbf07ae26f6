// Makes the README's screenshots of the console (not a test; run by hand after a console change):
//   cargo build && node tests/console/docs-screenshot.mjs     # DOCS_MINUTES=4 by default
// Starts the same stack as the browser tests, sends a few minutes of signed webhooks to three
// tenants' subscriptions (the subscriber fails some on purpose, so there are retries and dead
// letters), then saves the admin's Overview as docs/console.png and the Subscriptions list as
// docs/console-subscriptions.png, 1280 px wide.

import path from 'node:path';
import { startStack, launchBrowser, signIn, open, visible, ROOT, ADMIN_KEY } from './harness.mjs';

const minutes = Number(process.env.DOCS_MINUTES || 4);
const stack = await startStack();
const browser = await launchBrowser();
try {
  const teams = [
    ['warehouse', 'Warehouse team', ['shop']],
    ['billing', 'Billing', ['billing']],
    ['support', 'Customer support', ['shop', 'billing']],
  ];
  for (const [id, name, allowedSources] of teams) {
    await stack.admin('POST', '/v1/tenants', { id, name, allowedSources });
  }
  const subs = [
    ['warehouse', 'Pick-and-pack updates', ['order.*'], { ordering: 'subject' }],
    ['warehouse', 'Tracking to the WMS', ['tracking.*'], { carriers: ['ups', 'usps'] }],
    ['billing', 'Invoices to the ledger', ['invoice.updated'], { format: 'cloudevents-structured' }],
    ['support', 'Exceptions for the help desk', ['tracking.exception', 'order.cancelled'], { rateLimitPerSecond: 20 }],
    ['support', 'Everything, for the data lake', ['*'], { filter: [{ path: '/data/kind', ne: 'other' }] }],
  ];
  for (const [tenant, description, events, extra] of subs) {
    await stack.admin('POST', '/v1/subscriptions', { tenant, url: stack.subscriber.url, description, events, ...extra });
  }
  await stack.admin('PATCH', `/v1/subscriptions/${(await stack.admin('GET', '/v1/subscriptions?tenant=support')).data[0].id}`, { enabled: false });
  stack.subscriber.failSome(0.15);
  const types = ['order.shipped', 'order.cancelled', 'tracking.updated', 'tracking.delivered', 'tracking.exception'];
  const end = Date.now() + minutes * 60000;
  let n = 0;
  while (Date.now() < end) {
    const burst = 2 + Math.round(6 * (1 + Math.sin(n / 40)));
    for (let i = 0; i < burst; i += 1) {
      n += 1;
      const type = types[n % types.length];
      await stack.ingest('shop', { id: `docs-${n}`, type, subject: `order:${1000 + (n % 37)}` });
      if (n % 4 === 0) await stack.ingest('billing', { id: `docs-b-${n}`, type: 'invoice.updated', subject: `invoice:${n}` });
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  stack.subscriber.failSome(0);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${stack.base}/console#/overview?window=${minutes < 5 ? '5m' : '15m'}`);
  await signIn(page, ADMIN_KEY);
  await visible(page.locator('figcaption', { hasText: 'Deliveries by result' }));
  await page.waitForTimeout(1500);
  await page.screenshot({ path: path.join(ROOT, 'docs', 'console.png'), fullPage: true });
  await open(page, 'Subscriptions');
  await visible(page.getByRole('link', { name: 'Invoices to the ledger' }));
  await page.screenshot({ path: path.join(ROOT, 'docs', 'console-subscriptions.png'), fullPage: true });
  console.log(`sent ${n} webhooks; wrote docs/console.png and docs/console-subscriptions.png`);
} finally {
  await browser.close();
  await stack.stop();
}
