import { z } from 'zod';
import { type CompiledPattern, compilePattern, readingAmounts } from '#shared/event-pattern/index.js';
import { detailSchemas, fieldKinds, profileSchema } from '#shared/events/fields.js';

/** Schema parts that more than one trigger kind (and the rule itself) is written with. */

/** An EventBridge event pattern, checked by the same compiler that matches it. */
export const EventPattern = z
  .record(z.string(), z.unknown())
  .superRefine((pattern, context) => {
    const compiled = compilePattern(pattern);
    if (!compiled.ok) {
      context.addIssue({
        code: 'custom',
        path: compiled.error.path === '' ? [] : compiled.error.path.split('.'),
        message: `invalid event pattern: ${compiled.error.message}`,
      });
    }
  })
  .meta({ description: 'An EventBridge event pattern: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html' });
export type EventPattern = z.infer<typeof EventPattern>;

/**
 * Compiles a pattern the schema already accepted, as the rules read it: `numeric` compares amounts
 * too (money is a decimal string on the bus and in profiles: `"total": {"amount": [{"numeric":
 * [">=", 50]}]}`), exactly.
 */
export function compiledPattern(pattern: EventPattern): CompiledPattern {
  const result = compilePattern(pattern);
  // The schema refused invalid patterns, so this only guards against misuse.
  if (!result.ok) throw new Error(`invalid event pattern: ${result.error.message}`);
  return readingAmounts(result.value);
}

const comparesNumbers = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  ('numeric' in value ||
    ('anything-but' in value && typeof value['anything-but'] === 'object' && value['anything-but'] !== null && 'numeric' in value['anything-but']));

/** Whether the contracts say a field of the feed (`detail.trigger.detail...` or `detail.profile...`) holds numbers only, never an amount. */
function holdsNumbersOnly(path: readonly string[], detailTypes: readonly string[]): boolean {
  const [detail, part, ...rest] = path;
  if (detail !== 'detail') return false;
  const kinds =
    part === 'profile'
      ? [...fieldKinds(profileSchema(), rest)]
      : part === 'trigger' && rest[0] === 'detail'
        ? detailTypes.flatMap((type) => [...fieldKinds(detailSchemas.get(type), rest.slice(1))])
        : [];
  return kinds.length > 0 && kinds.every((kind) => kind === 'number');
}

/**
 * What EventBridge is given of a rule's feed to filter the rules service's updates on: the pattern
 * without its `numeric` conditions on amounts, which EventBridge would compare as numbers only and
 * so never match (the rules compare them, exactly); `numeric` on a field that holds numbers only,
 * such as `orderCount`, stays. Wider, never narrower: the rules service tests the whole pattern.
 * `undefined` when nothing is left to filter on.
 */
export function busFilter(feed: Readonly<Record<string, unknown>>): Record<string, unknown> | undefined {
  const named = ((feed.detail as { trigger?: { 'detail-type'?: unknown } } | undefined)?.trigger?.['detail-type'] ?? []) as unknown[];
  const detailTypes = named.length > 0 && named.every((type) => typeof type === 'string') ? (named as string[]) : [...detailSchemas.keys()];
  const filter = (pattern: Readonly<Record<string, unknown>>, path: readonly string[]): Record<string, unknown> | undefined => {
    const kept: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(pattern)) {
      if (key === '$or' && Array.isArray(value)) {
        const alternatives = value.map((alternative) => filter(alternative as Record<string, unknown>, path));
        // An alternative left with nothing matches everything, and so does the whole $or.
        if (alternatives.every((alternative) => alternative !== undefined)) kept[key] = alternatives;
      } else if (Array.isArray(value)) {
        if (!value.some(comparesNumbers) || holdsNumbersOnly([...path, key], detailTypes)) kept[key] = value;
      } else if (typeof value === 'object' && value !== null) {
        const inner = filter(value as Record<string, unknown>, [...path, key]);
        if (inner !== undefined) kept[key] = inner;
      } else {
        kept[key] = value;
      }
    }
    return Object.keys(kept).length === 0 ? undefined : kept;
  };
  return filter(feed, []);
}

const durationUnits = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** A span of time written the way marketers say it: "30m", "24h", "7d", "2w". */
export const Duration = z
  .string()
  .regex(/^[1-9]\d*(s|m|h|d|w)$/, 'write a duration such as "30m", "24h", "7d" or "2w"')
  .meta({ description: 'A duration: a whole number and a unit, s, m, h, d or w ("24h", "7d").' });

export function durationMillis(duration: string): number {
  const unit = duration.at(-1) as keyof typeof durationUnits;
  return Number(duration.slice(0, -1)) * durationUnits[unit];
}

/** A dotted path into the event as it is on the bus, such as `detail.properties.checkoutId`. */
export const EventPath = z
  .string()
  .regex(/^(source|detail-type|detail(\.[^.\s]+)+)$/, 'a dotted path into the event, such as "detail.properties.checkoutId"')
  .meta({ description: 'Where in the event the correlation key is, such as "detail.properties.checkoutId" (arrays: any element).' });

export const LocalTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time such as "09:00"')
  .meta({ description: "A time of day, HH:MM, in the profile's time zone." });

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
