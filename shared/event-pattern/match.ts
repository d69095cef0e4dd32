import { isIPv4, isIPv6 } from 'node:net';
import { compareDecimal } from '../money.js';
import { ok, type Result } from '../result.js';
import { type CompiledPattern, type Condition, compilePattern, type NumericBound, type PatternError, type Test } from './compile.js';
import { childPath } from './paths.js';

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
    if (typeof value === 'object' && value !== null) {
      if (Array.isArray(value)) {
        // Stryker disable next-line UpdateOperator: array ids need only differ from each other.
        const arrayId = nextArrayId++;
        // Stryker disable next-line EqualityOperator: the element after the last is undefined, which is no leaf.
        for (let index = 0; index < value.length; index++) walk(value[index], path, [...trail, arrayId, index]);
      } else {
        for (const key in value) {
          walk((value as Record<string, unknown>)[key], childPath(path, key), trail);
        }
      }
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
      if (typeof value === 'number') return test.bounds.every((bound) => compareNumber(value, bound.operator, bound.value));
      return test.amounts === true && typeof value === 'string' && decimalText.test(value) && test.bounds.every((bound) => compareAmount(value, bound));
    case 'cidr':
      return typeof value === 'string' && (test.family === 'ipv4' ? isIPv4(value) : isIPv6(value)) && test.range.check(value, test.family);
    case 'exists':
      return test.value;
    case 'anything-but':
      return !test.excluded.some((excluded) => testValue(excluded, value));
  }
}

const decimalText = /^-?\d+(\.\d+)?$/;

/** A decimal string against a bound, exactly (no float in between) when the bound has a decimal form. */
function compareAmount(value: string, bound: NumericBound): boolean {
  const order = bound.decimal === undefined ? Math.sign(Number(value) - bound.value) : compareDecimal(value, bound.decimal);
  return compareNumber(order, bound.operator, 0);
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

/** Whether a value passes any of a condition's alternatives. */
export function satisfiesAny(tests: readonly Test[], value: Leaf['value']): boolean {
  for (let index = 0; index < tests.length; index++) {
    if (testValue(tests[index] as Test, value)) return true;
  }
  return false;
}

/** Two leaves can be matched together unless they sit in different elements of the same array. */
export function consistentTrails(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i += 2) {
    for (let j = 0; j < b.length; j += 2) {
      if (a[i] === b[j] && a[i + 1] !== b[j + 1]) return false;
    }
  }
  return true;
}

/**
 * Whether one leaf can be picked for each condition (given as the trails of the leaves that
 * satisfy it) so that no two picks sit in different elements of the same array.
 */
export function someConsistentChoice(choices: readonly (readonly (readonly number[])[])[]): boolean {
  const picked: (readonly number[])[] = [];
  const pick = (index: number): boolean => {
    const options = choices[index];
    if (options === undefined) return true;
    for (const trail of options) {
      if (picked.every((other) => consistentTrails(trail, other))) {
        picked.push(trail);
        if (pick(index + 1)) return true;
        picked.pop();
      }
    }
    return false;
  };
  return pick(0);
}

/** Whether every condition of one pattern branch holds, array elements taken consistently. */
export function branchMatches(branch: readonly Condition[], event: FlatEvent): boolean {
  // Conditions met outside any array are consistent with everything. Only when two or more
  // conditions are met solely inside arrays must one element be picked for each, jointly.
  let arrayOnly: Condition[] | undefined;
  for (let c = 0; c < branch.length; c++) {
    const condition = branch[c] as Condition;
    const leaves = event.get(condition.path);
    if (leaves === undefined || leaves.length === 0) {
      if (condition.tests.some((test) => test.kind === 'exists' && !test.value)) continue;
      return false;
    }
    let hit = false;
    let hitOutsideArrays = false;
    for (let l = 0; l < leaves.length; l++) {
      const leaf = leaves[l] as Leaf;
      if (satisfiesAny(condition.tests, leaf.value)) {
        hit = true;
        if (leaf.trail.length === 0) {
          hitOutsideArrays = true;
          break;
        }
      }
    }
    if (!hit) return false;
    if (!hitOutsideArrays) {
      arrayOnly ??= [];
      arrayOnly.push(condition);
    }
  }
  if (arrayOnly === undefined || arrayOnly.length < 2) return true;
  return someConsistentChoice(
    arrayOnly.map((condition) => (event.get(condition.path) ?? []).filter((leaf) => satisfiesAny(condition.tests, leaf.value)).map((leaf) => leaf.trail)),
  );
}

export function matchesFlat(pattern: CompiledPattern, event: FlatEvent): boolean {
  const branches = pattern.branches;
  for (let index = 0; index < branches.length; index++) {
    if (branchMatches(branches[index] as readonly Condition[], event)) return true;
  }
  return false;
}

export function matches(pattern: CompiledPattern, event: unknown): boolean {
  return matchesFlat(pattern, flattenEvent(event));
}

/**
 * Why a pattern does not match: the paths of the conditions that fail, in the branch that comes
 * closest (fewest failing). Empty when it matches. For explanations, not for matching.
 */
export function unmetConditions(pattern: CompiledPattern, event: unknown): string[] {
  const flat = flattenEvent(event);
  let closest: string[] | undefined;
  for (const branch of pattern.branches) {
    if (branchMatches(branch, flat)) return [];
    const unmet = branch.filter((condition) => !branchMatches([condition], flat)).map((condition) => condition.path);
    // Each condition may hold alone while no one array element meets them together.
    const failing = unmet.length > 0 ? unmet : branch.map((condition) => condition.path);
    if (closest === undefined || failing.length < closest.length) closest = failing;
  }
  return closest ?? [];
}

/** TestEventPattern, as the AWS API has it: a verdict, or why the pattern is invalid. */
export function testEventPattern(pattern: unknown, event: unknown): Result<boolean, PatternError> {
  const compiled = compilePattern(pattern);
  if (!compiled.ok) return compiled;
  return ok(matches(compiled.value, event));
}
