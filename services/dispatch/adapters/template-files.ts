import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EmailTemplate, type Layouts, parseLayout, parseTemplate } from '../core/template.js';

/** Reads every `templates/*.liquid` once, at cold start. */
export function loadTemplates(directory: string): ReadonlyMap<string, EmailTemplate> {
  const templates = new Map<string, EmailTemplate>();
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.liquid'))) {
    const name = file.replace(/\.liquid$/, '');
    templates.set(name, parseTemplate(name, readFileSync(join(directory, file), 'utf8')));
  }
  return templates;
}

/** Reads every `templates/layouts/*.liquid` once, at cold start. */
export function loadLayouts(directory: string): Layouts {
  const folder = join(directory, 'layouts');
  const layouts = new Map<string, ReturnType<typeof parseLayout>>();
  if (!existsSync(folder)) return layouts;
  for (const file of readdirSync(folder).filter((name) => name.endsWith('.liquid'))) {
    const name = file.replace(/\.liquid$/, '');
    layouts.set(name, parseLayout(name, readFileSync(join(folder, file), 'utf8')));
  }
  return layouts;
}
