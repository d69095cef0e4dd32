import { inHoldout } from '#services/dispatch/core/gate.js';
import { MeasurementStore } from '#services/measurement/adapters/measurement-store.js';
import type { Report } from '#services/measurement/core/report.js';
import { readReport } from '#services/measurement/read-report.js';
import { assignVariant } from '#services/rules/core/variants.js';
import { addDecimal } from '#shared/money.js';
import { localDynamoDb } from '../../local/dynamodb-local.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { localRegion, localTableName } from '../../local/runtime.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';
import { envelope, orderUpdate, personProfile, seededRandom, storeProfiles } from '../support/measurement.js';

const day = 86_400_000;
const hour = 3_600_000;
const ruleId = 'ab-test';
const holdoutPercent = 10;
const variants = [
  { id: 'a', weight: 50, subject: 'Come back' },
  { id: 'b', weight: 50, subject: 'We kept your cart' },
];
/** The true conversion rates within the window, which the generator draws from. */
const trueRate = { holdout: 0.04, a: 0.07, b: 0.11 };
const people = 5000;
const start = Date.parse('2026-11-01T00:00:00.000Z');

type Variant = 'a' | 'b';
interface Truth {
  requested: number;
  sent: number;
  delivered: number;
  opened: number;
  clicked: number;
  heldOut: number;
  holdoutConverted: number;
  messagedPeople: number;
  messagedConverted: number;
  conversions: number;
  revenue: string;
  refunds: string;
}

interface BusEvent {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
}

/**
 * 5,000 people through one rule with a 10% holdout and two subject lines whose true conversion
 * rates differ; every step of every message, orders inside and outside the windows, refunds (one
 * larger than its order), and 10% of all events delivered twice. The truth is tallied as the events
 * are made, with the windows written out here, not taken from the code under test.
 */
function scenario(seed: number) {
  const random = seededRandom(seed);
  const empty = (): Truth => ({
    requested: 0,
    sent: 0,
    delivered: 0,
    opened: 0,
    clicked: 0,
    heldOut: 0,
    holdoutConverted: 0,
    messagedPeople: 0,
    messagedConverted: 0,
    conversions: 0,
    revenue: '0',
    refunds: '0',
  });
  const truth: Record<Variant, Truth> = { a: empty(), b: empty() };
  const exposures: BusEvent[] = [];
  const orders: BusEvent[] = [];
  const refunds: BusEvent[] = [];
  const profileIds: string[] = [];
  let oversizedRefund = false;
  for (let index = 0; index < people; index++) {
    const profileId = `p-${String(index).padStart(5, '0')}`;
    profileIds.push(profileId);
    const variant = assignVariant(ruleId, profileId, variants)?.id as Variant;
    const held = inHoldout(ruleId, profileId, holdoutPercent);
    const tally = truth[variant];
    const messageId = `msg-${profileId}`;
    const ref = { messageId, ruleId, profileId, channel: 'email', template: 'win-back', variant };
    const exposedAt = start + Math.floor(random() * 10 * day);
    const iso = (at: number) => new Date(at).toISOString();
    const dispatch = (detailType: string, detail: Record<string, unknown>) =>
      exposures.push({ source: 'nudge.dispatch', detailType, detail: { ...ref, ...detail } });
    exposures.push({
      source: 'nudge.rules',
      detailType: 'message.requested',
      detail: { ...ref, requestedAt: iso(exposedAt), purpose: 'marketing', holdoutPercent, context: { profile: personProfile(profileId), event: {} } },
    });
    tally.requested++;
    const sentAt = exposedAt + 1000;
    let openedAt: number | undefined;
    if (held) {
      dispatch('message.suppressed', { suppressedAt: iso(sentAt), reason: 'holdout' });
      tally.heldOut++;
    } else {
      dispatch('message.sent', { sentAt: iso(sentAt), providerMessageId: `ses-${profileId}` });
      tally.sent++;
      tally.messagedPeople++;
      if (random() < 0.95) {
        dispatch('message.delivered', { at: iso(sentAt + 5000), providerMessageId: `ses-${profileId}` });
        tally.delivered++;
        if (random() < 0.4) {
          openedAt = sentAt + Math.floor(random() * 12 * hour);
          dispatch('message.opened', { at: iso(openedAt), providerMessageId: `ses-${profileId}` });
          tally.opened++;
          if (random() < 0.25) {
            dispatch('message.clicked', { at: iso(openedAt + 60_000), providerMessageId: `ses-${profileId}`, link: 'https://shop.example/cart' });
            tally.clicked++;
          }
        }
      }
    }
    const placeOrder = (orderAt: number, inWindow: boolean) => {
      const amount = (5 + random() * 200).toFixed(2);
      const orderId = `o-${profileId}-${orders.length}`;
      orders.push({ source: 'nudge.profiles', detailType: 'profile.updated', detail: orderUpdate(profileId, { orderId, at: orderAt, amount }) });
      // Last touch: within a day of the send, or within five days of an open or click.
      const attributed = !held && (orderAt - sentAt <= day || (openedAt !== undefined && orderAt >= openedAt && orderAt - openedAt <= 5 * day));
      if (attributed) {
        tally.conversions++;
        tally.revenue = addDecimal(tally.revenue, amount);
      }
      if (inWindow && held) tally.holdoutConverted++;
      if (inWindow && !held) tally.messagedConverted++;
      if (random() < 0.1) {
        // One refund asks for more than the order: it counts as what was left of the order.
        const refund = oversizedRefund ? (Number(amount) / 2).toFixed(2) : (Number(amount) + 50).toFixed(2);
        const counted = oversizedRefund ? refund : amount;
        oversizedRefund = true;
        refunds.push({
          source: 'nudge.profiles',
          detailType: 'profile.updated',
          detail: orderUpdate(profileId, { orderId, at: orderAt + hour, amount }, { refundId: `r-${orderId}`, amount: refund }),
        });
        if (attributed) tally.refunds = addDecimal(tally.refunds, counted);
      }
    };
    const rate = held ? trueRate.holdout : trueRate[variant];
    if (random() < rate) placeOrder(exposedAt + Math.floor((0.05 + random() * 4.9) * day), true);
    // Some order again much later, outside every window: it is nobody's conversion.
    if (random() < 0.05) placeOrder(exposedAt + Math.floor((6 + random() * 2) * day), false);
  }
  const withDuplicates = (events: BusEvent[]) => {
    const mixed = [...events];
    for (const event of events) if (random() < 0.1) mixed.splice(Math.floor(random() * mixed.length), 0, event);
    // Shuffled: the bus keeps no order.
    for (let index = mixed.length - 1; index > 0; index--) {
      const other = Math.floor(random() * (index + 1));
      [mixed[index], mixed[other]] = [mixed[other] as BusEvent, mixed[index] as BusEvent];
    }
    return mixed;
  };
  return { truth, profileIds, phases: [withDuplicates(exposures), withDuplicates(orders), withDuplicates(refunds)] };
}

describe('measurement against a generated scenario with known truth', () => {
  let runtime: TestRuntime;
  let report: Report;
  const { truth, profileIds, phases } = scenario(20261127);

  beforeAll(async () => {
    runtime = await startTestRuntime();
    await storeProfiles(runtime, profileIds);
    const { handler } = await import('#services/measurement/handler.js');
    const invoke = (event: BusEvent) =>
      handler(envelope(event.source, event.detailType, event.detail), lambdaContext('nudge-measurement', 30_000, localRegion));
    for (const events of phases) {
      // Eight at once, as the local bus invokes a function: duplicates race each other for real.
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < events.length) await invoke(events[next++] as BusEvent);
        }),
      );
    }
    // An archive replay of every order: nothing counts twice.
    for (const event of phases[1]?.slice(0, 500) ?? []) await invoke(event);
    const store = new MeasurementStore(localDynamoDb(runtime.dynamoDbUrl), localTableName);
    report = await readReport(store, [{ id: ruleId, name: 'A/B test', variants: ['a', 'b'] }], { from: '2026-10-25', to: '2026-11-30' });
  }, 600_000);

  afterAll(async () => {
    await runtime?.stop();
  });

  const entry = (variant: Variant) => {
    const found = report.rules.find((candidate) => candidate.variant === variant);
    if (found === undefined) throw new Error(`no entry for ${variant}`);
    return found;
  };

  it.each(['a', 'b'] as const)('counts variant %s exactly: every step, conversions, revenue and refunds to the cent', (variant) => {
    const expected = truth[variant];
    const counted = entry(variant);
    expect({
      requested: counted.requested,
      sent: counted.sent,
      delivered: counted.delivered,
      opened: counted.opened,
      clicked: counted.clicked,
      heldOut: counted.suppressed.holdout,
      conversions: counted.conversions,
      revenue: Number(counted.revenue.USD ?? 0).toFixed(2),
      refunds: Number(counted.refunds.USD ?? 0).toFixed(2),
    }).toEqual({
      requested: expected.requested,
      sent: expected.sent,
      delivered: expected.delivered,
      opened: expected.opened,
      clicked: expected.clicked,
      heldOut: expected.heldOut,
      conversions: expected.conversions,
      revenue: Number(expected.revenue).toFixed(2),
      refunds: Number(expected.refunds).toFixed(2),
    });
  });

  it.each(['a', 'b'] as const)('follows messaged and held-out people of variant %s through the window, and the true lift lies in the interval', (variant) => {
    const expected = truth[variant];
    const { holdout } = entry(variant);
    expect(holdout.people).toBe(expected.heldOut);
    expect(holdout.conversions).toBe(expected.holdoutConverted);
    expect(holdout.messaged.people).toBe(expected.messagedPeople);
    expect(holdout.messaged.conversions).toBe(expected.messagedConverted);
    const trueLift = trueRate[variant] - trueRate.holdout;
    expect(holdout.lift?.interval[0]).toBeLessThan(trueLift);
    expect(holdout.lift?.interval[1]).toBeGreaterThan(trueLift);
  });

  it('names b the winner of the A/B test: its true rate is higher, and the sequential test says so', () => {
    const [test] = report.tests;
    expect(test).toMatchObject({ rule: ruleId, control: 'a', winner: 'b' });
    expect(test?.variants[1]?.vsControl?.pValue).toBeLessThan(0.05);
  });
});
