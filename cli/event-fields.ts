import { z } from 'zod';
import { CanonicalEventBase, decimalPattern } from '#shared/events/common.js';
import { detailSchemas, type JsonSchema, profileSchema } from '#shared/events/fields.js';
import { customerEvents, productSignals } from '#shared/events/index.js';

/** What a field holds, in a marketer's words, and how a rule compares it. */
function kindOf(schema: JsonSchema): string {
  for (const key of ['anyOf', 'oneOf']) {
    const options = schema[key];
    if (Array.isArray(options)) return [...new Set(options.map((option) => kindOf(option as JsonSchema)))].filter((kind) => kind !== 'nothing').join(' or ');
  }
  if (Array.isArray(schema.enum)) return `one of ${(schema.enum as unknown[]).map((value) => `"${String(value)}"`).join(', ')}`;
  if (schema.type === 'null') return 'nothing';
  if (schema.type === 'number' || schema.type === 'integer') return 'number';
  if (schema.type === 'boolean') return 'true or false';
  if (schema.type === 'string') {
    if (schema.pattern === decimalPattern.source) return 'amount (compare with numeric)';
    if (schema.format === 'date-time' || (typeof schema.pattern === 'string' && schema.pattern.includes('T'))) return 'time (ISO 8601, UTC)';
    if (schema.format === 'date') return 'date (YYYY-MM-DD)';
    return 'text';
  }
  return 'any';
}

/** Every leaf field under a JSON Schema, as the dotted paths a pattern names (arrays looked through). */
function leaves(schema: JsonSchema, prefix: string): { path: string; kind: string }[] {
  const options = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (options?.some((option) => option.type === 'object' || option.properties !== undefined)) {
    const seen = new Map<string, string>();
    for (const option of options)
      for (const leaf of leaves(option, prefix)) seen.set(leaf.path, seen.has(leaf.path) ? `${seen.get(leaf.path)} or ${leaf.kind}` : leaf.kind);
    return [...seen].map(([path, kind]) => ({ path, kind }));
  }
  if (schema.type === 'array' && schema.items !== undefined) {
    // A pattern looks through a list: a field of each item is named as if there were one.
    const inner = leaves(schema.items as JsonSchema, prefix);
    const [only] = inner;
    return inner.length === 1 && only?.path === prefix
      ? [{ path: prefix, kind: `list of ${only.kind}` }]
      : inner.map((leaf) => ({ ...leaf, kind: `${leaf.kind}, in each item` }));
  }
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (properties !== undefined) return Object.entries(properties).flatMap(([key, child]) => leaves(child, prefix === '' ? key : `${prefix}.${key}`));
  if (schema.additionalProperties !== undefined && typeof schema.additionalProperties === 'object')
    return leaves(schema.additionalProperties as JsonSchema, `${prefix}.<name>`);
  return [{ path: prefix, kind: kindOf(schema) }];
}

const table = (rows: readonly { path: string; kind: string }[]) =>
  ['| field | holds |', '| --- | --- |', ...rows.map((row) => `| \`${row.path}\` | ${row.kind} |`)].join('\n');

/**
 * The fields a rule can use, generated from the event contracts and the profile: what
 * `docs/marketers.md` shows (a test keeps the two the same) and `nudge rules fields` prints.
 */
export function eventFieldsMarkdown(): string {
  const common = leaves(z.toJSONSchema(CanonicalEventBase, { unrepresentable: 'any' }) as JsonSchema, 'detail');
  const sections = ['#### Every customer event', '', 'In `trigger.event` (and a sequence\'s steps), under `"detail-type"` and:', '', table(common)];
  for (const contract of customerEvents) {
    const schema = detailSchemas.get(contract.detailType) as JsonSchema;
    const properties = (schema.properties as Record<string, JsonSchema>).properties;
    if (properties === undefined) continue;
    sections.push('', `#### \`${contract.detailType}\``, '', table(leaves(properties, 'detail.properties')));
  }
  sections.push(
    '',
    '#### Product signals',
    '',
    'Told to each person who viewed, carted or asked about the product lately (see the catalogue in the README): `detail.eventId`, `detail.occurredAt`, `detail.origin.*`, and:',
  );
  for (const contract of productSignals) {
    const schema = detailSchemas.get(contract.detailType) as JsonSchema;
    const properties = (schema.properties as Record<string, JsonSchema>).properties as JsonSchema;
    sections.push('', `#### \`${contract.detailType}\``, '', table(leaves(properties, 'detail.properties')));
  }
  sections.push('', '#### The profile', '', 'In `conditions`, as the profile is when the message falls due:', '', table(leaves(profileSchema(), '')));
  return sections.join('\n');
}
