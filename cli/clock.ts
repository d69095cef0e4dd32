import { UsageError } from './test-pattern.js';

/** The running local runtime's clock, as its `/_local/clock` operations describe it. */
export interface ClockView {
  readonly now: string;
  readonly aheadByMillis: number;
  readonly timers: number;
  readonly next: readonly { readonly name: string; readonly dueAt: string }[];
  /** After a move: how many timers fell due in the time passed. */
  readonly due?: number;
}

/** Asks the running local runtime (its AWS endpoint) about its clock, or moves it; a runtime that is not there is a usage error that says how to start it. */
export async function localClock(awsUrl: string, advanceBy?: string): Promise<ClockView> {
  const url = advanceBy === undefined ? `${awsUrl}/_local/clock` : `${awsUrl}/_local/clock/advance?by=${encodeURIComponent(advanceBy)}`;
  let response: Response;
  try {
    // A move waits for every timer it makes due, and what they set off, to be handled.
    response = await fetch(url, { method: advanceBy === undefined ? 'GET' : 'POST', signal: AbortSignal.timeout(300_000) });
  } catch {
    throw new UsageError(`No local runtime answered at ${awsUrl}: start it with npm start (or give its AWS endpoint with --endpoint, or NUDGE_AWS_PORT)`);
  }
  const body = (await response.json()) as ClockView & { message?: string };
  if (!response.ok) throw new UsageError(body.message ?? `The local runtime refused: ${response.status}`);
  return body;
}

const hours = (millis: number) => {
  const minutes = Math.round(millis / 60_000);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h${minutes % 60 === 0 ? '' : ` ${minutes % 60} min`}`;
};

export function formatClock(view: ClockView): string {
  const lines = [`Local time: ${view.now}${view.aheadByMillis > 0 ? ` (${hours(view.aheadByMillis)} ahead of real time)` : ' (real time)'}`];
  if (view.due !== undefined) lines.push(`Timers that fell due: ${view.due}`);
  lines.push(view.timers === 0 ? 'No timers are waiting.' : `Timers waiting: ${view.timers}; next:`);
  for (const timer of view.next) lines.push(`  ${timer.dueAt}  ${timer.name}`);
  return lines.join('\n');
}
