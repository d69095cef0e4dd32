import { z } from 'zod';
import { DecimalString, Locale, TimeZone, UtcInstant } from './common.js';

export const ConsentChannel = z.enum(['email', 'sms', 'push']);
export type ConsentChannel = z.infer<typeof ConsentChannel>;

/** One permission decision: what, when (the platform's time) and who said so. */
export const ConsentDecision = z.object({
  state: z.enum(['subscribed', 'unsubscribed', 'not-subscribed']),
  at: UtcInstant,
  /** The platform (or `nudge` for one-click unsubscribes), and the topic that carried it. */
  source: z.string().min(1),
});
export type ConsentDecision = z.infer<typeof ConsentDecision>;

export const Device = z.enum(['mobile', 'tablet', 'desktop']);
export type Device = z.infer<typeof Device>;

/**
 * The profile as other services see it: what profiles publishes and rules and dispatch read.
 * Trait times (`traitsAt`) let a late, older event lose to a newer one (order independence); the
 * counters only ever add, so they do not depend on arrival order either. Fields added after the
 * first release are optional, so profiles written by an older Nudge still read.
 */
export const Profile = z.object({
  profileId: z.string().min(1),
  email: z.email().optional(),
  phone: z.string().optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  locale: Locale,
  /** IANA time zone: from the platform, else inferred from the last known location, else the shop's (`timeZoneSource`). */
  timeZone: TimeZone,
  timeZoneSource: z.enum(['platform', 'location', 'shop']).optional(),
  country: z.string().optional(),
  city: z.string().optional(),
  /** The shop of the person's latest event (`origin.shop`): whose language and sender a message no shop's event triggers takes. */
  shop: z.string().optional(),
  /** YYYY-MM-DD; the year may be a placeholder when a platform only knows the day. */
  birthday: z.iso.date().optional(),

  /** Orders placed, cancelled ones included (see `cancelledCount`). */
  orderCount: z.number().int().nonnegative(),
  cancelledCount: z.number().int().nonnegative().optional(),
  /** Lifetime revenue per currency, as exact decimals: orders less refunds and cancellations. */
  revenue: z.record(z.string(), DecimalString),
  /** Revenue per order that was not cancelled, per currency. */
  averageOrderValue: z.record(z.string(), DecimalString).optional(),
  firstOrderAt: UtcInstant.optional(),
  lastOrderAt: UtcInstant.optional(),
  firstSeenAt: UtcInstant,
  lastSeenAt: UtcInstant,

  /** The products the person bought, latest first, at most 100: never recommended to them again. */
  boughtProducts: z.array(z.string()).max(100).optional(),
  lastProductViewed: z.object({ productId: z.string(), name: z.string().optional(), at: UtcInstant }).optional(),
  /** The latest cart or checkout with no order after it. */
  openCart: z
    .object({
      cartId: z.string().optional(),
      checkoutId: z.string().optional(),
      itemCount: z.number().int().nonnegative(),
      total: z.object({ amount: DecimalString, currency: z.string() }).optional(),
      recoveryUrl: z.string().optional(),
      updatedAt: UtcInstant,
    })
    .optional(),
  lastLocation: z.object({ latitude: z.number(), longitude: z.number(), accuracyMeters: z.number().optional(), at: UtcInstant }).optional(),
  lastStoreVisit: z.object({ storeId: z.string(), at: UtcInstant }).optional(),

  /** Permission per channel; a channel never asked about is absent. */
  consent: z.object({ email: ConsentDecision.optional(), sms: ConsentDecision.optional(), push: ConsentDecision.optional() }).optional(),

  /** Recency, frequency and monetary scores, 1 to 5, and the named segment (config/profiles.json). */
  rfm: z
    .object({
      recency: z.number().int().min(1).max(5),
      frequency: z.number().int().min(1).max(5),
      monetary: z.number().int().min(1).max(5),
      segment: z.string(),
      /** Scores are as of the latest event of the person, so they do not depend on arrival. */
      asOf: UtcInstant,
    })
    .optional(),
  /** How active the person was in the 30 days up to their latest event. */
  engagement: z.enum(['high', 'medium', 'low']).optional(),
  /** Distinct recent days with activity (newest last, at most 30): the input of `engagement`. */
  activeDays: z.array(z.iso.date()).optional(),
  /** Events seen per device type (from user agents), and the one seen most. */
  devices: z.record(z.string(), z.number().int().nonnegative()).optional(),
  preferredDevice: Device.optional(),
  reviewCount: z.number().int().nonnegative().optional(),
  referralCount: z.number().int().nonnegative().optional(),
  loyalty: z.object({ points: z.number().int(), tier: z.string() }).optional(),
  /** Named groups the person is in now: `rfm:<segment>`, `tier:<tier>`, `engagement:<level>`. */
  segments: z.array(z.string()).optional(),

  traitsAt: z.record(z.string(), UtcInstant),
});
export type Profile = z.infer<typeof Profile>;
