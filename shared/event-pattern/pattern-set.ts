import type { CompiledPattern, Condition, Test } from './compile.js';
import { consistentTrails, satisfiesAny } from './match.js';
import { compileReader, type EventReader, type EventSlots, type LeafValue, type PathNode } from './reader.js';

/**
 * Many event patterns matched against one event at a time, at a cost that grows with the patterns
 * that could match rather than with all of them. The same answers as `matches` on each pattern
 * (the rules' tests and the benchmark check this), found in three steps:
 *
 * 1. The event is read once, by code generated for the paths the patterns name (see reader.ts);
 *    nothing else of it is copied, and the buffers it is read into are reused from event to event.
 * 2. Each branch of each pattern is filed under its `detail-type` (nearly every rule names one)
 *    and under its most selective condition a map can answer: an exact value, a lower-cased
 *    value, or a prefix or suffix (a wildcard's literal start or end counts). Only the branches
 *    filed under the event's own values are looked at.
 * 3. Equal conditions are one condition: a rule set repeats the same shop, locale or threshold
 *    many times, and each distinct condition is decided at most once per event.
 *
 * Not re-entrant: `match` uses per-instance buffers, so one set serves one caller at a time
 * (a Lambda handles one event at a time).
 */

type Value = LeafValue;

/** A distinct condition (path and alternatives), shared by every branch that states it. */
interface SharedCondition {
  readonly id: number;
  readonly slot: number;
  readonly tests: readonly Test[];
  /** `exists: false` among the alternatives: holds when the event has no value at the path. */
  readonly holdsWhenAbsent: boolean;
  /** The event it was last decided for, and the verdict: 0 fails, 1 holds outside arrays, 2 holds only inside arrays. */
  decidedFor: number;
  verdict: 0 | 1 | 2;
  /** With verdict 2: the trails of the values that satisfy it (the first `hitCount`), reused between events. */
  readonly hits: (readonly number[])[];
  hitCount: number;
}

interface Target<T> {
  readonly value: T;
  /** The event it was last found for, so it is reported once however many branches match. */
  foundFor: number;
}

/** Branches with the same look-up and the same conditions, of one pattern or of many: decided once. */
interface Branch<T> {
  readonly targets: Target<T>[];
  /** The conditions left to check once the index proposed this branch. */
  readonly verify: readonly SharedCondition[];
  /**
   * The condition the look-up answered, left out of `verify`; still needed when conditions met
   * only inside arrays must be met in one element together.
   */
  readonly answered: SharedCondition | undefined;
  checkedFor: number;
}

type ByValue<K, T> = Map<K, Branch<T>[]>;

interface Affixes<T> {
  readonly kind: 'prefix' | 'suffix';
  readonly slot: number;
  readonly ignoreCase: boolean;
  /** By length, so every indexed prefix (or suffix) of a value is one map look-up. */
  readonly byLength: Map<number, ByValue<string, T>>;
}

interface Bucket<T> {
  readonly exact: Map<number, ByValue<Value, T>>;
  readonly lower: Map<number, ByValue<string, T>>;
  readonly affixes: Map<string, Affixes<T>>;
  /** Branches with nothing a map can answer: always checked. */
  readonly scanned: Branch<T>[];
}

interface ExactIndex<K, T> {
  readonly slot: number;
  readonly byValue: ByValue<K, T>;
}

interface FrozenAffixes<T> {
  readonly kind: 'prefix' | 'suffix';
  readonly slot: number;
  readonly ignoreCase: boolean;
  /** Ascending, with the map of each length at the same position in `byLength`. */
  readonly lengths: readonly number[];
  readonly byLength: readonly ByValue<string, T>[];
}

/** A bucket as arrays, which iterate faster than maps on the hot path. */
interface FrozenBucket<T> {
  readonly exact: readonly ExactIndex<Value, T>[];
  readonly lower: readonly ExactIndex<string, T>[];
  readonly affixes: readonly FrozenAffixes<T>[];
  readonly scanned: readonly Branch<T>[];
}

/** How a branch is looked up: one of its conditions whose alternatives a map can answer. */
type Key = { readonly condition: Condition; readonly answers: boolean } & (
  | { readonly kind: 'exact'; readonly values: readonly Value[] }
  | { readonly kind: 'lower'; readonly values: readonly string[] }
  | { readonly kind: 'prefix' | 'suffix'; readonly ignoreCase: boolean; readonly values: readonly string[] }
);

const typePath = 'detail-type';

function exactValues(tests: readonly Test[]): Value[] | undefined {
  const values: Value[] = [];
  for (const test of tests) {
    if (test.kind !== 'string' && test.kind !== 'number' && test.kind !== 'literal') return undefined;
    values.push(test.value);
  }
  return values;
}

/** The key a condition offers, if every one of its alternatives can be looked up the same way. */
function keyOf(condition: Condition): Key | undefined {
  const { tests } = condition;
  const exact = exactValues(tests);
  if (exact) return { condition, answers: true, kind: 'exact', values: exact };
  if (tests.every((test) => test.kind === 'equals-ignore-case'))
    return { condition, answers: true, kind: 'lower', values: tests.map((test) => (test as { value: string }).value) };
  for (const kind of ['prefix', 'suffix'] as const) {
    const affixes = tests.map((test) => {
      if (test.kind === kind && test.value !== '') return { value: test.value, ignoreCase: test.ignoreCase };
      if (test.kind === 'wildcard') {
        const literal = kind === 'prefix' ? test.literalPrefix : test.literalSuffix;
        return literal === '' ? undefined : { value: literal, ignoreCase: false };
      }
      return undefined;
    });
    // Stryker disable next-line BooleanLiteral: when the first alternative has no affix, no key is made either way.
    const ignoreCase = affixes[0]?.ignoreCase ?? false;
    if (affixes.every((affix) => affix !== undefined && affix.ignoreCase === ignoreCase)) {
      const values = affixes.map((affix) => (affix as { value: string }).value);
      return { condition, answers: tests.every((test) => test.kind === kind), kind, ignoreCase, values };
    }
  }
  return undefined;
}

const keyTexts = (key: Key): string[] => key.values.map((value) => `${key.kind}\u0000${key.condition.path}\u0000${typeof value}:${String(value)}`);

/** Text that is equal for equal tests, so equal conditions can be shared. */
function testText(test: Test): string {
  switch (test.kind) {
    case 'string':
    case 'number':
    case 'literal':
      return `${test.kind}:${JSON.stringify(test.value)}`;
    case 'prefix':
    case 'suffix':
      return `${test.kind}:${test.ignoreCase}:${JSON.stringify(test.value)}`;
    case 'equals-ignore-case':
      return `eic:${JSON.stringify(test.value)}`;
    case 'wildcard':
      return `wildcard:${test.regex.source}`;
    case 'numeric':
      // Stryker disable next-line StringLiteral,EqualityOperator: the text only has to be equal for equal tests and differ otherwise; swapped or renamed marks still do.
      return `numeric:${test.amounts === true ? 'amounts:' : ''}${test.bounds.map((bound) => `${bound.operator}${bound.value}`).join(',')}`;
    case 'cidr':
      return `cidr:${test.text}`;
    case 'exists':
      return `exists:${test.value}`;
    case 'anything-but':
      // Stryker disable next-line StringLiteral: each excluded test's text ends in a quote or a number, so joined without a separator they still differ.
      return `anything-but:[${test.excluded.map(testText).join('|')}]`;
  }
}

const newBucket = <T>(): Bucket<T> => ({ exact: new Map(), lower: new Map(), affixes: new Map(), scanned: [] });

function freeze<T>(bucket: Bucket<T>): FrozenBucket<T> {
  return {
    exact: [...bucket.exact].map(([slot, byValue]) => ({ slot, byValue })),
    lower: [...bucket.lower].map(([slot, byValue]) => ({ slot, byValue })),
    affixes: [...bucket.affixes.values()].map(({ kind, slot, ignoreCase, byLength }) => {
      const lengths = [...byLength.keys()].sort((a, b) => a - b);
      return { kind, slot, ignoreCase, lengths, byLength: lengths.map((length) => byLength.get(length) as ByValue<string, T>) };
    }),
    scanned: bucket.scanned,
  };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  // Stryker disable next-line ConditionalExpression: the always replacement: a branch listed twice is tested once (checkedFor).
  else if (!list.includes(value)) list.push(value);
}

export class PatternSet<T> {
  // Stryker disable next-line UnaryOperator: the root is no path: its slot is never read.
  private readonly root: PathNode = { children: new Map(), slot: -1 };
  private readonly byType = new Map<string, FrozenBucket<T>>();
  private readonly anyType: FrozenBucket<T>;
  private readonly typeSlot: number;

  /** Scratch space for the array-consistency check, reused. */
  // Stryker disable next-line ArrayDeclaration: scratch space, emptied before each use.
  private readonly inArrays: SharedCondition[] = [];
  // Stryker disable next-line ArrayDeclaration: scratch space, written before it is read.
  private readonly picked: (readonly number[])[] = [];
  private readonly slots: EventSlots = { event: 0, filledFor: [], count: [], values: [], trails: [] };
  private readonly reader: EventReader;
  /** What the last match looked at: the index's promise (cost grows with what could match) made countable. */
  // Stryker disable next-line ObjectLiteral: match() sets both counters before it counts.
  private readonly work = { branches: 0, conditions: 0 };

  constructor(entries: readonly { readonly pattern: CompiledPattern; readonly value: T }[]) {
    const conditions = new Map<string, SharedCondition>();
    const share = (condition: Condition): SharedCondition => {
      const slot = this.slotFor(condition.path);
      // Stryker disable next-line StringLiteral: the separator: each test's text begins with its kind and quotes its value, so joined without one, lists still differ.
      const text = `${slot}\u0000${condition.tests.map(testText).join('\u0001')}`;
      let shared = conditions.get(text);
      if (shared === undefined) {
        const holdsWhenAbsent = condition.tests.some((test) => test.kind === 'exists' && !test.value);
        // Stryker disable next-line ArrayDeclaration: hits are read only up to hitCount, after they are written.
        shared = { id: conditions.size, slot, tests: condition.tests, holdsWhenAbsent, decidedFor: 0, verdict: 0, hits: [], hitCount: 0 };
        conditions.set(text, shared);
      }
      return shared;
    };
    this.typeSlot = this.slotFor(typePath);

    const popularity = new Map<string, number>();
    for (const { pattern } of entries) {
      for (const branch of pattern.branches) {
        for (const condition of branch) {
          const key = keyOf(condition);
          if (key) for (const text of keyTexts(key)) popularity.set(text, (popularity.get(text) ?? 0) + 1);
        }
      }
    }

    const byType = new Map<string, Bucket<T>>();
    const anyType = newBucket<T>();
    const groups = new Map<string, Branch<T>>();
    for (const { pattern, value } of entries) {
      const target: Target<T> = { value, foundFor: 0 };
      for (const branch of pattern.branches) {
        const typeCondition = branch.find((condition) => condition.path === typePath);
        const exactTypes = typeCondition ? exactValues(typeCondition.tests) : undefined;
        // Buckets are keyed by text: a pattern naming a non-text detail-type is simply not bucketed.
        const types = exactTypes?.every((type) => typeof type === 'string') ? exactTypes : undefined;
        const rest = types === undefined ? branch : branch.filter((condition) => condition !== typeCondition);
        const key = selectiveKey(rest, popularity);
        const answered = key?.answers ? share(key.condition) : undefined;
        const verify = rest.map(share).filter((condition) => condition !== answered);
        const lookUp = key === undefined ? 'scan' : `${key.kind}:${share(key.condition).id}`;
        const shape = `${lookUp}|${answered?.id ?? ''}|${verify.map((condition) => condition.id).join(',')}`;
        for (const type of types ?? [undefined]) {
          const groupKey = `${type ?? '\u0000any'}|${shape}`;
          const existing = groups.get(groupKey);
          if (existing !== undefined) {
            // Stryker disable next-line ConditionalExpression: the always replacement: a rule listed twice in a branch is found once (foundFor).
            if (!existing.targets.includes(target)) existing.targets.push(target);
            continue;
          }
          const group: Branch<T> = { targets: [target], verify, answered, checkedFor: 0 };
          groups.set(groupKey, group);
          let bucket = anyType;
          if (type !== undefined) {
            bucket = byType.get(String(type)) ?? newBucket<T>();
            byType.set(String(type), bucket);
          }
          this.file(bucket, key, group);
        }
      }
    }
    for (const [type, bucket] of byType) this.byType.set(type, freeze(bucket));
    this.anyType = freeze(anyType);
    this.reader = compileReader(this.root, this.slots);
  }

  /** The values of the patterns that match the event, each once. */
  match(event: unknown): T[] {
    this.work.branches = 0;
    this.work.conditions = 0;
    this.reader(event);
    const current = this.slots.event;
    const found: T[] = [];
    const typeCount = this.present(this.typeSlot);
    const types = this.slots.values[this.typeSlot] as Value[];
    for (let index = 0; index < typeCount; index++) {
      const bucket = this.byType.get(String(types[index]));
      if (bucket !== undefined) this.visit(bucket, current, found);
    }
    this.visit(this.anyType, current, found);
    return found;
  }

  /** How many branches the last match tested, and how many distinct conditions it decided. */
  lastWork(): { readonly branches: number; readonly conditions: number } {
    return { ...this.work };
  }

  /** How many values the current event has at a slot. */
  private present(slot: number): number {
    const slots = this.slots;
    return slots.filledFor[slot] === slots.event ? (slots.count[slot] as number) : 0;
  }

  private slotFor(path: string): number {
    let node = this.root;
    for (const segment of path.split('.')) {
      let child = node.children.get(segment);
      if (child === undefined) {
        child = { children: new Map(), slot: -1 };
        node.children.set(segment, child);
      }
      node = child;
    }
    if (node.slot < 0) {
      const slots = this.slots;
      node.slot = slots.values.length;
      // Stryker disable next-line ArrayDeclaration: a slot's values are read only up to the count the reader wrote for the current event.
      slots.values.push([]);
      // Stryker disable next-line ArrayDeclaration: a slot's trails are read only up to the count the reader wrote for the current event.
      slots.trails.push([]);
      slots.filledFor.push(0);
      slots.count.push(0);
    }
    return node.slot;
  }

  private visit(bucket: FrozenBucket<T>, current: number, found: T[]): void {
    const allValues = this.slots.values;
    this.consider(bucket.scanned, current, found);
    for (let index = 0; index < bucket.exact.length; index++) {
      const { slot, byValue } = bucket.exact[index] as ExactIndex<Value, T>;
      const count = this.present(slot);
      const values = allValues[slot] as Value[];
      for (let v = 0; v < count; v++) this.consider(byValue.get(values[v] as Value), current, found);
    }
    for (let index = 0; index < bucket.lower.length; index++) {
      const { slot, byValue } = bucket.lower[index] as ExactIndex<string, T>;
      const count = this.present(slot);
      const values = allValues[slot] as Value[];
      for (let v = 0; v < count; v++) {
        const value = values[v];
        if (typeof value === 'string') this.consider(byValue.get(value.toLowerCase()), current, found);
      }
    }
    for (let index = 0; index < bucket.affixes.length; index++) {
      const affix = bucket.affixes[index] as FrozenAffixes<T>;
      const count = this.present(affix.slot);
      const values = allValues[affix.slot] as Value[];
      for (let v = 0; v < count; v++) {
        const raw = values[v];
        if (typeof raw !== 'string') continue;
        const value = affix.ignoreCase ? raw.toLowerCase() : raw;
        for (let l = 0; l < affix.lengths.length; l++) {
          const length = affix.lengths[l] as number;
          // Stryker disable next-line ConditionalExpression: a value shorter than an affix never equals it; the break only saves work.
          if (value.length < length) break;
          const text = affix.kind === 'prefix' ? value.slice(0, length) : value.slice(value.length - length);
          this.consider((affix.byLength[l] as ByValue<string, T>).get(text), current, found);
        }
      }
    }
  }

  private consider(branches: readonly Branch<T>[] | undefined, current: number, found: T[]): void {
    if (branches === undefined) return;
    for (let index = 0; index < branches.length; index++) {
      const branch = branches[index] as Branch<T>;
      if (branch.checkedFor === current) continue;
      branch.checkedFor = current;
      this.work.branches++;
      const targets = branch.targets;
      if (targets.length === 1 && (targets[0] as Target<T>).foundFor === current) continue;
      if (!this.holds(branch, current)) continue;
      for (let t = 0; t < targets.length; t++) {
        const target = targets[t] as Target<T>;
        if (target.foundFor === current) continue;
        target.foundFor = current;
        found.push(target.value);
      }
    }
  }

  /** Whether every condition holds, with the conditions met only inside arrays met in one element of each array. */
  private holds(branch: Branch<T>, current: number): boolean {
    const conditions = branch.verify;
    let arrayOnly = 0;
    for (let index = 0; index < conditions.length; index++) {
      const verdict = this.decide(conditions[index] as SharedCondition, current);
      if (verdict === 0) return false;
      if (verdict === 2) arrayOnly++;
    }
    const answered = branch.answered;
    if (arrayOnly > 0 && answered !== undefined && this.decide(answered, current) === 2) arrayOnly++;
    // Stryker disable next-line ConditionalExpression: the never replacement: with fewer than two conditions in arrays, the consistency check always holds.
    if (arrayOnly < 2) return true;
    const inArrays = this.inArrays;
    inArrays.length = 0;
    for (let index = 0; index < conditions.length; index++) {
      const condition = conditions[index] as SharedCondition;
      if (condition.verdict === 2) inArrays.push(condition);
    }
    if (answered?.verdict === 2) inArrays.push(answered);
    return consistentHits(inArrays, 0, this.picked, 0);
  }

  private decide(condition: SharedCondition, current: number): 0 | 1 | 2 {
    if (condition.decidedFor === current) return condition.verdict;
    condition.decidedFor = current;
    this.work.conditions++;
    let verdict: 0 | 1 | 2 = 0;
    const count = this.present(condition.slot);
    if (count === 0) {
      verdict = condition.holdsWhenAbsent ? 1 : 0;
    } else {
      const values = this.slots.values[condition.slot] as Value[];
      const trails = this.slots.trails[condition.slot] as (readonly number[])[];
      let hits = 0;
      for (let index = 0; index < count; index++) {
        if (satisfiesAny(condition.tests, values[index] as Value)) {
          const trail = trails[index] as readonly number[];
          if (trail.length === 0) {
            verdict = 1;
            break;
          }
          verdict = 2;
          condition.hits[hits++] = trail;
        }
      }
      condition.hitCount = hits;
    }
    condition.verdict = verdict;
    return verdict;
  }

  private file(bucket: Bucket<T>, key: Key | undefined, branch: Branch<T>): void {
    if (key === undefined) {
      bucket.scanned.push(branch);
      return;
    }
    const slot = this.slotFor(key.condition.path);
    switch (key.kind) {
      case 'exact': {
        const byValue = bucket.exact.get(slot) ?? new Map<Value, Branch<T>[]>();
        bucket.exact.set(slot, byValue);
        for (const value of key.values) push(byValue, value, branch);
        return;
      }
      case 'lower': {
        const byValue = bucket.lower.get(slot) ?? new Map<string, Branch<T>[]>();
        bucket.lower.set(slot, byValue);
        for (const value of key.values) push(byValue, value, branch);
        return;
      }
      default: {
        const id = `${key.kind}\u0000${slot}\u0000${key.ignoreCase}`;
        const affixes = bucket.affixes.get(id) ?? { kind: key.kind, slot, ignoreCase: key.ignoreCase, byLength: new Map() };
        bucket.affixes.set(id, affixes);
        for (const value of key.values) {
          const byText = affixes.byLength.get(value.length) ?? new Map<string, Branch<T>[]>();
          affixes.byLength.set(value.length, byText);
          push(byText, value, branch);
        }
      }
    }
  }
}

/**
 * Whether one satisfying value can be picked for each condition from `from` on, consistently with
 * the `depth` picks so far: no two in different elements of the same array.
 */
function consistentHits(conditions: readonly SharedCondition[], from: number, picked: (readonly number[])[], depth: number): boolean {
  const condition = conditions[from];
  if (condition === undefined) return true;
  for (let hit = 0; hit < condition.hitCount; hit++) {
    const trail = condition.hits[hit] as readonly number[];
    let fits = true;
    for (let other = 0; other < depth && fits; other++) fits = consistentTrails(trail, picked[other] as readonly number[]);
    if (!fits) continue;
    picked[depth] = trail;
    if (consistentHits(conditions, from + 1, picked, depth + 1)) return true;
  }
  return false;
}

/** The condition whose values the fewest branches share; exact values win ties. */
function selectiveKey(branch: readonly Condition[], popularity: ReadonlyMap<string, number>): Key | undefined {
  let best: { key: Key; cost: number } | undefined;
  for (const condition of branch) {
    const key = keyOf(condition);
    if (key === undefined) continue;
    const cost = keyTexts(key).reduce<number>((sum, text) => sum + (popularity.get(text) ?? 0), 0) + (key.kind === 'exact' ? 0 : 0.5);
    if (best === undefined || cost < best.cost) best = { key, cost };
  }
  return best?.key;
}
