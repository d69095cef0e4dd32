import { z } from 'zod';
import { decimalPattern } from './common.js';
import { covers, triggerEvents } from './index.js';
import { Profile } from './profile.js';

/**
 * What the contracts say a field holds, for the checks of a rule against them (`nudge rules
 * validate`) and for what the rules give EventBridge to filter on. The JSON Schemas are made
 * once, when first asked.
 */

export type JsonSchema = Record<string, unknown>;
export type Segment = string | number;

/** What a rule's event pattern and template may refer to: each customer event's detail, and the profile. */
let detailSchemaByContract: Map<string, JsonSchema> | undefined;
const schemaByContract = () => {
  detailSchemaByContract ??= new Map(
    triggerEvents.map((contract) => [contract.detailType, z.toJSONSchema(contract.schema, { unrepresentable: 'any' }) as JsonSchema]),
  );
  return detailSchemaByContract;
};
/** The detail schema of a detail-type, including the members of a family (`custom.Song Played`). */
export const detailSchemas = {
  get: (type: string) => {
    const contract = triggerEvents.find((candidate) => covers(candidate, type));
    return contract === undefined ? undefined : schemaByContract().get(contract.detailType);
  },
  has: (type: string) => triggerEvents.some((candidate) => covers(candidate, type)),
  keys: () => schemaByContract().keys(),
};
let profileJsonSchema: JsonSchema | undefined;
export const profileSchema = () => (profileJsonSchema ??= z.toJSONSchema(Profile) as JsonSchema);
/** Whether a JSON Schema admits a value at this path; arrays are looked through, as patterns do. */
export function schemaHas(node: unknown, path: readonly Segment[]): boolean {
  if (path.length === 0) return true;
  if (typeof node !== 'object' || node === null) return false;
  const schema = node as JsonSchema;
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const options = schema[key];
    if (Array.isArray(options)) return options.some((option) => schemaHas(option, path));
  }
  const [head, ...rest] = path;
  if (schema.type === 'array' || schema.items !== undefined) return schemaHas(schema.items, typeof head === 'number' ? rest : path);
  const properties = schema.properties as Record<string, unknown> | undefined;
  if (properties && typeof head === 'string' && head in properties) return schemaHas(properties[head], rest);
  const additional = schema.additionalProperties;
  if (additional !== undefined && additional !== false) return schemaHas(additional, rest);
  // A schema that says nothing (z.unknown) admits anything.
  return schema.type === undefined && properties === undefined;
}

export type FieldKind = 'object' | 'number' | 'amount' | 'text' | 'boolean' | 'any';

/** What a JSON Schema holds at this path: the kinds of value a pattern condition there meets. */
export function fieldKinds(node: unknown, path: readonly Segment[]): Set<FieldKind> {
  const kinds = new Set<FieldKind>();
  const visit = (schemaNode: unknown, rest: readonly Segment[]): void => {
    if (typeof schemaNode !== 'object' || schemaNode === null) return;
    const schema = schemaNode as JsonSchema;
    for (const key of ['anyOf', 'oneOf', 'allOf']) {
      const options = schema[key];
      if (Array.isArray(options)) {
        for (const option of options) visit(option, rest);
        return;
      }
    }
    if (schema.type === 'array' || schema.items !== undefined) {
      visit(schema.items, rest);
      return;
    }
    if (rest.length > 0) {
      const [head, ...tail] = rest;
      const properties = schema.properties as Record<string, unknown> | undefined;
      if (properties && typeof head === 'string' && head in properties) visit(properties[head], tail);
      else if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) visit(schema.additionalProperties, tail);
      else if (schema.type === undefined && properties === undefined) kinds.add('any');
      return;
    }
    if (schema.type === 'object' || schema.properties !== undefined) kinds.add('object');
    else if (schema.type === 'number' || schema.type === 'integer') kinds.add('number');
    else if (schema.type === 'string') kinds.add(schema.pattern === decimalPattern.source ? 'amount' : 'text');
    else if (schema.type === 'boolean') kinds.add('boolean');
    else kinds.add('any');
  };
  visit(node, path);
  return kinds;
}
