import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readProject } from '#project/load-project.js';
import { formatProblems } from '#project/problem.js';
import { ruleIdPattern } from '#services/rules/core/rule.js';
import { localDateTimePattern, localMoment, waveInstants } from '#shared/calendar.js';
import { UsageError } from './test-pattern.js';

export interface BroadcastOptions {
  readonly id: string;
  /** Local date and time in each person's zone, `YYYY-MM-DDTHH:MM`. */
  readonly at: string;
  readonly template: string;
  readonly name?: string;
  readonly channel: string;
  /** RFM segments the broadcast goes to; every profile when none. */
  readonly segments: readonly string[];
  /** For people without a time zone of their own (UTC when not given). */
  readonly timeZone?: string;
  readonly force: boolean;
}

export interface WrittenBroadcast {
  readonly file: string;
  /** The waves still to come (UTC instants, epoch ms). */
  readonly waves: readonly number[];
}

/** A broadcast as a rule file: the rule a marketer could have written by hand. */
export function broadcastRule(options: BroadcastOptions): Record<string, unknown> {
  const audience =
    options.segments.length === 0
      ? 'everyone who agreed to hear from the shop'
      : `the RFM segment${options.segments.length === 1 ? '' : 's'} ${options.segments.join(', ')}`;
  return {
    $schema: '../schema/rule.schema.json',
    id: options.id,
    name: options.name ?? options.id,
    description: `One-off broadcast at ${options.at.replace('T', ' ')} in each person's time zone, to ${audience}.`,
    trigger: { type: 'time', once: options.at, ...(options.timeZone === undefined ? {} : { timeZone: options.timeZone }) },
    ...(options.segments.length === 0 ? {} : { conditions: { rfm: { segment: [...options.segments] } } }),
    channel: options.channel,
    template: options.template,
  };
}

/**
 * Writes `rules/<id>.json` for a one-off broadcast and checks the whole project with it, as
 * `nudge rules validate` does: a problem (an unknown template, a bad time zone) leaves the rules
 * as they were. A broadcast whose every wave is past is refused.
 */
export function writeBroadcast(projectDir: string, options: BroadcastOptions, now: number): WrittenBroadcast {
  // The rule's own id rule, checked before the id names a file.
  if (!ruleIdPattern.test(options.id))
    throw new UsageError(`The id "${options.id}" is not a rule id: use lower-case letters, digits and dashes, such as black-friday-2026`);
  if (!localDateTimePattern.test(options.at)) throw new UsageError(`--at takes a local date and time such as 2026-11-27T09:00, not ${options.at}`);
  if (localMoment(options.at, 'UTC') === undefined) throw new UsageError(`${options.at} is no date: use a real one, such as 2026-11-27T09:00`);
  const waves = waveInstants(options.at).filter((wave) => wave > now);
  if (waves.length === 0) throw new UsageError(`${options.at} has passed in every time zone; a broadcast needs a time still to come`);
  const file = join(projectDir, 'rules', `${options.id}.json`);
  const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (before !== undefined && !options.force) throw new UsageError(`rules/${options.id}.json exists; choose another id, or --force to replace it`);
  writeFileSync(file, `${JSON.stringify(broadcastRule(options), null, 2)}\n`);
  const project = readProject(projectDir);
  if (!project.ok) {
    if (before === undefined) rmSync(file);
    else writeFileSync(file, before);
    throw new UsageError(`The broadcast was not written; fix these first:\n${formatProblems(project.error)}`);
  }
  return { file, waves };
}
