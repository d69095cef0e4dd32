import { matchingByScan, RuleIndex } from '#services/rules/core/rule-index.js';
import { compilePattern, flattenEvent, matches, testEventPattern } from '#shared/event-pattern/index.js';
import { PatternSet } from '#shared/event-pattern/pattern-set.js';
import { generateEvents, generateRules } from '../../bench/rule-matching.js';

/** An order as it is on the bus: nested objects and an array of items. */
const order = {
  source: 'nudge.intake',
  'detail-type': 'order.completed',
  detail: {
    origin: { platform: 'shopify', shop: 'Demo-Shop.myshopify.com' },
    identity: { email: 'jon@example.com' },
    properties: {
      orderId: '820982911946154508',
      total: { amount: '404.95', currency: 'USD', value: 404.95 },
      discountCode: null,
      note: '',
      tags: ['vip', 'gift'],
      clientIp: '203.0.113.42',
      items: [
        { sku: 'SUN-AVIATOR', quantity: 1, price: 89.99, category: 'accessories' },
        { sku: 'TABLE-COFFEE', quantity: 3, price: 119.99, category: 'furniture' },
      ],
    },
  },
};

const verdict = (pattern: unknown, event: unknown = order) => {
  const result = testEventPattern(pattern, event);
  return result.ok ? result.value : `invalid: ${result.error.message}`;
};
const on = (properties: Record<string, unknown>) => ({ detail: { properties } });

describe('event-pattern operators on nested and array data', () => {
  it.each([
    ['exact string, nested', on({ total: { currency: ['USD'] } }), true],
    ['exact string is case-sensitive', on({ total: { currency: ['usd'] } }), false],
    ['exact number, in an array', on({ items: { quantity: [3] } }), true],
    ['a number does not equal its string', on({ items: { quantity: ['3'] } }), false],
    ['any of several values', on({ total: { currency: ['EUR', 'USD'] } }), true],
    ['a value in an event array', on({ tags: ['gift'] }), true],
    ['null matches null', on({ discountCode: [null] }), true],
    ['null does not match a missing field', on({ missing: [null] }), false],
    ['empty string matches empty string', on({ note: [''] }), true],
    ['prefix', on({ items: { sku: [{ prefix: 'TABLE-' }] } }), true],
    ['prefix, ignoring case', { detail: { origin: { shop: [{ prefix: { 'equals-ignore-case': 'demo-' } }] } } }, true],
    ['suffix', { detail: { origin: { shop: [{ suffix: '.myshopify.com' }] } } }, true],
    ['suffix, ignoring case', { detail: { identity: { email: [{ suffix: { 'equals-ignore-case': '@EXAMPLE.COM' } }] } } }, true],
    ['equals-ignore-case', { detail: { origin: { shop: [{ 'equals-ignore-case': 'demo-shop.MYSHOPIFY.com' }] } } }, true],
    ['wildcard', { detail: { identity: { email: [{ wildcard: '*@*.com' }] } } }, true],
    ['wildcard with an escaped star does not match', { detail: { identity: { email: [{ wildcard: 'jon\\*' }] } } }, false],
    ['anything-but a value', on({ total: { currency: [{ 'anything-but': 'EUR' }] } }), true],
    ['anything-but a list, in an array (one element differs)', on({ items: { category: [{ 'anything-but': ['furniture'] }] } }), true],
    ['anything-but numbers', on({ items: { quantity: [{ 'anything-but': [1, 3] }] } }), false],
    ['anything-but prefix', on({ total: { currency: [{ 'anything-but': { prefix: 'U' } }] } }), false],
    ['anything-but suffix', on({ total: { currency: [{ 'anything-but': { suffix: 'R' } }] } }), true],
    ['anything-but wildcard', { detail: { identity: { email: [{ 'anything-but': { wildcard: '*@example.com' } }] } } }, false],
    ['anything-but equals-ignore-case', on({ total: { currency: [{ 'anything-but': { 'equals-ignore-case': ['usd', 'eur'] } }] } }), false],
    ['anything-but needs the field', on({ missing: [{ 'anything-but': 'x' }] }), false],
    ['numeric range', on({ total: { value: [{ numeric: ['>', 100, '<=', 404.95] }] } }), true],
    ['numeric on array elements', on({ items: { price: [{ numeric: ['>=', 100] }] } }), true],
    ['numeric equality', on({ items: { quantity: [{ numeric: ['=', 3] }] } }), true],
    ['numeric never matches a numeric string', on({ total: { amount: [{ numeric: ['>', 1] }] } }), false],
    ['exists true on a leaf', on({ orderId: [{ exists: true }] }), true],
    ['exists true on an object is false', on({ total: [{ exists: true }] }), false],
    ['exists false on a missing field', on({ coupon: [{ exists: false }] }), true],
    ['exists false on a present field', on({ orderId: [{ exists: false }] }), false],
    ['cidr IPv4', on({ clientIp: [{ cidr: '203.0.113.0/24' }] }), true],
    ['cidr IPv4 outside', on({ clientIp: [{ cidr: '10.0.0.0/8' }] }), false],
    ['$or of nested alternatives', { detail: { $or: [{ properties: { total: { currency: ['EUR'] } } }, { origin: { platform: ['shopify'] } }] } }, true],
    ['$or where no alternative holds', { $or: [{ source: ['x'] }, { 'detail-type': ['y'] }] }, false],
    ['dotted key in the pattern', { 'detail.properties.total.currency': ['USD'] }, true],
    ['fields in one array element go together', on({ items: { sku: ['SUN-AVIATOR'], quantity: [3] } }), false],
    ['fields in one array element, consistent', on({ items: { sku: ['TABLE-COFFEE'], quantity: [3], category: ['furniture'] } }), true],
  ])('%s', (_name, pattern, expected) => {
    expect(verdict(pattern)).toBe(expected);
  });

  it('matches IPv6 ranges', () => {
    expect(verdict({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db8:0:0:1::1' })).toBe(true);
    expect(verdict({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db9::1' })).toBe(false);
  });

  it('matches dotted keys in the event against nested patterns', () => {
    expect(verdict({ detail: { properties: { total: { currency: ['USD'] } } } }, { detail: { 'properties.total': { currency: 'USD' } } })).toBe(true);
  });
});

describe('invalid patterns are refused with the reason and where', () => {
  it.each([
    ['a bare value', { source: 'x' }, 'array of values'],
    ['an empty list', { source: [] }, 'must not be empty'],
    ['an unknown operator', { source: [{ contains: 'x' }] }, 'unknown operator "contains"'],
    ['two operators in one object', { source: [{ prefix: 'a', suffix: 'b' }] }, 'exactly one operator'],
    ['numeric with a string', { n: [{ numeric: ['>', '1'] }] }, 'needs a number'],
    ['numeric with two lower bounds', { n: [{ numeric: ['>', 1, '>=', 2] }] }, 'one lower'],
    ['numeric with an empty range', { n: [{ numeric: ['>', 5, '<', 1] }] }, 'below its upper'],
    ['a bad CIDR', { ip: [{ cidr: '10.0.0.0/33' }] }, 'out of range'],
    ['consecutive wildcards', { s: [{ wildcard: 'a**' }] }, 'consecutive'],
    ['anything-but mixing types', { s: [{ 'anything-but': ['a', 1] }] }, 'only strings or only numbers'],
    ['anything-but with an empty prefix', { s: [{ 'anything-but': { prefix: '' } }] }, 'must not be empty'],
    ['$or with one alternative', { $or: [{ a: ['b'] }] }, 'at least two'],
    ['exists with a string', { s: [{ exists: 'yes' }] }, 'true or false'],
  ])('%s', (_name, pattern, reason) => {
    const compiled = compilePattern(pattern);
    expect(compiled.ok).toBe(false);
    if (!compiled.ok) expect(compiled.error.message).toContain(reason);
  });

  it('says where in the pattern the problem is', () => {
    const compiled = compilePattern({ detail: { n: [1, { numeric: ['>', 'x'] }] } });
    expect(compiled).toEqual({ ok: false, error: { path: 'detail.n[1].numeric[1]', message: expect.any(String) } });
  });
});

describe('the rule index', () => {
  it('finds exactly the rules that testing every rule finds', () => {
    const rules = generateRules(600, 7);
    const index = new RuleIndex(rules);
    for (const event of generateEvents(300, 9)) {
      const viaIndex = index
        .matching(event)
        .map(({ rule }) => rule.rule.id)
        .sort();
      const viaScan = matchingByScan(rules, flattenEvent(event))
        .map(({ rule }) => rule.rule.id)
        .sort();
      expect(viaIndex).toEqual(viaScan);
    }
  });

  it('agrees with matching on the whole event', () => {
    const pattern = compilePattern({ detail: { properties: { items: { category: ['furniture'] } } } });
    if (!pattern.ok) throw new Error(pattern.error.message);
    expect(matches(pattern.value, order)).toBe(true);
  });
});

describe('the indexed pattern set', () => {
  const setOf = (...patterns: object[]) =>
    new PatternSet(
      patterns.map((pattern, index) => {
        const compiled = compilePattern(pattern);
        if (!compiled.ok) throw new Error(compiled.error.message);
        return { pattern: compiled.value, value: index };
      }),
    );

  it('reads dotted keys of the event as nested keys', () => {
    const set = setOf({ detail: { state: { status: ['running'] } } });
    expect(set.match({ detail: { 'state.status': 'running' } })).toEqual([0]);
    expect(set.match({ 'detail.state': { status: 'running' } })).toEqual([0]);
    expect(set.match({ detail: { state: { status: 'stopped' } } })).toEqual([]);
  });

  it('reads only the event’s own fields, never what every object inherits', () => {
    const set = setOf({ detail: { constructor: [{ exists: true }] }, 'detail-type': ['a'] }, { detail: { toString: [{ exists: false }] } });
    expect(set.match({ 'detail-type': 'a', detail: {} })).toEqual([1]);
    expect(set.match({ 'detail-type': 'a', detail: { constructor: 'x', toString: 'y' } })).toEqual([0]);
  });

  it('matches conditions on one array element jointly, and forgets the previous event', () => {
    const set = setOf({ 'detail-type': ['order'], detail: { items: { sku: [{ prefix: 'A' }], quantity: [{ numeric: ['>=', 2] }] } } });
    const order = (items: object[]) => ({ 'detail-type': 'order', detail: { items } });
    expect(
      set.match(
        order([
          { sku: 'A1', quantity: 1 },
          { sku: 'B1', quantity: 3 },
        ]),
      ),
    ).toEqual([]);
    expect(
      set.match(
        order([
          { sku: 'B1', quantity: 1 },
          { sku: 'A1', quantity: 3 },
        ]),
      ),
    ).toEqual([0]);
    expect(set.match(order([{ sku: 'A1' }]))).toEqual([]);
    expect(set.match({ 'detail-type': 'order', detail: { items: { sku: 'A2', quantity: 2 } } })).toEqual([0]);
  });

  it('keeps the element of the looked-up value when other conditions are met in the same array', () => {
    const set = setOf({ 'detail-type': ['order'], detail: { items: { productId: ['p1'], quantity: [{ numeric: ['>=', 2] }] } } });
    const order = (items: object[]) => ({ 'detail-type': 'order', detail: { items } });
    expect(
      set.match(
        order([
          { productId: 'p1', quantity: 1 },
          { productId: 'p2', quantity: 5 },
        ]),
      ),
    ).toEqual([]);
    expect(
      set.match(
        order([
          { productId: 'p2', quantity: 1 },
          { productId: 'p1', quantity: 5 },
        ]),
      ),
    ).toEqual([0]);
  });

  it('reports every one of several patterns with the same conditions', () => {
    const set = setOf(
      { 'detail-type': ['a'], detail: { shop: ['s'] } },
      { detail: { shop: ['s'] }, 'detail-type': ['a'] },
      { 'detail-type': ['a', 'b'], detail: { shop: ['s'] } },
    );
    expect(set.match({ 'detail-type': 'a', detail: { shop: 's' } })).toEqual([0, 1, 2]);
    expect(set.match({ 'detail-type': 'b', detail: { shop: 's' } })).toEqual([2]);
  });

  it('reports a pattern once however many of its branches and values match', () => {
    const set = setOf({ $or: [{ detail: { tag: ['x', 'y'] } }, { detail: { tag: [{ prefix: 'x' }] } }] });
    expect(set.match({ detail: { tag: ['x', 'y', 'xx'] } })).toEqual([0]);
  });

  it('files a pattern with a non-text detail-type where it is still found', () => {
    const set = setOf({ 'detail-type': [5] });
    expect(set.match({ 'detail-type': 5 })).toEqual([0]);
    expect(set.match({ 'detail-type': '5' })).toEqual([]);
  });
});
