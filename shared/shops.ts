import { z } from 'zod';
import { isTimeZone } from './events/common.js';
import { isLanguage, languages } from './languages.js';
import { ownHostValue } from './lookup.js';

/** The address in `Shop Name <hello@shop.example>` or `hello@shop.example`, and its domain (the SES identity that sends it). */
export function senderParts(sender: string): { readonly address: string; readonly domain: string } | undefined {
  const match = sender.trim().match(/^(?:[^<>@]*<([^<>\s]+@[^<>\s@]+)>|([^<>\s]+@[^<>\s@]+))$/);
  const address = match?.[1] ?? match?.[2];
  const domain = address?.split('@')[1];
  return address === undefined || domain === undefined || !domain.includes('.') ? undefined : { address, domain: domain.toLowerCase() };
}

/**
 * What a shop says of itself where the platforms do not (config/shops.json), by the shop as events
 * name it (`origin.shop`: `negozio.myshopify.com`, a WooCommerce host, the shop a Segment write key
 * stands for). Every field is optional: a shop with none is a shop Nudge knows nothing more of.
 */
export const ShopSettings = z
  .object({
    /** How templates name the shop (`{{ shop.name }}`). */
    name: z.string().min(1).optional(),
    /** The fallback time zone of the shop's customers: Shopify sends none, and send windows and birthdays need one. */
    timeZone: z.string().refine(isTimeZone, 'an IANA time zone, such as "Europe/Rome"').optional(),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, 'an ISO 3166 country code, such as "IT"')
      .optional(),
    /** The language of the footer and unsubscribe page of the shop's email (its templates are in the language they are written in). */
    language: z
      .string()
      .refine(isLanguage, `one of the languages Nudge ships: ${languages.join(', ')}`)
      .optional(),
    /** The currency of the shop's catalogue prices: Shopify's and WooCommerce's product webhooks name none. */
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code, such as "EUR"')
      .optional(),
    /** The From of the shop's email, such as `Negozio <ciao@negozio.example>`; its domain must be an SES identity. */
    sender: z
      .string()
      .refine((text) => senderParts(text) !== undefined, 'an address, such as "Negozio <ciao@negozio.example>"')
      .optional(),
  })
  .strict();
export type ShopSettings = z.infer<typeof ShopSettings>;

export const Shops = z.record(z.string().min(1), ShopSettings);
export type Shops = Readonly<Record<string, ShopSettings>>;

/** A configured shop's settings, its host in any case; a name no shop has (or one every object inherits) finds nothing. */
export const shopSettings = (shops: Shops, shop: string | undefined): ShopSettings | undefined => ownHostValue(shops, shop);
