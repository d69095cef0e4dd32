import { normaliseSegmentMessage } from '#services/intake/core/platforms/segment.js';
import { receiveShopify } from '#services/intake/core/platforms/shopify.js';
import { Profile } from '#shared/events/profile.js';
import { fixtureJson } from '../support/fixtures.js';
import { published, signed } from '../support/intake.js';

const at = Date.parse('2026-11-20T10:00:00Z');
function traitsOf(detail: unknown): Record<string, unknown> {
  const traits = (detail as { traits?: Record<string, unknown> } | undefined)?.traits;
  if (traits === undefined) throw new Error('no event with traits was made');
  return traits;
}

describe('traits that are not what they say', () => {
  it('keeps a Segment identify whose locale is not a locale, without the locale', () => {
    const normalised = normaliseSegmentMessage(
      { type: 'identify', userId: 'u-locale', traits: { email: 'locale@example.com' }, context: { locale: 'not a locale!!', timezone: 'Mars/Olympus' } },
      { shop: 'shop', receivedAt: at },
    );
    expect(normalised.kind).toBe('events');
    const traits = traitsOf(normalised.kind === 'events' ? normalised.publications[0]?.detail : undefined);
    expect(traits.locale).toBeUndefined();
    expect(traits.timeZone).toBeUndefined();
  });

  it('keeps a real locale and time zone as they are', () => {
    const normalised = normaliseSegmentMessage(
      { type: 'identify', userId: 'u-ok', traits: { email: 'ok@example.com' }, context: { locale: 'it-IT', timezone: 'Europe/Rome' } },
      { shop: 'shop', receivedAt: at },
    );
    expect(traitsOf(normalised.kind === 'events' ? normalised.publications[0]?.detail : undefined)).toMatchObject({ locale: 'it-IT', timeZone: 'Europe/Rome' });
  });

  it('accepts a Shopify order whose customer_locale is not a locale, without the locale', () => {
    const order = { ...fixtureJson('webhooks/shopify/shopify-orders-create.json'), customer_locale: '<script>' };
    const decision = receiveShopify(signed.shopify(JSON.stringify(order), 'secret', 'orders/create'), { shopify: { '*': 'secret' } }, at);
    expect(decision.reply.status).toBe(200);
    expect(traitsOf(published(decision)[0]?.detail).locale).toBeUndefined();
  });

  it('reads a stored profile whose locale was kept before locales were checked, without it', () => {
    const profile = Profile.parse({
      profileId: 'p1',
      locale: 'xx_not-valid!',
      timeZone: 'Nowhere/Never',
      orderCount: 0,
      revenue: {},
      firstSeenAt: '2026-01-01T00:00:00.000Z',
      lastSeenAt: '2026-01-01T00:00:00.000Z',
      traitsAt: {},
    });
    expect(profile.locale).toBeUndefined();
    expect(profile.timeZone).toBeUndefined();
  });
});
