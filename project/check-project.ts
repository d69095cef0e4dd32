import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Liquid } from 'liquidjs';
import { z } from 'zod';
import { poolNamePattern } from '#services/dispatch/adapters/coupon-pools.js';
import { checkSubject, parseTemplate } from '#services/dispatch/core/template.js';
import type { Geofence } from '#services/rules/core/geofence.js';
import type { CompiledRule } from '#services/rules/core/rule.js';
import type { ProjectFacts } from '#services/rules/kinds/kind.js';
import type { CompiledPattern, Condition } from '#shared/event-pattern/compile.js';
import { detailSchemas, fieldKinds, type JsonSchema, profileSchema, type Segment, schemaHas } from '#shared/events/fields.js';
import { triggerEvents } from '#shared/events/index.js';
import { Product } from '#shared/events/product.js';
import { copyIn } from '#shared/languages.js';
import { ownValue } from '#shared/lookup.js';
import type { Problem } from './problem.js';

/**
 * What a project can load with and still never work: patterns no customer event can match,
 * conditions on fields profiles do not have, templates missing, on the wrong channel or using
 * variables nothing supplies. `nudge rules validate` and `cdk synth` refuse them.
 */

/** The sources of the events rules see: intake's customer events and the catalogue's product signals. */
const eventSources = [...new Set(triggerEvents.map((contract) => contract.source))];
/** What a rule's event pattern sees: the customer event as profiles passed it on (see profile.updated). */
const triggerFields = new Set(['source', 'detail-type', 'detail']);
/**
 * What dispatch supplies to a template besides the profile and the event, by name, with the names
 * under it (none: a plain value): the rule, the message's shop (config/shops.json), the language and
 * words of the parts Nudge writes, and the unsubscribe link (empty in transactional email).
 */
let productJsonSchema: JsonSchema | undefined;
const productSchema = () => (productJsonSchema ??= z.toJSONSchema(Product) as JsonSchema);

const suppliedVariables: Readonly<Record<string, ReadonlySet<string>>> = {
  rule: new Set(['id']),
  shop: new Set(['id', 'name']),
  language: new Set(),
  copy: new Set(Object.keys(copyIn('en'))),
  unsubscribeUrl: new Set(),
};

function supplied(root: Segment | undefined, rest: readonly Segment[]): boolean {
  // A unique code from a coupon pool, named as `nudge coupons load` names it.
  if (root === 'coupon') return rest.length === 1 && poolNamePattern.test(String(rest[0]));
  // What to buy next: a list of catalogue products (loop over it; its size, first, last).
  if (root === 'recommendations')
    return (
      rest.length === 0 ||
      (['size', 'first', 'last'].includes(String(rest[0])) && (rest[0] === 'size' ? rest.length === 1 : schemaHas(productSchema(), rest.slice(1))))
    );
  const names = ownValue(suppliedVariables, String(root));
  if (names === undefined) return false;
  return rest.length === 0 || (names.size > 0 && names.has(String(rest[0])) && rest.length === 1);
}

const isMoney = (node: unknown, path: readonly Segment[]) => {
  const kinds = fieldKinds(node, [...path, 'amount']);
  return kinds.has('amount') && fieldKinds(node, [...path, 'currency']).has('text');
};

/**
 * Why a condition can never match the kind of field it is on, with the fix; undefined when it can.
 * Amounts (decimal strings) compare with `numeric`, as the rules read them.
 */
function kindMismatch(condition: Condition, schema: unknown, path: readonly Segment[], field: string): string | undefined {
  const kinds = fieldKinds(schema, path);
  if (kinds.size === 0 || kinds.has('any')) return undefined;
  // What anything-but excludes is not a condition a value must meet: excluding what can never be
  // there excludes nothing, which is not "can never match".
  const tests = condition.tests.filter((test) => test.kind !== 'anything-but');
  if ([...kinds].every((kind) => kind === 'object')) {
    if (tests.every((test) => test.kind === 'exists')) return undefined;
    return isMoney(schema, path)
      ? `can never match: "${field}" is an amount with its currency; compare its amount, such as "${field.split('.').at(-1)}": {"amount": [{"numeric": [">=", 50]}], "currency": ["EUR"]}`
      : `can never match: "${field}" is an object; name one of its fields`;
  }
  for (const test of tests) {
    switch (test.kind) {
      case 'numeric':
        if (!kinds.has('number') && !kinds.has('amount'))
          return `can never match: "numeric" compares numbers and amounts, and "${field}" is ${kinds.has('boolean') ? 'true or false' : 'text'}; compare it with a value, such as ["..."]`;
        break;
      case 'number':
        if (!kinds.has('number'))
          return kinds.has('amount')
            ? `can never match: "${field}" is an amount, written as text ("64.90"); compare it with {"numeric": ["=", ${test.value}]}`
            : `can never match: "${field}" is text; write the value in quotes, "${test.value}"`;
        break;
      case 'string':
        if (!kinds.has('text') && !kinds.has('amount'))
          return kinds.has('number')
            ? `can never match: "${field}" is a number; write it without quotes, or use {"numeric": ["=", ${Number(test.value) || 0}]}`
            : `can never match: "${field}" is true or false; write true or false without quotes`;
        break;
      case 'prefix':
      case 'suffix':
      case 'wildcard':
      case 'equals-ignore-case':
      case 'cidr':
        if (!kinds.has('text') && !kinds.has('amount'))
          return `can never match: "${test.kind}" works on text, and "${field}" is ${kinds.has('number') ? 'a number; use "numeric"' : 'true or false'}`;
        break;
      default:
        break;
    }
  }
  return undefined;
}

/** The detail-types a branch of a pattern can match, or every customer event if it does not pin one. */
function typesOf(branch: readonly Condition[]): string[] {
  const condition = branch.find((candidate) => candidate.path === 'detail-type');
  const exact = condition?.tests.every((test) => test.kind === 'string') ? condition.tests.map((test) => (test as { value: string }).value) : undefined;
  return exact ?? [...detailSchemas.keys()];
}

const onlyAbsence = (condition: Condition) => condition.tests.every((test) => test.kind === 'exists' && !test.value);

function eventPatternProblems(rule: CompiledRule, file: string): Problem[] {
  return rule.trigger.patterns.flatMap(({ path, pattern }) => patternProblems(pattern, path, file));
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
      } else if (field === 'source' && condition.tests.every((test) => test.kind === 'string' && !eventSources.includes(test.value as string))) {
        problems.push({
          file,
          path: at('source'),
          message: `can never match: the events rules see come from ${eventSources.map((name) => `"${name}"`).join(' or ')}`,
        });
      } else if (field === 'detail' && !types.some((type) => schemaHas(detailSchemas.get(type), rest))) {
        problems.push({ file, path: at(condition.path), message: `can never match: ${types.join(', ')} has no field "${rest.join('.')}"` });
      } else if (field === 'detail') {
        const mismatches = types
          .filter((type) => schemaHas(detailSchemas.get(type), rest))
          .map((type) => kindMismatch(condition, detailSchemas.get(type), rest, rest.join('.')));
        const mismatch = mismatches.every((found) => found !== undefined) ? mismatches[0] : undefined;
        if (mismatch !== undefined) problems.push({ file, path: at(condition.path), message: mismatch });
      }
    }
  }
  return problems;
}

/** What the kinds' own checks may ask of the project. */
function factsOf(geofences: ReadonlyMap<string, Geofence>, checks: 'deploy' | 'run'): ProjectFacts {
  return {
    geofences,
    missingField: (pattern, key) => {
      if (checks === 'run') return undefined;
      const [field, ...rest] = key.split('.');
      const types = [...new Set(pattern.branches.flatMap(typesOf))].filter((type) => detailSchemas.has(type));
      return field === 'detail' && types.some((type) => schemaHas(detailSchemas.get(type), rest)) ? undefined : types.join(', ') || 'these events';
    },
  };
}

function conditionProblems(rule: CompiledRule, file: string): Problem[] {
  return (rule.conditions?.branches ?? []).flat().flatMap((condition) => {
    if (onlyAbsence(condition)) return [];
    const path = condition.path.split('.');
    if (!schemaHas(profileSchema(), path))
      return [{ file, path: `conditions.${condition.path}`, message: `can never match: profiles have no field "${condition.path}"` }];
    const mismatch = kindMismatch(condition, profileSchema(), path, condition.path);
    return mismatch === undefined ? [] : [{ file, path: `conditions.${condition.path}`, message: mismatch }];
  });
}

const variableReader = new Liquid();

function templateVariableProblems(rule: CompiledRule, file: string, source: string): Problem[] {
  const types = [...new Set(rule.trigger.patterns.flatMap(({ pattern }) => pattern.branches.flatMap(typesOf)))].filter((type) => detailSchemas.has(type));
  const problems: Problem[] = [];
  for (const segments of variableReader.globalVariableSegmentsSync(variableReader.parse(source))) {
    const [root, ...rest] = segments as Segment[];
    const name = segments.join('.');
    const missing =
      root === 'profile'
        ? !schemaHas(profileSchema(), rest)
        : root === 'event'
          ? types.length > 0 && !types.some((type) => schemaHas(detailSchemas.get(type), rest))
          : !supplied(root, rest);
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
                : root === 'coupon'
                  ? 'Nudge (write coupon.<pool>, a pool name of lower-case letters, digits and _)'
                  : root === 'recommendations'
                    ? 'Nudge (loop over recommendations; each is a catalogue product: title, url, imageUrl, category, variants)'
                    : `Nudge (use profile, event, ${Object.keys(suppliedVariables).join(', ')}, coupon.<pool>, recommendations)`;
      problems.push({ file, path: 'template', message: `templates/${rule.rule.template}.liquid uses {{ ${name} }}, which ${supplier} cannot supply` });
    }
  }
  return problems;
}

/** The problems of compiled rules within their project (see the top of this file). */
export function lintProject(
  rules: readonly CompiledRule[],
  geofences: ReadonlyMap<string, Geofence>,
  templates: ReadonlyMap<string, string>,
  rulesDir: string,
  checks: 'deploy' | 'run',
): Problem[] {
  const facts = factsOf(geofences, checks);
  const problems: Problem[] = [];
  for (const rule of rules) {
    const file = rule.file ?? `${rule.rule.id}.json`;
    problems.push(
      ...rule.trigger.problems(facts).map(({ path, message, warning }) => ({ file, path, message, ...(warning ? { severity: 'warning' as const } : {}) })),
    );
    if (checks === 'run') continue;
    problems.push(...eventPatternProblems(rule, file), ...conditionProblems(rule, file));
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
    else if (!existsSync(join(rulesDir, '..', 'templates', `${rule.rule.template}.liquid`))) {
      problems.push({ file, path: 'template', message: `no template templates/${rule.rule.template}.liquid; create it or fix the name` });
    }
    problems.push(...variantProblems(rule, file, templates));
  }
  if (checks === 'deploy') problems.push(...exclusiveProblems(rules));
  return problems;
}

/** The rules of each exclusive group, highest priority first: what `nudge rules validate` shows. */
export function exclusiveGroups(rules: readonly CompiledRule[]): Map<string, CompiledRule[]> {
  const groups = new Map<string, CompiledRule[]>();
  for (const rule of rules) {
    if (rule.exclusive === undefined) continue;
    groups.set(rule.exclusive.group, [...(groups.get(rule.exclusive.group) ?? []), rule]);
  }
  for (const members of groups.values())
    members.sort((a, b) => (b.exclusive?.priority ?? 0) - (a.exclusive?.priority ?? 0) || a.rule.id.localeCompare(b.rule.id));
  return groups;
}

/** A group whose rules share a priority leaves the choice to their ids; a group of one holds nothing. */
function exclusiveProblems(rules: readonly CompiledRule[]): Problem[] {
  const problems: Problem[] = [];
  for (const [group, members] of exclusiveGroups(rules)) {
    if (members.length === 1) {
      const [only] = members;
      if (only)
        problems.push({
          file: only.file ?? `${only.rule.id}.json`,
          path: 'exclusive.group',
          message: `no other rule is in the group "${group}"; name the same group in the rules it excludes`,
        });
      continue;
    }
    const withins = new Set(members.map((rule) => rule.exclusive?.withinMillis));
    if (withins.size > 1) {
      const [first, ...others] = members;
      const differing = others.find((rule) => rule.exclusive?.withinMillis !== first?.exclusive?.withinMillis);
      if (first && differing)
        problems.push({
          file: differing.file ?? `${differing.rule.id}.json`,
          path: 'exclusive.within',
          message: `the group "${group}" holds for one time: "${first.rule.id}" says ${first.rule.exclusive?.within}; say the same in every rule of the group`,
        });
    }
    for (const [index, rule] of members.entries()) {
      const tie = members.find((other, otherIndex) => otherIndex !== index && other.exclusive?.priority === rule.exclusive?.priority);
      if (tie !== undefined && index < members.indexOf(tie))
        problems.push({
          file: tie.file ?? `${tie.rule.id}.json`,
          path: 'exclusive.priority',
          message: `"${rule.rule.id}" in the group "${group}" has the same priority (${rule.exclusive?.priority}); give one a higher priority, so the one you prefer sends`,
        });
    }
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
