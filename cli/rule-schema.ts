import { z } from 'zod';
import { DispatchPolicy } from '#services/dispatch/core/gate.js';
import { GeofencesFile } from '#services/rules/core/geofence.js';
import { Rule } from '#services/rules/core/rule.js';

/** A JSON Schema generated from a zod schema, so editors complete and check the file as Nudge reads it. */
function jsonSchema(schema: z.ZodType, id: string, title: string, description: string): Record<string, unknown> {
  return { ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }), $id: id, title, description };
}

const text = (schema: Record<string, unknown>) => `${JSON.stringify(schema, null, 2)}\n`;

/** The JSON Schema of a rule file. */
export function ruleJsonSchema(): Record<string, unknown> {
  return jsonSchema(
    Rule,
    'nudge-rule.schema.json',
    'Nudge rule',
    'A marketing rule: when it fires, who qualifies, and what is sent. See the README, "Rules and templates".',
  );
}

export const ruleSchemaPath = 'schema/rule.schema.json';

export function ruleSchemaText(): string {
  return text(ruleJsonSchema());
}

export const geofencesSchemaPath = 'schema/geofences.schema.json';

/** The JSON Schema of rules/geofences.json. */
export function geofencesSchemaText(): string {
  return text(
    jsonSchema(
      GeofencesFile,
      'nudge-geofences.schema.json',
      'Nudge geofences',
      'Places that place rules watch: circles or polygons, with a hysteresis band. See the README, "Time, place and sequence".',
    ),
  );
}

export const dispatchSchemaPath = 'schema/dispatch.schema.json';

/** The JSON Schema of config/dispatch.json: consent, caps, quiet hours and the channels' senders, with what each means. */
export function dispatchSchemaText(): string {
  return text(
    jsonSchema(
      DispatchPolicy,
      'nudge-dispatch.schema.json',
      'Nudge dispatch policy',
      'What every marketing message must pass, whatever rule asked for it. See the README, "Send gate".',
    ),
  );
}
