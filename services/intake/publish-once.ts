import { setTimeout as sleep } from 'node:timers/promises';
import type { BusPublisher } from '#shared/adapters/bus-publisher.js';
import type { Claim, DeliveryLedger } from './adapters/delivery-ledger.js';
import { type Decision, type Delivery, errorReply, type Reply } from './core/request.js';

/** A concurrent duplicate waits this long, in steps, for the first delivery to finish publishing. */
const waitSteps = 10;
const waitStepMillis = 100;

async function claimWaiting(ledger: DeliveryLedger, id: string, now: () => number): Promise<Claim> {
  let claim = await ledger.claim(id, now());
  // Stryker disable next-line EqualityOperator: one more 100 ms wait changes only how long a duplicate waits.
  for (let step = 0; claim === 'in-progress' && step < waitSteps; step++) {
    await sleep(waitStepMillis);
    claim = await ledger.claim(id, now());
  }
  return claim;
}

/**
 * How recording a decision ended: an answer to give, or a failure of the table (`claim`) or of the
 * bus (`publish`) before anything was on the bus, which the platform's retry can recover from.
 * `unfinished` counts deliveries whose events are on the bus but whose record could not be marked
 * done: the answer is still a success (the work is done); a later retry may publish them again,
 * and their events' ids make that harmless.
 */
export type Recorded =
  | { readonly kind: 'answered'; readonly reply: Reply; readonly unfinished: number }
  | { readonly kind: 'failed'; readonly stage: 'claim' | 'publish'; readonly cause: unknown };

/**
 * Publishes what a decision accepted, once per platform delivery: a duplicate gets 200 and
 * publishes nothing; when the table or the bus fails before the events are on the bus, the claims
 * are given back so the platform's retry can publish.
 */
export async function publishOnce(
  decision: Decision,
  ledger: DeliveryLedger,
  publisher: Pick<BusPublisher, 'publishAll'>,
  now: () => number,
): Promise<Recorded> {
  if (decision.deliveries.length === 0) return { kind: 'answered', reply: decision.reply, unfinished: 0 };
  const claims = await Promise.allSettled(
    decision.deliveries.map((delivery) => (delivery.id === undefined ? Promise.resolve<Claim>('claimed') : claimWaiting(ledger, delivery.id, now))),
  );
  // In the platform's order: a batch's events reach the bus as they were sent.
  const claimed: Delivery[] = decision.deliveries.filter((_, index) => {
    const claim = claims[index];
    // Stryker disable next-line ConditionalExpression,OptionalChaining: every delivery has its settled claim, and a rejected one has no value.
    return claim?.status === 'fulfilled' && claim.value === 'claimed';
  });
  // Stryker disable next-line ConditionalExpression: a delivery without an id was never claimed, so releasing it deletes nothing.
  const release = () => Promise.allSettled(claimed.map((delivery) => (delivery.id === undefined ? undefined : ledger.release(delivery.id))));
  // Stryker disable next-line ConditionalExpression: a rejected claim has no value.
  const duplicates = claims.filter((claim) => claim.status === 'fulfilled' && claim.value === 'duplicate').length;
  // Stryker disable next-line ConditionalExpression: a rejected claim has no value.
  const busy = claims.some((claim) => claim.status === 'fulfilled' && claim.value === 'in-progress');
  const failedClaim = claims.find((claim) => claim.status === 'rejected');
  if (failedClaim !== undefined) {
    await release();
    return { kind: 'failed', stage: 'claim', cause: failedClaim.reason };
  }
  if (busy) {
    await release();
    return { kind: 'answered', reply: errorReply(503, 'in-progress', 'This delivery is being recorded by another request; please retry'), unfinished: 0 };
  }
  try {
    await publisher.publishAll(claimed.flatMap((delivery) => delivery.publications));
  } catch (error) {
    await release();
    return { kind: 'failed', stage: 'publish', cause: error };
  }
  // Stryker disable next-line ConditionalExpression: marking a delivery without an id done writes an item nobody reads.
  const completions = await Promise.allSettled(claimed.map((delivery) => (delivery.id === undefined ? undefined : ledger.complete(delivery.id))));
  const unfinished = completions.filter((completion) => completion.status === 'rejected').length;
  if (duplicates === 0) return { kind: 'answered', reply: decision.reply, unfinished };
  const body = claimed.length === 0 ? { ...decision.reply.body, duplicate: true } : { ...decision.reply.body, duplicates };
  return { kind: 'answered', reply: { status: decision.reply.status, body }, unfinished };
}
