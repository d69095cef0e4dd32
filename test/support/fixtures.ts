import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject } from '#project/load-project.js';

export const fixturesDir = join(import.meta.dirname, '..', 'fixtures');
export const projectDir = join(import.meta.dirname, '..', '..');

/** A fixture's exact bytes, as the platform sent them (signatures are over these). */
export function fixtureBytes(relativePath: string): Buffer {
  return readFileSync(join(fixturesDir, relativePath));
}

/** A fresh parsed copy, safe to change in a test. */
export function fixtureJson<T = Record<string, unknown>>(relativePath: string): T {
  return JSON.parse(fixtureBytes(relativePath).toString('utf8')) as T;
}

/** The project's own config/profiles.json, as the services load it. */
export const profileConfig = loadProject(projectDir, { checks: 'run' }).profiles;

/** A copy of the shipped project (rules, templates, config) in a temporary folder, to change in a test. */
export function copyOfProject(): string {
  const copy = mkdtempSync(join(tmpdir(), 'nudge-project-'));
  for (const folder of ['rules', 'templates', 'config']) cpSync(join(projectDir, folder), join(copy, folder), { recursive: true });
  return copy;
}

/** Writes a rule file into a project's rules/, named after its id. */
export function writeRule(dir: string, rule: { readonly id: string } & Record<string, unknown>): void {
  writeFileSync(join(dir, 'rules', `${rule.id}.json`), JSON.stringify(rule));
}
