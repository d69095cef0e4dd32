import { createHmac } from 'node:crypto';
import {
  basicAuthUser,
  signStripe,
  standardWebhookKey,
  strictBase64,
  strictHex,
  verifyStandardWebhook,
  verifyStripeSignature,
} from '#services/intake/core/signatures.js';
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

describe('what a signature vouches for, to the letter', () => {
  const body = Buffer.from('{"scope":"store/order/created"}');
  const seconds = Math.floor(now / 1000);
  const standardSignature = (id: string, timestamp: string, secret = 'bc-client-secret') =>
    `v1,${createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
  const stripeHex = (timestamp: string, secret = 'whsec_test_secret') => createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

  it('Standard Webhooks: a delivery without an id, a timestamp or a signature is refused, even one signed over the empty value', () => {
    const verify = (id: string | undefined, timestamp: string | undefined, signature: string | undefined) =>
      verifyStandardWebhook({ id, timestamp, signature }, body, 'bc-client-secret', now);
    expect(verify('msg_1', String(seconds), standardSignature('msg_1', String(seconds)))).toBe('valid');
    expect(verify('', String(seconds), standardSignature('', String(seconds)))).toBe('invalid');
    expect(verify('msg_1', '', standardSignature('msg_1', ''))).toBe('invalid');
    expect(verify('msg_1', String(seconds), undefined)).toBe('invalid');
    expect(verify('msg_1', String(seconds), '')).toBe('invalid');
  });

  it('Standard Webhooks: a timestamp is whole seconds in digits only, though the signature over it is right', () => {
    for (const timestamp of [`+${seconds}`, `${seconds}.0`, `${seconds}x`, `x${seconds}`, `${seconds / 1000}e3`])
      expect({
        timestamp,
        verdict: verifyStandardWebhook({ id: 'msg_1', timestamp, signature: standardSignature('msg_1', timestamp) }, body, 'bc-client-secret', now),
      }).toEqual({
        timestamp,
        verdict: 'invalid',
      });
  });

  it('Standard Webhooks: a raw client secret is the key as it is; only a v1 signature counts', () => {
    const timestamp = String(seconds);
    expect(standardWebhookKey('bc-client-secret')).toEqual(Buffer.from('bc-client-secret'));
    const v2 = standardSignature('msg_1', timestamp).replace(/^v1,/, 'v2,');
    expect(verifyStandardWebhook({ id: 'msg_1', timestamp, signature: v2 }, body, 'bc-client-secret', now)).toBe('invalid');
  });

  it('the tolerance is 300 s to the second, either side, for Standard Webhooks and Stripe alike', () => {
    for (const [offset, verdict] of [
      [300, 'valid'],
      [-300, 'valid'],
      [301, 'stale'],
      [-301, 'stale'],
    ] as const) {
      const timestamp = String(seconds + offset);
      expect(verifyStandardWebhook({ id: 'msg_1', timestamp, signature: standardSignature('msg_1', timestamp) }, body, 'bc-client-secret', now)).toBe(verdict);
      expect(verifyStripeSignature(`t=${timestamp},v1=${stripeHex(timestamp)}`, body, 'whsec_test_secret', now)).toBe(verdict);
    }
  });

  it('Stripe: only a v1 in lower-case hex counts, beside keys as Stripe writes them, with a timestamp in digits', () => {
    const timestamp = String(seconds);
    const good = `t=${timestamp},v1=${stripeHex(timestamp)}`;
    const verify = (header: string) => verifyStripeSignature(header, body, 'whsec_test_secret', now);
    expect(verify(good)).toBe('valid');
    expect(verify(`t=${timestamp},v0=${stripeHex(timestamp)}`)).toBe('invalid');
    expect(verify(`t=${timestamp},v1=${stripeHex(timestamp).toUpperCase()}`)).toBe('invalid');
    expect(verify(`${good},v1 =00`)).toBe('invalid');
    expect(verify(`t=+${timestamp},v1=${stripeHex(`+${timestamp}`)}`)).toBe('invalid');
    expect(verify(`t=${timestamp}x,v1=${stripeHex(`${timestamp}x`)}`)).toBe('invalid');
    expect(verify(`t=,v1=${stripeHex('')}`)).toBe('invalid');
    expect(verify('')).toBe('invalid');
    expect(verify(`v1=${stripeHex(timestamp)}`)).toBe('invalid');
    expect(verifyStripeSignature(undefined, body, 'whsec_test_secret', now)).toBe('invalid');
  });

  it('Stripe: every part is key=value; a stray word is not Stripe’s header, another scheme beside v1 is', () => {
    const timestamp = String(seconds);
    const verify = (header: string) => verifyStripeSignature(header, body, 'whsec_test_secret', now);
    expect(verify(`t=${timestamp},v1=${stripeHex(timestamp)},tt`)).toBe('invalid');
    expect(verify(`t=${timestamp},v1=${stripeHex(timestamp)},v1`)).toBe('invalid');
    expect(verify(`t=${timestamp},v1=${stripeHex(timestamp)},v0=${stripeHex(timestamp)}`)).toBe('valid');
    expect(verify(`t=${timestamp},v1=${'0'.repeat(64)},v1=${stripeHex(timestamp)}`)).toBe('valid');
  });

  it('decodes strictly: nothing from an empty text; hex to its bytes', () => {
    expect(strictBase64('')).toBeUndefined();
    expect(strictHex('')).toBeUndefined();
    expect(strictHex('0aff')).toEqual(Buffer.from([0x0a, 0xff]));
  });

  it('Segment: the write key is what stands before the colon, or the whole credential without one; an empty key is none', () => {
    const basic = (credentials: string, prefix = 'Basic ') => `${prefix}${Buffer.from(credentials).toString('base64')}`;
    expect(basicAuthUser(basic('write-key-1:'))).toBe('write-key-1');
    expect(basicAuthUser(basic('write-key-1:password'))).toBe('write-key-1');
    expect(basicAuthUser(basic('write-key-1'))).toBe('write-key-1');
    expect(basicAuthUser(basic(':password'))).toBeUndefined();
    expect(basicAuthUser(basic('write-key-1:', 'basic  '))).toBe('write-key-1');
    expect(basicAuthUser(basic('write-key-1:', 'XBasic '))).toBeUndefined();
    expect(basicAuthUser(`${basic('write-key-1:')} extra`)).toBeUndefined();
    expect(basicAuthUser(undefined)).toBeUndefined();
  });
});
