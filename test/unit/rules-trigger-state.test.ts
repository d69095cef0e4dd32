import { emptyTriggerState, maxDecided, type TriggerState, valuesAt, withDecided } from '#services/rules/core/trigger-state.js';

describe('what a time, place or sequence rule remembers', () => {
  it('starts with nothing seen, nowhere, no timers and nothing decided', () => {
    expect(emptyTriggerState).toEqual({ events: [], details: {}, place: undefined, timers: {}, decided: [] });
  });

  it('a decided run loses its timer and is remembered once, newest last', () => {
    const state: TriggerState = { ...emptyTriggerState, timers: { a: 1, b: 2, c: 3 }, decided: ['x', 'a'] };
    expect(withDecided(state, ['a', 'b'])).toEqual({ ...state, timers: { c: 3 }, decided: ['x', 'a', 'b'] });
    expect(state.timers).toEqual({ a: 1, b: 2, c: 3 });
  });

  it('deciding nothing changes nothing', () => {
    const state: TriggerState = { ...emptyTriggerState, timers: { a: 1 }, decided: ['x'] };
    expect(withDecided(state, [])).toBe(state);
  });

  it('remembers the newest 50 decisions', () => {
    const ids = Array.from({ length: 60 }, (_, index) => `run-${index}`);
    const state = ids.reduce((sofar, id) => withDecided(sofar, [id]), emptyTriggerState);
    expect(state.decided).toHaveLength(maxDecided);
    expect(state.decided[0]).toBe('run-10');
    expect(state.decided.at(-1)).toBe('run-59');
  });
});

describe('the values at a correlation key’s path', () => {
  const event = {
    detail: {
      properties: {
        checkoutId: 'c1',
        total: 42,
        items: [{ productId: 'p1' }, { productId: 'p2' }, { productId: 'p1' }, { productId: null }, {}],
        tags: ['a', 'b'],
        nested: [[{ id: 'deep' }]],
        flag: true,
        nothing: null,
      },
    },
  };

  it('reads a string or a number at a dotted path', () => {
    expect(valuesAt(event, 'detail.properties.checkoutId')).toEqual(['c1']);
    expect(valuesAt(event, 'detail.properties.total')).toEqual(['42']);
  });

  it('looks through arrays on the way and at the end, once per value', () => {
    expect(valuesAt(event, 'detail.properties.items.productId')).toEqual(['p1', 'p2']);
    expect(valuesAt(event, 'detail.properties.tags')).toEqual(['a', 'b']);
  });

  it('finds nothing where the path leads to no string or number', () => {
    expect(valuesAt(event, 'detail.properties.missing')).toEqual([]);
    expect(valuesAt(event, 'detail.properties.flag')).toEqual([]);
    expect(valuesAt(event, 'detail.properties.nothing')).toEqual([]);
    expect(valuesAt(event, 'detail.properties.nothing.id')).toEqual([]);
    expect(valuesAt(event, 'detail.properties')).toEqual([]);
    expect(valuesAt(event, 'detail.properties.checkoutId.length')).toEqual([]);
    expect(valuesAt(event, 'detail.properties.nested.id')).toEqual([]);
    expect(valuesAt(undefined, 'detail')).toEqual([]);
    expect(valuesAt(event, 'detail.constructor')).toEqual([]);
  });
});
