import type { Geofence } from '#services/rules/core/geofence.js';
import { type CompiledRule, compileRule, Rule } from '#services/rules/core/rule.js';
import { RuleEngine } from '#services/rules/engine.js';
import { PatternSet } from '#shared/event-pattern/pattern-set.js';
import type { Profile } from '#shared/events/profile.js';
import type { ProfileUpdated } from '#shared/events/profile-updated.js';
import { MemoryFirings, MemoryProfiles, MemoryTimers, MemoryTriggerStates } from '../cli/simulator-ports.js';
import { random } from './random.js';

const profileCount = 10_000;
const sequenceRuleCount = 100;
const geofenceCount = 20;
const shops = 20;

/**
 * 100 sequence rules of the shapes shops use (abandoned checkout per shop, browse abandonment per
 * category, post-purchase and win-back per shop, delays after a review) and place rules over 20
 * geofences (enter and dwell).
 */
export function triggerRules(): { rules: CompiledRule[]; geofences: Map<string, Geofence> } {
  const shop = (index: number) => `shop${index % shops}.myshopify.com`;
  const definitions: Record<string, unknown>[] = [];
  for (let index = 0; index < sequenceRuleCount; index++) {
    const kind = index % 5;
    const origin = { origin: { shop: [shop(index)] } };
    if (kind === 0)
      definitions.push({
        type: 'sequence',
        key: 'detail.properties.checkoutId',
        steps: [{ event: { 'detail-type': ['checkout.started'], detail: origin } }],
        absent: { event: { 'detail-type': ['order.completed'] }, within: '1h' },
      });
    else if (kind === 1)
      definitions.push({
        type: 'sequence',
        key: 'detail.properties.productId',
        steps: [
          { event: { 'detail-type': ['product.viewed'], detail: { properties: { category: [`c${index % 40}`] } } } },
          { event: { 'detail-type': ['product.viewed'] } },
        ],
        within: '1d',
        absent: { event: { 'detail-type': ['cart.updated'] }, key: 'detail.properties.items.productId', within: '2h' },
      });
    else if (kind === 2)
      definitions.push({
        type: 'sequence',
        steps: [{ event: { 'detail-type': ['order.completed'], detail: origin } }],
        absent: { event: { 'detail-type': ['review.submitted'] }, within: '7d' },
      });
    else if (kind === 3)
      definitions.push({
        type: 'sequence',
        steps: [{ event: { 'detail-type': ['order.completed'], detail: origin } }],
        absent: { event: { 'detail-type': ['order.completed'] }, within: '60d' },
      });
    else definitions.push({ type: 'time', after: { event: { 'detail-type': ['review.submitted'], detail: origin } }, delay: '3d' });
  }
  const geofences = new Map<string, Geofence>();
  for (let index = 0; index < geofenceCount; index++) {
    const id = `store-${index}`;
    geofences.set(id, { id, circle: { latitude: 52.4 + index * 0.01, longitude: 13.3 + index * 0.01, radiusMeters: 120 }, hysteresisMeters: 30 });
  }
  for (let index = 0; index < geofenceCount; index++) {
    definitions.push({ type: 'place', on: index % 2 === 0 ? 'enter' : 'dwell', geofences: [`store-${index}`], ...(index % 2 === 0 ? {} : { dwell: '10m' }) });
  }
  const rules = definitions.map((trigger, index) =>
    compileRule(Rule.parse({ id: `r${index}`, name: `Rule ${index}`, trigger, channel: 'email', template: 't' })),
  );
  return { rules, geofences };
}

function profile(index: number): Profile {
  return {
    profileId: `p${index}`,
    email: `customer${index}@example.com`,
    orderCount: index % 4,
    revenue: {},
    firstSeenAt: '2026-01-01T00:00:00.000Z',
    lastSeenAt: '2026-11-01T00:00:00.000Z',
    traitsAt: {},
  };
}

/** Customer events as the rules service receives them: checkouts, orders, views, carts, reviews and location reports. */
export function triggerEvents(count: number, start: number, seed = 3): ProfileUpdated[] {
  const next = random(seed);
  const profiles = Array.from({ length: profileCount }, (_, index) => profile(index));
  return Array.from({ length: count }, (_, index) => {
    const person = profiles[Math.floor(next() * profileCount)] as Profile;
    const at = new Date(start + index * 1000).toISOString();
    const roll = next();
    const product = `p${Math.floor(next() * 2000)}`;
    const [type, properties]: [string, Record<string, unknown>] =
      roll < 0.3
        ? [
            'location.reported',
            {
              latitude: 52.4 + Math.floor(next() * geofenceCount) * 0.01 + (next() - 0.5) * 0.004,
              longitude: 13.3 + Math.floor(next() * geofenceCount) * 0.01,
            },
          ]
        : roll < 0.55
          ? ['product.viewed', { productId: product, category: `c${Math.floor(next() * 40)}` }]
          : roll < 0.7
            ? ['cart.updated', { cartId: `k${index}`, items: [{ productId: product, quantity: 1 }] }]
            : roll < 0.82
              ? ['checkout.started', { checkoutId: `k${Math.floor(next() * 5000)}`, items: [] }]
              : roll < 0.95
                ? ['order.completed', { orderId: `o${index}`, checkoutId: `k${Math.floor(next() * 5000)}`, items: [] }]
                : ['review.submitted', { productId: product, rating: 5 }];
    return {
      profileId: person.profileId,
      changed: [],
      segments: { entered: [], left: [] },
      profile: person,
      trigger: {
        source: 'nudge.intake',
        'detail-type': type,
        detail: { eventId: `ev${index}`, occurredAt: at, receivedAt: at, origin: { shop: `shop${Math.floor(next() * shops)}.myshopify.com` }, properties },
      },
    };
  });
}

export interface TriggerFigures {
  readonly rules: number;
  readonly geofences: number;
  readonly profiles: number;
  readonly statesHeld: number;
  readonly eventsPerSecond: number;
  /** The same events matched against the trigger rules' patterns only, with no state: the floor. */
  readonly matchOnlyPerSecond: number;
  readonly timersSet: number;
  readonly timersCancelled: number;
  readonly messagesDue: number;
}

/** The sequence and geofence logic over 10,000 profiles' state in memory, on one core. */
export async function measureTriggers(eventCount = 60_000): Promise<TriggerFigures> {
  const { rules, geofences } = triggerRules();
  const start = Date.parse('2026-11-01T00:00:00.000Z');
  const warmUp = triggerEvents(5_000, start - 86_400_000, 11);
  const events = triggerEvents(eventCount, start);
  const profiles = new Map(Array.from({ length: profileCount }, (_, index) => [`p${index}`, profile(index)]));
  const states = new MemoryTriggerStates();
  const timers = new MemoryTimers();
  const engine = new RuleEngine(rules, { states, firings: new MemoryFirings(), timers, profiles: new MemoryProfiles(profiles), geofences });
  for (const event of warmUp) await engine.triggered(event, Date.parse(event.trigger.detail.occurredAt));
  const scheduledBefore = timers.scheduled;
  const cancelledBefore = timers.cancelled;
  let messagesDue = 0;
  const began = performance.now();
  for (const event of events) messagesDue += (await engine.triggered(event, Date.parse(event.trigger.detail.occurredAt))).candidates.length;
  const elapsed = performance.now() - began;

  const patterns = new PatternSet(rules.flatMap((rule) => rule.trigger.patterns.map(({ pattern }) => ({ pattern, value: rule }))));
  for (const event of warmUp) patterns.match(event.trigger);
  const matchBegan = performance.now();
  let matched = 0;
  for (const event of events) matched += patterns.match(event.trigger).length;
  const matchElapsed = performance.now() - matchBegan;
  if (matched === 0) throw new Error('No trigger pattern matched: the benchmark measures nothing');

  return {
    rules: rules.length,
    geofences: geofences.size,
    profiles: profileCount,
    statesHeld: states.size,
    eventsPerSecond: (events.length / elapsed) * 1000,
    matchOnlyPerSecond: (events.length / matchElapsed) * 1000,
    timersSet: timers.scheduled - scheduledBefore,
    timersCancelled: timers.cancelled - cancelledBefore,
    messagesDue,
  };
}
