import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { DispatchPolicy } from '#services/dispatch/core/gate.js';
import { type EmailTemplate, type Layouts, parseLayout, parseTemplate } from '#services/dispatch/core/template.js';
import { defaultMeasurementConfig, MeasurementConfig } from '#services/measurement/core/config.js';
import { type ProfileConfig, ProfileConfigFile } from '#services/profiles/core/config.js';
import { type Geofence, GeofencesFile } from '#services/rules/core/geofence.js';
import { type CompiledRule, compileRule, Rule } from '#services/rules/core/rule.js';
import { parseJsonText } from '#shared/json-text.js';
import { fail, ok, type Result } from '#shared/result.js';
import { Shops } from '#shared/shops.js';
import { lintProject } from './check-project.js';
import { issueMessage, knownKeys } from './did-you-mean.js';
import { formatProblems, isWarning, type Problem } from './problem.js';

/**
 * One loader for a Nudge project (rules/, rules/geofences.json, templates/, config/): the CDK app,
 * the local runtime, the CLI and every handler at cold start read it here, so what `nudge rules
 * validate` accepts is exactly what deploys and runs. Rules are compiled once, on the way in.
 */
export interface Project {
  readonly rules: readonly CompiledRule[];
  readonly geofences: ReadonlyMap<string, Geofence>;
  readonly templates: ReadonlyMap<string, EmailTemplate>;
  /** Each template's source, for the checks of what its variables can be. */
  readonly templateSources: ReadonlyMap<string, string>;
  readonly layouts: Layouts;
  readonly dispatch: DispatchPolicy;
  readonly measurement: MeasurementConfig;
  /** What the profiles service works with, the shops' settings included. */
  readonly profiles: ProfileConfig;
  /** config/shops.json: each shop's time zone, country, language and sender. */
  readonly shops: Shops;
  /** What works, perhaps not as meant: `nudge rules validate` and `cdk synth` say it. */
  readonly warnings: readonly Problem[];
}

export interface LoadOptions {
  /** Where config/ is, if not in the project (the tests' own copies). */
  readonly configDir?: string;
  /**
   * `deploy` (the default for the CLI and cdk synth): also refuse what can never work (patterns no
   * event can match, template variables nothing supplies). `run` (handlers): what the code needs
   * to start; the deploy already refused the rest.
   */
  readonly checks?: 'deploy' | 'run';
}

export const geofencesFile = 'geofences.json';

export function readProject(root: string, options: LoadOptions = {}): Result<Project, Problem[]> {
  const configDir = options.configDir ?? join(root, 'config');
  const problems: Problem[] = [];
  const config = <S extends z.ZodType>(name: string, schema: S, fallback?: z.infer<S>): z.infer<S> | undefined => {
    const read = readJson(join(configDir, name), `config/${name}`, schema, fallback);
    if (!read.ok) problems.push(...read.error);
    return read.ok ? read.value : undefined;
  };
  const dispatch = config('dispatch.json', DispatchPolicy);
  const measurement = config('measurement.json', MeasurementConfig, defaultMeasurementConfig);
  const shops = config('shops.json', Shops, {});
  const profileFile = config('profiles.json', ProfileConfigFile);
  const profiles = profileFile === undefined || shops === undefined ? undefined : { ...profileFile, shops };

  const templatesDir = join(root, 'templates');
  const templates = new Map<string, EmailTemplate>();
  const templateSources = new Map<string, string>();
  for (const file of liquidFiles(templatesDir)) {
    const name = file.replace(/\.liquid$/, '');
    const source = readFileSync(join(templatesDir, file), 'utf8');
    try {
      templates.set(name, parseTemplate(name, source));
      templateSources.set(name, source);
    } catch (error) {
      problems.push({ file: `templates/${file}`, path: '', message: (error as Error).message });
    }
  }
  const layouts = new Map<string, ReturnType<typeof parseLayout>>();
  for (const file of liquidFiles(join(templatesDir, 'layouts'))) {
    const name = file.replace(/\.liquid$/, '');
    try {
      layouts.set(name, parseLayout(name, readFileSync(join(templatesDir, 'layouts', file), 'utf8')));
    } catch (error) {
      problems.push({ file: `templates/layouts/${file}`, path: '', message: (error as Error).message });
    }
  }
  for (const [name, template] of templates) {
    if (template.layout !== undefined && !layouts.has(template.layout) && !existsSync(join(templatesDir, 'layouts', `${template.layout}.liquid`)))
      problems.push({
        file: `templates/${name}.liquid`,
        path: 'layout',
        message: `no layout templates/layouts/${template.layout}.liquid; create it or fix the name`,
      });
  }

  const rulesDir = join(root, 'rules');
  const fences = readGeofences(rulesDir);
  if (!fences.ok) problems.push(...fences.error);
  const geofences = fences.ok ? fences.value : new Map<string, Geofence>();
  const rules = readRules(rulesDir);
  if (!rules.ok) problems.unshift(...rules.error);
  else if (fences.ok) {
    const lint = lintProject(rules.value, geofences, templateSources, rulesDir, options.checks ?? 'deploy');
    problems.push(...lint);
  }
  const warnings = problems.filter(isWarning);
  if (problems.length > warnings.length || !rules.ok || dispatch === undefined || measurement === undefined || profiles === undefined || shops === undefined)
    return fail(problems);
  return ok({ rules: rules.value, geofences, templates, templateSources, layouts, dispatch, measurement, profiles, shops, warnings });
}

/** The project, or an error that lists every problem with its file and path. */
export function loadProject(root: string, options: LoadOptions = {}): Project {
  const project = readProject(root, options);
  if (!project.ok) throw new Error(`Invalid Nudge project in ${root}; fix these first:\n${formatProblems(project.error)}`);
  return project.value;
}

/** The project a function was deployed with, where its environment says it was bundled, as it runs it (`checks: 'run'`). */
export function loadDeployedProject(env: { readonly PROJECT_DIR: string; readonly CONFIG_DIR?: string | undefined }): Project {
  return loadProject(env.PROJECT_DIR, { checks: 'run', ...(env.CONFIG_DIR ? { configDir: env.CONFIG_DIR } : {}) });
}

/** config/shops.json alone (none is no shop settings), for the commands that render one template without the whole project. */
export function readShops(root: string): Result<Shops, Problem[]> {
  return readJson(join(root, 'config', 'shops.json'), 'config/shops.json', Shops, {});
}

/** The keys a schema knows, worked out only when a file has a key it does not know. */
function lazyKnownKeys(schema: z.ZodType): () => ReadonlySet<string> {
  let keys: ReadonlySet<string> | undefined;
  return () => (keys ??= knownKeys(schema));
}
const ruleKeys = lazyKnownKeys(Rule);

function liquidFiles(directory: string): string[] {
  return existsSync(directory) ? readdirSync(directory).filter((file) => file.endsWith('.liquid')) : [];
}

function readJson<S extends z.ZodType>(path: string, file: string, schema: S, fallback?: z.infer<S>): Result<z.infer<S>, Problem[]> {
  if (!existsSync(path)) return fallback === undefined ? fail([{ file, path: '', message: 'missing; copy it from the Nudge repository' }]) : ok(fallback);
  const json = parseJsonText(readFileSync(path, 'utf8'));
  if (!json.ok) return fail([{ file, path: '', message: `not valid JSON: ${json.error}` }]);
  const parsed = schema.safeParse(json.value);
  if (parsed.success) return ok(parsed.data);
  const known = lazyKnownKeys(schema);
  return fail(parsed.error.issues.map((issue) => ({ file, path: issue.path.join('.'), message: issueMessage(issue, known) })));
}

/** Every `rules/*.json` but the geofences, parsed and compiled; problems name the file within rules/. */
export function readRules(directory: string): Result<CompiledRule[], Problem[]> {
  const files = existsSync(directory)
    ? readdirSync(directory)
        .filter((file) => file.endsWith('.json') && file !== geofencesFile)
        .sort()
    : [];
  const problems: Problem[] = [];
  const rules: CompiledRule[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const json = parseJsonText(readFileSync(join(directory, file), 'utf8'));
    if (!json.ok) {
      problems.push({ file, path: '', message: `not valid JSON: ${json.error}` });
      continue;
    }
    const parsed = Rule.safeParse(json.value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push({ file, path: issue.path.join('.'), message: issueMessage(issue, ruleKeys) });
      continue;
    }
    const earlier = seen.get(parsed.data.id);
    if (earlier !== undefined) {
      problems.push({ file, path: 'id', message: `id "${parsed.data.id}" is already used by ${earlier}` });
      continue;
    }
    seen.set(parsed.data.id, file);
    rules.push(compileRule(parsed.data, file));
  }
  return problems.length > 0 ? fail(problems) : ok(rules);
}

export function readGeofences(directory: string): Result<Map<string, Geofence>, Problem[]> {
  const read = readJson(join(directory, geofencesFile), geofencesFile, GeofencesFile, { geofences: [] });
  if (!read.ok) return read;
  const problems: Problem[] = [];
  const geofences = new Map<string, Geofence>();
  read.value.geofences.forEach((fence, index) => {
    if (geofences.has(fence.id)) problems.push({ file: geofencesFile, path: `geofences.${index}.id`, message: `id "${fence.id}" is used twice` });
    geofences.set(fence.id, fence);
  });
  return problems.length > 0 ? fail(problems) : ok(geofences);
}
