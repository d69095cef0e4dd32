import * as Events from '../../../shared/events/index.js';
import { verifyUnsubscribe } from '../../../shared/unsubscribe.js';
import { identityOf } from './identity.js';
import { canonicalEventId } from './platforms/common.js';
import type { Decision } from './request.js';

/** A plain page, in the shop's voice, that needs no script or style sheet. */
function page(title: string, text: string): string {
  const html = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${html(title)}</title></head><body style="font-family: Helvetica, Arial, sans-serif; max-width: 32rem; margin: 4rem auto; color: #222;"><h1 style="font-size: 1.4rem;">${html(title)}</h1><p>${html(text)}</p></body></html>`;
}

export interface UnsubscribeOutcome {
  readonly status: number;
  readonly html: string;
  /** The consent change to publish before answering (nothing for a refused link). */
  readonly decision: Decision;
}

/**
 * A click on an unsubscribe link (GET) or a mail client's one-click request (POST, RFC 8058):
 * a valid link unsubscribes the address from the channel at once, as `consent.changed` from
 * `nudge`; a changed or made-up link gets a 400 and changes nothing.
 */
export function unsubscribe(token: string | undefined, key: string, now: Date): UnsubscribeOutcome {
  const claim = token === undefined ? undefined : verifyUnsubscribe(key, token);
  const identity = claim === undefined ? undefined : identityOf({ email: claim.email });
  if (claim === undefined || identity === undefined || identity.email === undefined) {
    return {
      status: 400,
      html: page(
        'This link does not work',
        'The unsubscribe link is incomplete or was changed. Please use the link from the email as it is, or reply to the email and we will take you off the list.',
      ),
      decision: { reply: { status: 400, body: { code: 'invalid-token', message: 'The unsubscribe link is not valid' } }, deliveries: [] },
    };
  }
  const at = now.toISOString();
  const eventId = canonicalEventId('nudge', 'nudge', `unsubscribe|${identity.email}|${at}`);
  const detail = {
    eventId,
    occurredAt: at,
    receivedAt: at,
    origin: { platform: 'nudge' as const, shop: 'nudge', topic: 'unsubscribe' },
    identity,
    traits: {},
    properties: { channel: claim.channel, state: 'unsubscribed' as const },
  };
  return {
    status: 200,
    html: page('You are unsubscribed', `${identity.email} will get no more marketing email from us. Order confirmations and receipts still arrive.`),
    decision: {
      reply: { status: 200, body: { unsubscribed: true } },
      deliveries: [{ id: `nudge:${eventId}`, publications: [{ contract: Events.ConsentChanged, detail }] }],
    },
  };
}
