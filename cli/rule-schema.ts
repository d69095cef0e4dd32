import { z } from 'zod';
import { DispatchPolicy } from '#services/dispatch/core/gate.js';
import { GeofencesFile } from '#services/rules/core/geofence.js';
import { Rule } from '#services/rules/core/rule.js';

/** The JSON Schema of a rule file, generated from the zod schema so editors complete and check rules. */
export function ruleJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(Rule, { io: 'input', unrepresentable: 'any' }),
    $id: 'nudge-rule.schema.json',
    title: 'Nudge rule',
    description: 'A marketing rule: when it fires, who qualifies, and what is sent. See the README, "Rules and templates".',
  };
}

export const ruleSchemaPath = 'schema/rule.schema.json';

export function ruleSchemaText(): string {
  return `${JSON.stringify(ruleJsonSchema(), null, 2)}\n`;
}

export const geofencesSchemaPath = 'schema/geofences.schema.json';

/** The JSON Schema of rules/geofences.json. */
export function geofencesSchemaText(): string {
  const schema = {
    ...z.toJSONSchema(GeofencesFile, { io: 'input', unrepresentable: 'any' }),
    $id: 'nudge-geofences.schema.json',
    title: 'Nudge geofences',
    description: 'Places that place rules watch: circles or polygons, with a hysteresis band. See the README, "Time, place and sequence".',
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

export const dispatchSchemaPath = 'schema/dispatch.schema.json';

/** The JSON Schema of config/dispatch.json: consent, caps, quiet hours and the channels' senders, with what each means. */
export function dispatchSchemaText(): string {
  const schema = {
    ...z.toJSONSchema(DispatchPolicy, { io: 'input', unrepresentable: 'any' }),
    $id: 'nudge-dispatch.schema.json',
    title: 'Nudge dispatch policy',
    description: 'What every marketing message must pass, whatever rule asked for it. See the README, "Send gate".',
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}
