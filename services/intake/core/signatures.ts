import { createHmac, timingSafeEqual } from 'node:crypto';

/** Compares secrets in constant time, so response timing leaks nothing about the expected value. */
export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Shopify: base64(HMAC-SHA256(secret, raw body bytes)) in X-Shopify-Hmac-Sha256. */
export function verifyShopifyHmac(rawBody: Buffer, signature: string | undefined, secret: string): boolean {
  if (signature === undefined || signature === '') return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return constantTimeEqual(Buffer.from(signature, 'base64'), expected);
}

export function signShopifyHmac(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('base64');
}
