import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Unsubscribe links: the address and channel, signed with Nudge's unsubscribe key (HMAC-SHA256),
 * so a link works for as long as the key is kept (it does not expire) and a changed link is
 * refused. Not encrypted: the link goes to the address it names.
 */
export interface UnsubscribeClaim {
  readonly email: string;
  readonly channel: 'email';
}

const encode = (text: string) => Buffer.from(text).toString('base64url');

export function signUnsubscribe(key: string, claim: UnsubscribeClaim): string {
  const payload = encode(JSON.stringify({ e: claim.email, c: claim.channel }));
  const signature = createHmac('sha256', key).update(payload).digest('base64url');
  return `${payload}.${signature}`;
}

export function verifyUnsubscribe(key: string, token: string): UnsubscribeClaim | undefined {
  const [payload, signature, extra] = token.split('.');
  if (payload === undefined || signature === undefined || extra !== undefined) return undefined;
  const expected = createHmac('sha256', key).update(payload).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const claim = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { e?: unknown; c?: unknown };
    if (typeof claim.e !== 'string' || claim.c !== 'email') return undefined;
    return { email: claim.e, channel: 'email' };
  } catch {
    return undefined;
  }
}

export const unsubscribePath = '/unsubscribe';

export function unsubscribeUrl(publicUrl: string, key: string, claim: UnsubscribeClaim): string {
  return `${publicUrl.replace(/\/$/, '')}${unsubscribePath}?token=${signUnsubscribe(key, claim)}`;
}
