import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EmailTemplate, parseTemplate } from '../core/template.js';

/** Reads every `templates/*.liquid` once, at cold start. */
export function loadTemplates(directory: string): ReadonlyMap<string, EmailTemplate> {
  const templates = new Map<string, EmailTemplate>();
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.liquid'))) {
    const name = file.replace(/\.liquid$/, '');
    templates.set(name, parseTemplate(name, readFileSync(join(directory, file), 'utf8')));
  }
  return templates;
}
