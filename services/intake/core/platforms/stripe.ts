import { z } from 'zod';
import * as Events from '#shared/events/index.js';
import { fromMinorUnits } from '#shared/money.js';
import { identityOf } from '../identity.js';
import { parseJson } from '../json.js';
import { type Decision, headerOf, malformedJson, refuse, type WebhookRequest } from '../request.js';
import { signatureToleranceSeconds, verifyStripeSignature } from '../signatures.js';
import { toUtcInstant } from '../time.js';
import { canonicalEventId, checked, decideNormalised, invalid, type Normalised, secretFor, type WebhookSecrets } from './common.js';

const StripeEvent = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  created: z.number(),
  /** Set on events from connected accounts (Stripe Connect). */
  account: z.string().nullish(),
  data: z.object({ object: z.record(z.string(), z.unknown()), previous_attributes: z.record(z.string(), z.unknown()).nullish() }),
});
type StripeEvent = z.infer<typeof StripeEvent>;

const CheckoutSession = z.object({
  id: z.string().min(1),
  amount_total: z.number().int().nullish(),
  amount_subtotal: z.number().int().nullish(),
  currency: z.string().nullish(),
  customer: z.string().nullish(),
  customer_email: z.string().nullish(),
  customer_details: z.object({ email: z.string().nullish(), phone: z.string().nullish(), name: z.string().nullish() }).nullish(),
  client_reference_id: z.string().nullish(),
  payment_intent: z.string().nullish(),
  payment_status: z.string().nullish(),
  locale: z.string().nullish(),
  total_details: z.object({ amount_discount: z.number().int().nullish() }).nullish(),
});

const Charge = z.object({
  id: z.string().min(1),
  amount_refunded: z.number().int(),
  currency: z.string(),
  customer: z.string().nullish(),
  payment_intent: z.string().nullish(),
  receipt_email: z.string().nullish(),
  billing_details: z.object({ email: z.string().nullish(), phone: z.string().nullish() }).nullish(),
  refunds: z
    .object({ data: z.array(z.object({ id: z.string(), amount: z.number().int() })) })

    .nullish(),
});

const money = (minor: number | null | undefined, currency: string) => {
  const amount = minor === null || minor === undefined ? undefined : fromMinorUnits(minor, currency);
  return amount === undefined ? undefined : { amount, currency };
};

/** Names are one field in Stripe; the first word is the best first name there is. */
function splitName(name: string | null | undefined) {
  const [firstName, ...rest] = (name ?? '').trim().split(/\s+/);
  return { firstName: firstName || undefined, lastName: rest.join(' ') || undefined };
}

function normalise(event: StripeEvent, shop: string, receivedAt: string): Normalised {
  const base = (factId: string) => ({
    eventId: canonicalEventId('stripe', shop, factId),
    occurredAt: toUtcInstant(event.created) ?? receivedAt,
    receivedAt,
    origin: { platform: 'stripe' as const, shop, topic: event.type },
  });
  switch (event.type) {
    case 'checkout.session.completed': {
      const parsed = CheckoutSession.safeParse(event.data.object);
      if (!parsed.success) return invalid(parsed.error.issues.map((issue) => ({ ...issue, path: ['data', 'object', ...issue.path] })));
      const session = parsed.data;
      // Delayed payment methods complete the session unpaid; checkout.session.async_payment_succeeded follows.
      if (session.payment_status === 'unpaid') return { kind: 'ignored', reason: 'the checkout session is not paid yet' };
      const currency = (session.currency ?? '').toUpperCase();
      // Refunds name the payment intent, so it is the order's id when there is one.
      const orderId = session.payment_intent ?? session.id;
      return checked(Events.OrderCompleted, {
        ...base(`order.completed|${orderId}`),
        identity: {
          ...identityOf({
            email: session.customer_details?.email ?? session.customer_email,
            phone: session.customer_details?.phone,
            customerId: session.customer ? `stripe:${session.customer}` : undefined,
          }),
          orderRef: `stripe:${orderId}`,
        },
        traits: { ...splitName(session.customer_details?.name), locale: session.locale && session.locale !== 'auto' ? session.locale : undefined },
        properties: {
          orderId,
          orderNumber: session.client_reference_id ?? undefined,
          total: money(session.amount_total, currency),
          subtotal: money(session.amount_subtotal, currency),
          discount: money(session.total_details?.amount_discount, currency),
          // Stripe sends line items only when asked for them through its API.
          items: [],
          checkoutId: session.id,
        },
      });
    }
    case 'checkout.session.async_payment_succeeded':
      return normalise(
        { ...event, type: 'checkout.session.completed', data: { ...event.data, object: { ...event.data.object, payment_status: 'paid' } } },
        shop,
        receivedAt,
      );
    case 'charge.refunded': {
      const parsed = Charge.safeParse(event.data.object);
      if (!parsed.success) return invalid(parsed.error.issues.map((issue) => ({ ...issue, path: ['data', 'object', ...issue.path] })));
      const charge = parsed.data;
      const currency = charge.currency.toUpperCase();
      const latest = charge.refunds?.data[0];
      const before = event.data.previous_attributes?.amount_refunded;
      // What this refund returned: the newest refund, else the growth of the running total.
      const refunded = latest?.amount ?? charge.amount_refunded - (typeof before === 'number' ? before : 0);
      const orderId = charge.payment_intent ?? charge.id;
      return checked(Events.OrderRefunded, {
        ...base(`order.refunded|${latest?.id ?? event.id}`),
        identity: {
          ...identityOf({
            email: charge.billing_details?.email ?? charge.receipt_email,
            phone: charge.billing_details?.phone,
            customerId: charge.customer ? `stripe:${charge.customer}` : undefined,
          }),
          orderRef: `stripe:${orderId}`,
        },
        traits: {},
        properties: { orderId, refundId: latest?.id, amount: money(refunded, currency) },
      });
    }
    default:
      return { kind: 'ignored', reason: `event type ${event.type} is not used by Nudge` };
  }
}

export const stripeEventTypes = ['checkout.session.completed', 'checkout.session.async_payment_succeeded', 'charge.refunded'] as const;

export function receiveStripe(request: WebhookRequest, secrets: WebhookSecrets, now: number): Decision {
  const json = parseJson(request.body);
  // A connected account's events name it; its secret may differ from the platform's.
  const account = json.ok && typeof json.value === 'object' && json.value !== null ? (json.value as { account?: unknown }).account : undefined;
  const shop = typeof account === 'string' && account !== '' ? account : undefined;
  const secret = secretFor(secrets.stripe, shop);
  if (secret === undefined) return refuse(401, 'unknown-shop', `No Stripe endpoint secret is configured for account ${shop ?? '(default)'}`);
  const verdict = verifyStripeSignature(headerOf(request, 'stripe-signature'), request.body, secret, now);
  if (verdict === 'invalid') return refuse(401, 'invalid-signature', 'No v1 signature in Stripe-Signature matches the body');
  if (verdict === 'stale')
    return refuse(
      401,
      'stale-signature',
      `The Stripe-Signature timestamp is more than ${signatureToleranceSeconds} s away from now; a replayed delivery is refused`,
    );
  if (!json.ok) return malformedJson(json.error);
  const event = StripeEvent.safeParse(json.value);
  if (!event.success) return decideNormalised(invalid(event.error.issues), undefined);
  const store = shop ?? 'default';
  // Stripe retries an event with the same id for up to 3 days.
  return decideNormalised(normalise(event.data, store, new Date(now).toISOString()), `stripe:${store}:${event.data.id}`);
}
