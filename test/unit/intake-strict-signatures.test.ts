import { basicAuthUser, signStripe, standardWebhookKey, strictBase64, strictHex, verifyStripeSignature } from '#services/intake/core/signatures.js';
import { receiveWebhook, type WebhookRequest } from '#services/intake/core/webhook.js';
import { fixtureBytes } from '../support/fixtures.js';
import { signed } from '../support/intake.js';

const now = Date.parse('2026-11-22T12:00:00.000Z');
const secrets = {
  shopify: { '*': 'shop-secret' },
  woocommerce: { '*': 'woo-secret' },
  bigcommerce: { '*': 'bc-client-secret' },
  stripe: { '*': 'whsec_test_secret' },
  segment: { 'write-key-1': 'web-shop' },
  app: { 'shop-app': 'app-secret' },
};

const base64Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The same bytes written non-canonically: the unused low bits of the last character set (Node still decodes it). */
function nonCanonical(base64: string): string {
  const padding = base64.length - base64.replace(/=+$/, '').length;
  expect(padding).toBeGreaterThan(0);
  const last = base64.length - padding - 1;
  const index = base64Alphabet.indexOf(base64[last] as string);
  const changed = `${base64.slice(0, last)}${base64Alphabet[index | 1]}${base64.slice(last + 1)}`;
  expect(Buffer.from(changed, 'base64')).toEqual(Buffer.from(base64, 'base64'));
  return changed;
}

const withHeader = (request: WebhookRequest, name: string, change: (value: string) => string): WebhookRequest => ({
  ...request,
  headers: { ...request.headers, [name]: change(request.headers[name] as string) },
});

const status = (request: WebhookRequest) => receiveWebhook(request, secrets, now).reply;

/** Variants of a valid base64 signature that decode to the same bytes in Node's lenient decoder. */
const base64Forgeries: [string, (signature: string) => string][] = [
  ['junk after the base64', (signature) => `${signature}zz`],
  ['the header duplicated by a proxy ("sig, sig")', (signature) => `${signature}, ${signature}`],
  ['whitespace around it', (signature) => ` ${signature}\t`],
  ['non-canonical trailing bits', nonCanonical],
  ['the padding left off', (signature) => signature.replace(/=+$/, '')],
];

describe('strict decoding of signatures', () => {
  it('reads canonical base64 and nothing else', () => {
    expect(strictBase64('QQ==')).toEqual(Buffer.from('A'));
    expect(strictBase64('QUJD')).toEqual(Buffer.from('ABC'));
    for (const text of ['QR==', 'QQ', 'QQ=', 'QQ===', 'QQ==zz', ' QUJD', 'QUJD\n', 'QU JD', 'Q-_D', 'QUJD,QUJD', '']) {
      expect(strictBase64(text)).toBeUndefined();
    }
  });

  it('reads lower-case hex with an even number of digits and nothing else', () => {
    expect(strictHex('00ff')).toEqual(Buffer.from([0, 255]));
    for (const text of ['00f', '00ffzz', 'zz00ff', '00FF', ' 00ff', '00ff ', '0x00ff', '']) {
      expect(strictHex(text)).toBeUndefined();
    }
  });
});

describe.each([
  ['Shopify', 'x-shopify-hmac-sha256', () => signed.shopify(fixtureBytes('webhooks/shopify/shopify-orders-create.json'), 'shop-secret', 'orders/create')],
  [
    'WooCommerce',
    'x-wc-webhook-signature',
    () => signed.woocommerce(fixtureBytes('webhooks/woocommerce/woocommerce-order.created.json'), 'woo-secret', 'order.created'),
  ],
])('%s base64 body signature', (_platform, header, request) => {
  it('a valid signature is still accepted', () => {
    expect(status(request()).status).toBe(200);
  });

  it.each(base64Forgeries)('a signature with %s is refused', (_case, change) => {
    expect(status(withHeader(request(), header, change))).toEqual({ status: 401, body: { code: 'invalid-signature', message: expect.any(String) } });
  });
});

describe('BigCommerce (Standard Webhooks) signature', () => {
  const request = () => signed.bigcommerce(fixtureBytes('webhooks/bigcommerce/bigcommerce-store-order-created.json'), 'bc-client-secret', now);
  const valueOnly = (change: (signature: string) => string) => (header: string) => `v1,${change(header.slice('v1,'.length))}`;

  it('a valid signature is still accepted, also beside a signature of another version', () => {
    expect(status(request()).status).toBe(200);
    expect(status(withHeader(request(), 'webhook-signature', (header) => `v1a,c29tZXRoaW5nIGVsc2U= ${header}`)).status).toBe(200);
  });

  it.each([
    ...base64Forgeries.filter(([name]) => !name.startsWith('the header duplicated')),
    ['a tab after the base64', (signature: string) => `${signature}\t`] as const,
    ['a second value after another comma', (signature: string) => `${signature},${signature}`] as const,
  ])('a v1 value with %s is refused', (_case, change) => {
    expect(status(withHeader(request(), 'webhook-signature', valueOnly(change))).body.code).toBe('invalid-signature');
  });

  it('a whsec_ secret that is not canonical base64 is a configuration error, not another key', () => {
    expect(standardWebhookKey('whsec_c2VjcmV0')).toEqual(Buffer.from('secret'));
    expect(() => standardWebhookKey('whsec_c2VjcmV0!!')).toThrow(/whsec_/);
    expect(standardWebhookKey('bc-client-secret')).toEqual(Buffer.from('bc-client-secret'));
  });
});

/** Variants of a valid hex signature that Node's lenient hex decoder reads as the same bytes. */
const hexForgeries: [string, (signature: string) => string][] = [
  ['junk after the hex', (signature) => `${signature}zz`],
  ['one stray hex digit after the hex', (signature) => `${signature}0`],
  ['whitespace after the hex', (signature) => `${signature}\t`],
  ['a second value after "="', (signature) => `${signature}=${signature}`],
];

describe.each([
  ['Stripe', 'stripe-signature', () => signed.stripe(fixtureBytes('webhooks/stripe/stripe-checkout.session.completed.json'), 'whsec_test_secret', now)],
  [
    'the app scheme',
    'x-nudge-signature',
    () =>
      signed.app(
        JSON.stringify({ type: 'store.visited', messageId: 'visit-1', anonymousId: 'anon-1', storeId: 'berlin-mitte' }),
        'shop-app',
        'app-secret',
        now,
      ),
  ],
])('%s hex signature', (_platform, header, request) => {
  const v1Only = (change: (signature: string) => string) => (value: string) => value.replace(/v1=([0-9a-f]+)/, (_match, hex: string) => `v1=${change(hex)}`);

  it('a valid signature is still accepted', () => {
    expect(status(request()).status).toBe(200);
  });

  it.each(hexForgeries)('a signature with %s is refused', (_case, change) => {
    expect(status(withHeader(request(), header, v1Only(change)))).toEqual({ status: 401, body: { code: 'invalid-signature', message: expect.any(String) } });
  });

  it('a header padded with whitespace is refused', () => {
    expect(status(withHeader(request(), header, (value) => ` ${value.replace(',', ', ')}\t`)).body.code).toBe('invalid-signature');
  });
});

describe('Segment Basic auth', () => {
  const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;
  const track = (authorization: string) =>
    signed.segment(
      '/v1/track',
      { type: 'track', event: 'Product Viewed', userId: 'u-1', messageId: 'm-1', timestamp: '2026-11-20T09:00:00.000Z', properties: { product_id: 'p-1' } },
      'unused',
      { authorization },
    );

  it('a canonical header still names the write key', () => {
    expect(basicAuthUser(basic('write-key-1:'))).toBe('write-key-1');
    expect(basicAuthUser(basic('write-key-1:x'))).toBe('write-key-1');
    expect(status(track(basic('write-key-1:'))).status).toBe(200);
  });

  it.each([
    ['junk after the base64', (header: string) => `${header}zz`],
    ['non-canonical trailing bits', (header: string) => `Basic ${nonCanonical(header.slice('Basic '.length))}`],
    ['the padding left off', (header: string) => header.replace(/=+$/, '')],
  ])('credentials with %s name no write key', (_case, change) => {
    const header = change(basic('write-key-1:x'));
    expect(basicAuthUser(header)).toBeUndefined();
    expect(status(track(header))).toMatchObject({ status: 401, body: { code: 'missing-write-key' } });
  });
});

describe('a signature header sent twice', () => {
  const at = Date.parse('2026-11-20T10:00:00Z');
  const body = Buffer.from('{"id":"evt_1"}');
  const header = signStripe(Math.floor(at / 1000), body, 'whsec_test');

  it.each([
    ['joined by a comma and a space, as proxies join repeated headers', `${header}, ${header}`],
    ['joined by a bare comma', `${header},${header}`],
  ])('is refused for Stripe and the app scheme when %s', (_how, doubled) => {
    expect(verifyStripeSignature(header, body, 'whsec_test', at)).toBe('valid');
    expect(verifyStripeSignature(doubled, body, 'whsec_test', at)).toBe('invalid');
  });
});
