import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dispatchSchemaPath, dispatchSchemaText, geofencesSchemaPath, geofencesSchemaText, ruleSchemaPath, ruleSchemaText } from '../../cli/rule-schema.js';

/**
 * Marketers' editors check and complete rule files with the JSON Schemas in schema/: the limits
 * and descriptions they show must be the ones Nudge applies when it loads the rules.
 */
describe('the rule, geofence and dispatch policy schemas editors use', () => {
  const root = join(import.meta.dirname, '..', '..');

  it('are the schemas the rules and the policy are loaded with', () => {
    expect(readFileSync(join(root, ruleSchemaPath), 'utf8')).toBe(ruleSchemaText());
    expect(readFileSync(join(root, geofencesSchemaPath), 'utf8')).toBe(geofencesSchemaText());
    expect(readFileSync(join(root, dispatchSchemaPath), 'utf8')).toBe(dispatchSchemaText());
  });

  it('are named by the shipped files', () => {
    expect(JSON.parse(readFileSync(join(root, 'config', 'dispatch.json'), 'utf8')).$schema).toBe('../schema/dispatch.schema.json');
  });
});
