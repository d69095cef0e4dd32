import { createHmac, timingSafeEqual } from 'node:crypto';

/** Platforms refuse old signed deliveries after this long, and so does Nudge (Stripe, Standard Webhooks). */
export const signatureToleranceSeconds = 300;

/** Compares secrets in constant time, so response timing leaks nothing about the expected value. */
export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Canonical base64 only: the standard alphabet, correct padding, and the exact text the bytes encode
 * to. Node's decoder skips junk and stops at padding, so "sig, sig" or "sig==zz" would read as "sig".
 */
export function strictBase64(text: string): Buffer | undefined {
  if (text === '') return undefined;
  // The round trip alone decides: any other alphabet, junk, whitespace or padding encodes back differently.
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

/** Lower-case hex with whole bytes only, as Stripe and Nudge send it: Node's decoder stops at the first bad digit. */
export function strictHex(text: string): Buffer | undefined {
  return /^(?:[0-9a-f]{2})+$/.test(text) ? Buffer.from(text, 'hex') : undefined;
}

/** A signature that does not decode strictly matches nothing; the comparison stays constant-time. */
function matches(signature: Buffer | undefined, expected: Buffer): boolean {
  return signature !== undefined && constantTimeEqual(signature, expected);
}

const hmac = (key: string | Buffer, message: string | Buffer) => createHmac('sha256', key).update(message).digest();

/** Shopify and WooCommerce: base64(HMAC-SHA256(secret, raw body bytes)). */
export function verifyBodyHmac(rawBody: Buffer, signature: string | undefined, secret: string): boolean {
  if (signature === undefined) return false;
  return matches(strictBase64(signature), hmac(secret, rawBody));
}

export function signBodyHmac(rawBody: Buffer | string, secret: string): string {
  return hmac(secret, rawBody).toString('base64');
}

export const verifyShopifyHmac = verifyBodyHmac;
export const signShopifyHmac = signBodyHmac;

type Freshness = 'valid' | 'invalid' | 'stale';

function fresh(timestampSeconds: number, now: number): boolean {
  return Number.isFinite(timestampSeconds) && Math.abs(now / 1000 - timestampSeconds) <= signatureToleranceSeconds;
}

/**
 * Standard Webhooks (BigCommerce): `webhook-signature` lists `v1,<base64 HMAC>` over
 * `id.timestamp.body`. The secret is `whsec_<base64 key>`, or a raw client secret used as is.
 */
export function standardWebhookKey(secret: string): Buffer {
  // Stryker disable next-line StringLiteral: Buffer.from reads text as UTF-8 when no encoding is named.
  if (!secret.startsWith('whsec_')) return Buffer.from(secret, 'utf8');
  const key = strictBase64(secret.slice('whsec_'.length));
  // A lenient decode would verify with some other key and refuse every delivery as forged.
  if (key === undefined) throw new Error('The BigCommerce signing secret starts with whsec_ but the rest is not canonical base64');
  return key;
}

export function verifyStandardWebhook(
  headers: { id: string | undefined; timestamp: string | undefined; signature: string | undefined },
  rawBody: Buffer,
  secret: string,
  now: number,
): Freshness {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature || !/^\d+$/.test(timestamp)) return 'invalid';
  const expected = hmac(standardWebhookKey(secret), Buffer.concat([Buffer.from(`${id}.${timestamp}.`), rawBody]));
  // A space-separated list of `<version>,<base64>`; everything after the first comma is the signature.
  const signed = signature.split(' ').some((entry) => entry.startsWith('v1,') && matches(strictBase64(entry.slice('v1,'.length)), expected));
  if (!signed) return 'invalid';
  return fresh(Number(timestamp), now) ? 'valid' : 'stale';
}

export function signStandardWebhook(id: string, timestamp: number, rawBody: Buffer | string, secret: string): string {
  return `v1,${hmac(standardWebhookKey(secret), `${id}.${timestamp}.${rawBody}`).toString('base64')}`;
}

/** Stripe: `Stripe-Signature: t=..,v1=..[,v1=..]` with hex HMAC over `t.body`; any v1 may match. */
export function verifyStripeSignature(header: string | undefined, rawBody: Buffer, secret: string, now: number): Freshness {
  if (!header) return 'invalid';
  // `key=value` pairs joined by bare commas, as Stripe sends them, keys as Stripe writes them; the
  // value is all after the first "=". A header sent twice (joined by ", ") is not one signature.
  // Stryker disable next-line ArrayDeclaration: a text in the list is no [key, value] pair named t or v1.
  const parts: [string, string][] = [];
  for (const part of header.split(',')) {
    const equals = part.indexOf('=');
    if (equals === -1 || !/^[a-z][a-z0-9]*$/.test(part.slice(0, equals))) return 'invalid';
    parts.push([part.slice(0, equals), part.slice(equals + 1)]);
  }
  const timestamps = parts.filter(([key]) => key === 't');
  if (timestamps.length !== 1) return 'invalid';
  const [[, timestamp]] = timestamps as [[string, string]];
  if (!/^\d+$/.test(timestamp)) return 'invalid';
  const expected = hmac(secret, Buffer.concat([Buffer.from(`${timestamp}.`), rawBody]));
  const signed = parts.some(([key, value]) => key === 'v1' && matches(strictHex(value), expected));
  if (!signed) return 'invalid';
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
  const match = header?.match(/^Basic\s+(\S+)$/i);
  const credentials = match?.[1] === undefined ? undefined : strictBase64(match[1]);
  if (credentials === undefined) return undefined;
  const decoded = credentials.toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon === -1 ? decoded : decoded.slice(0, colon);
  return user === '' ? undefined : user;
}
