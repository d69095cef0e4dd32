import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { geofencesSchemaPath, geofencesSchemaText, ruleSchemaPath, ruleSchemaText } from '../../cli/rule-schema.js';

/**
 * Marketers' editors check and complete rule files with the JSON Schemas in schema/: the limits
 * and descriptions they show must be the ones Nudge applies when it loads the rules.
 */
describe('the rule and geofence schemas editors use', () => {
  const root = join(import.meta.dirname, '..', '..');

  it('are the schemas the rules are loaded with', () => {
    expect(readFileSync(join(root, ruleSchemaPath), 'utf8')).toBe(ruleSchemaText());
    expect(readFileSync(join(root, geofencesSchemaPath), 'utf8')).toBe(geofencesSchemaText());
  });
});
