import { createHmac, timingSafeEqual } from 'node:crypto';
import { isLanguage, type Language } from './languages.js';

/**
 * Unsubscribe links: the address and channel, signed with Nudge's unsubscribe key (HMAC-SHA256),
 * so a link works for as long as the key is kept (it does not expire) and a changed link is
 * refused. Not encrypted: the link goes to the address it names.
 */
export interface UnsubscribeClaim {
  readonly email: string;
  readonly channel: 'email';
  /** The message whose link this is: clicks on one email's link are one consent change. Links made before it was added have none. */
  readonly messageId?: string;
  /** The language of the shop's email, for the unsubscribe page; links made before it was added are in the browser's. */
  readonly language?: Language;
}

const encode = (text: string) => Buffer.from(text).toString('base64url');

export function signUnsubscribe(key: string, claim: UnsubscribeClaim): string {
  const payload = encode(
    JSON.stringify({
      e: claim.email,
      c: claim.channel,
      ...(claim.messageId === undefined ? {} : { m: claim.messageId }),
      ...(claim.language === undefined ? {} : { l: claim.language }),
    }),
  );
  const signature = createHmac('sha256', key).update(payload).digest('base64url');
  return `${payload}.${signature}`;
}

export function verifyUnsubscribe(key: string, token: string): UnsubscribeClaim | undefined {
  const [payload, signature, extra] = token.split('.');
  if (payload === undefined || signature === undefined || extra !== undefined) return undefined;
  // Compared as text, not decoded: base64url decoders skip junk and padding, so a re-encoded or
  // suffixed signature would otherwise still match.
  const expected = Buffer.from(createHmac('sha256', key).update(payload).digest('base64url'));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const claim = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { e?: unknown; c?: unknown; m?: unknown; l?: unknown };
    if (typeof claim.e !== 'string' || claim.c !== 'email') return undefined;
    if (claim.m !== undefined && typeof claim.m !== 'string') return undefined;
    return {
      email: claim.e,
      channel: 'email',
      ...(typeof claim.m === 'string' ? { messageId: claim.m } : {}),
      // A language this Nudge does not ship (a newer one's link) is the browser's choice, not a broken link.
      ...(typeof claim.l === 'string' && isLanguage(claim.l) ? { language: claim.l } : {}),
    };
  } catch {
    return undefined;
  }
}

export const unsubscribePath = '/unsubscribe';

export function unsubscribeUrl(publicUrl: string, key: string, claim: UnsubscribeClaim): string {
  return `${publicUrl.replace(/\/$/, '')}${unsubscribePath}?token=${signUnsubscribe(key, claim)}`;
}
