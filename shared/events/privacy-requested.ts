import { z } from 'zod';
import { Origin, UtcInstant } from './common.js';

export const source = 'nudge.intake';
export const detailType = 'privacy.requested';
export const version = 1;

/**
 * A data-subject request a platform passed on (Shopify's mandatory compliance webhooks): export
 * what Nudge holds on a customer (`customers/data_request`), erase the customer
 * (`customers/redact`), or erase every customer of a shop that uninstalled the app (`shop/redact`).
 * The profiles service carries it out and records it (`nudge privacy requests`).
 */
export const schema = z.object({
  eventId: z.string().min(1),
  occurredAt: UtcInstant,
  receivedAt: UtcInstant,
  origin: Origin,
  request: z.enum(['export', 'erase', 'erase-shop']),
  /** Who, by the keys the platform names them with; none for a whole shop. */
  person: z
    .object({
      email: z.email().optional(),
      phone: z.string().min(1).optional(),
      customerId: z.string().min(1).optional(),
    })
    .default({}),
  /** The platform's id of the request (Shopify's `data_request.id`), to answer the shop by. */
  requestId: z.string().min(1).optional(),
  /** The platform's order ids the request names (for the shop's own records). */
  orders: z.array(z.string().min(1)).max(10_000).default([]),
});
export type PrivacyRequested = z.infer<typeof schema>;
