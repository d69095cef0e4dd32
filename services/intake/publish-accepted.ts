import type { BusPublisher } from '#shared/adapters/bus-publisher.js';
import type { Decision, Reply } from './core/request.js';

/**
 * How publishing a decision ended: its answer, once what it accepted is on the bus, or the bus's
 * failure before that, which the platform's retry recovers from.
 */
export type Published = { readonly kind: 'answered'; readonly reply: Reply } | { readonly kind: 'failed'; readonly cause: unknown };

/**
 * Puts what a decision accepted on the bus, in the platform's order (a batch's events reach the bus
 * as they were sent). Intake keeps no record of deliveries: a platform's retry of a delivery
 * carries the same ids, so it is published again with the same event ids, and every consumer
 * applies an event id once (profiles' applied marker, the catalogue's last event, measurement's
 * fact markers). A record here would cost two writes on every request to save a publish on the
 * rare retry.
 */
export async function publishAccepted(decision: Decision, publisher: Pick<BusPublisher, 'publishAll'>): Promise<Published> {
  const publications = decision.deliveries.flatMap((delivery) => delivery.publications);
  if (publications.length === 0) return { kind: 'answered', reply: decision.reply };
  try {
    await publisher.publishAll(publications);
  } catch (error) {
    return { kind: 'failed', cause: error };
  }
  return { kind: 'answered', reply: decision.reply };
}
