import type { Profile } from '#shared/events/profile.js';
import { type Copy, copyIn, type Language, languageOf } from '#shared/languages.js';
import { type Shops, shopSettings } from '#shared/shops.js';

/** How a message speaks for its shop: who sends it, and the language of the parts Nudge writes (footer, unsubscribe page). */
export interface ShopVoice {
  /** What templates read as `{{ shop.id }}` and `{{ shop.name }}`. */
  readonly shop: { readonly id?: string; readonly name?: string };
  readonly language: Language;
  readonly copy: Copy;
  readonly sender: string;
}

/**
 * The shop a message is for: the one whose event triggered it, else the one the person last dealt
 * with (a birthday or a weekly schedule has no shop's event behind it).
 */
export function messageShop(event: Readonly<Record<string, unknown>>, person: Pick<Profile, 'shop'>): string | undefined {
  const origin = event.origin;
  const shop = typeof origin === 'object' && origin !== null ? (origin as { shop?: unknown }).shop : undefined;
  return typeof shop === 'string' && shop !== 'nudge' && shop !== '' ? shop : person.shop;
}

/**
 * The shop's settings (config/shops.json) decide the sender and the language; a shop that gives no
 * language speaks the person's, when Nudge ships it, else English.
 */
export function shopVoice(shops: Shops, shop: string | undefined, person: Pick<Profile, 'locale'>, defaultSender: string): ShopVoice {
  const settings = shopSettings(shops, shop);
  const language = languageOf(settings?.language) ?? languageOf(person.locale) ?? 'en';
  return {
    shop: { ...(shop === undefined ? {} : { id: shop }), ...(settings?.name === undefined ? {} : { name: settings.name }) },
    language,
    copy: copyIn(language),
    sender: settings?.sender ?? defaultSender,
  };
}
