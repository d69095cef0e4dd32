import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import JSON5 from 'json5';
import { compilePattern, matches } from '#shared/event-pattern/index.js';
import { PatternSet } from '#shared/event-pattern/pattern-set.js';

const casesDir = join(import.meta.dirname, '..', 'conformance', 'event-patterns');
const cases = readdirSync(casesDir)
  .filter((file) => file.endsWith('.json5'))
  .map((file) => {
    const { Event, EventPattern } = JSON5.parse(readFileSync(join(casesDir, file), 'utf8'));
    const name = file.replace(/\.json5$/, '');
    const expected = name.endsWith('_EXC') ? 'invalid' : name.endsWith('_NEG') ? 'no match' : 'match';
    return { name, event: Event, pattern: EventPattern, expected };
  });

describe('EventBridge conformance: the answers real EventBridge gave', () => {
  it('has the cases', () => {
    expect(cases.length).toBe(78);
  });

  it.each(cases)('$name: $expected', ({ event, pattern, expected }) => {
    const compiled = compilePattern(pattern);
    const verdict = compiled.ok ? (matches(compiled.value, event) ? 'match' : 'no match') : 'invalid';
    expect(verdict).toBe(expected);
  });

  // The rules service matches through the indexed set, so it must give the same answers.
  it.each(cases.filter(({ expected }) => expected !== 'invalid'))('$name through the indexed pattern set: $expected', ({ event, pattern, expected }) => {
    const compiled = compilePattern(pattern);
    if (!compiled.ok) throw new Error(compiled.error.message);
    const set = new PatternSet([{ pattern: compiled.value, value: 'rule' }]);
    // Twice, with another event between: nothing of one event may leak into the next.
    for (let round = 0; round < 2; round++) {
      expect(set.match(event).length === 1 ? 'match' : 'no match').toBe(expected);
      set.match({ source: 'other', 'detail-type': 'other', detail: {} });
    }
  });
});
