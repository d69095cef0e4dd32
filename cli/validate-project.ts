import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Liquid } from 'liquidjs';
import { z } from 'zod';
import { DispatchPolicy } from '../services/dispatch/core/gate.js';
import { checkSubject, parseLayout, parseTemplate } from '../services/dispatch/core/template.js';
import { MeasurementConfig } from '../services/measurement/core/config.js';
import { formatProblems, type RuleFileProblem, readRuleFiles } from '../services/rules/adapters/rule-files.js';
import type { CompiledRule } from '../services/rules/core/rule.js';
import type { CompiledPattern, Condition } from '../shared/event-pattern/compile.js';
import { covers, customerEvents } from '../shared/events/index.js';
import { Profile } from '../shared/events/profile.js';

export type Problem = RuleFileProblem;

type JsonSchema = Record<string, unknown>;
type Segment = string | number;

/** What a rule's event pattern and template may refer to: each customer event's detail, and the profile. */
const detailSchemaByContract = new Map<string, JsonSchema>(
  customerEvents.map((contract) => [contract.detailType, z.toJSONSchema(contract.schema, { unrepresentable: 'any' }) as JsonSchema]),
);
/** The detail schema of a detail-type, including the members of a family (`custom.Song Played`). */
const detailSchemas = {
  get: (type: string) => {
    const contract = customerEvents.find((candidate) => covers(candidate, type));
    return contract === undefined ? undefined : detailSchemaByContract.get(contract.detailType);
  },
  has: (type: string) => customerEvents.some((candidate) => covers(candidate, type)),
  keys: () => detailSchemaByContract.keys(),
};
const profileSchema = z.toJSONSchema(Profile) as JsonSchema;
const eventSource = customerEvents[0]?.source ?? 'nudge.intake';
/** What a rule's event pattern sees: the customer event as profiles passed it on (see profile.updated). */
const triggerFields = new Set(['source', 'detail-type', 'detail']);
const ruleVariables = new Set(['id']);

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

/** The detail-types a branch of a pattern can match, or every customer event if it does not pin one. */
function typesOf(branch: readonly Condition[]): string[] {
  const condition = branch.find((candidate) => candidate.path === 'detail-type');
  const exact = condition?.tests.every((test) => test.kind === 'string') ? condition.tests.map((test) => (test as { value: string }).value) : undefined;
  return exact ?? [...detailSchemas.keys()];
}

const onlyAbsence = (condition: Condition) => condition.tests.every((test) => test.kind === 'exists' && !test.value);

function eventPatternProblems(rule: CompiledRule, file: string): Problem[] {
  return rule.triggerPatterns.flatMap(({ path, pattern }) => patternProblems(pattern, path, file));
}

function patternProblems(pattern: CompiledPattern, patternPath: string, file: string): Problem[] {
  const problems: Problem[] = [];
  const at = (path: string) => `${patternPath}.${path}`;
  for (const branch of pattern.branches) {
    const types = typesOf(branch);
    for (const type of types) {
      if (!detailSchemas.has(type)) {
        problems.push({
          file,
          path: at('detail-type'),
          message: `can never match: no customer event is called "${type}"; known: ${[...detailSchemas.keys()].join(', ')}`,
        });
      }
    }
    for (const condition of branch) {
      if (onlyAbsence(condition)) continue;
      const [field, ...rest] = condition.path.split('.');
      if (!triggerFields.has(field ?? '')) {
        problems.push({ file, path: at(condition.path), message: 'can never match: rules see only source, detail-type and detail of the customer event' });
      } else if (field === 'source' && condition.tests.every((test) => test.kind === 'string' && test.value !== eventSource)) {
        problems.push({ file, path: at('source'), message: `can never match: customer events come from "${eventSource}"` });
      } else if (field === 'detail' && !types.some((type) => schemaHas(detailSchemas.get(type), rest))) {
        problems.push({ file, path: at(condition.path), message: `can never match: ${types.join(', ')} has no field "${rest.join('.')}"` });
      }
    }
  }
  return problems;
}

/** A sequence's correlation keys must be fields its events have, or no two events would ever be joined. */
function sequenceKeyProblems(rule: CompiledRule, file: string): Problem[] {
  const trigger = rule.trigger;
  if (trigger.kind !== 'sequence') return [];
  const keyed = [
    ...trigger.steps.map((step, index) => ({ key: step.key, pattern: step.pattern, path: `trigger.steps.${index}` })),
    ...(trigger.absent ? [{ key: trigger.absent.key, pattern: trigger.absent.pattern, path: 'trigger.absent' }] : []),
  ];
  const problems: Problem[] = [];
  for (const { key, pattern, path } of keyed) {
    if (key === undefined) continue;
    const [field, ...rest] = key.split('.');
    const types = [...new Set(pattern.branches.flatMap(typesOf))].filter((type) => detailSchemas.has(type));
    if (field !== 'detail' || !types.some((type) => schemaHas(detailSchemas.get(type), rest))) {
      const own = rule.rule.trigger.type === 'sequence' && (rule.rule.trigger as { key?: string }).key === key ? 'trigger.key' : `${path}.key`;
      problems.push({ file, path: own, message: `can never match: ${types.join(', ') || 'these events'} have no field "${key}" to correlate on` });
    }
  }
  return problems;
}

function conditionProblems(rule: CompiledRule, file: string): Problem[] {
  return (rule.conditions?.branches ?? [])
    .flat()
    .filter((condition) => !onlyAbsence(condition) && !schemaHas(profileSchema, condition.path.split('.')))
    .map((condition) => ({ file, path: `conditions.${condition.path}`, message: `can never match: profiles have no field "${condition.path}"` }));
}

const variableReader = new Liquid();

function templateVariableProblems(rule: CompiledRule, file: string, source: string): Problem[] {
  const types = [...new Set(rule.triggerPatterns.flatMap(({ pattern }) => pattern.branches.flatMap(typesOf)))].filter((type) => detailSchemas.has(type));
  const problems: Problem[] = [];
  for (const segments of variableReader.globalVariableSegmentsSync(variableReader.parse(source))) {
    const [root, ...rest] = segments as Segment[];
    const name = segments.join('.');
    const missing =
      root === 'profile'
        ? !schemaHas(profileSchema, rest)
        : root === 'event'
          ? types.length > 0 && !types.some((type) => schemaHas(detailSchemas.get(type), rest))
          : root === 'rule'
            ? rest.length > 0 && !ruleVariables.has(String(rest[0]))
            : // Dispatch supplies the unsubscribe link to marketing email (empty in transactional email).
              !(root === 'unsubscribeUrl' && rest.length === 0);
    if (missing) {
      const supplier =
        root === 'event'
          ? types.join(', ')
          : root === 'profile'
            ? 'the profile'
            : root === 'rule'
              ? 'the rule'
              : root === 'unsubscribeUrl'
                ? 'a transactional rule'
                : 'Nudge (use profile, event, rule or unsubscribeUrl)';
      problems.push({ file, path: 'template', message: `templates/${rule.rule.template}.liquid uses {{ ${name} }}, which ${supplier} cannot supply` });
    }
  }
  return problems;
}

/**
 * Everything `nudge rules validate` and `cdk synth` refuse: invalid or duplicate rules, broken or
 * missing templates, template variables nothing can supply, and patterns that can never match.
 */
export function projectProblems(projectRoot: string): Problem[] {
  const templatesDir = join(projectRoot, 'templates');
  const problems: Problem[] = configProblems(projectRoot);
  const templates = new Map<string, string>();
  for (const name of existsSync(templatesDir) ? readdirSync(templatesDir).filter((file) => file.endsWith('.liquid')) : []) {
    const source = readFileSync(join(templatesDir, name), 'utf8');
    try {
      parseTemplate(name.replace(/\.liquid$/, ''), source);
      templates.set(name.replace(/\.liquid$/, ''), source);
    } catch (error) {
      problems.push({ file: `templates/${name}`, path: '', message: (error as Error).message });
    }
  }
  const layoutsDir = join(templatesDir, 'layouts');
  const layouts = new Set<string>();
  for (const name of existsSync(layoutsDir) ? readdirSync(layoutsDir).filter((file) => file.endsWith('.liquid')) : []) {
    try {
      parseLayout(name.replace(/\.liquid$/, ''), readFileSync(join(layoutsDir, name), 'utf8'));
      layouts.add(name.replace(/\.liquid$/, ''));
    } catch (error) {
      problems.push({ file: `templates/layouts/${name}`, path: '', message: (error as Error).message });
    }
  }
  for (const [name, source] of templates) {
    const layout = parseTemplate(name, source).layout;
    if (layout !== undefined && !layouts.has(layout) && !existsSync(join(layoutsDir, `${layout}.liquid`))) {
      problems.push({ file: `templates/${name}.liquid`, path: 'layout', message: `no layout templates/layouts/${layout}.liquid; create it or fix the name` });
    }
  }
  const result = readRuleFiles(join(projectRoot, 'rules'));
  if (!result.ok) return [...result.problems, ...problems];
  for (const rule of result.rules) {
    const file = rule.file ?? `${rule.rule.id}.json`;
    problems.push(...eventPatternProblems(rule, file), ...conditionProblems(rule, file), ...sequenceKeyProblems(rule, file));
    const source = templates.get(rule.rule.template);
    const templateChannel = source === undefined ? undefined : parseTemplate(rule.rule.template, source).channel;
    if (templateChannel !== undefined && templateChannel !== rule.rule.channel) {
      problems.push({
        file,
        path: 'template',
        message: `templates/${rule.rule.template}.liquid is for ${templateChannel}, and the rule sends ${rule.rule.channel}`,
      });
    }
    if (source !== undefined) problems.push(...templateVariableProblems(rule, file, source));
    else if (!existsSync(join(templatesDir, `${rule.rule.template}.liquid`))) {
      problems.push({ file, path: 'template', message: `no template templates/${rule.rule.template}.liquid; create it or fix the name` });
    }
    problems.push(...variantProblems(rule, file, templates));
  }
  return problems;
}

/** Every variant's template exists and is for the variant's channel; a subject override parses. */
function variantProblems(rule: CompiledRule, file: string, templates: ReadonlyMap<string, string>): Problem[] {
  return (rule.rule.variants ?? []).flatMap((variant, index): Problem[] => {
    const name = variant.template ?? rule.rule.template;
    const channel = variant.channel ?? rule.rule.channel;
    const source = templates.get(name);
    if (source === undefined) {
      return variant.template === undefined
        ? []
        : [{ file, path: `variants.${index}.template`, message: `no template templates/${name}.liquid; create it or fix the name` }];
    }
    const problems: Problem[] = [];
    const templateChannel = parseTemplate(name, source).channel;
    if (templateChannel !== channel)
      problems.push({
        file,
        path: `variants.${index}.template`,
        message: `templates/${name}.liquid is for ${templateChannel}, and variant "${variant.id}" sends ${channel}`,
      });
    if (variant.subject !== undefined && channel !== 'email')
      problems.push({ file, path: `variants.${index}.subject`, message: `variant "${variant.id}" sends ${channel}, which has no subject` });
    if (variant.subject !== undefined) {
      try {
        checkSubject(variant.subject);
      } catch (error) {
        problems.push({ file, path: `variants.${index}.subject`, message: `the subject is not valid Liquid: ${(error as Error).message}` });
      }
    }
    if (variant.template !== undefined) problems.push(...templateVariableProblems({ ...rule, rule: { ...rule.rule, template: name } }, file, source));
    return problems;
  });
}

/** The configuration files the services read at start: a problem names the file and the field, before a deploy. */
function configProblems(projectRoot: string): Problem[] {
  const files: readonly [string, z.ZodType][] = [
    ['dispatch.json', DispatchPolicy],
    ['measurement.json', MeasurementConfig],
  ];
  return files.flatMap(([name, schema]): Problem[] => {
    const path = join(projectRoot, 'config', name);
    if (!existsSync(path)) return [];
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      return [{ file: `config/${name}`, path: '', message: `not valid JSON: ${(error as Error).message}` }];
    }
    const parsed = schema.safeParse(json);
    return parsed.success ? [] : parsed.error.issues.map((issue) => ({ file: `config/${name}`, path: issue.path.join('.'), message: issue.message }));
  });
}

export function assertProjectValid(projectRoot: string): void {
  const problems = projectProblems(projectRoot);
  if (problems.length > 0) throw new Error(`Nudge cannot be deployed; fix these first:\n${formatProblems(problems)}`);
}
