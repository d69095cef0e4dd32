import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import JSON5 from 'json5';
import { compilePattern, matches } from '../../shared/event-pattern/index.js';

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
    const verdict = compiled.ok ? (matches(compiled.pattern, event) ? 'match' : 'no match') : 'invalid';
    expect(verdict).toBe(expected);
  });
});
