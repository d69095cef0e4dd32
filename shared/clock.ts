/**
 * The time the services decide by. On AWS it is the real time. The local runtime can move its own
 * clock ahead (`nudge clock advance 2h`) and sets itself here, so that what a person does after the
 * move (an unsubscribe, an order) is later than what the moved timers did, and `nudge why` and the
 * send gate tell times on the same clock as the timers. Signatures and secrets keep real time: a
 * platform signs with its own clock, which nobody moved.
 */
const movedClock = Symbol.for('nudge.clock');

type WithClock = { [movedClock]?: () => number };

export function now(): number {
  return (globalThis as WithClock)[movedClock]?.() ?? Date.now();
}

/** The local runtime's clock for the services of this process; `undefined` gives them real time again. */
export function setClock(clock: (() => number) | undefined): void {
  if (clock === undefined) delete (globalThis as WithClock)[movedClock];
  else (globalThis as WithClock)[movedClock] = clock;
}
