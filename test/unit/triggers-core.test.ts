import { nextRun, parseCron, runsInSkippedHours } from '#services/rules/core/cron.js';
import { applyReport, type Geofence, GeofencesFile, type PlaceState } from '#services/rules/core/geofence.js';
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

describe('sequences at their edges', () => {
  const viewedNoCart = sequenceOf({
    type: 'sequence',
    steps: [{ event: { 'detail-type': ['product.viewed'] } }],
    absent: { event: { 'detail-type': ['cart.updated'] }, within: '1h' },
  });
  const viewed = (id: string, at: number): SeenEvent => ({ id, at, steps: [0], absent: false });
  const carted = (id: string, at: number): SeenEvent => ({ id, at, steps: [], absent: true });

  it('keeps events in time order whatever their ids, and an event seen again leaves what was seen unchanged', () => {
    const events = fold([checkout('z-late', t0 + minutes(30)), checkout('a-early', t0), order('m-order', t0 + minutes(10))]);
    expect(events.map((event) => event.id)).toEqual(['a-early', 'm-order', 'z-late']);
    expect(withEvent(events, checkout('a-early', t0))).toEqual(events);
    expect(fold([checkout('c1', t0), checkout('c1', t0)])).toEqual([checkout('c1', t0)]);
  });

  it('orders events of the same instant by id, so arrival order never changes which run starts first', () => {
    for (const arrival of permutations([checkout('b', t0), checkout('a', t0), checkout('c', t0)]))
      expect(fold(arrival).map((event) => event.id)).toEqual(['a', 'b', 'c']);
  });

  it('keeps the newest 50 events of a person and key, dropping the oldest', () => {
    const events = fold(Array.from({ length: 60 }, (_, index) => checkout(`c${String(index).padStart(2, '0')}`, t0 + minutes(60 - index))));
    expect(events).toHaveLength(50);
    expect(events[0]?.at).toBe(t0 + minutes(11));
    expect(events.at(-1)?.at).toBe(t0 + minutes(60));
  });

  it('finds runs in events given in any order', () => {
    const instances = instancesOf(abandonedCheckout, [checkout('c2', t0 + minutes(30)), checkout('c1', t0)], t0 + minutes(120));
    expect(instances.map((instance) => [instance.id, instance.status])).toEqual([
      ['c1', 'cancelled'],
      ['c2', 'due'],
    ]);
  });

  it('two views without a time limit still make a run, and a view exactly at the limit counts', () => {
    const twice = sequenceOf({ type: 'sequence', steps: [{ event: { 'detail-type': ['product.viewed'] } }, { event: { 'detail-type': ['product.viewed'] } }] });
    expect(instancesOf(twice, fold([view2('v1', t0), view2('v2', t0 + days(40))]), t0 + days(41))).toMatchObject([{ eventIds: ['v1', 'v2'], status: 'due' }]);
    const withinADay = sequenceOf({
      type: 'sequence',
      steps: [{ event: { 'detail-type': ['product.viewed'] } }, { event: { 'detail-type': ['product.viewed'] } }],
      within: '1d',
    });
    expect(instancesOf(withinADay, fold([view2('v1', t0), view2('v2', t0 + days(1))]), t0 + days(2))).toMatchObject([{ eventIds: ['v1', 'v2'] }]);
    expect(instancesOf(withinADay, fold([view2('v1', t0), view2('v2', t0 + days(1) + 1)]), t0 + days(2))).toEqual([]);
  });

  it('an order that comes exactly when the reminder falls due still cancels it', () => {
    expect(instancesOf(abandonedCheckout, fold([checkout('c1', t0), order('o1', t0 + minutes(60))]), t0 + minutes(90))[0]?.status).toBe('cancelled');
  });

  it('per person, only a cart after the view cancels: one before it belongs to an earlier visit', () => {
    expect(instancesOf(viewedNoCart, fold([viewed('v1', t0), carted('k1', t0 + minutes(20))]), t0 + minutes(90))[0]?.status).toBe('cancelled');
    expect(instancesOf(viewedNoCart, fold([viewed('v1', t0), carted('k1', t0)]), t0 + minutes(90))[0]?.status).toBe('cancelled');
    expect(instancesOf(viewedNoCart, fold([carted('k1', t0 - minutes(5)), viewed('v1', t0)]), t0 + minutes(90))[0]?.status).toBe('due');
  });

  it('a sequence is per correlation value as soon as any step names a key: an absent event before the last step then counts', () => {
    const [first, second] = [compiledPattern({ 'detail-type': ['product.viewed'] }), compiledPattern({ 'detail-type': ['cart.updated'] })];
    const laterKeyed: CompiledSequence = {
      steps: [
        { pattern: first, key: undefined },
        { pattern: second, key: 'detail.properties.cartId' },
      ],
      withinMillis: undefined,
      absent: { pattern: compiledPattern({ 'detail-type': ['order.completed'] }), key: 'detail.properties.cartId', withinMillis: minutes(60) },
      dueAfterMillis: minutes(60),
    };
    const events: SeenEvent[] = [
      { id: 'v', at: t0, steps: [0], absent: false },
      { id: 'o', at: t0 + minutes(5), steps: [], absent: true },
      { id: 'k', at: t0 + minutes(10), steps: [1], absent: false },
    ];
    expect(instancesOf(laterKeyed, fold(events), t0 + minutes(120))[0]?.status).toBe('cancelled');
  });

  it('a checkout started twice in the same millisecond sends one reminder', () => {
    const instances = instancesOf(abandonedCheckout, fold([checkout('c2', t0), checkout('c1', t0)]), t0 + minutes(120));
    expect(instances.filter((instance) => instance.status === 'due')).toHaveLength(1);
  });

  it('a checkout restarted exactly when the reminder falls due replaces it', () => {
    const instances = instancesOf(abandonedCheckout, fold([checkout('c1', t0), checkout('c2', t0 + minutes(60))]), t0 + minutes(180));
    expect(instances.map((instance) => [instance.id, instance.status])).toEqual([
      ['c1', 'cancelled'],
      ['c2', 'due'],
    ]);
  });

  it('a sequence with no wait messages every run: viewed twice, then twice again, is two messages', () => {
    const twice = sequenceOf({ type: 'sequence', steps: [{ event: { 'detail-type': ['product.viewed'] } }, { event: { 'detail-type': ['product.viewed'] } }] });
    const views = fold([view2('v1', t0), view2('v2', t0 + minutes(1)), view2('v3', t0 + minutes(2)), view2('v4', t0 + minutes(3))]);
    expect(instancesOf(twice, views, t0 + minutes(4)).map((instance) => [instance.id, instance.status])).toEqual([
      ['v1', 'due'],
      ['v3', 'due'],
    ]);
  });

  const due = (id: string, dueAt: number) => ({ id, eventIds: [id], completedAt: dueAt, dueAt, status: 'due' as const });
  const waiting = (id: string, dueAt: number) => ({ id, eventIds: [id], completedAt: dueAt - 1, dueAt, status: 'waiting' as const });

  it('a message may go up to 24 hours after it fell due; later, the run is dropped without a message', () => {
    const now = t0 + days(1);
    const plan = planSequence([due('on-time', t0 + 1), due('at-limit', t0), due('too-late', t0 - 1)], new Map(), new Set(), now);
    expect(plan.fire.map((instance) => instance.id)).toEqual(['on-time', 'at-limit']);
    expect(plan.stale.map((instance) => instance.id)).toEqual(['too-late']);
  });

  it('sets a timer only where none is set for the due time, keeps the timers of open runs and cancels the rest', () => {
    const plan = planSequence(
      [waiting('set', t0 + days(1)), waiting('moved', t0 + days(2)), waiting('new', t0 + days(3)), due('due-now', t0), due('decided', t0)],
      new Map([
        ['set', t0 + days(1)],
        ['moved', t0 + days(1)],
        ['due-now', t0],
        ['decided', t0],
        ['gone', t0],
      ]),
      new Set(['decided']),
      t0,
    );
    expect(plan.schedule.map((instance) => instance.id)).toEqual(['moved', 'new']);
    expect(plan.cancel).toEqual(['decided', 'gone']);
    expect(plan.fire.map((instance) => instance.id)).toEqual(['due-now']);
  });
});

const view2 = (id: string, at: number): SeenEvent => ({ id, at, steps: [0, 1], absent: false });

describe('recurring schedules, as marketers write them', () => {
  const pattern = (expression: string) => (parseCron(expression) as { value: string }).value;

  it('takes day names, lists and ranges of them as Scheduler does', () => {
    expect(parseCron('cron(0 9 ? * MON,WED *)')).toEqual({ ok: true, value: '0 0 9 * * MON,WED' });
    expect(parseCron('cron(0 9 ? * WED-FRI *)')).toEqual({ ok: true, value: '0 0 9 * * WED-FRI' });
    expect(parseCron('cron(0 9 ? * TUE *)')).toEqual({ ok: true, value: '0 0 9 * * TUE' });
    expect(parseCron('cron(0 9 ? * 2-6 *)')).toEqual({ ok: true, value: '0 0 9 * * 1-5' });
  });

  it('keeps a day of the month, and takes spaces around and between the fields', () => {
    expect(parseCron('cron(0 9 1 * ? *)')).toEqual({ ok: true, value: '0 0 9 1 * *' });
    expect(parseCron('  cron( 0  9 ? * MON * )  ')).toEqual({ ok: true, value: '0 0 9 * * MON' });
  });

  it('says what is wrong with a schedule it cannot run', () => {
    const error = (expression: string) => (parseCron(expression) as { error: string }).error;
    expect(error('at cron(0 9 ? * MON *)')).toContain('such as "cron(0 9 ? * MON *)"');
    expect(error('cron(0 9 ? * MON *) weekly')).toContain('such as "cron(0 9 ? * MON *)"');
    expect(error('cron(0 9 ? * MON)')).toBe('a cron expression has six fields: minutes hours day-of-month month day-of-week year');
    expect(error('cron(0 9 L * ? *)')).toContain('L and W in day-of-month');
    expect(error('cron(0 9 15W * ? *)')).toContain('L and W in day-of-month');
    expect(error('cron(0 9 ? * 6L *)')).toContain('L in day-of-week');
    expect(error('cron(0 9 ? * 10 *)')).toContain('not a valid cron expression');
    expect(error('cron(61 9 ? * MON *)')).toContain('not a valid cron expression');
    expect(error('cron(0 9 30 2 ? *)')).toContain('never runs');
  });

  it('has no next run for a date that never comes', () => {
    expect(nextRun('0 0 9 30 2 *', 'UTC', t0)).toBeUndefined();
  });

  it('finds skipped runs west of Greenwich and in zones that jump at midnight', () => {
    expect(runsInSkippedHours(pattern('cron(30 2 * * ? *)'), 'America/New_York', Date.parse('2026-11-23T00:00:00Z'), 2)).toEqual([
      '2027-03-14 02:30',
      '2028-03-12 02:30',
    ]);
    // Havana moves its clocks from midnight to 01:00.
    expect(runsInSkippedHours(pattern('cron(30 0 * * ? *)'), 'America/Havana', Date.parse('2026-11-23T00:00:00Z'), 2)).toEqual([
      '2027-03-14 00:30',
      '2028-03-12 00:30',
    ]);
  });

  it('counts only the skipped minutes: the minute before the gap and the first after it exist', () => {
    expect(runsInSkippedHours(pattern('cron(0 3 * * ? *)'), 'Europe/Berlin', Date.parse('2026-11-23T00:00:00Z'), 2)).toEqual([]);
    expect(runsInSkippedHours(pattern('cron(59 1 * * ? *)'), 'Europe/Berlin', Date.parse('2026-11-23T00:00:00Z'), 2)).toEqual([]);
    expect(runsInSkippedHours(pattern('cron(59 2 * * ? *)'), 'Europe/Berlin', Date.parse('2026-11-23T00:00:00Z'), 1)).toEqual(['2027-03-28 02:59']);
  });

  it('looks the given number of years ahead and not a day more', () => {
    // Berlin's clocks jump on 28 March in both 2027 and 2032: five years from the first is up to, not including, the second.
    const found = runsInSkippedHours(pattern('cron(30 2 * * ? *)'), 'Europe/Berlin', Date.parse('2027-03-27T23:00:00Z'), 5);
    expect(found).toEqual(['2027-03-28 02:30', '2028-03-26 02:30', '2029-03-25 02:30', '2030-03-31 02:30', '2031-03-30 02:30']);
  });

  it('reads the schedule in local wall-clock time whatever the machine’s own time zone', () => {
    const machineZone = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata';
    try {
      expect(runsInSkippedHours(pattern('cron(30 2 * * ? *)'), 'Europe/Berlin', Date.parse('2026-11-23T00:00:00Z'), 1)).toEqual(['2027-03-28 02:30']);
    } finally {
      if (machineZone === undefined) delete process.env.TZ;
      else process.env.TZ = machineZone;
    }
  });
});

describe('geofences at their edges', () => {
  const square: Geofence = {
    id: 'mall',
    polygon: [
      { latitude: 52.5085, longitude: 13.4385 },
      { latitude: 52.5085, longitude: 13.4425 },
      { latitude: 52.5065, longitude: 13.4425 },
      { latitude: 52.5065, longitude: 13.4385 },
    ],
    hysteresisMeters: 0,
  };
  const centre = { latitude: 52.5075, longitude: 13.4405 };
  const corner = { latitude: 52.5085, longitude: 13.4385 };
  const report = (eventId: string, at: number, where: { latitude: number; longitude: number }) => ({ eventId, at, ...where });

  it('a report exactly on the edge is inside, and does not leave even with no band', () => {
    const entered = applyReport(square, undefined, report('edge', t0, corner));
    expect(entered).toEqual({ state: { inside: true, since: t0, lastAt: t0, entryId: 'edge' }, transition: 'enter' });
    const inside = applyReport(square, undefined, report('in', t0, centre)).state;
    expect(applyReport(square, inside, report('edge', t0 + 1, corner))).toEqual({
      state: { inside: true, since: t0, lastAt: t0 + 1, entryId: 'in' },
      transition: undefined,
    });
  });

  it('a second report of the same instant changes nothing', () => {
    const inside = applyReport(square, undefined, report('in', t0, centre)).state;
    expect(applyReport(square, inside, report('far', t0, { latitude: 52.6, longitude: 13.4405 }))).toEqual({ state: inside, transition: undefined });
  });

  it('leaving records when, and forgets the visit', () => {
    const inside = applyReport(square, undefined, report('in', t0, centre)).state;
    expect(applyReport(square, inside, report('out', t0 + 5, { latitude: 52.6, longitude: 13.4405 }))).toEqual({
      state: { inside: false, since: t0 + 5, lastAt: t0 + 5, entryId: undefined },
      transition: 'exit',
    });
  });

  it('a first report outside starts the record of being outside', () => {
    expect(applyReport(square, undefined, report('far', t0, { latitude: 52.6, longitude: 13.4405 }))).toEqual({
      state: { inside: false, since: t0, lastAt: t0, entryId: undefined },
      transition: undefined,
    });
  });

  it('a geofence without a band uses 30 metres', () => {
    const store: Geofence = { id: 'store', circle: { latitude: 52.52, longitude: 13.405, radiusMeters: 100 } };
    const north = (meters: number, at: number) => ({ eventId: `l${at}`, at, latitude: 52.52 + meters / 111_195, longitude: 13.405 });
    const inside = applyReport(store, undefined, north(10, t0)).state;
    expect(applyReport(store, inside, north(125, t0 + 1)).transition).toBeUndefined();
    expect(applyReport(store, inside, north(135, t0 + 1)).transition).toBe('exit');
  });

  it('a geofence file names places of one shape each, on the globe, with a bounded band', () => {
    const issues = (geofence: Record<string, unknown>) =>
      GeofencesFile.safeParse({ geofences: [geofence] }).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? [];
    const circle = { latitude: 52.52, longitude: 13.405, radiusMeters: 100 };
    expect(issues({ id: 'store-berlin', name: 'Berlin', circle })).toEqual([]);
    expect(issues({ id: 'store-berlin', circle, polygon: square.polygon })).toEqual(['geofences.0: a geofence is either a "circle" or a "polygon"']);
    expect(issues({ id: 'store-berlin' })).toEqual(['geofences.0: a geofence is either a "circle" or a "polygon"']);
    expect(issues({ id: 'Store Berlin', circle })[0]).toContain('use lower-case letters, digits and dashes');
    expect(issues({ id: '-store', circle })).toHaveLength(1);
    expect(issues({ id: 'a'.repeat(65), circle })).toHaveLength(1);
    expect(issues({ id: 'a'.repeat(64), circle })).toEqual([]);
    expect(issues({ id: 's', circle: { ...circle, latitude: 91 } })).toHaveLength(1);
    expect(issues({ id: 's', circle: { ...circle, latitude: -91 } })).toHaveLength(1);
    expect(issues({ id: 's', circle: { ...circle, longitude: 181 } })).toHaveLength(1);
    expect(issues({ id: 's', circle: { ...circle, longitude: -181 } })).toHaveLength(1);
    expect(issues({ id: 's', circle: { ...circle, latitude: -90, longitude: -180 } })).toEqual([]);
    expect(issues({ id: 's', circle: { ...circle, radiusMeters: 100_001 } })).toHaveLength(1);
    expect(issues({ id: 's', circle: { ...circle, radiusMeters: 100_000 } })).toEqual([]);
    expect(issues({ id: 's', circle: { ...circle, radius: 5 } })).toHaveLength(1);
    expect(issues({ id: 's', polygon: square.polygon?.slice(0, 2) })).toHaveLength(1);
    expect(issues({ id: 's', polygon: [...(square.polygon ?? []), { latitude: 1, longitude: 2, altitude: 3 }] })).toHaveLength(1);
    expect(issues({ id: 's', circle, hysteresisMeters: 5_001 })).toHaveLength(1);
    expect(issues({ id: 's', circle, hysteresisMeters: 5_000 })).toEqual([]);
    expect(GeofencesFile.safeParse({ geofences: [], places: [] }).success).toBe(false);
  });
});

describe('sequences without a wait', () => {
  it('message every run, even two completed in the same millisecond', () => {
    const twice = sequenceOf({ type: 'sequence', steps: [{ event: { 'detail-type': ['product.viewed'] } }, { event: { 'detail-type': ['product.viewed'] } }] });
    const views = fold([view2('v1', t0), view2('v2', t0 + minutes(1)), view2('v3', t0), view2('v4', t0 + minutes(1))]);
    expect(instancesOf(twice, views, t0 + minutes(4)).map((instance) => instance.status)).toEqual(['due', 'due']);
  });
});
