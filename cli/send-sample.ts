import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';
import { z } from 'zod';
import { closestKey } from '#project/did-you-mean.js';
import type { WebhookSecrets } from '#services/intake/core/platforms/common.js';
import type { WebhookRequest } from '#services/intake/core/request.js';
import { localWebhookSecrets } from '../local/runtime.js';
import { signed } from '../local/signed-requests.js';
import { localClock } from './clock.js';
import { UsageError } from './test-pattern.js';

export const sampleSources = ['shopify', 'woocommerce', 'bigcommerce', 'stripe', 'segment', 'app'] as const;
export type SampleSource = (typeof sampleSources)[number];

type Json = null | boolean | string | LosslessNumber | Json[] | { [key: string]: Json };

/** What a friendly `--set` name stands for in each platform's payload, where the name differs. */
const aliases: Readonly<Record<SampleSource, Readonly<Record<string, readonly string[]>>>> = {
  shopify: { total: ['total_price'] },
  woocommerce: { total: ['total'] },
  bigcommerce: {},
  stripe: { total: ['amount_total'] },
  segment: { total: ['revenue', 'total'] },
  app: {},
};

/** Names that are never sample fields, whatever an object inherits. */
const forbiddenNames = new Set(['__proto__', 'constructor', 'prototype']);

/** Fields that say when something happened: made now, so a timer an hour after it falls due an hour from now. */
const timeFields = new Set([
  'created_at',
  'updated_at',
  'processed_at',
  'timestamp',
  'sentAt',
  'date_created',
  'date_created_gmt',
  'date_modified',
  'date_modified_gmt',
  'created',
]);
/** Ids that make a delivery the same one again: made fresh, so each send is a new event. */
const idFields = new Set(['id', 'messageId', 'token', 'cart_token', 'order_number', 'number']);

/** The samples shipped in `samples/webhooks/`: `source` → names. */
export function sampleNames(projectDir: string, source: SampleSource): string[] {
  const folder = join(projectDir, 'samples', 'webhooks', source);
  return existsSync(folder)
    ? readdirSync(folder)
        .filter((file) => file.endsWith('.json'))
        .map((file) => file.slice(0, -'.json'.length))
        .sort()
    : [];
}

const fileName = (name: string) => name.replaceAll('/', '-');

function visit(node: Json, each: (key: string, value: Json, parent: { [key: string]: Json }) => void): void {
  if (Array.isArray(node)) for (const item of node) visit(item, each);
  else if (node !== null && typeof node === 'object' && !isLosslessNumber(node)) {
    for (const [key, value] of Object.entries(node)) {
      each(key, value, node);
      visit(value, each);
    }
  }
}

/** The value written in the type the payload has there: a number stays a number, text stays text. */
function typed(existing: Json, text: string, key: string): Json {
  if (isLosslessNumber(existing) || typeof existing === 'number') {
    if (!/^-?\d+(\.\d+)?$/.test(text)) throw new UsageError(`--set ${key}=${text}: ${key} is a number in this sample`);
    return new LosslessNumber(text);
  }
  if (typeof existing === 'boolean') {
    if (text !== 'true' && text !== 'false') throw new UsageError(`--set ${key}=${text}: ${key} is true or false in this sample`);
    return text === 'true';
  }
  return text;
}

/**
 * A sample made ready to send: fresh ids and times, then each `--set name=value`: a dotted path
 * (`customer.email`) sets that field; a plain name (`email`, `total`) sets every field of that name
 * (or of its platform's name for it, such as Shopify's `total_price`). Stripe's amounts are in cents.
 */
export function preparedSample(source: SampleSource, text: string, sets: readonly string[], now: number): string {
  const body = parse(text) as Json;
  visit(body, (key, value, parent) => {
    if (timeFields.has(key) && value !== null) {
      parent[key] = isLosslessNumber(value) ? new LosslessNumber(String(Math.floor(now / 1000))) : new Date(now).toISOString();
    }
  });
  const top = body as { [key: string]: Json };
  // A product's id names the product, not the delivery: the same product sent again is updated.
  const catalogue = Array.isArray(top.variants) || top.inventory_item_id !== undefined || typeof top.permalink === 'string';
  for (const key of catalogue ? [] : idFields) {
    const value = top[key];
    if (value === undefined || value === null) continue;
    top[key] = isLosslessNumber(value)
      ? new LosslessNumber(String(1e12 + Math.floor(Math.random() * 1e12)))
      : `${String(value).replace(/[^_]*$/, '')}${randomBytes(8).toString('hex')}`;
  }
  // Stripe's order is its Checkout Session: a fresh one too, or every send is the same order.
  const stripeObject = (top.data as { object?: { [key: string]: Json } } | undefined)?.object;
  if (source === 'stripe' && typeof stripeObject?.id === 'string') stripeObject.id = `cs_test_${randomBytes(12).toString('hex')}`;
  // The platform's customer too: two sends for two addresses are two people, not one customer
  // whose address changed (the same address twice is still one person, by its email).
  if (typeof stripeObject?.customer === 'string') stripeObject.customer = `cus_${randomBytes(8).toString('hex')}`;
  const customer = top.customer;
  if (customer !== null && typeof customer === 'object' && !Array.isArray(customer) && !isLosslessNumber(customer) && isLosslessNumber(customer.id))
    customer.id = new LosslessNumber(String(1e12 + Math.floor(Math.random() * 1e12)));
  // Shopify's exact id is also in its GraphQL id (gid://shopify/Customer/…), which intake prefers.
  for (const node of [top, customer]) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || isLosslessNumber(node)) continue;
    if (typeof node.admin_graphql_api_id === 'string' && isLosslessNumber(node.id))
      node.admin_graphql_api_id = node.admin_graphql_api_id.replace(/\d+$/, node.id.toString());
  }
  if (isLosslessNumber(top.customer_id) && top.customer_id.toString() !== '0')
    top.customer_id = new LosslessNumber(String(1e6 + Math.floor(Math.random() * 1e6)));
  for (const batch of Array.isArray(top.batch) ? top.batch : []) {
    if (batch !== null && typeof batch === 'object' && !Array.isArray(batch) && !isLosslessNumber(batch)) batch.messageId = randomUUID();
  }
  for (const assignment of sets) {
    const equals = assignment.indexOf('=');
    if (equals < 1) throw new UsageError(`--set ${assignment}: write name=value, such as --set email=giulia@example.it`);
    const name = assignment.slice(0, equals);
    const value = assignment.slice(equals + 1);
    if (name.split('.').some((segment) => forbiddenNames.has(segment))) throw new UsageError(`--set ${name}: no sample field is called that`);
    const cents = source === 'stripe' && name === 'total';
    if (cents && !/^\d+(\.\d{1,2})?$/.test(value)) throw new UsageError(`--set total=${value}: write an amount, such as 64.90`);
    const written = cents ? String(Math.round(Number(value) * 100)) : value;
    if (name.includes('.')) {
      const path = name.split('.');
      let node: Json = body;
      for (const segment of path.slice(0, -1))
        node =
          node !== null && typeof node === 'object' && !Array.isArray(node) && !isLosslessNumber(node) && Object.hasOwn(node, segment)
            ? (node[segment] ?? null)
            : null;
      const last = path.at(-1) as string;
      if (node === null || typeof node !== 'object' || Array.isArray(node) || isLosslessNumber(node) || !Object.hasOwn(node, last))
        throw new UsageError(`--set ${name}: this sample has no field ${name}`);
      node[last] = typed(node[last] as Json, written, name);
      continue;
    }
    const names = new Set([name, ...(Object.hasOwn(aliases[source], name) ? (aliases[source][name] ?? []) : [])]);
    let found = 0;
    const known = new Set<string>();
    visit(body, (key, existing, parent) => {
      known.add(key);
      if (names.has(key) && (existing === null || typeof existing !== 'object' || isLosslessNumber(existing))) {
        parent[key] = typed(existing, written, name);
        found++;
      }
    });
    if (found === 0) {
      const meant = closestKey(name, known);
      throw new UsageError(`--set ${name}: this sample has no field ${name}${meant === undefined ? '' : `; did you mean ${meant}?`}`);
    }
  }
  return stringify(body, undefined, 2) ?? '';
}

/** The request the platform would send for this sample, signed with the local runtime's secret for it. */
export function sampleRequest(source: SampleSource, name: string, body: string, secrets: WebhookSecrets, now: number, shop?: string): WebhookRequest {
  const secret = (platform: keyof WebhookSecrets) => Object.values(secrets[platform] ?? {})[0] ?? '';
  if (shop !== undefined && !/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i.test(shop))
    throw new UsageError(`--shop ${shop}: give the shop's host name, such as negozio.myshopify.com`);
  if (shop !== undefined && source !== 'shopify' && source !== 'woocommerce')
    throw new UsageError(`--shop: a ${source} sample's shop is not a header (a Segment source's shop is the one its write key names in config)`);
  switch (source) {
    case 'shopify':
      // The topic as Shopify names it (checkouts/create), however the sample was named.
      return signed.shopify(body, secret('shopify'), name.includes('/') ? name : name.replace(/-(?=[^-]*$)/, '/'), {
        'x-shopify-webhook-id': randomUUID(),
        ...(shop === undefined ? {} : { 'x-shopify-shop-domain': shop.toLowerCase() }),
      });
    case 'woocommerce':
      return signed.woocommerce(body, secret('woocommerce'), name, {
        'x-wc-webhook-delivery-id': randomUUID(),
        ...(shop === undefined ? {} : { 'x-wc-webhook-source': `https://${shop}/` }),
      });
    case 'bigcommerce':
      return signed.bigcommerce(body, secret('bigcommerce'), now, { 'webhook-id': `msg_${randomBytes(12).toString('hex')}` });
    case 'stripe':
      return signed.stripe(body, secret('stripe'), now);
    case 'segment': {
      const call = (parse(body) as { type?: unknown }).type;
      return signed.segment(`/v1/${typeof call === 'string' ? call : 'batch'}`, JSON.parse(body), Object.keys(secrets.segment ?? {})[0] ?? '');
    }
    case 'app': {
      const [app, appSecret] = Object.entries(secrets.app ?? {})[0] ?? ['', ''];
      return signed.app(body, app, appSecret, now);
    }
  }
}

/** The local runtime's secrets as `npm start` keeps them (its data folder), else its defaults. */
export function localSecrets(dataDir: string): WebhookSecrets {
  const file = join(dataDir, 'webhook-secrets.json');
  if (!existsSync(file)) return localWebhookSecrets;
  return { ...localWebhookSecrets, ...(JSON.parse(readFileSync(file, 'utf8')) as WebhookSecrets) };
}

/** Reads a shipped sample, or says which there are. */
export function readSample(projectDir: string, source: string, name: string): { source: SampleSource; text: string } {
  const known = sampleSources.find((candidate) => candidate === source);
  if (known === undefined) throw new UsageError(`No samples for ${source}; there are samples for ${sampleSources.join(', ')}`);
  const file = join(projectDir, 'samples', 'webhooks', known, `${fileName(name)}.json`);
  if (!existsSync(file)) throw new UsageError(`No sample ${source} ${name}; there are: ${sampleNames(projectDir, known).join(', ')}`);
  return { source: known, text: readFileSync(file, 'utf8') };
}

/** One line of a `nudge send --file`: a sample and the fields to set. */
export const SampleLine = z
  .object({
    source: z.string().min(1),
    name: z.string().min(1),
    set: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    /** The shop that sends it (Shopify and WooCommerce samples), such as negozio.myshopify.com. */
    shop: z.string().min(1).optional(),
  })
  .strict();

/** Prepares, signs and posts one sample to the local runtime's intake; what it answered. */
export async function sendSample(
  projectDir: string,
  source: string,
  name: string,
  sets: readonly string[],
  target: { readonly endpoint: string; readonly dataDir: string; readonly awsEndpoint: string; readonly shop?: string | undefined },
): Promise<{ status: number; reply: string }> {
  const sample = readSample(projectDir, source, name);
  // The event happens on the runtime's clock (moved on by `nudge clock advance`), so its timers
  // fall due from there; the signature is the platform's, on real time, as intake checks it.
  const happenedAt = await localClock(target.awsEndpoint).then(
    (view) => Date.parse(view.now),
    () => Date.now(),
  );
  const request = sampleRequest(
    sample.source,
    name,
    preparedSample(sample.source, sample.text, sets, happenedAt),
    localSecrets(target.dataDir),
    Date.now(),
    target.shop,
  );
  let response: Response;
  try {
    response = await fetch(`${target.endpoint}${request.path}`, {
      method: 'POST',
      headers: request.headers as Record<string, string>,
      body: request.body,
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    throw new UsageError(`No local runtime answered at ${target.endpoint}: start it with npm start (or give its intake with --endpoint, or NUDGE_HTTP_PORT)`);
  }
  return { status: response.status, reply: await response.text() };
}
