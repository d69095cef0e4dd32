import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { signShopifyHmac } from '#services/intake/core/signatures.js';
import { localShopifySecret } from './runtime.js';

/** Posts a real, signed Shopify orders/create webhook to a running `npm start` and shows the email it produced. */
const projectDir = resolve(import.meta.dirname, '..');
const httpUrl = process.env.NUDGE_HTTP_URL ?? `http://localhost:${process.env.NUDGE_HTTP_PORT ?? 3000}`;
const inboxUrl = process.env.NUDGE_INBOX_URL ?? `http://localhost:${process.env.NUDGE_INBOX_PORT ?? 8005}`;
const secretsFile = resolve(process.env.NUDGE_DATA_DIR ?? resolve(projectDir, '.local'), 'webhook-secrets.json');
const secret: string = existsSync(secretsFile) ? (JSON.parse(readFileSync(secretsFile, 'utf8')).shopify?.['*'] ?? localShopifySecret) : localShopifySecret;

// Shopify's published example, as a new order each run: the same order twice is one order (and one email).
const orderId = `${Date.now()}${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`;
const body = Buffer.from(
  readFileSync(resolve(projectDir, 'test/fixtures/webhooks/shopify/shopify-orders-create.json'), 'utf8')
    .replace('gid://shopify/Order/820982911946154508', `gid://shopify/Order/${orderId}`)
    .replace('"name": "#9999"', `"name": "#${orderId.slice(-4)}"`)
    // Placed now, so that measurement can attribute it to the messages just before it.
    .replaceAll('2021-12-31T19:00:00-05:00', new Date().toISOString()),
);
const startedAt = Math.floor(Date.now() / 1000);
let response: Response;
try {
  response = await fetch(`${httpUrl}/webhooks/shopify`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': 'orders/create',
      'x-shopify-shop-domain': 'demo-shop.myshopify.com',
      'x-shopify-api-version': '2026-04',
      // A new delivery each run: the same webhook id twice would (rightly) be a duplicate.
      'x-shopify-webhook-id': randomUUID(),
      'x-shopify-triggered-at': new Date().toISOString(),
      'x-shopify-hmac-sha256': signShopifyHmac(body, secret),
    },
    body,
  });
} catch {
  console.error(`Could not reach Nudge at ${httpUrl}. Start it first with: npm start`);
  process.exit(1);
}
console.log(`POST ${httpUrl}/webhooks/shopify (Shopify orders/create, signed) → ${response.status} ${await response.text()}`);
if (!response.ok) process.exit(1);

interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string };
}
const deadline = Date.now() + 5000;
while (Date.now() < deadline) {
  const store = (await (await fetch(`${inboxUrl}/store?since=${startedAt}`)).json()) as { emails: StoredEmail[] };
  const email = store.emails.at(-1);
  if (email) {
    const seconds = ((Date.now() - startedAt * 1000) / 1000).toFixed(1);
    console.log(
      `\nEmail in the inbox within ${seconds} s (${inboxUrl}):\n  From:    ${email.from}\n  To:      ${email.destination.to.join(', ')}\n  Subject: ${email.subject}\n`,
    );
    console.log((email.body.text ?? '').replace(/^/gm, '  '));
    console.log(
      `\nWhat it earned: npm run nudge -- report, or ${httpUrl}/_local/report (run the demo again: a second order within a day counts as the thank-you's conversion).`,
    );
    process.exit(0);
  }
  await new Promise((resolveWait) => setTimeout(resolveWait, 100));
}
console.error('No email arrived within 5 s; see the npm start output and .local/dlq/.');
process.exit(1);
