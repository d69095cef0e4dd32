import { awsPrices, platformLogBytesPerInvocation } from '../../bench/aws-prices.js';
import { benchStart, CostMeters, mixUsage, perMillionEvents, priceUsage, type Usage } from '../../bench/cost.js';

const none: Usage = {
  events: 1,
  httpRequests: 0,
  apiRequests: 0,
  invocations: 0,
  gbSeconds: 0,
  busEvents: 0,
  scheduledInvocations: 0,
  dynamoDbCalls: 0,
  readUnits: 0,
  writeUnits: 0,
  sqsRequests: 0,
  secretsCalls: 0,
  logBytes: 0,
  traces: 0,
  messages: 0,
};

describe('the all-in price of what a flow used', () => {
  it('prices each service by its own unit', () => {
    const dollars = priceUsage({
      ...none,
      apiRequests: 2_000_000,
      invocations: 1_000_000,
      gbSeconds: 1000,
      busEvents: 3_000_000,
      scheduledInvocations: 1_000_000,
      readUnits: 8_000_000,
      writeUnits: 1_000_000,
      sqsRequests: 5_000_000,
      secretsCalls: 10_000,
      logBytes: 2 * 1024 ** 3,
      traces: 1_000_000,
    });
    expect(dollars).toEqual({
      'API Gateway': 2,
      Lambda: 0.2 + 1000 * awsPrices.lambdaPerGbSecond,
      EventBridge: 3,
      Scheduler: 1,
      DynamoDB: 1 + 0.625,
      SQS: 2,
      'Secrets Manager': 0.05,
      'CloudWatch Logs': 1,
      'X-Ray': 5,
    });
  });

  it('divides by the events the flow stands for: a batch of 20 costs a twentieth per event', () => {
    const batch = perMillionEvents({ ...none, events: 20, apiRequests: 1, busEvents: 20 });
    expect(batch.services['API Gateway']).toBeCloseTo(0.05, 10);
    expect(batch.services.EventBridge).toBeCloseTo(1, 10);
    expect(batch.total).toBeCloseTo(1.05, 10);
  });

  it('mixes flows by their share of events, each per event', () => {
    const view = { ...none, events: 10, writeUnits: 20 };
    const order = { ...none, events: 2, writeUnits: 100 };
    const mixed = mixUsage([
      { usage: view, weight: 3 },
      { usage: order, weight: 1 },
    ]);
    expect(mixed.events).toBe(1);
    expect(mixed.writeUnits).toBeCloseTo(0.75 * 2 + 0.25 * 50, 10);
  });
});

describe('the floor: the least the architecture must call for what the meters saw', () => {
  const viewed = () => {
    const meters = new CostMeters();
    meters.httpRequests.push(700);
    meters.dynamo.push(
      { operation: 'PutItem', kind: 'write', units: 1, billed: 1, items: [{ key: 'MEASURE#FACT#f1|FACT', bytes: 170 }], refused: false },
      { operation: 'GetItem', kind: 'read', units: 1, billed: 1, items: [], refused: false },
      {
        operation: 'TransactWriteItems',
        kind: 'write',
        units: 2,
        billed: 8,
        items: [
          { key: 'EVENT#ev_1|APPLIED', bytes: 180 },
          { key: 'PROFILE#p1|PROFILE', bytes: 2500 },
          { key: 'PROFILE#p1|HISTORY#002', bytes: 190 },
        ],
        refused: false,
      },
      { operation: 'PutItem', kind: 'write', units: 1, billed: 1, items: [{ key: 'PROFILE#p1|TRIGGER#browse#p2', bytes: 570 }], refused: false },
      { operation: 'UpdateItem', kind: 'write', units: 1, billed: 1, items: [{ key: 'PROFILE#p1|PROFILE' }], refused: true },
    );
    return meters;
  };

  it('keeps one write per item that changed, at its size, and drops reads, once-markers and refused writes', async () => {
    const meters = viewed();
    await meters.wrap('intake', async () => undefined)({}, {} as never);
    await meters.wrap('profiles', async () => undefined)({}, {} as never);
    await meters.wrap('profiles', async () => undefined)({}, {} as never);
    await meters.wrap('rules', async () => undefined)({}, {} as never);
    const sizes = new Map([['PROFILE#p1|PROFILE', 2500]]);
    const floor = meters.floor(1, 1, 4.2, sizes);
    expect(floor.readUnits).toBe(0);
    // The profile (3 KB: 3 units), its history slot and the rule's state; not the fact marker or the applied marker.
    expect(floor.dynamoDbCalls).toBe(3);
    expect(floor.writeUnits).toBe(3 + 1 + 1);
    // Intake for the request, profiles once for the one event (it ran twice), rules as a rule's state changed.
    expect(floor.invocations).toBe(3);
    expect(floor.busEvents).toBe(2);
    expect(floor.gbSeconds).toBeCloseTo(3 * 0.005 * 0.5, 10);
    expect(floor.logBytes).toBe(3 * platformLogBytesPerInvocation);
    expect(floor.sqsRequests).toBe(0);
  });

  it('needs no rules hop when no rule changed, set a timer or sent', async () => {
    const meters = new CostMeters();
    meters.httpRequests.push(300);
    meters.dynamo.push({ operation: 'PutItem', kind: 'write', units: 1, billed: 1, items: [{ key: 'PROFILE#p1|PROFILE', bytes: 400 }], refused: false });
    await meters.wrap('profiles', async () => undefined)({}, {} as never);
    await meters.wrap('rules', async () => undefined)({}, {} as never);
    const floor = meters.floor(1, 1, 4, new Map());
    expect(floor.invocations).toBe(2);
    expect(floor.busEvents).toBe(1);
  });

  it('counts what a batch of messages needs of the queue, dispatch and measurement', async () => {
    const meters = new CostMeters();
    for (let index = 0; index < 10; index++) meters.ses.push({ operation: 'SESv2.SendEmail', bytes: 900, body: '{}', at: 0 });
    await meters.wrap('dispatch', async () => undefined)({ Records: Array.from({ length: 10 }) }, {} as never);
    await meters.wrap('rules', async () => undefined)({}, {} as never);
    const measured = meters.usage(10);
    // EventBridge sends ten messages to the queue; the poller receives the batch and deletes it.
    expect(measured.sqsRequests).toBe(12);
    const floor = meters.floor(10, 0, 4, new Map());
    // One dispatch invocation ran for ten messages: the floor takes no more than ran.
    expect(floor.invocations).toBe(1 + 1);
    expect(floor.sqsRequests).toBeCloseTo(12, 10);
  });

  it('counts a timer that fires and sends once: the schedule firing, and the hops it starts each with one bus event', async () => {
    const meters = new CostMeters();
    meters.scheduled = 1;
    meters.ses.push({ operation: 'SESv2.SendEmail', bytes: 900, body: '{}', at: 0 });
    await meters.wrap('rules', async () => undefined)({}, {} as never);
    await meters.wrap('dispatch', async () => undefined)({ Records: [{}] }, {} as never);
    await meters.wrap('measurement', async () => undefined)({}, {} as never);
    const floor = meters.floor(0, 0, 4, new Map());
    expect(floor.scheduledInvocations).toBe(1);
    // The firing's event is the one the rules hop reads: rules, dispatch and measurement, one event each.
    expect(floor.busEvents).toBe(3);
    expect(floor.invocations).toBe(3);
  });
});

describe('where a cost run starts', () => {
  it('is the next Tuesday at 10:00 UTC, so every run meets the same send windows', () => {
    expect(new Date(benchStart(Date.parse('2026-11-29T20:10:00Z'))).toISOString()).toBe('2026-12-01T10:00:00.000Z');
    expect(new Date(benchStart(Date.parse('2026-12-01T09:59:00Z'))).toISOString()).toBe('2026-12-01T10:00:00.000Z');
    expect(new Date(benchStart(Date.parse('2026-12-01T10:00:00Z'))).toISOString()).toBe('2026-12-08T10:00:00.000Z');
    expect(new Date(benchStart(Date.parse('2026-12-02T00:00:00Z'))).toISOString()).toBe('2026-12-08T10:00:00.000Z');
  });
});
