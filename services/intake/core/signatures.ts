import { createHmac, timingSafeEqual } from 'node:crypto';

/** Platforms refuse old signed deliveries after this long, and so does Nudge (Stripe, Standard Webhooks). */
export const signatureToleranceSeconds = 300;

/** Compares secrets in constant time, so response timing leaks nothing about the expected value. */
export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const hmac = (key: string | Buffer, message: string | Buffer) => createHmac('sha256', key).update(message).digest();

/** Shopify and WooCommerce: base64(HMAC-SHA256(secret, raw body bytes)). */
export function verifyBodyHmac(rawBody: Buffer, signature: string | undefined, secret: string): boolean {
  if (signature === undefined || signature === '') return false;
  return constantTimeEqual(Buffer.from(signature, 'base64'), hmac(secret, rawBody));
}

export function signBodyHmac(rawBody: Buffer | string, secret: string): string {
  return hmac(secret, rawBody).toString('base64');
}

export const verifyShopifyHmac = verifyBodyHmac;
export const signShopifyHmac = signBodyHmac;

type Freshness = 'valid' | 'invalid' | 'stale';

function fresh(timestampSeconds: number, now: Date): boolean {
  return Number.isFinite(timestampSeconds) && Math.abs(now.getTime() / 1000 - timestampSeconds) <= signatureToleranceSeconds;
}

/**
 * Standard Webhooks (BigCommerce): `webhook-signature` lists `v1,<base64 HMAC>` over
 * `id.timestamp.body`. The secret is `whsec_<base64 key>`, or a raw client secret used as is.
 */
export function standardWebhookKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

export function verifyStandardWebhook(
  headers: { id: string | undefined; timestamp: string | undefined; signature: string | undefined },
  rawBody: Buffer,
  secret: string,
  now: Date,
): Freshness {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature || !/^\d+$/.test(timestamp)) return 'invalid';
  const expected = hmac(standardWebhookKey(secret), Buffer.concat([Buffer.from(`${id}.${timestamp}.`), rawBody]));
  const matches = signature
    .split(' ')
    .map((entry) => entry.split(','))
    .some(([version, value]) => version === 'v1' && value !== undefined && constantTimeEqual(Buffer.from(value, 'base64'), expected));
  if (!matches) return 'invalid';
  return fresh(Number(timestamp), now) ? 'valid' : 'stale';
}

export function signStandardWebhook(id: string, timestamp: number, rawBody: Buffer | string, secret: string): string {
  return `v1,${hmac(standardWebhookKey(secret), `${id}.${timestamp}.${rawBody}`).toString('base64')}`;
}

/** Stripe: `Stripe-Signature: t=..,v1=..[,v1=..]` with hex HMAC over `t.body`; any v1 may match. */
export function verifyStripeSignature(header: string | undefined, rawBody: Buffer, secret: string, now: Date): Freshness {
  if (!header) return 'invalid';
  const parts = header.split(',').map((part) => part.trim().split('='));
  const timestamp = parts.find(([key]) => key === 't')?.[1];
  if (!timestamp || !/^\d+$/.test(timestamp)) return 'invalid';
  const expected = hmac(secret, Buffer.concat([Buffer.from(`${timestamp}.`), rawBody]));
  const matches = parts.some(([key, value]) => key === 'v1' && value !== undefined && constantTimeEqual(Buffer.from(value, 'hex'), expected));
  if (!matches) return 'invalid';
  return fresh(Number(timestamp), now) ? 'valid' : 'stale';
}

export function signStripe(timestamp: number, rawBody: Buffer | string, secret: string): string {
  return `t=${timestamp},v1=${hmac(secret, `${timestamp}.${rawBody}`).toString('hex')}`;
}

/** Nudge's own scheme for shop apps and beacons: Stripe's, with `X-Nudge-Signature: t=..,v1=..`. */
export const verifyAppSignature = verifyStripeSignature;
export const signApp = signStripe;

/** Segment: `Authorization: Basic base64(writeKey + ':')`; returns the write key. */
export function basicAuthUser(header: string | undefined): string | undefined {
  const match = header?.match(/^Basic\s+([A-Za-z0-9+/=]+)$/i);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon === -1 ? decoded : decoded.slice(0, colon);
  return user === '' ? undefined : user;
}
