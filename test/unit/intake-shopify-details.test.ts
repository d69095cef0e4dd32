import { shopifyTopics } from '#services/intake/core/platforms/shopify.js';
import { receiveWebhook } from '#services/intake/core/webhook.js';
import * as OrderCompleted from '#shared/events/order-completed.js';
import { fixtureJson } from '../support/fixtures.js';
import { published, signed } from '../support/intake.js';

const secret = 'shop-secret';
const secrets = { shopify: { '*': secret } };
const now = Date.parse('2026-11-22T12:00:00.000Z');

type Payload = Record<string, unknown>;
const order = () => fixtureJson<Payload>('webhooks/shopify/shopify-orders-create.json');
const checkout = () => fixtureJson<Payload>('webhooks/shopify/shopify-checkouts-create.json');
const customer = () => fixtureJson<Payload>('webhooks/shopify/shopify-customers-create.json');
const customerOf = (payload: Payload) => payload.customer as Payload;

const receive = (topic: string, payload: Payload) => receiveWebhook(signed.shopify(JSON.stringify(payload), secret, topic), secrets, now);

/** The one event a delivery publishes; fails the test when it publishes none. */
function eventOf(topic: string, payload: Payload) {
  const decision = receive(topic, payload);
  expect(decision.reply.status).toBe(200);
  const events = published(decision);
  expect(events).toHaveLength(1);
  return events[0] as (typeof events)[number];
}

const properties = (topic: string, payload: Payload) => eventOf(topic, payload).detail.properties as Record<string, unknown>;
const identity = (topic: string, payload: Payload) => eventOf(topic, payload).detail.identity as Record<string, unknown>;

describe('Shopify SMS consent topic', () => {
  const subscribed = () => ({
    ...fixtureJson<Payload>('webhooks/shopify/shopify-customers_marketing_consent-update.json'),
    phone: '+1 613 555 0123',
    sms_marketing_consent: { state: 'subscribed', opt_in_level: 'single_opt_in', consent_updated_at: '2026-11-01T10:00:00Z' },
  });

  it('customers_marketing_consent/update, the name Shopify documents since 2023-07, becomes an SMS consent.changed', () => {
    const event = eventOf('customers_marketing_consent/update', subscribed());
    expect(event).toMatchObject({
      detailType: 'consent.changed',
      detail: {
        identity: { phone: '+16135550123', customerId: 'shopify:706405506930370000' },
        properties: { channel: 'sms', state: 'subscribed', optInLevel: 'single_opt_in' },
        origin: { topic: 'customers_marketing_consent/update' },
        occurredAt: '2026-11-01T10:00:00.000Z',
      },
    });
  });

  it('the older customers/marketing_consent/update spelling still works and tells the same fact under the same event id', () => {
    const documented = eventOf('customers_marketing_consent/update', subscribed());
    const older = eventOf('customers/marketing_consent/update', subscribed());
    expect(older.detailType).toBe('consent.changed');
    expect(older.detail.eventId).toBe(documented.detail.eventId);
  });

  it('the published example, which carries no state, is read and then ignored for that reason', () => {
    const decision = receive('customers_marketing_consent/update', fixtureJson('webhooks/shopify/shopify-customers_marketing_consent-update.json'));
    expect(decision.reply).toEqual({ status: 200, body: { ignored: true, reason: 'the payload carries no sms consent state' } });
  });

  it('is among the topics Nudge subscribes to, beside the older spelling', () => {
    expect(shopifyTopics).toEqual(expect.arrayContaining(['customers_marketing_consent/update', 'customers/marketing_consent/update']));
  });
});

describe('Shopify refund amounts', () => {
  const refund = (transactions: Payload[]) => ({ id: 509562969, order_id: 450789469, created_at: '2026-11-20T10:00:00-05:00', transactions });
  const amountOf = (transactions: Payload[]) => properties('refunds/create', refund(transactions)).amount;

  it('a refund in a three-decimal currency keeps its last digit (KWD 1.235 stays 1.235)', () => {
    expect(amountOf([{ amount: '1.235', currency: 'KWD', kind: 'refund' }])).toEqual({ amount: '1.235', currency: 'KWD' });
  });

  it('a refund in a currency without decimals stays in whole units (JPY 1500)', () => {
    expect(amountOf([{ amount: '1500', currency: 'JPY', kind: 'refund' }])).toEqual({ amount: '1500', currency: 'JPY' });
  });

  it('several refund transactions are summed exactly, and other kinds are not counted', () => {
    const transactions = [
      { amount: '0.105', currency: 'BHD', kind: 'refund' },
      { amount: 0.2, currency: 'BHD', kind: 'refund' },
      { amount: '99.000', currency: 'BHD', kind: 'capture' },
    ];
    expect(amountOf(transactions)).toEqual({ amount: '0.305', currency: 'BHD' });
  });

  it.each([
    ['null', null],
    ['empty', ''],
    ['not a number', 'n/a'],
  ])('a refund transaction whose amount is %s leaves the amount out rather than counting it as 0', (_case, amount) => {
    const event = eventOf(
      'refunds/create',
      refund([
        { amount: '12.00', currency: 'USD', kind: 'refund' },
        { amount, currency: 'USD', kind: 'refund' },
      ]),
    );
    expect(event.detailType).toBe('order.refunded');
    expect(event.detail.properties).toEqual({ orderId: '450789469', refundId: '509562969' });
  });

  it('refund transactions in two currencies give no amount, since they cannot be added', () => {
    const transactions = [
      { amount: '5.00', currency: 'USD', kind: 'refund' },
      { amount: '5.00', currency: 'EUR', kind: 'refund' },
    ];
    expect(amountOf(transactions)).toBeUndefined();
  });
});

describe('Shopify blank contact fields', () => {
  it('an order with "email": "" is still tied to the contact email', () => {
    expect(identity('orders/create', { ...order(), email: '' })).toMatchObject({ email: 'jon@example.com' });
  });

  it('an order with blank email and contact email is tied to the customer’s email', () => {
    expect(identity('orders/create', { ...order(), email: '', contact_email: '  ' })).toMatchObject({ email: 'john@example.com' });
  });

  it('an order with a blank phone takes the customer’s phone', () => {
    const payload = order();
    payload.phone = '';
    customerOf(payload).phone = '+16135550123';
    expect(identity('orders/paid', payload)).toMatchObject({ phone: '+16135550123' });
  });

  it('an order whose customer has a blank first name takes the billing address’s first name', () => {
    const payload = order();
    customerOf(payload).first_name = '';
    expect(eventOf('orders/create', payload).detail.traits).toMatchObject({ firstName: 'Steve', lastName: 'Smith' });
  });

  it('a checkout with "email": "" is tied to the customer’s email', () => {
    expect(identity('checkouts/create', { ...checkout(), email: '' })).toMatchObject({ email: 'john@example.com' });
  });

  it('a checkout with a blank phone takes the customer’s phone', () => {
    const payload = checkout();
    payload.phone = ' ';
    customerOf(payload).phone = '+16135550123';
    expect(identity('checkouts/update', payload)).toMatchObject({ phone: '+16135550123' });
  });
});

describe('Shopify national phone numbers', () => {
  it('an order phone in national format is read in the billing address’s country', () => {
    expect(identity('orders/create', { ...order(), phone: '(415) 555-2671' })).toMatchObject({ phone: '+14155552671' });
  });

  it('without a billing country, the shipping address’s country is used', () => {
    const payload: Payload = { ...order(), phone: '020 7946 0958', billing_address: null };
    (payload.shipping_address as Payload).country_code = 'GB';
    expect(identity('orders/create', payload)).toMatchObject({ phone: '+442079460958' });
  });

  it('without any order address, the customer’s default address country is used', () => {
    const payload: Payload = { ...order(), phone: '0151 12345678', billing_address: null, shipping_address: null };
    (customerOf(payload).default_address as Payload).country_code = 'DE';
    expect(identity('orders/create', payload)).toMatchObject({ phone: '+4915112345678' });
  });

  it('a checkout phone in national format is read in the billing address’s country', () => {
    expect(identity('checkouts/create', { ...checkout(), phone: '(415) 555-2671' })).toMatchObject({ phone: '+14155552671' });
  });

  it('a customer phone in national format is read in the default address’s country', () => {
    const payload: Payload = { ...customer(), phone: '0151 12345678' };
    (payload.default_address as Payload).country_code = 'DE';
    expect(identity('customers/update', payload)).toMatchObject({ phone: '+4915112345678' });
  });

  it('an address with a country code that is not one does not drop the order', () => {
    const payload = { ...order(), phone: '(415) 555-2671', billing_address: { country_code: 'United States' }, shipping_address: null };
    const event = eventOf('orders/create', payload);
    expect(event.detailType).toBe('order.completed');
    expect(event.detail.identity).not.toHaveProperty('phone');
  });
});

describe('Shopify presentment currency', () => {
  const presentment = (payload: Payload, money: unknown) => ({
    ...payload,
    total_price_set: { shop_money: { amount: '404.95', currency_code: 'USD' }, presentment_money: money },
  });

  it('an order carries what the customer paid in their own currency, exactly, beside the shop’s total', () => {
    const props = properties('orders/create', presentment(order(), { amount: '370.10', currency_code: 'EUR' }));
    expect(props.total).toEqual({ amount: '404.95', currency: 'USD' });
    expect(props.presentmentTotal).toEqual({ amount: '370.10', currency: 'EUR' });
  });

  it('an order in the shop’s own currency carries the same amount as its presentment total', () => {
    expect(properties('orders/create', order()).presentmentTotal).toEqual({ amount: '404.95', currency: 'USD' });
  });

  it.each([
    ['absent', undefined],
    ['not an object', 'EUR 370.10'],
    ['in a lower-case currency', { amount: '370.10', currency_code: 'eur' }],
    ['not a decimal amount', { amount: 'about 370', currency_code: 'EUR' }],
  ])('an order whose presentment money is %s still completes, without a presentment total', (_case, money) => {
    const props = properties('orders/create', money === undefined ? { ...order(), total_price_set: undefined } : presentment(order(), money));
    expect(props.total).toEqual({ amount: '404.95', currency: 'USD' });
    expect(props.presentmentTotal).toBeUndefined();
  });

  it('an order whose total_price_set is not an object still completes', () => {
    expect(properties('orders/create', { ...order(), total_price_set: 'n/a' }).total).toEqual({ amount: '404.95', currency: 'USD' });
  });

  it('an order carries its status page for the thank-you email; one that is not a web address is dropped, and the order still completes', () => {
    expect(properties('orders/create', order()).statusUrl).toBe('https://jsmith.myshopify.com/548380009/orders/123456abcd/authenticate?key=abcdefg');
    for (const bad of ['javascript:alert(1)', 'not a url', 42, null])
      expect(properties('orders/create', { ...order(), order_status_url: bad }).statusUrl).toBeUndefined();
  });

  it('an order whose billing or shipping address is not an object still completes', () => {
    expect(eventOf('orders/create', { ...order(), billing_address: 'n/a', shipping_address: 42 }).detailType).toBe('order.completed');
  });

  it('the order.completed contract reads events with and without a presentment total', () => {
    const event = eventOf('orders/create', order()).detail;
    expect(OrderCompleted.schema.safeParse(event).success).toBe(true);
    const { presentmentTotal: _, ...withoutPresentment } = event.properties as Record<string, unknown>;
    expect(OrderCompleted.schema.safeParse({ ...event, properties: withoutPresentment }).success).toBe(true);
    expect(
      OrderCompleted.schema.safeParse({ ...event, properties: { ...withoutPresentment, presentmentTotal: { amount: '1.5', currency: 'eur' } } }).success,
    ).toBe(false);
  });
});

describe('Shopify order totals no number can hold', () => {
  it('an order whose total is a trillion or more is still the order, without the total (a broken sender; points could not be counted)', () => {
    const payload = { ...order(), total_price: '99999999999999999999999.99' };
    expect(properties('orders/create', payload).total).toBeUndefined();
    expect(properties('orders/create', { ...order(), total_price: '999999999999.99' })).toMatchObject({
      total: { amount: '999999999999.99', currency: 'USD' },
    });
  });
});

describe('Shopify times from a clock set wrong', () => {
  it('an order dated years ahead happened when it arrived: no timer waits on it until 9999', () => {
    expect(eventOf('orders/create', { ...order(), processed_at: '9999-01-01T00:00:00-05:00' }).detail.occurredAt).toBe(new Date(now).toISOString());
  });
});
