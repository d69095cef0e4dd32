import type { Condition } from '../../../shared/event-pattern/compile.js';
import { type FlatEvent, matchesFlat } from '../../../shared/event-pattern/index.js';
import type { CompiledRule } from './rule.js';

type ExactValue = string | number | boolean | null;

/** Values of a condition that only tests exact values, or undefined if it tests anything else. */
function exactValues(condition: Condition): ExactValue[] | undefined {
  const values: ExactValue[] = [];
  for (const test of condition.tests) {
    if (test.kind !== 'string' && test.kind !== 'number' && test.kind !== 'literal') return undefined;
    values.push(test.value);
  }
  return values;
}

const valueKey = (value: ExactValue): string => `${typeof value}:${String(value)}`;

interface Bucket {
  /** path → exact value → rules that need that value there. */
  readonly byField: Map<string, Map<string, CompiledRule[]>>;
  /** Rules with no exact field to index on: always checked. */
  readonly scanned: CompiledRule[];
}

const newBucket = (): Bucket => ({ byField: new Map(), scanned: [] });

/**
 * Finds the rules an event could fire, so cost grows with those rules, not with all rules.
 * Rules are bucketed by the detail-types their pattern requires, then indexed on their most
 * selective exact-value field (the field whose values are rarest among the rules); the index only
 * proposes candidates, and each candidate is still matched in full.
 */
export class RuleIndex {
  private readonly byType = new Map<string, Bucket>();
  private readonly anyType = newBucket();

  constructor(readonly rules: readonly CompiledRule[]) {
    const enabled = rules.filter(({ rule }) => rule.enabled);
    const fieldPopularity = this.countFieldValues(enabled);
    for (const rule of enabled) {
      const branches = rule.eventPattern.branches;
      const typeConditions = branches.map((branch) => branch.find((condition) => condition.path === 'detail-type'));
      const typeValues = typeConditions.every((condition) => condition !== undefined)
        ? typeConditions.map((condition) => exactValues(condition as Condition))
        : undefined;
      const types = typeValues?.every((values) => values !== undefined) ? new Set(typeValues.flat().map(String)) : undefined;
      const buckets = types === undefined ? [this.anyType] : [...types].map((type) => this.bucketFor(type));
      const key = branches.length === 1 ? this.selectiveField(branches[0] ?? [], fieldPopularity) : undefined;
      for (const bucket of buckets) {
        if (key === undefined) {
          bucket.scanned.push(rule);
          continue;
        }
        const byValue = bucket.byField.get(key.path) ?? new Map<string, CompiledRule[]>();
        bucket.byField.set(key.path, byValue);
        for (const value of key.values) {
          const list = byValue.get(valueKey(value)) ?? [];
          list.push(rule);
          byValue.set(valueKey(value), list);
        }
      }
    }
  }

  /** Rules whose event pattern matches the flattened trigger event. */
  matching(event: FlatEvent): CompiledRule[] {
    const found: CompiledRule[] = [];
    const seen = new Set<CompiledRule>();
    const consider = (rule: CompiledRule) => {
      if (seen.has(rule)) return;
      seen.add(rule);
      if (matchesFlat(rule.eventPattern, event)) found.push(rule);
    };
    const visit = (bucket: Bucket) => {
      for (const rule of bucket.scanned) consider(rule);
      for (const [path, byValue] of bucket.byField) {
        for (const leaf of event.get(path) ?? []) {
          for (const rule of byValue.get(valueKey(leaf.value)) ?? []) consider(rule);
        }
      }
    };
    for (const leaf of event.get('detail-type') ?? []) {
      const bucket = this.byType.get(String(leaf.value));
      if (bucket) visit(bucket);
    }
    visit(this.anyType);
    return found;
  }

  private bucketFor(type: string): Bucket {
    const bucket = this.byType.get(type) ?? newBucket();
    this.byType.set(type, bucket);
    return bucket;
  }

  /** How many rules ask for each (path, value): the index key should be a value few rules share. */
  private countFieldValues(rules: readonly CompiledRule[]): Map<string, number> {
    const counts = new Map<string, number>();
    for (const rule of rules) {
      for (const branch of rule.eventPattern.branches) {
        for (const condition of branch) {
          for (const value of exactValues(condition) ?? []) {
            const key = `${condition.path}\u0000${valueKey(value)}`;
            counts.set(key, (counts.get(key) ?? 0) + 1);
          }
        }
      }
    }
    return counts;
  }

  private selectiveField(branch: readonly Condition[], popularity: Map<string, number>): { path: string; values: ExactValue[] } | undefined {
    let best: { path: string; values: ExactValue[]; cost: number } | undefined;
    for (const condition of branch) {
      if (condition.path === 'detail-type') continue;
      const values = exactValues(condition);
      if (values === undefined) continue;
      const cost = values.reduce<number>((sum, value) => sum + (popularity.get(`${condition.path}\u0000${valueKey(value)}`) ?? 0), 0);
      if (best === undefined || cost < best.cost) best = { path: condition.path, values, cost };
    }
    return best;
  }
}

/** The baseline the index is measured against: every enabled rule, tested in turn. */
export function matchingByScan(rules: readonly CompiledRule[], event: FlatEvent): CompiledRule[] {
  return rules.filter(({ rule, eventPattern }) => rule.enabled && matchesFlat(eventPattern, event));
}
