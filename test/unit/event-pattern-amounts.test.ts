import { compilePattern, matches, readingAmounts } from '#shared/event-pattern/index.js';
import { PatternSet } from '#shared/event-pattern/pattern-set.js';

/**
 * Money travels as decimal strings ("64.90"). A rule's `numeric` condition reads them exactly, as
 * rules see them; EventBridge's own syntax compares JSON numbers only.
 */
const amountRule = (numeric: unknown[]) => {
  const compiled = compilePattern({ total: { amount: [{ numeric }] } });
  if (!compiled.ok) throw new Error(compiled.error.message);
  return readingAmounts(compiled.value);
};
const order = (amount: unknown) => ({ total: { amount } });

describe('numeric conditions on amounts written as decimal strings', () => {
  it('compares an amount exactly, with no float in between', () => {
    expect(matches(amountRule(['>', 100]), order('100.01'))).toBe(true);
    expect(matches(amountRule(['>', 100]), order('100.00'))).toBe(false);
    expect(matches(amountRule(['>=', 0.3]), order('0.30'))).toBe(true);
    expect(matches(amountRule(['=', 0.3]), order('0.3'))).toBe(true);
    expect(matches(amountRule(['<', 0.3]), order('0.29999999999999999'))).toBe(true);
    expect(matches(amountRule(['<', 10.35]), order('10.34999999999999999'))).toBe(true);
    expect(matches(amountRule(['>', -10.35]), order('-10.34999999999999999'))).toBe(true);
    expect(matches(amountRule(['>', -5]), order('-4.5'))).toBe(true);
    expect(matches(amountRule(['>', -5]), order('-5.5'))).toBe(false);
    expect(matches(amountRule(['>', 50, '<=', 100]), order('100'))).toBe(true);
    expect(matches(amountRule(['>', 50, '<=', 100]), order('100.5'))).toBe(false);
    expect(matches(amountRule(['>', 50, '<=', 100]), order('50'))).toBe(false);
  });

  it('reads only plain decimals: no exponent, sign, spaces, thousands separator or missing digits', () => {
    for (const text of ['1e3', '+150', ' 150', '150 ', '1,500', '150.', '.5', '--5', 'abc', '', '15O'])
      expect({ text, matched: matches(amountRule(['>', 0]), order(text)) }).toEqual({ text, matched: false });
    expect(matches(amountRule(['>', 0]), order('7'))).toBe(true);
    expect(matches(amountRule(['>', 0]), order('7.5'))).toBe(true);
  });

  it('compares against a bound written with an exponent by its value', () => {
    expect(matches(amountRule(['>', 1e3]), order('1000.5'))).toBe(true);
    expect(matches(amountRule(['>', 1e21]), order('999'))).toBe(false);
    expect(matches(amountRule(['<', 1e21]), order('999'))).toBe(true);
  });

  it('still compares JSON numbers, and a text without the amounts reading matches nothing', () => {
    expect(matches(amountRule(['>', 100]), order(150))).toBe(true);
    const plain = compilePattern({ total: { amount: [{ numeric: ['>', 100] }] } });
    expect(plain.ok && matches(plain.value, order('150'))).toBe(false);
  });

  it('gives the indexed set the same answers, and keeps a condition reading amounts apart from one that does not', () => {
    const plain = compilePattern({ total: { amount: [{ numeric: ['>', 100] }] } });
    if (!plain.ok) throw new Error('pattern');
    const set = new PatternSet([
      { pattern: amountRule(['>', 100]), value: 'amounts' },
      { pattern: plain.value, value: 'numbers' },
    ]);
    expect(set.match(order('150'))).toEqual(['amounts']);
    expect(set.match(order(150))).toEqual(['amounts', 'numbers']);
  });
});

describe('conditions on elements of nested arrays', () => {
  const pattern = (value: object) => {
    const compiled = compilePattern(value);
    if (!compiled.ok) throw new Error(compiled.error.message);
    return compiled.value;
  };
  const orders = {
    orders: [
      { id: 'o1', items: [{ sku: 'a', qty: 1 }] },
      { id: 'o2', items: [{ sku: 'b', qty: 5 }] },
    ],
  };

  it('meets conditions on an order and on its items in that order, never across two orders', () => {
    const rule = pattern({ orders: { id: ['o2'], items: { sku: ['a'] } } });
    expect(matches(rule, orders)).toBe(false);
    expect(new PatternSet([{ pattern: rule, value: 'rule' }]).match(orders)).toEqual([]);
    const right = pattern({ orders: { id: ['o2'], items: { sku: ['b'] } } });
    expect(matches(right, orders)).toBe(true);
    expect(new PatternSet([{ pattern: right, value: 'rule' }]).match(orders)).toEqual(['rule']);
  });

  it('meets two conditions on one item jointly', () => {
    expect(matches(pattern({ orders: { items: { sku: ['a'], qty: [{ numeric: ['>', 2] }] } } }), orders)).toBe(false);
    expect(matches(pattern({ orders: { items: { sku: ['b'], qty: [{ numeric: ['>', 2] }] } } }), orders)).toBe(true);
  });
});
