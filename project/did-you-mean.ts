import { z } from 'zod';

/** Every property name a schema knows, at any depth (a rule's fields, its trigger's, its conditions'). */
export function knownKeys(schema: z.ZodType): ReadonlySet<string> {
  const keys = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const properties = (node as { properties?: unknown }).properties;
    if (typeof properties === 'object' && properties !== null) for (const key of Object.keys(properties)) keys.add(key);
    for (const value of Object.values(node)) visit(value);
  };
  visit(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }));
  return keys;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** The known key a misspelt one most likely meant: within two edits (one for short words), or none. */
export function closestKey(key: string, known: ReadonlySet<string>): string | undefined {
  const allowed = key.length <= 4 ? 1 : 2;
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key, candidate);
    if (distance <= allowed && (best === undefined || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

/** A zod issue's message, with "did you mean" after each unrecognised key that is close to a known one. */
export function issueMessage(issue: z.core.$ZodIssue, known: () => ReadonlySet<string>): string {
  if (issue.code !== 'unrecognized_keys') return issue.message;
  const keys = issue.keys.map((key) => {
    const meant = closestKey(key, known());
    return meant === undefined ? `"${key}"` : `"${key}" (did you mean "${meant}"?)`;
  });
  return `Unrecognized key${keys.length === 1 ? '' : 's'}: ${keys.join(', ')}`;
}
