import { setTimeout as sleep } from 'node:timers/promises';
import type { BusPublisher } from '../../shared/adapters/bus-publisher.js';
import type { Claim, DeliveryLedger } from './adapters/delivery-ledger.js';
import { type Decision, type Delivery, errorReply, type Reply } from './core/request.js';

/** A concurrent duplicate waits this long, in steps, for the first delivery to finish publishing. */
const waitSteps = 10;
const waitStepMillis = 100;

async function claimWaiting(ledger: DeliveryLedger, id: string, now: () => Date): Promise<Claim> {
  let claim = await ledger.claim(id, now());
  for (let step = 0; claim === 'in-progress' && step < waitSteps; step++) {
    await sleep(waitStepMillis);
    claim = await ledger.claim(id, now());
  }
  return claim;
}

/**
 * Publishes what a decision accepted, once per platform delivery: a duplicate gets 200 and
 * publishes nothing; a failure to publish gets 503 (thrown as PublishFailed), so the platform
 * retries, and the claims are given back so that retry can publish.
 */
export async function publishOnce(decision: Decision, ledger: DeliveryLedger, publisher: BusPublisher, now: () => Date): Promise<Reply> {
  if (decision.deliveries.length === 0) return decision.reply;
  const claims = await Promise.all(
    decision.deliveries.map(async (delivery) => ({
      delivery,
      claim: delivery.id === undefined ? ('claimed' as const) : await claimWaiting(ledger, delivery.id, now),
    })),
  );
  const claimed: Delivery[] = claims.filter(({ claim }) => claim === 'claimed').map(({ delivery }) => delivery);
  const duplicates = claims.filter(({ claim }) => claim === 'duplicate').length;
  const busy = claims.some(({ claim }) => claim === 'in-progress');
  const release = () => Promise.all(claimed.map((delivery) => (delivery.id === undefined ? undefined : ledger.release(delivery.id))));
  if (busy) {
    await release();
    return errorReply(503, 'in-progress', 'This delivery is being recorded by another request; please retry');
  }
  try {
    await publisher.publishAll(claimed.flatMap((delivery) => delivery.publications));
  } catch (error) {
    await release();
    throw new PublishFailed(error);
  }
  await Promise.all(claimed.map((delivery) => (delivery.id === undefined ? undefined : ledger.complete(delivery.id))));
  if (duplicates === 0) return decision.reply;
  const body = claimed.length === 0 ? { ...decision.reply.body, duplicate: true } : { ...decision.reply.body, duplicates };
  return { status: decision.reply.status, body };
}

export class PublishFailed extends Error {
  override readonly name = 'PublishFailed';
  constructor(readonly reason: unknown) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}
