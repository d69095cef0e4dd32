import { z } from 'zod';

/** A decimal amount as a string ("404.95"): floats cannot hold money exactly. */
export const DecimalString = z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal string such as "19.99"');

export const Money = z.object({
  amount: DecimalString,
  currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code such as "USD"'),
});
export type Money = z.infer<typeof Money>;

/** ISO 8601 instant in UTC with a trailing Z, as every time on the bus is. */
export const UtcInstant = z.iso.datetime({ offset: false });

/** Keys that may identify a person; at least one is always present. Platform ids are strings (they exceed 2^53). */
export const Identity = z
  .object({
    email: z.email().optional(),
    phone: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'expected an E.164 phone number')
      .optional(),
    customerId: z.string().min(1).optional(),
    userId: z.string().min(1).optional(),
    anonymousId: z.string().min(1).optional(),
  })
  .refine((identity) => Object.values(identity).some((value) => value !== undefined), {
    message: 'at least one identity key (email, phone, customerId, userId, anonymousId) is required',
  });
export type Identity = z.infer<typeof Identity>;

/** Where a canonical event came from: the platform and the shop on it. */
export const Origin = z.object({
  platform: z.enum(['shopify', 'woocommerce', 'bigcommerce', 'stripe', 'segment', 'app']),
  shop: z.string().min(1),
  topic: z.string().min(1),
});
export type Origin = z.infer<typeof Origin>;

/** What a platform told us about the person, with the event; profiles decide what to keep. */
export const Traits = z.object({
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  locale: z.string().optional(),
});
export type Traits = z.infer<typeof Traits>;

/** The fields every canonical customer event carries, whatever its detail-type. */
export const CanonicalEventBase = z.object({
  eventId: z.string().min(1),
  occurredAt: UtcInstant,
  receivedAt: UtcInstant,
  origin: Origin,
  identity: Identity,
  traits: Traits.default({}),
});

export const Channel = z.enum(['email']);
export type Channel = z.infer<typeof Channel>;
