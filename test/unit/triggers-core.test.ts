import { nextRun, parseCron, runsInSkippedHours } from '#services/rules/core/cron.js';
import { applyReport, type Geofence, type PlaceState } from '#services/rules/core/geofence.js';
import { Rule } from '#services/rules/core/rule.js';
import { type CompiledSequence, instancesOf, planSequence, type SeenEvent, withEvent } from '#services/rules/core/sequence.js';
import { compiledPattern, durationMillis } from '#services/rules/kinds/fields.js';
import { nextOpening, nextYearly } from '#shared/calendar.js';

const t0 = Date.parse('2026-11-20T12:00:00Z');
const minutes = (n: number) => n * 60_000;
const days = (n: number) => n * 86_400_000;

interface SequenceSpec {
  readonly key?: string;
  readonly steps: readonly { readonly event: Record<string, unknown> }[];
  readonly within?: string;
  readonly absent?: { readonly event: Record<string, unknown>; readonly key?: string; readonly within: string };
}

/** The pure sequence logic takes a compiled sequence; this compiles one as the sequence kind does. */
function sequenceOf(spec: SequenceSpec & { readonly type: 'sequence' }): CompiledSequence {
  const absent = spec.absent && {
    pattern: compiledPattern(spec.absent.event),
    key: spec.absent.key ?? spec.key,
    withinMillis: durationMillis(spec.absent.within),
  };
  return {
    steps: spec.steps.map((step) => ({ pattern: compiledPattern(step.event), key: spec.key })),
    withinMillis: spec.within === undefined ? undefined : durationMillis(spec.within),
    absent,
    dueAfterMillis: absent?.withinMillis ?? 0,
  };
}

const abandonedCheckout = sequenceOf({
  type: 'sequence',
  key: 'detail.properties.checkoutId',
  steps: [{ event: { 'detail-type': ['checkout.started'] } }],
  absent: { event: { 'detail-type': ['order.completed'] }, within: '1h' },
});
const checkout = (id: string, at: number): SeenEvent => ({ id, at, steps: [0], absent: false });
const order = (id: string, at: number): SeenEvent => ({ id, at, steps: [], absent: true });
const fold = (events: readonly SeenEvent[]) => events.reduce<SeenEvent[]>((seen, event) => withEvent(seen, event), []);

/** Every order of a small list, to show arrival order does not matter. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) => permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]));
}

describe('sequences', () => {
  it('an abandoned checkout waits an hour, then is due', () => {
    const events = fold([checkout('c1', t0)]);
    expect(instancesOf(abandonedCheckout, events, t0 + minutes(59))).toEqual([
      { id: 'c1', eventIds: ['c1'], completedAt: t0, dueAt: t0 + minutes(60), status: 'waiting' },
    ]);
    expect(instancesOf(abandonedCheckout, events, t0 + minutes(60))[0]?.status).toBe('due');
  });

  it('the order for the checkout cancels the reminder, whatever order the two arrive in', () => {
    for (const arrival of permutations([checkout('c1', t0), order('o1', t0 + minutes(20))])) {
      expect(instancesOf(abandonedCheckout, fold(arrival), t0 + minutes(90)).map((instance) => instance.status)).toEqual(['cancelled']);
    }
  });

  it('an order stamped before its checkout event still closes it (it is the order for this checkout)', () => {
    expect(instancesOf(abandonedCheckout, fold([order('o1', t0 - minutes(1)), checkout('c1', t0)]), t0 + minutes(90))[0]?.status).toBe('cancelled');
  });

  it('an order after the hour does not take back a reminder that was due', () => {
    expect(instancesOf(abandonedCheckout, fold([checkout('c1', t0), order('o1', t0 + minutes(61))]), t0 + minutes(90))[0]?.status).toBe('due');
  });

  it('a duplicate event is one event', () => {
    const once = fold([checkout('c1', t0)]);
    expect(fold([checkout('c1', t0), checkout('c1', t0), checkout('c1', t0)])).toEqual(once);
  });

  it('a checkout started again restarts the hour: one reminder, after the latest', () => {
    const instances = instancesOf(abandonedCheckout, fold([checkout('c1', t0), checkout('c2', t0 + minutes(30))]), t0 + minutes(120));
    expect(instances.map((instance) => [instance.id, instance.status])).toEqual([
      ['c1', 'cancelled'],
      ['c2', 'due'],
    ]);
  });

  const browse = sequenceOf({
    type: 'sequence',
    key: 'detail.properties.productId',
    steps: [{ event: { 'detail-type': ['product.viewed'] } }, { event: { 'detail-type': ['product.viewed'] } }],
    within: '1d',
    absent: { event: { 'detail-type': ['cart.updated'] }, key: 'detail.properties.items.productId', within: '2h' },
  });
  const view = (id: string, at: number): SeenEvent => ({ id, at, steps: [0, 1], absent: false });

  it('browse abandonment needs two views within a day, and no cart after them', () => {
    expect(instancesOf(browse, fold([view('v1', t0), view('v2', t0 + days(2))]), t0 + days(3))).toEqual([]);
    expect(instancesOf(browse, fold([view('v1', t0), view('v2', t0 + minutes(30))]), t0 + days(1))[0]).toMatchObject({
      id: 'v1',
      eventIds: ['v1', 'v2'],
      status: 'due',
    });
    const carted = fold([view('v2', t0 + minutes(30)), { id: 'cart', at: t0 + minutes(45), steps: [], absent: true }, view('v1', t0)]);
    expect(instancesOf(browse, carted, t0 + days(1))[0]?.status).toBe('cancelled');
  });

  const winBack = sequenceOf({
    type: 'sequence',
    steps: [{ event: { 'detail-type': ['order.completed'] } }],
    absent: { event: { 'detail-type': ['order.completed'] }, within: '60d' },
  });
  const purchase = (id: string, at: number): SeenEvent => ({ id, at, steps: [0], absent: true });

  it('win-back: each order restarts the sixty days, and only the last order’s run stays', () => {
    for (const arrival of permutations([purchase('o1', t0), purchase('o2', t0 + days(10)), purchase('o3', t0 + days(100))])) {
      const instances = instancesOf(winBack, fold(arrival), t0 + days(120));
      expect(instances.map((instance) => [instance.id, instance.status])).toEqual([
        ['o1', 'cancelled'],
        ['o2', 'due'],
        ['o3', 'waiting'],
      ]);
    }
  });

  it('plans timers for waiting runs, cancels the others, fires due runs once and drops stale ones', () => {
    const instances = instancesOf(winBack, fold([purchase('o1', t0), purchase('o2', t0 + days(10))]), t0 + days(20));
    const plan = planSequence(instances, new Map([['o1', t0 + days(60)]]), new Set(), t0 + days(20));
    expect(plan.schedule.map((instance) => instance.id)).toEqual(['o2']);
    expect(plan.cancel).toEqual(['o1']);
    expect(plan.fire).toEqual([]);
    const late = instancesOf(winBack, fold([purchase('o1', t0)]), t0 + days(70));
    expect(planSequence(late, new Map(), new Set(), t0 + days(60)).fire.map((instance) => instance.id)).toEqual(['o1']);
    expect(planSequence(late, new Map(), new Set(['o1']), t0 + days(60)).fire).toEqual([]);
    expect(planSequence(late, new Map(), new Set(), t0 + days(70)).stale.map((instance) => instance.id)).toEqual(['o1']);
  });
});

describe('dates in the person’s time zone', () => {
  it('sends at 9:00 local in two time zones: two instants', () => {
    const after = Date.parse('2027-03-01T00:00:00Z');
    expect(nextYearly('1990-03-15', '09:00', 'Europe/Berlin', after, false)).toEqual({ instanceId: '2027', dueAt: Date.parse('2027-03-15T08:00:00Z') });
    expect(nextYearly('1990-03-15', '09:00', 'America/Los_Angeles', after, false)).toEqual({ instanceId: '2027', dueAt: Date.parse('2027-03-15T16:00:00Z') });
  });

  it('celebrates 29 February on the 28th in other years', () => {
    expect(nextYearly('2000-02-29', '09:00', 'UTC', Date.parse('2027-01-01T00:00:00Z'), false)?.dueAt).toBe(Date.parse('2027-02-28T09:00:00Z'));
    expect(nextYearly('2000-02-29', '09:00', 'UTC', Date.parse('2028-01-01T00:00:00Z'), false)?.dueAt).toBe(Date.parse('2028-02-29T09:00:00Z'));
  });

  it('moves to next year once this year’s time has passed, and skips an anniversary’s own year', () => {
    expect(nextYearly('1990-03-15', '09:00', 'UTC', Date.parse('2027-03-15T09:00:00Z'), false)?.instanceId).toBe('2028');
    expect(nextYearly('2027-01-10T15:00:00Z', '10:00', 'UTC', Date.parse('2027-01-10T16:00:00Z'), true)).toEqual({
      instanceId: '2028',
      dueAt: Date.parse('2028-01-10T10:00:00Z'),
    });
  });

  it('a local time daylight saving skips becomes one instant after the gap; a repeated one, once, in standard time', () => {
    // 28 March 2027, Berlin: 02:00 jumps to 03:00. 31 October 2027: 03:00 falls back to 02:00.
    expect(nextYearly('1990-03-28', '02:30', 'Europe/Berlin', Date.parse('2027-01-01T00:00:00Z'), false)?.dueAt).toBe(Date.parse('2027-03-28T01:30:00Z'));
    expect(nextYearly('1990-10-31', '02:30', 'Europe/Berlin', Date.parse('2027-01-01T00:00:00Z'), false)?.dueAt).toBe(Date.parse('2027-10-31T01:30:00Z'));
  });

  it('a send window defers to its next opening, across midnight too', () => {
    const window = { from: '09:00', to: '20:00' };
    expect(nextOpening(window, 'Europe/Berlin', Date.parse('2026-11-20T10:00:00Z'))).toBe(Date.parse('2026-11-20T10:00:00Z'));
    expect(nextOpening(window, 'Europe/Berlin', Date.parse('2026-11-20T21:00:00Z'))).toBe(Date.parse('2026-11-21T08:00:00Z'));
    expect(nextOpening(window, 'America/New_York', Date.parse('2026-11-20T12:00:00Z'))).toBe(Date.parse('2026-11-20T14:00:00Z'));
    expect(nextOpening({ from: '22:00', to: '06:00' }, 'UTC', Date.parse('2026-11-20T23:30:00Z'))).toBe(Date.parse('2026-11-20T23:30:00Z'));
  });
});

describe('geofences', () => {
  const store: Geofence = { id: 'store', circle: { latitude: 52.52, longitude: 13.405, radiusMeters: 100 }, hysteresisMeters: 30 };
  /** A point about `meters` north of the store's centre. */
  const north = (meters: number, at: number, eventId = `l${at}`) => ({ eventId, at, latitude: 52.52 + meters / 111_195, longitude: 13.405 });

  it('enters inside the edge and leaves only beyond the hysteresis band', () => {
    let state: PlaceState | undefined;
    const transitions: (string | undefined)[] = [];
    for (const [index, meters] of [150, 90, 110, 95, 120, 99, 140].entries()) {
      const result = applyReport(store, state, north(meters, t0 + index));
      state = result.state;
      transitions.push(result.transition);
    }
    // Jitter between 90 and 120 metres does not leave; 140 (beyond 100 + 30) does.
    expect(transitions).toEqual([undefined, 'enter', undefined, undefined, undefined, undefined, 'exit']);
  });

  it('ignores a report older than the latest one (it arrived late)', () => {
    const inside = applyReport(store, undefined, north(10, t0 + 10)).state;
    expect(applyReport(store, inside, north(500, t0 + 5))).toEqual({ state: inside, transition: undefined });
  });

  it('knows the inside of a polygon', () => {
    const square: Geofence = {
      id: 'mall',
      polygon: [
        { latitude: 52.5085, longitude: 13.4385 },
        { latitude: 52.5085, longitude: 13.4425 },
        { latitude: 52.5065, longitude: 13.4425 },
        { latitude: 52.5065, longitude: 13.4385 },
      ],
    };
    expect(applyReport(square, undefined, { eventId: 'a', at: t0, latitude: 52.5075, longitude: 13.4405 }).transition).toBe('enter');
    expect(applyReport(square, undefined, { eventId: 'b', at: t0, latitude: 52.51, longitude: 13.4405 }).transition).toBeUndefined();
  });
});

describe('recurring schedules', () => {
  it('reads EventBridge Scheduler cron expressions, days of the week counted from Sunday = 1', () => {
    expect(parseCron('cron(0 9 ? * MON *)')).toEqual({ ok: true, value: '0 0 9 * * MON' });
    expect(parseCron('cron(0 9 ? * 2 *)')).toEqual({ ok: true, value: '0 0 9 * * 1' });
    expect(parseCron('cron(0 9 ? * 2#1 *)')).toEqual({ ok: true, value: '0 0 9 * * 1#1' });
    expect(parseCron('cron(0 9 * * ? *)')).toEqual({ ok: true, value: '0 0 9 * * *' });
    expect(parseCron('0 9 * * *')).toMatchObject({ ok: false });
    expect(parseCron('cron(0 9 * * MON *)')).toMatchObject({ ok: false, error: expect.stringContaining('"?"') });
    expect(parseCron('cron(0 9 ? * MON 2027)')).toMatchObject({ ok: false, error: expect.stringContaining('year') });
  });

  it('keeps 9:00 local through daylight saving changes', () => {
    const { value: pattern } = parseCron('cron(0 9 ? * MON *)') as { value: string };
    expect(new Date(nextRun(pattern, 'Europe/Berlin', Date.parse('2027-03-20T00:00:00Z')) as number).toISOString()).toBe('2027-03-22T08:00:00.000Z');
    expect(new Date(nextRun(pattern, 'Europe/Berlin', Date.parse('2027-03-29T00:00:00Z')) as number).toISOString()).toBe('2027-03-29T07:00:00.000Z');
  });

  it('finds runs in the hour daylight saving skips, which Scheduler would skip', () => {
    const { value: pattern } = parseCron('cron(30 2 * * ? *)') as { value: string };
    expect(runsInSkippedHours(pattern, 'Europe/Berlin', Date.parse('2026-11-23T00:00:00Z'), 2)).toEqual(['2027-03-28 02:30', '2028-03-26 02:30']);
    const monday = parseCron('cron(0 9 ? * MON *)') as { value: string };
    expect(runsInSkippedHours(monday.value, 'Europe/Berlin', Date.parse('2026-11-23T00:00:00Z'))).toEqual([]);
  });

  it('refuses a rule whose schedule falls in the skipped hour, with the reason', () => {
    const parsed = Rule.safeParse({
      id: 'r',
      name: 'R',
      trigger: { type: 'time', cron: 'cron(30 2 ? * SUN *)', timeZone: 'Europe/Berlin' },
      channel: 'email',
      template: 't',
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: ['trigger', 'cron'], message: expect.stringContaining('daylight saving') });
  });
});

describe('trigger schema', () => {
  const issues = (trigger: Record<string, unknown>) =>
    Rule.safeParse({ id: 'r', name: 'R', trigger, channel: 'email', template: 't' }).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);

  it('says what a time trigger is missing', () => {
    expect(issues({ type: 'time', date: 'birthday' })).toEqual(['trigger.at: say at what local time, such as "09:00"']);
    expect(issues({ type: 'time', delay: '1h' })).toEqual(['trigger.after: "after" and "delay" go together']);
    expect(issues({ type: 'time', date: 'birthday', at: '09:00', cron: 'cron(0 9 * * ? *)' })?.[0]).toContain('one of');
    expect(issues({ type: 'time', cron: 'cron(0 9 * * ? *)', timeZone: 'Mars/Olympus' })?.[0]).toContain('unknown time zone');
  });

  it('says what a place or sequence trigger is missing', () => {
    expect(issues({ type: 'place', on: 'dwell', geofences: ['a'] })).toEqual(['trigger.dwell: say how long, such as "10m"']);
    expect(issues({ type: 'place', on: 'enter' })).toEqual(['trigger.geofences: "enter" needs the geofences it watches']);
    expect(issues({ type: 'sequence', steps: [] })?.[0]).toContain('trigger.steps');
    expect(issues({ type: 'sequence', key: 'properties.checkoutId', steps: [{ event: { 'detail-type': ['x'] } }] })?.[0]).toContain('trigger.key');
  });
});
