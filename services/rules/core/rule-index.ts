import type { Condition, Test } from '../../../shared/event-pattern/compile.js';
import { branchMatches, type FlatEvent, flattenEvent, matchesFlat, wantedPaths } from '../../../shared/event-pattern/index.js';
import type { CompiledRule } from './rule.js';

type ExactValue = string | number | boolean | null;

/** How a pattern branch is looked up: the one condition of it that the index can answer. */
/** `answers`: a hit in the map proves the condition holds (not so for a wildcard's literal end). */
type Key = { readonly condition: Condition; readonly answers: boolean } & (
  | { readonly kind: 'exact'; readonly path: string; readonly values: readonly ExactValue[] }
  | { readonly kind: 'lower'; readonly path: string; readonly values: readonly string[] }
  | { readonly kind: 'prefix' | 'suffix'; readonly path: string; readonly ignoreCase: boolean; readonly values: readonly string[] }
);

/** One look-up's verdict on a rule, shared by the entries of its branches. */
interface RuleMark {
  readonly rule: CompiledRule;
  /** The look-up that found this rule, so it is reported once. */
  found: number;
}

/** One branch of a rule's pattern, filed under one bucket and key. */
interface Entry {
  readonly mark: RuleMark;
  /**
   * What is left to check once the index proposed the branch: the branch without its detail-type
   * (the bucket answered it), or nothing when the index key was the only other condition.
   */
  readonly verify: readonly Condition[];
  /** The look-up that last checked this branch, so one look-up checks it once. */
  checked: number;
}

/** Strings by length, so a value's prefixes (or suffixes) of every indexed length are found with one map look-up each. */
type ByAffix = Map<number, Map<string, Entry[]>>;

interface Bucket {
  readonly exact: Map<string, Map<ExactValue, Entry[]>>;
  readonly lower: Map<string, Map<string, Entry[]>>;
  readonly prefix: Map<string, { readonly ignoreCase: boolean; readonly path: string; readonly byLength: ByAffix }>;
  readonly suffix: Map<string, { readonly ignoreCase: boolean; readonly path: string; readonly byLength: ByAffix }>;
  /** Branches with nothing to index on: always checked. */
  readonly scanned: Entry[];
  /** The maps above as arrays, built once: arrays iterate faster than maps on the hot path. */
  exactList: [string, Map<ExactValue, Entry[]>][];
  lowerList: [string, Map<string, Entry[]>][];
  affixList: { kind: 'prefix' | 'suffix'; path: string; ignoreCase: boolean; lengths: [number, Map<string, Entry[]>][] }[];
}

const newBucket = (): Bucket => ({
  exact: new Map(),
  lower: new Map(),
  prefix: new Map(),
  suffix: new Map(),
  scanned: [],
  exactList: [],
  lowerList: [],
  affixList: [],
});

function freeze(bucket: Bucket): void {
  bucket.exactList = [...bucket.exact];
  bucket.lowerList = [...bucket.lower];
  bucket.affixList = (['prefix', 'suffix'] as const).flatMap((kind) =>
    [...bucket[kind].values()].map((affix) => ({ kind, path: affix.path, ignoreCase: affix.ignoreCase, lengths: [...affix.byLength] })),
  );
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else if (!list.includes(value)) list.push(value);
}

function exactValues(tests: readonly Test[]): ExactValue[] | undefined {
  const values: ExactValue[] = [];
  for (const test of tests) {
    if (test.kind !== 'string' && test.kind !== 'number' && test.kind !== 'literal') return undefined;
    values.push(test.value);
  }
  return values;
}

/** The key a condition offers, if every one of its alternatives can be looked up the same way. */
function keyOf(condition: Condition): Key | undefined {
  const { path, tests } = condition;
  const exact = exactValues(tests);
  if (exact) return { condition, answers: true, kind: 'exact', path, values: exact };
  if (tests.every((test) => test.kind === 'equals-ignore-case'))
    return { condition, answers: true, kind: 'lower', path, values: tests.map((test) => (test as { value: string }).value) };
  for (const kind of ['prefix', 'suffix'] as const) {
    const affixes = tests.map((test) => {
      if (test.kind === kind && test.value !== '') return { value: test.value, ignoreCase: test.ignoreCase };
      if (test.kind === 'wildcard') {
        const literal = kind === 'prefix' ? test.literalPrefix : test.literalSuffix;
        return literal === '' ? undefined : { value: literal, ignoreCase: false };
      }
      return undefined;
    });
    const ignoreCase = affixes[0]?.ignoreCase;
    if (affixes.every((affix) => affix !== undefined && affix.ignoreCase === ignoreCase)) {
      return {
        condition,
        answers: tests.every((test) => test.kind === kind),
        kind,
        path,
        ignoreCase: ignoreCase ?? false,
        values: affixes.map((affix) => (affix as { value: string }).value),
      };
    }
  }
  return undefined;
}

const keyTexts = (key: Key): string[] => key.values.map((value) => `${key.kind}\u0000${key.path}\u0000${typeof value}:${String(value)}`);

/**
 * Finds the rules an event could fire, so cost grows with those rules, not with all rules.
 * Each branch of a rule's pattern is bucketed by the detail-types it requires, then filed under
 * its most selective condition that a map can answer: an exact value, a lower-cased value, or a
 * prefix or suffix (a wildcard's literal start or end counts). The index only proposes
 * candidates; each is still matched in full.
 */
export class RuleIndex {
  private readonly byType = new Map<string, Bucket>();
  private readonly anyType = newBucket();
  private epoch = 0;
  /** The parts of an event that some rule looks at; the rest is not flattened. */
  private readonly wanted: ReadonlySet<string>;

  constructor(readonly rules: readonly CompiledRule[]) {
    const enabled = rules.filter(({ rule }) => rule.enabled);
    this.wanted = wantedPaths([...enabled.map((rule) => rule.eventPattern), { branches: [[{ path: 'detail-type', tests: [] }]] }]);
    const popularity = new Map<string, number>();
    for (const rule of enabled) {
      for (const branch of rule.eventPattern.branches) {
        for (const condition of branch) {
          const key = keyOf(condition);
          if (key) for (const text of keyTexts(key)) popularity.set(text, (popularity.get(text) ?? 0) + 1);
        }
      }
    }
    for (const rule of enabled) {
      const mark: RuleMark = { rule, found: 0 };
      for (const branch of rule.eventPattern.branches) {
        const typeCondition = branch.find((condition) => condition.path === 'detail-type');
        const types = typeCondition ? exactValues(typeCondition.tests) : undefined;
        const buckets = types === undefined ? [this.anyType] : types.map((type) => this.bucketFor(String(type)));
        const key = this.selectiveKey(branch, popularity);
        const rest = types === undefined ? branch : branch.filter((condition) => condition !== typeCondition);
        // A key that is the only condition left was answered by the look-up itself.
        const verify = key?.answers && rest.length === 1 && rest[0] === key.condition ? [] : rest;
        for (const bucket of buckets) this.file(bucket, key, { mark, verify, checked: 0 });
      }
    }
    for (const bucket of [...this.byType.values(), this.anyType]) freeze(bucket);
  }

  /** Flattens an event for `matching`, keeping only what the rules look at. */
  flatten(event: unknown): FlatEvent {
    return flattenEvent(event, this.wanted);
  }

  /** Rules whose event pattern matches the flattened trigger event (flattened by `flatten`). */
  matching(event: FlatEvent): CompiledRule[] {
    const stamp = ++this.epoch;
    const found: CompiledRule[] = [];
    const types = event.get('detail-type');
    if (types !== undefined) {
      for (const leaf of types) {
        const bucket = this.byType.get(String(leaf.value));
        if (bucket) this.visit(bucket, event, stamp, found);
      }
    }
    this.visit(this.anyType, event, stamp, found);
    return found;
  }

  private visit(bucket: Bucket, event: FlatEvent, stamp: number, found: CompiledRule[]): void {
    this.consider(bucket.scanned, event, stamp, found);
    for (const [path, byValue] of bucket.exactList) {
      const leaves = event.get(path);
      if (leaves !== undefined) for (const leaf of leaves) this.consider(byValue.get(leaf.value), event, stamp, found);
    }
    for (const [path, byValue] of bucket.lowerList) {
      const leaves = event.get(path);
      if (leaves !== undefined)
        for (const leaf of leaves) if (typeof leaf.value === 'string') this.consider(byValue.get(leaf.value.toLowerCase()), event, stamp, found);
    }
    for (const affix of bucket.affixList) {
      const leaves = event.get(affix.path);
      if (leaves === undefined) continue;
      for (const leaf of leaves) {
        if (typeof leaf.value !== 'string') continue;
        const value = affix.ignoreCase ? leaf.value.toLowerCase() : leaf.value;
        for (const [length, byText] of affix.lengths) {
          if (value.length >= length)
            this.consider(byText.get(affix.kind === 'prefix' ? value.slice(0, length) : value.slice(value.length - length)), event, stamp, found);
        }
      }
    }
  }

  private consider(entries: readonly Entry[] | undefined, event: FlatEvent, stamp: number, found: CompiledRule[]): void {
    if (entries === undefined) return;
    for (let index = 0; index < entries.length; index++) {
      const entry = entries[index] as Entry;
      if (entry.checked === stamp || entry.mark.found === stamp) continue;
      entry.checked = stamp;
      if (entry.verify.length === 0 || branchMatches(entry.verify, event)) {
        entry.mark.found = stamp;
        found.push(entry.mark.rule);
      }
    }
  }

  private file(bucket: Bucket, key: Key | undefined, entry: Entry): void {
    if (key === undefined) {
      if (!bucket.scanned.includes(entry)) bucket.scanned.push(entry);
      return;
    }
    switch (key.kind) {
      case 'exact': {
        const byValue = bucket.exact.get(key.path) ?? new Map<ExactValue, Entry[]>();
        bucket.exact.set(key.path, byValue);
        for (const value of key.values) push(byValue, value, entry);
        return;
      }
      case 'lower': {
        const byValue = bucket.lower.get(key.path) ?? new Map<string, Entry[]>();
        bucket.lower.set(key.path, byValue);
        for (const value of key.values) push(byValue, value, entry);
        return;
      }
      default: {
        const affixes = bucket[key.kind];
        const id = `${key.path}\u0000${key.ignoreCase}`;
        const affix = affixes.get(id) ?? { path: key.path, ignoreCase: key.ignoreCase, byLength: new Map() };
        affixes.set(id, affix);
        for (const value of key.values) {
          const byText = affix.byLength.get(value.length) ?? new Map<string, Entry[]>();
          affix.byLength.set(value.length, byText);
          push(byText, value, entry);
        }
      }
    }
  }

  private bucketFor(type: string): Bucket {
    const bucket = this.byType.get(type) ?? newBucket();
    this.byType.set(type, bucket);
    return bucket;
  }

  /** The condition whose values the fewest branches share; exact values win ties. */
  private selectiveKey(branch: readonly Condition[], popularity: Map<string, number>): Key | undefined {
    let best: { key: Key; cost: number } | undefined;
    for (const condition of branch) {
      if (condition.path === 'detail-type') continue;
      const key = keyOf(condition);
      if (key === undefined) continue;
      const cost = keyTexts(key).reduce<number>((sum, text) => sum + (popularity.get(text) ?? 0), 0) + (key.kind === 'exact' ? 0 : 0.5);
      if (best === undefined || cost < best.cost) best = { key, cost };
    }
    return best?.key;
  }
}

/** The baseline the index is measured against: every enabled rule, tested in turn. */
export function matchingByScan(rules: readonly CompiledRule[], event: FlatEvent): CompiledRule[] {
  return rules.filter(({ rule, eventPattern }) => rule.enabled && matchesFlat(eventPattern, event));
}
