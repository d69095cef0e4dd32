import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { nextRun, parseCron } from '#services/rules/core/cron.js';
import type { PutEventsEntry } from './event-bus.js';

/**
 * EventBridge Scheduler on one machine: the slice of its API the services use (CreateSchedule,
 * GetSchedule, DeleteSchedule, over the same REST protocol, so the real SDK client works through
 * AWS_ENDPOINT_URL_SCHEDULER), schedules kept in a file so they survive a restart, and a clock
 * that tests can move forward. Due schedules put their event on the local bus, as the
 * EventBridge target of a schedule does in AWS.
 */

export interface StoredSchedule {
  readonly name: string;
  readonly group: string;
  readonly expression: string;
  readonly timeZone: string;
  readonly busName: string;
  readonly source: string;
  readonly detailType: string;
  readonly input: string;
  readonly deleteAfterCompletion: boolean;
  /** The next time it runs (epoch ms); recurring schedules move it on after each run. */
  nextRunAt: number;
}

/** Time for the local runtime: real time plus an offset that tests advance ("a fast clock"). */
export class LocalClock {
  /** `file`: where the offset is kept, so a restart goes on from the moved time its data was written in. */
  constructor(private readonly file?: string) {
    if (file !== undefined && existsSync(file)) {
      const saved = Number((JSON.parse(readFileSync(file, 'utf8')) as { aheadByMillis?: unknown }).aheadByMillis);
      if (Number.isFinite(saved) && saved > 0) this.offsetMillis = saved;
    }
  }

  private offsetMillis = 0;
  now(): number {
    return Date.now() + this.offsetMillis;
  }
  /** How far it has been moved ahead of real time. */
  get aheadByMillis(): number {
    return this.offsetMillis;
  }
  advance(millis: number): void {
    this.offsetMillis += millis;
    if (this.file !== undefined) writeFileSync(this.file, JSON.stringify({ aheadByMillis: this.offsetMillis }));
  }
}

type Reply = { status: number; body: Record<string, unknown>; errorType?: string };

const error = (status: number, type: string, message: string): Reply => ({ status, body: { Message: message, message }, errorType: type });

function firstRun(expression: string, timeZone: string, after: number): number | string {
  const once = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(expression);
  if (once) {
    if (timeZone !== 'UTC') return 'the local Scheduler takes one-time schedules in UTC only';
    return Date.parse(`${once[1]}Z`);
  }
  const cron = parseCron(expression);
  if (!cron.ok) return cron.error;
  return nextRun(cron.value, timeZone, after) ?? 'the schedule never runs';
}

export class LocalScheduler {
  private readonly schedules = new Map<string, StoredSchedule>();
  private ticker: NodeJS.Timeout | undefined;
  private firing: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string,
    readonly clock: LocalClock,
    private readonly putEvent: (entry: PutEventsEntry) => void,
    private readonly log: (line: string) => void,
  ) {
    if (existsSync(file)) {
      for (const schedule of JSON.parse(readFileSync(file, 'utf8')) as StoredSchedule[]) this.schedules.set(`${schedule.group}/${schedule.name}`, schedule);
    }
  }

  /** Checks for due schedules every second, on the clock. */
  start(): void {
    this.ticker = setInterval(() => void this.fireDue(), 1000);
    this.ticker.unref();
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
  }

  list(): StoredSchedule[] {
    return [...this.schedules.values()];
  }

  /** Creates or replaces a schedule the runtime owns (the recurring rules), as the stack does in AWS. */
  put(schedule: Omit<StoredSchedule, 'nextRunAt'>): void {
    const next = firstRun(schedule.expression, schedule.timeZone, this.clock.now());
    if (typeof next === 'string') throw new Error(`Schedule ${schedule.name}: ${next}`);
    this.schedules.set(`${schedule.group}/${schedule.name}`, { ...schedule, nextRunAt: next });
    this.save();
  }

  /** Removes the schedules of a group that are not in `keep` (recurring rules since deleted). */
  prune(group: string, keep: ReadonlySet<string>): void {
    for (const schedule of this.list()) if (schedule.group === group && !keep.has(schedule.name)) this.schedules.delete(`${group}/${schedule.name}`);
    this.save();
  }

  /** Puts the event of every schedule due by the clock's time on the bus, earliest first. */
  fireDue(): Promise<void> {
    this.firing = this.firing.then(() => {
      const now = this.clock.now();
      const due = this.list()
        .filter((schedule) => schedule.nextRunAt <= now)
        .sort((a, b) => a.nextRunAt - b.nextRunAt);
      for (const schedule of due) {
        const scheduledTime = new Date(schedule.nextRunAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
        this.log(`scheduler  ${schedule.name} due ${scheduledTime}`);
        this.putEvent({
          EventBusName: schedule.busName,
          Source: schedule.source,
          DetailType: schedule.detailType,
          Detail: schedule.input.replaceAll('<aws.scheduler.scheduled-time>', scheduledTime),
        });
        const key = `${schedule.group}/${schedule.name}`;
        if (schedule.expression.startsWith('at(')) {
          if (schedule.deleteAfterCompletion) this.schedules.delete(key);
          else schedule.nextRunAt = Number.MAX_SAFE_INTEGER;
        } else {
          const next = firstRun(schedule.expression, schedule.timeZone, schedule.nextRunAt);
          if (typeof next === 'number') schedule.nextRunAt = next;
          else this.schedules.delete(key);
        }
      }
      if (due.length > 0) this.save();
    });
    return this.firing;
  }

  /** The Scheduler REST API: POST/GET/DELETE /schedules/{Name}. */
  handle(request: IncomingMessage, body: string, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const name = decodeURIComponent(url.pathname.slice('/schedules/'.length));
    let reply: Reply;
    try {
      reply = this.operation(request.method ?? 'GET', name, url.searchParams.get('groupName') ?? 'default', body);
    } catch (failure) {
      reply = error(400, 'ValidationException', (failure as Error).message);
    }
    response.writeHead(reply.status, { 'content-type': 'application/json', ...(reply.errorType ? { 'x-amzn-errortype': reply.errorType } : {}) });
    response.end(JSON.stringify(reply.body));
  }

  private operation(method: string, name: string, queryGroup: string, body: string): Reply {
    if (!/^[0-9a-zA-Z-_.]{1,64}$/.test(name)) return error(400, 'ValidationException', 'Name must be 1 to 64 of [0-9a-zA-Z-_.]');
    if (method === 'POST') {
      const input = JSON.parse(body || '{}') as Record<string, unknown>;
      const group = (input.GroupName as string | undefined) ?? 'default';
      const key = `${group}/${name}`;
      if (this.schedules.has(key)) return error(409, 'ConflictException', `Schedule ${name} already exists.`);
      const target = input.Target as { Arn?: string; Input?: string; EventBridgeParameters?: { Source?: string; DetailType?: string } } | undefined;
      if (!target?.Arn || !target.EventBridgeParameters?.Source || !target.EventBridgeParameters.DetailType) {
        return error(400, 'ValidationException', 'The local Scheduler supports EventBridge targets with Source and DetailType.');
      }
      const expression = String(input.ScheduleExpression ?? '');
      const timeZone = (input.ScheduleExpressionTimezone as string | undefined) ?? 'UTC';
      const next = firstRun(expression, timeZone, this.clock.now());
      if (typeof next === 'string') return error(400, 'ValidationException', `Invalid Schedule Expression ${expression}: ${next}`);
      this.schedules.set(key, {
        name,
        group,
        expression,
        timeZone,
        busName: target.Arn.split('/').pop() ?? 'default',
        source: target.EventBridgeParameters.Source,
        detailType: target.EventBridgeParameters.DetailType,
        input: target.Input ?? '{}',
        deleteAfterCompletion: input.ActionAfterCompletion === 'DELETE',
        nextRunAt: next,
      });
      this.save();
      return { status: 200, body: { ScheduleArn: `arn:aws:scheduler:us-east-1:000000000000:schedule/${group}/${name}` } };
    }
    const key = `${queryGroup}/${name}`;
    const schedule = this.schedules.get(key);
    if (schedule === undefined) return error(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
    if (method === 'DELETE') {
      this.schedules.delete(key);
      this.save();
      return { status: 200, body: {} };
    }
    return {
      status: 200,
      body: {
        Name: schedule.name,
        GroupName: schedule.group,
        ScheduleExpression: schedule.expression,
        ScheduleExpressionTimezone: schedule.timeZone,
        State: 'ENABLED',
        ActionAfterCompletion: schedule.deleteAfterCompletion ? 'DELETE' : 'NONE',
        Target: { Input: schedule.input, EventBridgeParameters: { Source: schedule.source, DetailType: schedule.detailType } },
      },
    };
  }

  private save(): void {
    // Write then rename, so a crash mid-write never leaves a half file.
    writeFileSync(`${this.file}.tmp`, JSON.stringify(this.list(), null, 1));
    renameSync(`${this.file}.tmp`, this.file);
  }
}
