import { z } from 'zod';

/** A decimal amount as a string ("404.95"): floats cannot hold money exactly. */
export const decimalPattern = /^-?\d+(\.\d+)?$/;
export const DecimalString = z.string().regex(decimalPattern, 'expected a decimal string such as "19.99"');

export const Money = z.object({
  amount: DecimalString,
  currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code such as "USD"'),
});
export type Money = z.infer<typeof Money>;

/** ISO 8601 instant in UTC with a trailing Z, as every time on the bus is. */
export const UtcInstant = z.iso.datetime({ offset: false });

/**
 * An id as a key to a person: well-formed text. A character cut in half (a lone surrogate) or bytes
 * that are not UTF-8 are stored as U+FFFD, so two such ids would lead to one person.
 */
const KeyText = z
  .string()
  .min(1)
  .refine((text) => !/[\p{Cs}\uFFFD]/u.test(text), 'is not well-formed text (a character cut in half, or bytes that are not UTF-8)');

/** Keys that may identify a person; at least one is always present. Platform ids are strings (they exceed 2^53). */
export const Identity = z
  .object({
    email: z.email().optional(),
    phone: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'expected an E.164 phone number')
      .optional(),
    customerId: KeyText.optional(),
    userId: KeyText.optional(),
    anonymousId: KeyText.optional(),
    /** `<platform>:<cart id>`: the person whose cart this is (carts often arrive before any address). */
    cartRef: KeyText.optional(),
    /** `<platform>:<order id>`: the person who placed this order (refunds name only the order). */
    orderRef: KeyText.optional(),
  })
  .refine((identity) => Object.values(identity).some((value) => value !== undefined), {
    message: 'at least one identity key (email, phone, customerId, userId, anonymousId, cartRef, orderRef) is required',
  });
export type Identity = z.infer<typeof Identity>;

/** Where a canonical event came from: the platform and the shop on it. */
export const Origin = z.object({
  /** `nudge`: an event Nudge itself saw, such as a one-click unsubscribe. */
  platform: z.enum(['shopify', 'woocommerce', 'bigcommerce', 'stripe', 'segment', 'app', 'nudge']),
  shop: z.string().min(1),
  topic: z.string().min(1),
});
export type Origin = z.infer<typeof Origin>;

const validity = new Map<string, boolean>();
/** Remembers what Intl said of a text, so each distinct locale or zone is checked once per process. */
function checkedOnce(kind: string, text: string, check: () => unknown): boolean {
  const key = `${kind}|${text}`;
  let valid = validity.get(key);
  if (valid === undefined) {
    try {
      check();
      valid = true;
    } catch {
      valid = false;
    }
    if (validity.size < 10_000) validity.set(key, valid);
  }
  return valid;
}

export const isLocale = (text: string) => checkedOnce('locale', text, () => new Intl.NumberFormat(text));
export const isTimeZone = (text: string) => checkedOnce('zone', text, () => new Intl.DateTimeFormat('en', { timeZone: text }));

/**
 * A language tag that Intl can format with ("en-US", "it"). Platforms send what the browser said;
 * one that is not a locale is dropped, not kept, so it can never break an email later.
 */
export const Locale = z.string().refine(isLocale, 'not a BCP 47 language tag').optional().catch(undefined);
/** An IANA time zone ("Europe/Berlin"); one Intl does not know is dropped, not kept. */
export const TimeZone = z.string().refine(isTimeZone, 'not an IANA time zone').optional().catch(undefined);

/** What a platform told us about the person, with the event; profiles decide what to keep. */
export const Traits = z.object({
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  locale: Locale,
  /** IANA time zone, such as "Europe/Berlin". */
  timeZone: TimeZone,
  country: z.string().optional(),
  city: z.string().optional(),
  /** A day of the calendar; one that is not (1990-02-30) is dropped, as a wrong trait never costs the rest of what was told. */
  birthday: z.iso.date().optional().catch(undefined),
});
export type Traits = z.infer<typeof Traits>;

/**
 * Set when the platform's payload was thin (BigCommerce sends ids only): which resource to fetch
 * from the platform's API to fill the event in. See the README, "Enrichment".
 */
export const Enrichment = z.object({
  resource: z.enum(['order', 'cart', 'customer', 'product']),
  id: z.string().min(1),
});

/** The fields every canonical customer event carries, whatever its detail-type. */
export const CanonicalEventBase = z.object({
  eventId: z.string().min(1),
  occurredAt: UtcInstant,
  receivedAt: UtcInstant,
  origin: Origin,
  identity: Identity,
  traits: Traits.default({}),
  /** Where the event was made: the shopper's browser or app, for the preferred device. */
  context: z.object({ userAgent: z.string().optional(), ip: z.string().optional() }).optional(),
  needsEnrichment: Enrichment.optional(),
});

/** A product in an order, cart or checkout. */
export const LineItem = z.object({
  productId: z.string().optional(),
  variantId: z.string().optional(),
  sku: z.string().optional(),
  name: z.string(),
  quantity: z.number().int().nonnegative(),
  price: Money.optional(),
  category: z.string().optional(),
  /** The product's picture, where the platform sends one (Segment's `image_url`), for cart emails. */
  imageUrl: z.url().optional(),
  /** The product's page, where the platform sends one (Segment's `url`). */
  url: z.url().optional(),
});
export type LineItem = z.infer<typeof LineItem>;

/** email (SES), sms (AWS End User Messaging) or webhook (a signed POST to a named endpoint: a call-centre or CRM task). */
export const Channel = z.enum(['email', 'sms', 'webhook']);
export type Channel = z.infer<typeof Channel>;
