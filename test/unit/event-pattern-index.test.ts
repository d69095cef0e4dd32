import { compilePattern } from '#shared/event-pattern/compile.js';
import { cachedParentCount, childPath } from '#shared/event-pattern/paths.js';
import { PatternSet } from '#shared/event-pattern/pattern-set.js';

/**
 * The pattern index's promise: an event costs what could match it, not every rule. Each case
 * states what one match looks at (branches tested, distinct conditions decided) for rule sets a
 * shop writes: per product, per shop, per locale, by SKU prefix or e-mail domain.
 */
const setOf = (...patterns: object[]) =>
  new PatternSet(
    patterns.map((pattern, index) => {
      const compiled = compilePattern(pattern);
      if (!compiled.ok) throw new Error(compiled.error.message);
      return { pattern: compiled.value, value: index };
    }),
  );
const viewed = (properties: Record<string, unknown>, type = 'product.viewed') => ({ 'detail-type': type, detail: { properties } });
const many = <T>(count: number, make: (index: number) => T) => Array.from({ length: count }, (_, index) => make(index));

describe('the pattern index looks only where a match can be', () => {
  it('one rule per product: an event tests the one rule of its product', () => {
    const set = setOf(...many(500, (index) => ({ 'detail-type': ['product.viewed'], detail: { properties: { productId: [`p${index}`] } } })));
    expect(set.match(viewed({ productId: 'p42' }))).toEqual([42]);
    expect(set.lastWork()).toEqual({ branches: 1, conditions: 0 });
    expect(set.match(viewed({ productId: 'nothing' }))).toEqual([]);
    expect(set.lastWork()).toEqual({ branches: 0, conditions: 0 });
  });

  it('files rules under their detail-type: another type of event tests none of them', () => {
    const set = setOf(...many(50, (index) => ({ 'detail-type': ['order.completed'], detail: { properties: { total: [{ numeric: ['>', index] }] } } })));
    set.match(viewed({ total: 100 }));
    expect(set.lastWork()).toEqual({ branches: 0, conditions: 0 });
    expect(set.match(viewed({ total: 10 }, 'order.completed'))).toEqual(many(10, (index) => index));
    expect(set.lastWork()).toEqual({ branches: 50, conditions: 50 });
  });

  it('decides a condition many rules share once per event', () => {
    const set = setOf(...many(100, (index) => ({ 'detail-type': [`t${index % 2}`], detail: { shop: [{ prefix: 'rome' }], n: [{ numeric: ['>', index] }] } })));
    set.match({ 'detail-type': 't0', detail: { shop: 'rome.myshopify.com', n: 1000 } });
    expect(set.lastWork()).toEqual({ branches: 50, conditions: 50 });
  });

  it('looks up an equals-ignore-case value by its lower case', () => {
    const set = setOf(...many(100, (index) => ({ 'detail-type': ['x'], detail: { locale: [{ 'equals-ignore-case': `L${index}` }] } })));
    expect(set.match({ 'detail-type': 'x', detail: { locale: 'l7' } })).toEqual([7]);
    expect(set.lastWork()).toEqual({ branches: 1, conditions: 0 });
    expect(set.match({ 'detail-type': 'x', detail: { locale: 7 } })).toEqual([]);
  });

  it('looks up prefixes and suffixes by length, with their case, and a wildcard by its literal start and end', () => {
    const set = setOf(
      { 'detail-type': ['x'], detail: { sku: [{ prefix: 'SHOE-' }] } },
      { 'detail-type': ['x'], detail: { sku: [{ prefix: 'SH' }] } },
      { 'detail-type': ['x'], detail: { sku: [{ prefix: 'HAT-' }] } },
      { 'detail-type': ['x'], detail: { email: [{ suffix: '@example.com' }] } },
      { 'detail-type': ['x'], detail: { email: [{ suffix: { 'equals-ignore-case': '@SHOP.IT' } }] } },
      { 'detail-type': ['x'], detail: { url: [{ wildcard: 'https://*/cart' }] } },
      { 'detail-type': ['x'], detail: { sku: [{ prefix: { 'equals-ignore-case': 'boot-' } }] } },
    );
    expect(set.match({ 'detail-type': 'x', detail: { sku: 'SHOE-42' } })).toEqual([1, 0]);
    expect(set.lastWork()).toEqual({ branches: 2, conditions: 0 });
    expect(set.match({ 'detail-type': 'x', detail: { sku: 'S' } })).toEqual([]);
    expect(set.lastWork().branches).toBe(0);
    expect(set.match({ 'detail-type': 'x', detail: { sku: 'Boot-7' } })).toEqual([6]);
    expect(set.match({ 'detail-type': 'x', detail: { email: 'ada@Shop.it' } })).toEqual([4]);
    expect(set.lastWork()).toEqual({ branches: 1, conditions: 0 });
    expect(set.match({ 'detail-type': 'x', detail: { email: 'ada@example.com' } })).toEqual([3]);
    expect(set.match({ 'detail-type': 'x', detail: { url: 'https://shop.example.com/cart' } })).toEqual([5]);
    expect(set.lastWork()).toEqual({ branches: 1, conditions: 1 });
    expect(set.match({ 'detail-type': 'x', detail: { url: 'https://shop.example.com/checkout' } })).toEqual([]);
    expect(set.match({ 'detail-type': 'x', detail: { sku: 42 } })).toEqual([]);
  });

  it('tests rules it cannot file under a value (numbers, anything-but, exists) on every event of their type', () => {
    const set = setOf(
      { 'detail-type': ['x'], detail: { n: [{ numeric: ['>', 1] }] } },
      { 'detail-type': ['x'], detail: { shop: [{ 'anything-but': 'rome' }] } },
      { 'detail-type': ['x'], detail: { coupon: [{ exists: false }] } },
      { 'detail-type': ['x'], detail: { sku: [{ prefix: '' }] } },
      { 'detail-type': ['x'], detail: { sku: [{ wildcard: '*' }] } },
    );
    expect(set.match({ 'detail-type': 'x', detail: { n: 2, shop: 'milan', sku: 'a' } })).toEqual([0, 1, 2, 3, 4]);
    expect(set.lastWork()).toEqual({ branches: 5, conditions: 5 });
  });

  it('files a rule naming no detail-type with the rules of every type, and one naming several types under each', () => {
    const set = setOf(
      { detail: { shop: ['rome'] } },
      { 'detail-type': ['a', 'b'], detail: { shop: ['rome'] } },
      { 'detail-type': ['a', 7], detail: { shop: ['rome'] } },
    );
    expect(set.match({ 'detail-type': 'b', detail: { shop: 'rome' } })).toEqual([1, 0]);
    expect(set.lastWork()).toEqual({ branches: 2, conditions: 0 });
    expect(set.match({ 'detail-type': 'a', detail: { shop: 'rome' } })).toEqual([1, 0, 2]);
    expect(set.lastWork()).toEqual({ branches: 3, conditions: 1 });
    expect(set.match({ 'detail-type': 7, detail: { shop: 'rome' } })).toEqual([0, 2]);
  });

  it('groups equal branches of different rules: one test, every rule reported', () => {
    const set = setOf(...many(20, () => ({ 'detail-type': ['x'], detail: { shop: ['rome'], n: [{ numeric: ['>', 1] }] } })));
    expect(set.match({ 'detail-type': 'x', detail: { shop: 'rome', n: 5 } })).toEqual(many(20, (index) => index));
    expect(set.lastWork()).toEqual({ branches: 1, conditions: 1 });
  });

  it('counts each event on its own', () => {
    const set = setOf({ 'detail-type': ['x'], detail: { n: [{ numeric: ['>', 1] }] } });
    set.match({ 'detail-type': 'x', detail: { n: 5 } });
    set.match({ 'detail-type': 'x', detail: { n: 5 } });
    expect(set.lastWork()).toEqual({ branches: 1, conditions: 1 });
  });
});

describe('conditions that differ are never shared', () => {
  // Each pair states the same path twice with operands that differ in one way; with a third,
  // unindexable condition (numeric) on each, both branches are tested and each keeps its own answer: only the one stated matches.
  const pairs: [string, unknown, unknown, unknown, number][] = [
    ['string and number', ['5'], [5], 5, 1],
    ['true and "true"', [true], ['true'], true, 0],
    ['null and "null"', [null], ['null'], null, 0],
    ['prefix and suffix', [{ prefix: 'ab' }], [{ suffix: 'ab' }], 'abc', 0],
    ['a prefix with and without case', [{ prefix: { 'equals-ignore-case': 'AB' } }], [{ prefix: 'AB' }], 'abc', 0],
    ['equals-ignore-case values', [{ 'equals-ignore-case': 'a' }], [{ 'equals-ignore-case': 'b' }], 'A', 0],
    ['wildcards', [{ wildcard: 'a*' }], [{ wildcard: 'b*' }], 'ax', 0],
    ['numeric bounds', [{ numeric: ['>', 1] }], [{ numeric: ['>', 10] }], 5, 0],
    ['numeric operators', [{ numeric: ['>', 5] }], [{ numeric: ['>=', 5] }], 5, 1],
    ['CIDR ranges', [{ cidr: '10.0.0.0/8' }], [{ cidr: '11.0.0.0/8' }], '10.1.2.3', 0],
    ['exists and not', [{ exists: true }], [{ exists: false }], 'x', 0],
    ['anything-but lists', [{ 'anything-but': ['a'] }], [{ 'anything-but': ['b'] }], 'a', 1],
    ['anything-but prefixes', [{ 'anything-but': { prefix: 'a' } }], [{ 'anything-but': { prefix: 'b' } }], 'ax', 1],
  ];

  it.each(pairs)('%s', (_name, first, second, value, matching) => {
    const set = setOf(
      { 'detail-type': ['x'], detail: { v: first, n: [{ numeric: ['>', 0] }] } },
      { 'detail-type': ['x'], detail: { v: second, n: [{ numeric: ['>', 0] }] } },
    );
    expect(set.match({ 'detail-type': 'x', detail: { v: value, n: 1 } })).toEqual([matching]);
  });
});

describe('the cache of dotted paths', () => {
  it('holds up to 10,000 parents, never more, whatever keys events bring', () => {
    let most = 0;
    for (let index = 0; index < 20_001; index++) {
      childPath(`parent-${index}`, 'key');
      most = Math.max(most, cachedParentCount());
    }
    expect(most).toBe(10_000);
    expect(childPath('parent-1', 'key')).toBe('parent-1.key');
    expect(childPath('', 'key')).toBe('key');
  });
});

describe('what the index answers for itself, and what it checks', () => {
  it('finds true, false and null by value', () => {
    const set = setOf(
      ...many(30, (index) => ({ 'detail-type': ['x'], detail: { gift: [true], n: [{ numeric: ['>', index] }] } })),
      ...many(30, (index) => ({ 'detail-type': ['x'], detail: { gift: [null], n: [{ numeric: ['>', index] }] } })),
    );
    expect(set.match({ 'detail-type': 'x', detail: { gift: true, n: 100 } })).toHaveLength(30);
    expect(set.lastWork().branches).toBe(30);
  });

  it('looks up by the value fewest rules share, not by one every rule has', () => {
    const set = setOf(...many(50, (index) => ({ 'detail-type': ['x'], detail: { a: ['order'], z: [`sku-${index}`] } })));
    expect(set.match({ 'detail-type': 'x', detail: { a: 'order', z: 'sku-7' } })).toEqual([7]);
    expect(set.lastWork()).toEqual({ branches: 1, conditions: 1 });
  });

  it('tests a rule once per event, however many of the event’s values lead to it', () => {
    const set = setOf({ 'detail-type': ['x'], detail: { tag: ['sale', 'new'], n: [{ numeric: ['>', 0] }] } });
    expect(set.match({ 'detail-type': 'x', detail: { tag: ['sale', 'new'], n: 1 } })).toEqual([0]);
    expect(set.lastWork()).toEqual({ branches: 1, conditions: 1 });
  });

  it('decides a condition two rules share once', () => {
    const set = setOf(
      { 'detail-type': ['x'], detail: { n: [{ numeric: ['>', 0] }], m: [1] } },
      { 'detail-type': ['x'], detail: { n: [{ numeric: ['>', 0] }], m: [2] } },
    );
    expect(set.match({ 'detail-type': 'x', detail: { n: 5, m: [1, 2] } })).toEqual([0, 1]);
    expect(set.lastWork()).toEqual({ branches: 2, conditions: 1 });
  });

  it('finds each rule of a shared branch once, though one of them matched by another branch first', () => {
    const set = setOf({ 'detail-type': ['x'], $or: [{ detail: { v: ['a'] } }, { detail: { w: ['b'] } }] }, { 'detail-type': ['x'], detail: { w: ['b'] } });
    expect(set.match({ 'detail-type': 'x', detail: { v: 'a', w: 'b' } }).sort()).toEqual([0, 1]);
    expect(set.match({ 'detail-type': 'x', detail: { w: 'b' } }).sort()).toEqual([0, 1]);
  });

  it('matches an equals-ignore-case value in any case and a plain value in its own, in one list', () => {
    const set = setOf({ 'detail-type': ['x'], detail: { name: [{ 'equals-ignore-case': 'Ann' }, 'bob'] } });
    expect(set.match({ 'detail-type': 'x', detail: { name: 'ANN' } })).toEqual([0]);
    expect(set.match({ 'detail-type': 'x', detail: { name: 'bob' } })).toEqual([0]);
    expect(set.match({ 'detail-type': 'x', detail: { name: 'BOB' } })).toEqual([]);
  });

  it('matches case-sensitive and case-insensitive prefixes in one list, each its own way', () => {
    const set = setOf({ 'detail-type': ['x'], detail: { sku: [{ prefix: 'Ab' }, { prefix: { 'equals-ignore-case': 'cd' } }] } });
    expect(set.match({ 'detail-type': 'x', detail: { sku: 'CDX' } })).toEqual([0]);
    expect(set.match({ 'detail-type': 'x', detail: { sku: 'Abx' } })).toEqual([0]);
    expect(set.match({ 'detail-type': 'x', detail: { sku: 'abx' } })).toEqual([]);
  });

  it('checks a wildcard found by its literal start against the whole wildcard', () => {
    const set = setOf({ 'detail-type': ['x'], detail: { path: [{ prefix: 'ab' }, { wildcard: 'cd*z' }] } });
    expect(set.match({ 'detail-type': 'x', detail: { path: 'cdq' } })).toEqual([]);
    expect(set.match({ 'detail-type': 'x', detail: { path: 'cdqz' } })).toEqual([0]);
    expect(set.match({ 'detail-type': 'x', detail: { path: 'abq' } })).toEqual([0]);
  });

  it('finds a wildcard with no literal start beside a prefix', () => {
    const set = setOf({ 'detail-type': ['x'], detail: { path: [{ prefix: 'ab' }, { wildcard: '*z' }] } });
    expect(set.match({ 'detail-type': 'x', detail: { path: 'xyz' } })).toEqual([0]);
    expect(set.match({ 'detail-type': 'x', detail: { path: 'abq' } })).toEqual([0]);
    expect(set.match({ 'detail-type': 'x', detail: { path: 'xyq' } })).toEqual([]);
  });

  it('never lets an earlier event’s values match a later one', () => {
    const set = setOf({ 'detail-type': ['order'], detail: { tag: ['b'] } }, { detail: { tag: ['b'] } });
    expect(set.match({ 'detail-type': 'order', detail: { tag: ['a', 'b'] } })).toEqual([0, 1]);
    expect(set.match({ 'detail-type': 'order', detail: { tag: ['c'] } })).toEqual([]);
    expect(set.match({ 'detail-type': 'order', detail: { tag: 'a' } })).toEqual([]);
    expect(set.match({ detail: { tag: 'b' } })).toEqual([1]);
  });

  it('matches conditions inside one array element together with a condition outside the array', () => {
    const set = setOf({ 'detail-type': ['x'], detail: { total: [{ numeric: ['>', 0] }], items: { sku: ['a'], qty: [2] } } });
    expect(set.match({ 'detail-type': 'x', detail: { total: 5, items: [{ sku: 'a', qty: 2 }] } })).toEqual([0]);
    expect(
      set.match({
        'detail-type': 'x',
        detail: {
          total: 5,
          items: [
            { sku: 'a', qty: 1 },
            { sku: 'b', qty: 2 },
          ],
        },
      }),
    ).toEqual([]);
  });

  it('matches conditions no index can answer inside one array element', () => {
    const set = setOf({ 'detail-type': ['x'], detail: { items: { qty: [{ numeric: ['>', 1] }], price: [{ numeric: ['<', 5] }] } } });
    expect(set.match({ 'detail-type': 'x', detail: { items: [{ qty: 2, price: 3 }] } })).toEqual([0]);
    expect(
      set.match({
        'detail-type': 'x',
        detail: {
          items: [
            { qty: 2, price: 9 },
            { qty: 1, price: 3 },
          ],
        },
      }),
    ).toEqual([]);
  });

  it('keeps apart conditions that differ only in their value or in how they compare', () => {
    const set = setOf(
      { 'detail-type': ['x'], detail: { a: ['x'], n: [1], f: [true], s: [{ suffix: 'ab' }] } },
      { 'detail-type': ['x'], detail: { a: ['y'], n: [2], f: [false], s: [{ 'equals-ignore-case': 'ab' }] } },
    );
    expect(set.match({ 'detail-type': 'x', detail: { a: 'y', n: 2, f: false, s: 'AB' } })).toEqual([1]);
    expect(set.match({ 'detail-type': 'x', detail: { a: 'x', n: 1, f: true, s: 'xab' } })).toEqual([0]);
  });
});
