import { busNeedsOf } from '#project/bus-needs.js';
import { compileRule, Rule } from '#services/rules/core/rule.js';
import { compilePattern, matches } from '#shared/event-pattern/index.js';
import { maxEventPatternLength, ruleFeedPatterns, subscriptionsFor, wantedOnBus } from '#shared/topology.js';

const rule = (id: string, event: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  Rule.parse({ id, name: id, trigger: { type: 'event', event }, channel: 'email', template: 't', ...extra });

function profileUpdated(trigger: Record<string, unknown>, profile: Record<string, unknown>) {
  return {
    version: '0',
    id: 'x',
    source: 'nudge.profiles',
    'detail-type': 'profile.updated',
    account: '1',
    time: 't',
    region: 'r',
    resources: [],
    detail: { trigger, profile },
  };
}

const needs = (rules: readonly Rule[]) => busNeedsOf(rules.map((candidate) => compileRule(candidate)));
const feeds = (rules: Rule[]) =>
  ruleFeedPatterns(needs(rules).feed).map((pattern) => {
    const compiled = compilePattern(pattern);
    if (!compiled.ok) throw new Error(compiled.error.message);
    return compiled.value;
  });

describe('rule filters pushed down into the bus', () => {
  const rules = [
    rule('orders', { 'detail-type': ['order.completed'] }),
    rule('big-euro', { 'detail-type': ['order.completed'], detail: { properties: { total: { currency: ['EUR'] } } } }),
    rule('vip', { 'detail-type': ['customer.upserted'] }, { conditions: { orderCount: [{ numeric: ['>=', 5] }] } }),
    rule('off', { 'detail-type': ['cart.updated'] }, { enabled: false }),
  ];
  const events = [
    profileUpdated({ source: 'nudge.intake', 'detail-type': 'order.completed', detail: { properties: { total: { currency: 'USD' } } } }, { orderCount: 1 }),
    profileUpdated({ source: 'nudge.intake', 'detail-type': 'customer.upserted', detail: {} }, { orderCount: 1 }),
    profileUpdated({ source: 'nudge.intake', 'detail-type': 'customer.upserted', detail: {} }, { orderCount: 7 }),
    profileUpdated({ source: 'nudge.intake', 'detail-type': 'cart.updated', detail: {} }, { orderCount: 7 }),
  ];

  it('lets through exactly the updates some enabled rule wants', () => {
    const patterns = feeds(rules);
    const wanted = (event: (typeof events)[number]) =>
      rules.some((candidate) => {
        const compiled = compileRule(candidate);
        return (
          candidate.enabled &&
          compiled.trigger.patterns.some(({ pattern }) => matches(pattern, event.detail.trigger)) &&
          (!compiled.conditions || matches(compiled.conditions, event.detail.profile))
        );
      });
    expect(events.map((event) => patterns.some((pattern) => matches(pattern, event)))).toEqual(events.map(wanted));
    expect(events.map(wanted)).toEqual([true, false, true, false]);
  });

  it('splits the union across bus rules to stay within EventBridge’s pattern size, losing no rule', () => {
    const many = Array.from({ length: 300 }, (_, index) =>
      rule(`r${index}`, { 'detail-type': ['order.completed'], detail: { properties: { orderId: [`order-${index}`] } } }),
    );
    const patterns = ruleFeedPatterns(needs(many).feed);
    expect(patterns.length).toBeGreaterThan(1);
    for (const pattern of patterns) expect(JSON.stringify(pattern).length).toBeLessThanOrEqual(maxEventPatternLength);
    const compiled = feeds(many);
    for (const index of [0, 150, 299]) {
      const event = profileUpdated({ source: 'nudge.intake', 'detail-type': 'order.completed', detail: { properties: { orderId: `order-${index}` } } }, {});
      expect(compiled.filter((pattern) => matches(pattern, event))).toHaveLength(1);
    }
    const subscriptions = subscriptionsFor(needs(many)).filter((subscription) => subscription.consumer === 'rules');
    expect(new Set(subscriptions.map((subscription) => subscription.id)).size).toBe(patterns.length);
  });

  it('sends every update to a rule whose filter alone is too large to push down', () => {
    const huge = rule('huge', { detail: { properties: { orderId: Array.from({ length: 400 }, (_, index) => `order-${index}`) } } });
    expect(ruleFeedPatterns(needs([huge]).feed)).toEqual([{ source: ['nudge.profiles'], 'detail-type': ['profile.updated'] }]);
  });

  it('does not invoke the rules service at all when no rule is enabled', () => {
    expect(subscriptionsFor(needs([rules[3] as Rule])).map((subscription) => subscription.consumer)).toEqual([
      'profiles',
      'enrichment',
      'profiles',
      'profiles',
      'profiles',
      'dispatch',
      'measurement',
      'measurement',
      'feedback',
    ]);
  });
});

describe('what is put on the bus at all', () => {
  const identify = (orderCount: number) => profileUpdated({ source: 'nudge.intake', 'detail-type': 'customer.upserted', detail: {} }, { orderCount });
  const order = profileUpdated({ source: 'nudge.intake', 'detail-type': 'order.completed', detail: { properties: {} } }, { orderCount: 1 });

  it('leaves out a profile update nothing subscribes to, and puts one a rule or measurement wants', () => {
    const none = wantedOnBus(subscriptionsFor(needs([])));
    // Measurement attributes orders to the messages before them, whatever the rules.
    expect([none(identify(1)), none(order)]).toEqual([false, true]);
    const vip = wantedOnBus(
      subscriptionsFor(needs([rule('vip', { 'detail-type': ['customer.upserted'] }, { conditions: { orderCount: [{ numeric: ['>=', 5] }] } })])),
    );
    expect([vip(identify(1)), vip(identify(5)), vip(order)]).toEqual([false, true, true]);
  });

  it('puts what other functions take from the bus, whatever the rules', () => {
    const none = wantedOnBus(subscriptionsFor(needs([])));
    const event = (source: string, detailType: string, detail: Record<string, unknown> = {}) => ({ source, 'detail-type': detailType, detail });
    expect(none(event('nudge.profiles', 'profile.merged'))).toBe(true);
    expect(none(event('nudge.catalogue', 'product.back-in-stock'))).toBe(true);
    expect(none(event('nudge.rules', 'message.requested'))).toBe(true);
    // SES's events come on the account's default bus, not Nudge's.
    expect(none(event('aws.ses', 'Email Delivered', { eventType: 'Delivery' }))).toBe(false);
  });
});
