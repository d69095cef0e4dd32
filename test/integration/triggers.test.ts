import { DateTime } from 'luxon';
import { clearInbox, type InboxEmail, inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';
import { shopper } from '../support/shopper.js';

const minutes = (n: number) => n * 60_000;
const days = (n: number) => n * 86_400_000;

/**
 * Time, place and sequence rules end to end on the local runtime, with the shipped rules in
 * rules/ and a fast clock: the local Scheduler's clock is moved forward, timers fire into the
 * local bus, and what reaches the SES inbox is checked per person.
 */
describe('time, place and sequence triggers on the local runtime', () => {
  let runtime: TestRuntime;
  let emails: InboxEmail[] = [];
  const subjectsTo = (address: string) => emails.filter((email) => email.destination.to.some((to) => to.includes(address))).map((email) => email.subject);
  const advance = async (millis: number) => {
    await runtime.advanceClock(millis);
    emails = await inbox(runtime);
  };
  const settle = async () => {
    await runtime.idle();
    emails = await inbox(runtime);
  };

  beforeAll(async () => {
    runtime = await startTestRuntime();
    await clearInbox(runtime);
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  it('abandoned checkout: a reminder an hour later for the checkout with no order, none for the one whose order came (even before its checkout event)', async () => {
    const abandoner = shopper(runtime, 'abandoner@example.com');
    const buyer = shopper(runtime, 'buyer@example.com');
    await abandoner.track('Checkout Started', {
      checkout_id: 'chk-a',
      revenue: 40,
      currency: 'EUR',
      products: [{ product_id: 'p1', name: 'Mug', price: 40, quantity: 1 }],
    });
    // The order webhook beats the checkout webhook: it arrives first, stamped a minute later.
    await buyer.track('Order Completed', { order_id: 'ord-b', checkout_id: 'chk-b', total: 25, currency: 'EUR', products: [] }, minutes(1));
    await buyer.track('Checkout Started', { checkout_id: 'chk-b', revenue: 25, currency: 'EUR', products: [] });
    await settle();
    expect(subjectsTo('abandoner@')).toEqual([]);

    await advance(minutes(59));
    expect(subjectsTo('abandoner@')).toEqual([]);
    await advance(minutes(2));
    expect(subjectsTo('abandoner@')).toEqual(['You left something behind, friend']);
    expect(subjectsTo('buyer@').filter((subject) => subject.startsWith('You left'))).toEqual([]);
  });

  it('post-purchase series: thank-you now, review request after 7 days, re-order reminder after 30, each skipped if the customer already acted', async () => {
    const silent = shopper(runtime, 'silent@example.com');
    const reviewer = shopper(runtime, 'reviewer@example.com');
    await silent.identify({ firstName: 'Sam' });
    await reviewer.identify({ firstName: 'Rey' });
    await silent.track('Order Completed', { order_id: 'ord-s', total: 30, currency: 'EUR', products: [] });
    await reviewer.track('Order Completed', { order_id: 'ord-r', total: 30, currency: 'EUR', products: [] });
    await settle();
    expect(subjectsTo('silent@')).toEqual(['Thank you for your order, Sam!']);

    await advance(days(2));
    await reviewer.track('Product Reviewed', { product_id: 'p1', review_id: 'rev-1', rating: 5, review_body: 'Lovely' });
    await settle();
    await advance(days(5) + minutes(1));
    expect(subjectsTo('silent@')).toEqual(['Thank you for your order, Sam!', 'How was your order, Sam?']);
    expect(subjectsTo('reviewer@')).toEqual(['Thank you for your order, Rey!']);

    await advance(days(23));
    expect(subjectsTo('silent@')).toEqual(['Thank you for your order, Sam!', 'How was your order, Sam?', 'Time to stock up, Sam?']);
    expect(subjectsTo('reviewer@')).toEqual(['Thank you for your order, Rey!', 'Time to stock up, Rey?']);
  });

  it('birthday at 9:00 in each person’s own time zone: Berlin first, Los Angeles nine hours later', async () => {
    const now = runtime.scheduler.clock.now();
    const birthday = DateTime.fromMillis(now + days(2), { zone: 'utc' }).toISODate() as string;
    await shopper(runtime, 'berlin@example.com').identify({ firstName: 'Bea', birthday: `1990-${birthday.slice(5)}` }, { timezone: 'Europe/Berlin' });
    await shopper(runtime, 'la@example.com').identify({ firstName: 'Lou', birthday: `1985-${birthday.slice(5)}` }, { timezone: 'America/Los_Angeles' });
    await settle();
    const dueIn = (zone: string) => DateTime.fromISO(`${birthday}T09:00`, { zone }).toMillis() - runtime.scheduler.clock.now();

    await advance(dueIn('Europe/Berlin') - minutes(1));
    expect(subjectsTo('berlin@')).toEqual([]);
    await advance(minutes(2));
    expect(subjectsTo('berlin@')).toEqual(['Happy birthday, Bea!']);
    expect(subjectsTo('la@')).toEqual([]);
    await advance(dueIn('America/Los_Angeles') + minutes(1));
    expect(subjectsTo('la@')).toEqual(['Happy birthday, Lou!']);
    expect(subjectsTo('berlin@')).toEqual(['Happy birthday, Bea!']);
  });

  it('geofence enter: a customer who has ordered walks into the flagship store’s circle', async () => {
    const walker = shopper(runtime, 'walker@example.com');
    await walker.identify({ firstName: 'Wes' });
    await walker.track('Order Completed', { order_id: 'ord-w', total: 10, currency: 'EUR', products: [] });
    await settle();
    await walker.at(52.523, 13.405); // about 330 m north: outside
    await settle();
    expect(subjectsTo('walker@').filter((subject) => subject.includes('Berlin store'))).toEqual([]);
    await walker.at(52.5204, 13.405, 1000); // about 45 m: inside
    await walker.at(52.52155, 13.405, 2000); // about 170 m: outside the edge, inside the band
    await walker.at(52.5203, 13.405, 3000); // back inside: not a new entry
    await settle();
    expect(subjectsTo('walker@').filter((subject) => subject.includes('Berlin store'))).toEqual(['You are close to our Berlin store, Wes']);
  });

  it('geofence dwell: ten minutes inside the mall sends once; leaving before that sends nothing', async () => {
    const stayer = shopper(runtime, 'stayer@example.com');
    const passer = shopper(runtime, 'passer@example.com');
    await stayer.at(52.5075, 13.4405);
    await passer.at(52.5075, 13.4405);
    await settle();
    await advance(minutes(5));
    await passer.at(52.515, 13.4405); // far north of the mall
    await settle();
    await advance(minutes(4));
    expect(subjectsTo('stayer@')).toEqual([]);
    await advance(minutes(2));
    expect(subjectsTo('stayer@')).toEqual(['While you are at the mall, friend']);
    expect(subjectsTo('passer@')).toEqual([]);
  });
});
