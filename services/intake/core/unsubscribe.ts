import * as Events from '#shared/events/index.js';
import { copyIn, filled, type Language, preferredLanguage } from '#shared/languages.js';
import { verifyUnsubscribe } from '#shared/unsubscribe.js';
import { identityOf } from './identity.js';
import { canonicalEventId } from './platforms/common.js';
import type { Decision } from './request.js';

const html = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** A plain page, in the shop's voice and language, that needs no script or style sheet. */
export function page(language: Language, title: string, text: string, form = ''): string {
  return `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="robots" content="noindex"><title>${html(title)}</title></head><body style="font-family: Helvetica, Arial, sans-serif; max-width: 32rem; margin: 4rem auto; color: #222;"><h1 style="font-size: 1.4rem;">${html(title)}</h1><p>${html(text)}</p>${form}</body></html>`;
}

export interface UnsubscribeOutcome {
  readonly status: number;
  /** The language the pages speak, for a page the flow adds (a retry). */
  readonly language: Language;
  readonly html: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The consent change to publish before answering (nothing for a page that only asks, or a refused link). */
  readonly decision: Decision;
}

const nothing = (status: number, code: string, message: string): Decision => ({ reply: { status, body: { code, message } }, deliveries: [] });

/**
 * An unsubscribe link. A click (GET) only shows a page with a button, because mail security scanners
 * follow every link in an email; the button, like a mail client's one-click request (RFC 8058), is a
 * POST, which unsubscribes the address from the channel at once as `consent.changed` from `nudge`.
 * Clicks on the same email's link are one consent change, however many. A changed or made-up link
 * gets a 400 and changes nothing; methods other than GET and POST get a 405.
 */
export function unsubscribe(method: string, token: string | undefined, key: string, now: number, acceptLanguage?: string): UnsubscribeOutcome {
  const claim = token === undefined ? undefined : verifyUnsubscribe(key, token);
  // The email's language, which the link carries; else what the browser asks for.
  const language = claim?.language ?? preferredLanguage(acceptLanguage) ?? 'en';
  const copy = copyIn(language);
  if (method !== 'GET' && method !== 'POST') {
    return {
      status: 405,
      language,
      headers: { allow: 'GET, POST' },
      html: page(language, copy.browserTitle, copy.browserText),
      decision: nothing(405, 'method-not-allowed', 'Unsubscribe links take GET (a page) and POST (unsubscribe)'),
    };
  }
  const identity = claim === undefined ? undefined : identityOf({ email: claim.email });
  if (claim === undefined || token === undefined || identity === undefined || identity.email === undefined) {
    return {
      status: 400,
      language,
      html: page(language, copy.invalidTitle, copy.invalidText),
      decision: nothing(400, 'invalid-token', 'The unsubscribe link is not valid'),
    };
  }
  if (method === 'GET') {
    const form = `<form method="post" action="?token=${html(encodeURIComponent(token))}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit" style="font-size: 1rem; padding: 0.6rem 1.2rem;">${html(filled(copy.confirmButton, identity.email))}</button></form>`;
    return {
      status: 200,
      language,
      html: page(language, copy.confirmTitle, filled(copy.confirmText, identity.email), form),
      decision: { reply: { status: 200, body: { confirm: true } }, deliveries: [] },
    };
  }
  const at = new Date(now).toISOString();
  // Clicks on one email's link within a minute are one fact (a double submit, a mail client's post
  // beside the person's). Not one for longer: someone who re-subscribes and uses the same link again,
  // even the same day, must be unsubscribed again. Measurement counts a message's unsubscribe once.
  const fact = `${claim.messageId === undefined ? 'link' : `message:${claim.messageId}`}|${at.slice(0, 16)}`;
  const eventId = canonicalEventId('nudge', 'nudge', `unsubscribe|${claim.channel}|${identity.email}|${fact}`);
  const detail = {
    eventId,
    occurredAt: at,
    receivedAt: at,
    origin: { platform: 'nudge' as const, shop: 'nudge', topic: 'unsubscribe' },
    identity,
    traits: {},
    properties: { channel: claim.channel, state: 'unsubscribed' as const, ...(claim.messageId === undefined ? {} : { messageId: claim.messageId }) },
  };
  return {
    status: 200,
    language,
    html: page(language, copy.doneTitle, filled(copy.confirmText, identity.email)),
    decision: {
      reply: { status: 200, body: { unsubscribed: true } },
      deliveries: [{ id: `nudge:${eventId}`, publications: [{ contract: Events.ConsentChanged, detail }] }],
    },
  };
}
