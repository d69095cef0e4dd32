import { isIPv4, isIPv6 } from 'node:net';
import { type CompiledPattern, type Condition, compilePattern, type PatternError, type Test } from './compile.js';

/** A leaf value of the event and, for values inside arrays, which element of which array it sits in. */
export interface Leaf {
  readonly value: string | number | boolean | null;
  /** Pairs of (array id, element index), outermost first; empty outside arrays. */
  readonly trail: readonly number[];
}

/** An event flattened once into dotted paths, so many patterns can test it cheaply. */
export type FlatEvent = ReadonlyMap<string, readonly Leaf[]>;

const noTrail: readonly number[] = [];

/**
 * Flattens nested objects into dotted paths ("detail.state.status"), as EventBridge does, so a
 * key with a dot in the event and a nested key in the pattern meet (and the other way round).
 */
export function flattenEvent(event: unknown): FlatEvent {
  const leaves = new Map<string, Leaf[]>();
  let nextArrayId = 0;
  const walk = (value: unknown, path: string, trail: readonly number[]): void => {
    if (Array.isArray(value)) {
      const arrayId = nextArrayId++;
      value.forEach((item, index) => {
        walk(item, path, [...trail, arrayId, index]);
      });
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) walk(child, path === '' ? key : `${path}.${key}`, trail);
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) {
      const list = leaves.get(path);
      const leaf = { value, trail };
      if (list === undefined) leaves.set(path, [leaf]);
      else list.push(leaf);
    }
  };
  walk(event, '', noTrail);
  return leaves;
}

export function testValue(test: Test, value: Leaf['value']): boolean {
  switch (test.kind) {
    case 'string':
    case 'number':
    case 'literal':
      return value === test.value;
    case 'prefix':
      return typeof value === 'string' && (test.ignoreCase ? value.toLowerCase() : value).startsWith(test.value);
    case 'suffix':
      return typeof value === 'string' && (test.ignoreCase ? value.toLowerCase() : value).endsWith(test.value);
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === test.value;
    case 'wildcard':
      return typeof value === 'string' && test.regex.test(value);
    case 'numeric':
      return typeof value === 'number' && test.bounds.every((bound) => compareNumber(value, bound.operator, bound.value));
    case 'cidr':
      return typeof value === 'string' && (test.family === 'ipv4' ? isIPv4(value) : isIPv6(value)) && test.range.check(value, test.family);
    case 'exists':
      return test.value;
    case 'anything-but':
      return !test.excluded.some((excluded) => testValue(excluded, value));
  }
}

function compareNumber(value: number, operator: string, bound: number): boolean {
  switch (operator) {
    case '=':
      return value === bound;
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '>':
      return value > bound;
    default:
      return value >= bound;
  }
}

const absentAllowed = Symbol('absent-allowed');

/** Leaves that satisfy the condition, `absentAllowed` if its absence does, or undefined if it fails. */
function satisfyingLeaves(condition: Condition, leaves: readonly Leaf[] | undefined): readonly Leaf[] | typeof absentAllowed | undefined {
  if (leaves === undefined || leaves.length === 0) {
    return condition.tests.some((test) => test.kind === 'exists' && !test.value) ? absentAllowed : undefined;
  }
  const hits = leaves.filter((leaf) => condition.tests.some((test) => testValue(test, leaf.value)));
  return hits.length > 0 ? hits : undefined;
}

/** Two leaves can be matched together unless they sit in different elements of the same array. */
function consistent(a: Leaf, b: Leaf): boolean {
  for (let i = 0; i < a.trail.length; i += 2) {
    for (let j = 0; j < b.trail.length; j += 2) {
      if (a.trail[i] === b.trail[j] && a.trail[i + 1] !== b.trail[j + 1]) return false;
    }
  }
  return true;
}

function branchMatches(branch: readonly Condition[], event: FlatEvent): boolean {
  const choices: (readonly Leaf[])[] = [];
  for (const condition of branch) {
    const hits = satisfyingLeaves(condition, event.get(condition.path));
    if (hits === undefined) return false;
    if (hits !== absentAllowed && !hits.some((leaf) => leaf.trail.length === 0)) choices.push(hits);
  }
  // Conditions met outside any array are consistent with everything; only array leaves need a joint pick.
  if (choices.length <= 1) return true;
  const picked: Leaf[] = [];
  const pick = (index: number): boolean => {
    const options = choices[index];
    if (options === undefined) return true;
    for (const leaf of options) {
      if (picked.every((other) => consistent(leaf, other))) {
        picked.push(leaf);
        if (pick(index + 1)) return true;
        picked.pop();
      }
    }
    return false;
  };
  return pick(0);
}

export function matchesFlat(pattern: CompiledPattern, event: FlatEvent): boolean {
  return pattern.branches.some((branch) => branchMatches(branch, event));
}

export function matches(pattern: CompiledPattern, event: unknown): boolean {
  return matchesFlat(pattern, flattenEvent(event));
}

/** TestEventPattern, as the AWS API has it: a verdict, or why the pattern is invalid. */
export function testEventPattern(pattern: unknown, event: unknown): { ok: true; result: boolean } | { ok: false; error: PatternError } {
  const compiled = compilePattern(pattern);
  if (!compiled.ok) return compiled;
  return { ok: true, result: matches(compiled.pattern, event) };
}
