import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { fail, ok, type Result } from '../result.js';
import { childPath } from './paths.js';

/**
 * EventBridge's event-pattern language, compiled once into plain tests.
 * Semantics follow the EventBridge user guide ("Comparison operators for use in event patterns",
 * "Matching on arrays", "Matching on null values and empty strings") and real EventBridge answers
 * in test/conformance/event-patterns.
 */

export type Test =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'literal'; readonly value: boolean | null }
  | { readonly kind: 'prefix'; readonly value: string; readonly ignoreCase: boolean }
  | { readonly kind: 'suffix'; readonly value: string; readonly ignoreCase: boolean }
  | { readonly kind: 'equals-ignore-case'; readonly value: string }
  /** `literalPrefix`/`literalSuffix`: the text before the first and after the last `*`, for indexing. */
  | { readonly kind: 'wildcard'; readonly regex: RegExp; readonly literalPrefix: string; readonly literalSuffix: string }
  /** `amounts`: also compares decimal strings ("64.90"), exactly; set by `readingAmounts`, never by EventBridge's own syntax. */
  | { readonly kind: 'numeric'; readonly bounds: readonly NumericBound[]; readonly amounts?: boolean }
  /** `text`: the range as written, so equal conditions can be recognised. */
  | { readonly kind: 'cidr'; readonly range: BlockList; readonly family: 'ipv4' | 'ipv6'; readonly text: string }
  | { readonly kind: 'exists'; readonly value: boolean }
  | { readonly kind: 'anything-but'; readonly excluded: readonly Test[] };

export type NumericOperator = '=' | '<' | '<=' | '>' | '>=';
export interface NumericBound {
  readonly operator: NumericOperator;
  readonly value: number;
  /** The bound as an exact decimal string, to compare amounts with; absent for one written with an exponent. */
  readonly decimal?: string;
}

/** One field condition: the flattened path and its alternatives (any one may match). */
export interface Condition {
  readonly path: string;
  readonly tests: readonly Test[];
}

/** A compiled pattern: `$or` expanded, so it matches when every condition of any branch holds. */
export interface CompiledPattern {
  readonly branches: readonly (readonly Condition[])[];
}

export interface PatternError {
  /** JSON path in the pattern, such as `detail.state[0].prefix`. */
  readonly path: string;
  readonly message: string;
}

export type CompileResult = Result<CompiledPattern, PatternError>;

class InvalidPattern extends Error {
  constructor(
    readonly at: string,
    message: string,
  ) {
    super(message);
  }
}

/** Most `*` a wildcard may hold; EventBridge rejects more as "too complex" (see README, Rules). */
const maxWildcardStars = 5;

/**
 * The pattern with its `numeric` conditions also comparing amounts written as decimal strings
 * ("64.90", as money is on the bus and in profiles), exactly, as the rules read them. EventBridge
 * itself compares only JSON numbers, so what it is given of a rule leaves such conditions out.
 */
export function readingAmounts(pattern: CompiledPattern): CompiledPattern {
  // "anything-but" never holds a numeric test (it takes values, prefixes, suffixes and wildcards).
  const withAmounts = (test: Test): Test => (test.kind === 'numeric' ? { ...test, amounts: true } : test);
  return { branches: pattern.branches.map((branch) => branch.map((condition) => ({ ...condition, tests: condition.tests.map(withAmounts) }))) };
}

export function compilePattern(pattern: unknown): CompileResult {
  try {
    if (!isPlainObject(pattern)) throw new InvalidPattern('', 'an event pattern must be a JSON object');
    if (Object.keys(pattern).length === 0) throw new InvalidPattern('', 'an event pattern must have at least one field');
    return ok({ branches: compileObject(pattern, []) });
  } catch (error) {
    if (error instanceof InvalidPattern) return fail({ path: error.at, message: error.message });
    throw error;
  }
}

function compileObject(object: Record<string, unknown>, prefix: readonly string[]): Condition[][] {
  let branches: Condition[][] = [[]];
  for (const [key, value] of Object.entries(object)) {
    const at = [...prefix, key];
    let fieldBranches: Condition[][];
    if (key === '$or') {
      fieldBranches = compileOr(value, prefix, at);
    } else if (Array.isArray(value)) {
      fieldBranches = [[{ path: at.reduce(childPath, ''), tests: compileLeaf(value, at) }]];
    } else if (isPlainObject(value)) {
      if (Object.keys(value).length === 0) throw new InvalidPattern(jsonPath(at), 'an object in a pattern must have at least one field');
      fieldBranches = compileObject(value, at);
    } else {
      throw new InvalidPattern(jsonPath(at), 'a field in a pattern must be an array of values or an object, such as ["value"]');
    }
    branches = branches.flatMap((branch) => fieldBranches.map((extra) => [...branch, ...extra]));
  }
  return branches;
}

function compileOr(value: unknown, prefix: readonly string[], at: readonly string[]): Condition[][] {
  if (!Array.isArray(value) || value.length < 2) throw new InvalidPattern(jsonPath(at), '"$or" must be an array of at least two patterns');
  return value.flatMap((alternative, index) => {
    if (!isPlainObject(alternative) || Object.keys(alternative).length === 0) {
      throw new InvalidPattern(`${jsonPath(at)}[${index}]`, 'each "$or" alternative must be a non-empty object');
    }
    return compileObject(alternative, prefix);
  });
}

function compileLeaf(values: readonly unknown[], at: readonly string[]): Test[] {
  if (values.length === 0) throw new InvalidPattern(jsonPath(at), 'an array of values in a pattern must not be empty');
  return values.map((value, index) => compileValue(value, `${jsonPath(at)}[${index}]`));
}

function compileValue(value: unknown, at: string): Test {
  if (typeof value === 'string') return { kind: 'string', value };
  if (typeof value === 'number') return { kind: 'number', value: finite(value, at) };
  if (typeof value === 'boolean' || value === null) return { kind: 'literal', value };
  if (!isPlainObject(value)) throw new InvalidPattern(at, 'a value must be a string, number, boolean, null or an operator object');
  const entries = Object.entries(value);
  const [entry] = entries;
  if (entry === undefined || entries.length !== 1) throw new InvalidPattern(at, 'an operator object must have exactly one operator, such as { "prefix": "a" }');
  const [operator, operand] = entry;
  const operandAt = `${at}.${operator}`;
  switch (operator) {
    case 'prefix':
    case 'suffix':
      return compileAffix(operator, operand, operandAt, false);
    case 'equals-ignore-case':
      return { kind: 'equals-ignore-case', value: requireString(operand, operandAt, '"equals-ignore-case" must be a string').toLowerCase() };
    case 'wildcard':
      return compileWildcard(operand, operandAt);
    case 'numeric':
      return compileNumeric(operand, operandAt);
    case 'cidr':
      return compileCidr(operand, operandAt);
    case 'exists':
      if (typeof operand !== 'boolean') throw new InvalidPattern(operandAt, '"exists" must be true or false');
      return { kind: 'exists', value: operand };
    case 'anything-but':
      return { kind: 'anything-but', excluded: compileAnythingBut(operand, operandAt) };
    default:
      throw new InvalidPattern(at, `unknown operator "${operator}"; use prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, cidr or exists`);
  }
}

function compileAffix(kind: 'prefix' | 'suffix', operand: unknown, at: string, forbidEmpty: boolean): Test {
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    const inner = operand['equals-ignore-case'];
    if (keys.length !== 1 || inner === undefined) throw new InvalidPattern(at, `"${kind}" takes a string or { "equals-ignore-case": string }`);
    const value = requireString(inner, `${at}.equals-ignore-case`, `"${kind}" with "equals-ignore-case" must be a string`);
    return { kind, value: value.toLowerCase(), ignoreCase: true };
  }
  const value = requireString(operand, at, `"${kind}" must be a string`);
  if (forbidEmpty && value === '') throw new InvalidPattern(at, `"${kind}" inside "anything-but" must not be empty`);
  return { kind, value, ignoreCase: false };
}

function compileWildcard(operand: unknown, at: string): Test {
  const value = requireString(operand, at, '"wildcard" must be a string');
  let source = '';
  let stars = 0;
  /** Literal text between the stars, unescaped. */
  const literals: string[] = [''];
  for (let index = 0; index < value.length; index++) {
    const char = value[index] as string;
    if (char === '\\') {
      const next = value[index + 1];
      if (next !== '*' && next !== '\\') throw new InvalidPattern(at, `invalid escape at position ${index + 1}: only \\* and \\\\ may be escaped`);
      source += escapeRegex(next);
      literals[literals.length - 1] += next;
      index++;
    } else if (char === '*') {
      if (value[index + 1] === '*') throw new InvalidPattern(at, `consecutive wildcard characters at position ${index + 1}`);
      stars++;
      source += '[\\s\\S]*';
      literals.push('');
    } else {
      source += escapeRegex(char);
      literals[literals.length - 1] += char;
    }
  }
  if (stars > maxWildcardStars) {
    throw new InvalidPattern(at, `rule is too complex: at most ${maxWildcardStars} wildcard characters per value`);
  }
  return { kind: 'wildcard', regex: new RegExp(`^${source}$`, 'u'), literalPrefix: literals[0] ?? '', literalSuffix: literals.at(-1) ?? '' };
}

function compileNumeric(operand: unknown, at: string): Test {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0 || operand.length > 4) {
    throw new InvalidPattern(at, '"numeric" takes operator and number pairs, such as [">", 0, "<=", 5]');
  }
  const bounds: NumericBound[] = [];
  for (let index = 0; index < operand.length; index += 2) {
    const operator = operand[index];
    const value = operand[index + 1];
    if (operator !== '=' && operator !== '<' && operator !== '<=' && operator !== '>' && operator !== '>=') {
      throw new InvalidPattern(`${at}[${index}]`, `unknown numeric operator ${JSON.stringify(operator)}; use =, <, <=, > or >=`);
    }
    if (typeof value !== 'number') throw new InvalidPattern(`${at}[${index + 1}]`, `"numeric" needs a number after "${operator}"`);
    const bound = finite(value, `${at}[${index + 1}]`);
    const text = String(bound);
    bounds.push({ operator, value: bound, ...(/^-?\d+(\.\d+)?$/.test(text) ? { decimal: text } : {}) });
  }
  const [first, second] = bounds;
  if (second !== undefined && first !== undefined) {
    const lower = [first, second].find((bound) => bound.operator === '>' || bound.operator === '>=');
    const upper = [first, second].find((bound) => bound.operator === '<' || bound.operator === '<=');
    if (lower === undefined || upper === undefined)
      throw new InvalidPattern(at, '"numeric" with two conditions needs one lower (> or >=) and one upper (< or <=) bound');
    if (lower.value >= upper.value) throw new InvalidPattern(at, '"numeric" lower bound must be below its upper bound');
  }
  return { kind: 'numeric', bounds };
}

function compileCidr(operand: unknown, at: string): Test {
  const value = requireString(operand, at, '"cidr" must be a string such as "10.0.0.0/24"');
  const parts = value.split('/');
  const [address, maskText] = parts;
  if (parts.length !== 2 || address === undefined || maskText === undefined || !/^\d{1,3}$/.test(maskText)) {
    throw new InvalidPattern(at, `malformed CIDR "${value}": expected address/prefix-length`);
  }
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (family === undefined) throw new InvalidPattern(at, `malformed CIDR "${value}": "${address}" is not an IP address`);
  const mask = Number(maskText);
  if (mask > (family === 'ipv4' ? 32 : 128)) throw new InvalidPattern(at, `malformed CIDR "${value}": prefix length out of range`);
  const range = new BlockList();
  range.addSubnet(address, mask, family);
  return { kind: 'cidr', range, family, text: value };
}

function compileAnythingBut(operand: unknown, at: string): Test[] {
  if (typeof operand === 'string') return [{ kind: 'string', value: operand }];
  if (typeof operand === 'number') return [{ kind: 'number', value: finite(operand, at) }];
  if (Array.isArray(operand)) {
    if (operand.length === 0) throw new InvalidPattern(at, '"anything-but" list must not be empty');
    const allStrings = operand.every((item) => typeof item === 'string');
    const allNumbers = operand.every((item) => typeof item === 'number');
    if (!allStrings && !allNumbers) throw new InvalidPattern(at, '"anything-but" list must hold only strings or only numbers');
    return operand.map((item, index) => compileValue(item, `${at}[${index}]`));
  }
  if (isPlainObject(operand)) {
    const entries = Object.entries(operand);
    const [entry] = entries;
    if (entry === undefined || entries.length !== 1) throw new InvalidPattern(at, '"anything-but" object must have exactly one operator');
    const [operator, inner] = entry;
    const innerAt = `${at}.${operator}`;
    const many = Array.isArray(inner) ? inner : [inner];
    if (many.length === 0) throw new InvalidPattern(innerAt, `"anything-but" "${operator}" list must not be empty`);
    return many.map((item, index) => {
      const itemAt = Array.isArray(inner) ? `${innerAt}[${index}]` : innerAt;
      switch (operator) {
        case 'prefix':
        case 'suffix':
          if (isPlainObject(item)) throw new InvalidPattern(itemAt, `"anything-but" "${operator}" must be a string`);
          return compileAffix(operator, item, itemAt, true);
        case 'equals-ignore-case':
          return { kind: 'equals-ignore-case', value: requireString(item, itemAt, '"anything-but" "equals-ignore-case" must be a string').toLowerCase() };
        case 'wildcard':
          return compileWildcard(item, itemAt);
        default:
          throw new InvalidPattern(innerAt, `"anything-but" does not support "${operator}"; use prefix, suffix, wildcard or equals-ignore-case`);
      }
    });
  }
  throw new InvalidPattern(at, '"anything-but" takes a string, a number, a list of either, or an operator object');
}

function requireString(value: unknown, at: string, message: string): string {
  if (typeof value !== 'string') throw new InvalidPattern(at, message);
  return value;
}

function finite(value: number, at: string): number {
  if (!Number.isFinite(value)) throw new InvalidPattern(at, 'numbers in a pattern must be finite');
  return value;
}

function escapeRegex(char: string): string {
  return char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function jsonPath(parts: readonly string[]): string {
  return parts.join('.');
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
